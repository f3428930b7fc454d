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

/**
 * Feeds `pieces` to `transform` one at a time — the next piece is written only after the codec has consumed
 * the previous one and the consumer has taken its output — and ends the transform only after the last.
 * So every piece is coded with the codec's "continue" flush and the stream is finished by a separate,
 * empty "end" call, whatever the timing.
 *
 * Why not {@link through}: node:zlib codes the last chunk with the finishing flush when `end()` was
 * already called by the time that chunk is processed, which depends on how fast the source is. zstd then
 * compresses that chunk differently (as a one-shot frame with its size when it is the only one), so the
 * output bytes would depend on input chunking and timing. Output held at any time: one piece's worth.
 */
export async function* throughPieces(
  pieces: AsyncIterable<Uint8Array>,
  transform: Transform,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  transform.on("data", (chunk: Uint8Array) => out.push(plainBytes(chunk)));
  transform.on("error", (e: unknown) => {
    failure ??= e ?? new Error("codec failed");
    signal();
  });
  transform.on("end", () => {
    ended = true;
    signal();
  });
  // Resolves once `start` calls back, or the transform fails or ends.
  const settled = (start: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      start(signal);
    });
  const it = pieces[Symbol.asyncIterator]();
  let finished = false;
  try {
    let next = it.next();
    for (;;) {
      const r = await next;
      if (r.done) {
        finished = true;
        break;
      }
      const consumed = settled((done) => transform.write(r.value, () => done()));
      // The next piece is read while this one is coded; a rejection is rethrown by the await above.
      next = it.next();
      next.catch(() => undefined);
      await consumed;
      if (failure !== undefined) throw failure;
      while (out.length > 0) yield out.shift() as Uint8Array;
    }
    if (!ended && failure === undefined) await settled(() => transform.end());
    if (failure !== undefined) throw failure;
    while (out.length > 0) yield out.shift() as Uint8Array;
  } finally {
    if (!ended) transform.destroy();
    if (!finished) await it.return?.();
  }
}
