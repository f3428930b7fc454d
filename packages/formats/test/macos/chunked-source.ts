/** Test helper: a ByteSource over bytes whose every `open` yields the range in chunks of the given sizes. */
import { chunked } from "../../src/bytes/bytes.ts";
import type { ByteSource } from "../../src/spec/types.ts";

export function chunkedSource(bytes: Uint8Array, size: number | readonly number[]): ByteSource {
  return {
    size: bytes.length,
    open(range?: { start: number; end: number }) {
      return chunked(bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length), size);
    },
  };
}
