/**
 * A pull-based reader over a stream of byte chunks of any size. Every container and format reader is
 * written against it, so chunk boundaries never leak into parsing code.
 *
 * Buffering: only the bytes asked for by `read`/`peek` are held; `stream` and `skip` pass data through
 * chunk by chunk. Returned arrays may alias the input chunks (no copy when a read fits in one chunk).
 * Counts usually come from headers being parsed, so one that is not a byte length (negative, fractional,
 * past 2^53) is FormatError BAD_HEADER.
 */
import { FormatError } from "../errors.ts";

const EMPTY = new Uint8Array(0);

/** Sequential reader over `AsyncIterable<Uint8Array>`; `offset` counts the bytes consumed so far. */
export class ByteReader {
  #it: AsyncIterator<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #done = false;
  #offset = 0;

  /** `input` may also be a plain iterable of chunks (handy for bytes already in memory). */
  constructor(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#it =
      Symbol.asyncIterator in input
        ? input[Symbol.asyncIterator]()
        : (async function* () {
            yield* input;
          })();
  }

  /** Bytes consumed so far (the absolute offset of the next byte to be read). */
  get offset(): number {
    return this.#offset;
  }

  /** Pulls chunks until at least `n` bytes are buffered or the input ends; returns the buffered count. */
  async #fill(n: number): Promise<number> {
    while (this.#buffered < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) {
        this.#done = true;
        break;
      }
      if (r.value.length > 0) {
        this.#chunks.push(r.value);
        this.#buffered += r.value.length;
      }
    }
    return this.#buffered;
  }

  /** Removes `n` buffered bytes (n <= buffered) and returns them, copying only when they span chunks. */
  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    const first = this.#chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let pos = 0;
      while (pos < n) {
        const c = this.#chunks[0]!;
        const k = Math.min(c.length, n - pos);
        out.set(c.subarray(0, k), pos);
        pos += k;
        if (k === c.length) this.#chunks.shift();
        else this.#chunks[0] = c.subarray(k);
      }
    }
    this.#buffered -= n;
    this.#offset += n;
    return out;
  }

  /**
   * Rejects a count that is not a byte length (negative, fractional, NaN, past 2^53). Counts come from
   * headers being read, so a bad one is the input's fault: FormatError BAD_HEADER, not a TypeError later.
   */
  #checkCount(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) return;
    throw new FormatError(
      "BAD_HEADER",
      `a length read from the input is not a byte count: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}, found ${n} (at offset ${this.#offset})`,
      { offset: this.#offset, expected: `0..${Number.MAX_SAFE_INTEGER}`, found: n },
    );
  }

  #truncated(n: number, got: number): FormatError {
    return new FormatError(
      "TRUNCATED",
      `input ended early: expected ${n} more bytes at offset ${this.#offset}, found ${got}`,
      { offset: this.#offset + got, expected: n, found: got },
    );
  }

  /** Reads exactly `n` bytes; throws FormatError TRUNCATED (with the offset where input ended) if it ends first. */
  async read(n: number): Promise<Uint8Array> {
    this.#checkCount(n);
    const got = await this.#fill(n);
    if (got < n) throw this.#truncated(n, got);
    return this.#take(n);
  }

  /** Reads up to `n` bytes; fewer only when the input ends. */
  async readUpTo(n: number): Promise<Uint8Array> {
    this.#checkCount(n);
    const got = await this.#fill(n);
    return this.#take(Math.min(n, got));
  }

  /** Returns up to `n` upcoming bytes without consuming them (fewer only at the end of input). */
  async peek(n: number): Promise<Uint8Array> {
    this.#checkCount(n);
    const got = await this.#fill(n);
    const k = Math.min(n, got);
    if (k === 0) return EMPTY;
    const first = this.#chunks[0]!;
    if (first.length >= k) return first.subarray(0, k);
    const out = new Uint8Array(k);
    let pos = 0;
    for (const c of this.#chunks) {
      if (pos >= k) break;
      const part = c.subarray(0, k - pos);
      out.set(part, pos);
      pos += part.length;
    }
    return out;
  }

  /**
   * Stops reading: drops what is buffered and returns the input iterator, so a generator feeding it runs
   * its `finally` (a decompressor frees its codec state) instead of staying suspended. Later reads see
   * the end of input. Nothing is done when the input has already ended.
   */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#chunks = [];
    this.#buffered = 0;
    await this.#it.return?.();
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return (await this.#fill(1)) === 0;
  }

  /** Discards exactly `n` bytes without holding them; TRUNCATED if the input ends first. */
  async skip(n: number): Promise<void> {
    this.#checkCount(n);
    for await (const _ of this.stream(n)) {
      // discarded
    }
  }

  /**
   * The `body()` of an archive entry whose `n` bytes of data start at `start`: it may be called once, and
   * only while the reader still stands at `start` (before the archive reader moves on); otherwise it throws
   * an Error naming `what` (`tar entry "x"`).
   */
  entryBody(start: number, n: number, what: string): () => AsyncIterable<Uint8Array> {
    let opened = false;
    return () => {
      if (opened || this.offset !== start) {
        throw new Error(`body of ${what} was already read or skipped (call body() before moving on)`);
      }
      opened = true;
      return this.stream(n);
    };
  }

  /**
   * Yields exactly `n` bytes as they arrive, chunk by chunk, without buffering them all; throws
   * TRUNCATED if the input ends first. Stopping early leaves the unread rest in the input.
   */
  async *stream(n: number): AsyncGenerator<Uint8Array, void, undefined> {
    this.#checkCount(n);
    let left = n;
    while (left > 0) {
      if (this.#buffered === 0) {
        const got = await this.#fill(1);
        if (got === 0) throw this.#truncated(left, 0);
      }
      const c = this.#chunks[0]!;
      yield this.#take(Math.min(c.length, left));
      left -= Math.min(c.length, left);
    }
  }
}
