/**
 * Runs an async iterable of bytes through a node:stream Transform (a zlib codec), yielding its output
 * as plain Uint8Array views. Back-pressure is kept (the source is read only as fast as output is
 * consumed); an early `return()` by the consumer destroys the transform and closes the source.
 */
import { Readable, type Transform, pipeline } from "node:stream";

/** A plain Uint8Array view of a Buffer (same memory), so Buffer never leaks into format code. */
export function plainBytes(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Streams `input` through `transform`; errors of either side are thrown from the iteration. */
export async function* through(
  input: AsyncIterable<Uint8Array>,
  transform: Transform,
): AsyncGenerator<Uint8Array> {
  let failure: unknown;
  pipeline(Readable.from(input, { objectMode: true }), transform, (err) => {
    if (err) failure = err;
  });
  try {
    for await (const chunk of transform) yield plainBytes(chunk as Uint8Array);
  } catch (e) {
    throw failure ?? e;
  }
  if (failure !== undefined) throw failure;
}
