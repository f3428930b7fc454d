/** What a writer wrote and the payload listing it gave through WriteContext.onPayload (if it gave one). */
import { collect } from "../../src/bytes/bytes.ts";
import type { WriteContext } from "../../src/format.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";

export async function writeListed(
  write: (ctx: WriteContext) => AsyncIterable<Uint8Array>,
  ctx: WriteContext = {},
): Promise<{ bytes: Uint8Array; payload?: KnownPayload }> {
  let payload: KnownPayload | undefined;
  const bytes = await collect(
    write({
      ...ctx,
      onPayload: (p) => {
        payload = p;
      },
    }),
  );
  return payload === undefined ? { bytes } : { bytes, payload };
}
