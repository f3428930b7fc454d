/**
 * Inputs cut into chunks, so every streaming reader is fed 1, 7, 321 and random-sized chunks (a reader
 * must give the same answer however its input is cut).
 */
import type { ByteSource } from "@packyard/formats";

/** The fixed chunk sizes every streaming reader is fed; tests add random sizes drawn by fast-check. */
export const CHUNK_SIZES = [1, 7, 321] as const;

/**
 * Yields `bytes` cut into chunks. `size` is one chunk size, or a list of sizes used in turn (e.g. random
 * sizes drawn by the test); the last chunk is what is left.
 */
export async function* chunked(
  bytes: Uint8Array,
  size: number | readonly number[],
): AsyncGenerator<Uint8Array> {
  const sizes = typeof size === "number" ? [size] : size;
  if (sizes.length === 0 || sizes.some((s) => !(s >= 1))) throw new RangeError("chunk sizes must be >= 1");
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const s = sizes[i++ % sizes.length]!;
    yield bytes.slice(pos, pos + s);
    pos += s;
  }
}

/** A re-openable ByteSource over `bytes` whose every `open` yields the range in chunks of `size` (see {@link chunked}). */
export function chunkedSource(bytes: Uint8Array, size: number | readonly number[]): ByteSource {
  return {
    size: bytes.length,
    open: (range) => chunked(bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length), size),
  };
}
