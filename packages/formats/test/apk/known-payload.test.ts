// A build reads its apk back for PackageInfo; the apk writer lists its data member's entries as it writes
// them (WriteContext.onPayload: each from its header as read, a file with the md5, SHA-1 and SHA-256 of
// the bytes written), and the reader takes that (ReadContext.knownPayload) instead of hashing and
// inflating the data member again. Both ways must give the same PackageInfo, signed or not.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { apkFormat } from "../../src/apk/index.ts";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { WriteContext } from "../../src/format.ts";
import type { KnownPayload } from "../../src/info/known-payload.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { arbApkSpec } from "../support/arbitrary-apk.ts";
import { writeListed } from "../support/known-payload.ts";
import { exampleSigner } from "./example-signer.ts";

async function written(
  spec: PackageSpec,
  ctx: WriteContext = {},
): Promise<{ bytes: Uint8Array; payload: KnownPayload }> {
  const { bytes, payload } = await writeListed((c) => apkFormat.write(spec, {}, c), ctx);
  assert.ok(payload !== undefined, "the writer lists its data member");
  return { bytes, payload };
}

test("an apk read with the writer's listing gives the PackageInfo of a full read, over generated specs, signed or not", async () => {
  await fc.assert(
    fc.asyncProperty(arbApkSpec, fc.boolean(), async (spec, sign) => {
      const { bytes, payload } = await written(spec, sign ? { signer: exampleSigner() } : {});
      const full = await apkFormat.read(bytesSource(bytes));
      assert.deepEqual(await apkFormat.read(bytesSource(bytes), { knownPayload: payload }), full);
    }),
    { numRuns: 40 },
  );
});

test("the reader takes the listing instead of the data member, and ignores another format's", async () => {
  const spec = fc.sample(arbApkSpec, { numRuns: 1, seed: 3 })[0]!;
  const { bytes, payload } = await written(spec);
  const full = await apkFormat.read(bytesSource(bytes));
  assert.ok(full.files.length > 0);
  const altered: KnownPayload = {
    ...payload,
    files: payload.files.map((f, i) => (i === 0 ? { ...f, mtime: 12345 } : f)),
  };
  const taken = await apkFormat.read(bytesSource(bytes), { knownPayload: altered });
  assert.equal(taken.files[0]!.mtime, 12345, "the listing is what the reader returns");
  assert.notEqual(full.files[0]!.mtime, 12345);
  assert.deepEqual(
    await apkFormat.read(bytesSource(bytes), { knownPayload: { ...altered, format: "deb" } }),
    full,
  );
});
