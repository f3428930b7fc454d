/**
 * Runs bytes through a node:stream Transform (a zlib or liblzma codec), yielding its output as plain
 * Uint8Array views. {@link through} streams with back-pressure; {@link PieceCoder} and
 * {@link throughPieces} feed the codec one piece at a time, which is what makes compression
 * deterministic.
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
 * Drives a codec one piece at a time: {@link PieceCoder.write} writes a piece and resolves, with the
 * output produced so far, once the codec has consumed it; {@link PieceCoder.end} ends the codec with a
 * separate, empty "finish" call and resolves with the rest. Every piece is therefore coded with the
 * codec's "continue" flush, whatever the timing: the one call sequence behind both the in-thread path
 * ({@link throughPieces}) and the worker thread (compress-worker.ts), so both give the same bytes.
 *
 * Why not {@link through}: node:zlib codes the last chunk with the finishing flush when `end()` was
 * already called by the time that chunk is processed, which depends on how fast the source is. zstd then
 * compresses that chunk differently (as a one-shot frame with its size when it is the only one), so the
 * output bytes would depend on input chunking and timing.
 */
export class PieceCoder {
  readonly #transform: Transform;
  #out: Uint8Array[] = [];
  #failure: unknown;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(transform: Transform) {
    this.#transform = transform;
    transform.on("data", (chunk: Uint8Array) => this.#out.push(plainBytes(chunk)));
    transform.on("error", (e: unknown) => {
      this.#failure ??= e ?? new Error("codec failed");
      this.#signal();
    });
    transform.on("end", () => {
      this.#ended = true;
      this.#signal();
    });
  }

  #signal = (): void => {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  };

  /** Resolves once `start` calls back, or the codec fails or ends. */
  #settled(start: (done: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      start(this.#signal);
    });
  }

  /** The output gathered since the last call; throws the codec's failure instead, if it failed. */
  #take(): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** Writes one non-empty piece; resolves with the output produced up to its consumption. */
  async write(piece: Uint8Array): Promise<Uint8Array[]> {
    if (this.#failure !== undefined) throw this.#failure;
    await this.#settled((done) => this.#transform.write(piece, () => done()));
    return this.#take();
  }

  /** Ends the codec; resolves with the rest of the output. */
  async end(): Promise<Uint8Array[]> {
    if (!this.#ended && this.#failure === undefined) await this.#settled(() => this.#transform.end());
    return this.#take();
  }

  /** Releases the codec (a no-op once it ended). */
  destroy(): void {
    if (!this.#ended) this.#transform.destroy();
  }
}

/**
 * Feeds `pieces` to `transform` through a {@link PieceCoder} — the next piece is written only after the
 * codec has consumed the previous one and the consumer has taken its output; it is read while the
 * previous one is coded — and ends the transform only after the last. Output held at any time: one
 * piece's worth. An early `return()` by the consumer destroys the codec and closes the source.
 */
export async function* throughPieces(
  pieces: AsyncIterable<Uint8Array>,
  transform: Transform,
): AsyncGenerator<Uint8Array> {
  const coder = new PieceCoder(transform);
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
      const consumed = coder.write(r.value);
      // The next piece is read while this one is coded; a rejection is rethrown by the await above.
      next = it.next();
      next.catch(() => undefined);
      for (const out of await consumed) yield out;
    }
    for (const out of await coder.end()) yield out;
  } finally {
    coder.destroy();
    if (!finished) await it.return?.();
  }
}
