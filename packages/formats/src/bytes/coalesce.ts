/**
 * Coalescing of many small writes into large output pieces, for the archive writers (tar, cpio): headers,
 * small contents and padding of many entries go out in one piece, so every consumer downstream (hashing,
 * compression, a worker hand-off) pays its per-piece cost once per block instead of once per entry.
 */

/** Size of the pieces the archive writers yield: 1 MiB (a content chunk this large passes through whole). */
export const COALESCE_BYTES = 1024 * 1024;

const NONE: readonly Uint8Array[] = [];

/**
 * A block being filled, handed out once. Writers encode in place into `buf` at `pos` (then advance `pos`)
 * or copy with {@link Coalescer.put}. Bytes not written are zero, since every block is new or cleared, so
 * padding is {@link Coalescer.zeros}. A piece handed out is never written again: consumers keep pieces in
 * flight (and may transfer them to a worker).
 * @example
 * const w = new Coalescer();
 * const full = w.put(header); // a full block when the copy filled one, else undefined
 * if (full !== undefined) yield full;
 * const last = w.take(); // whatever is pending at the end
 */
export class Coalescer {
  /** Size of a block; bytes of at least this length should pass through rather than be copied. */
  readonly size: number;
  /** The block being filled. */
  buf: Uint8Array;
  /** Bytes of `buf` written so far. */
  pos = 0;

  constructor(size: number = COALESCE_BYTES) {
    this.size = size;
    this.buf = new Uint8Array(size);
  }

  /** Free bytes left in the block. */
  get room(): number {
    return this.size - this.pos;
  }

  /**
   * The pending bytes (undefined when there are none); the next write starts a new block. A mostly
   * empty block (under 1/8 used, as before a large content passes through) is copied out and cleared
   * for reuse instead of handing out a large buffer that holds a few bytes.
   */
  take(): Uint8Array | undefined {
    const n = this.pos;
    if (n === 0) return undefined;
    this.pos = 0;
    if (n * 8 < this.size) {
      const out = this.buf.slice(0, n);
      this.buf.fill(0, 0, n);
      return out;
    }
    const out = this.buf.subarray(0, n);
    this.buf = new Uint8Array(this.size);
    return out;
  }

  /**
   * Copies `bytes` (shorter than `size`) in. Returns the block that filled up on the way, if one did;
   * the rest of `bytes` is then at the start of the next block.
   */
  put(bytes: Uint8Array): Uint8Array | undefined {
    const n = bytes.length;
    const room = this.size - this.pos;
    if (n <= room) {
      this.buf.set(bytes, this.pos);
      this.pos += n;
      return undefined;
    }
    this.buf.set(bytes.subarray(0, room), this.pos);
    this.pos = this.size;
    const full = this.take();
    this.buf.set(bytes.subarray(room), 0);
    this.pos = n - room;
    return full;
  }

  /**
   * Adds `bytes`: copied in when shorter than a block, else handed out whole, without a copy, after the
   * pending bytes. Returns the pieces to hand out now, in order (usually none).
   */
  write(bytes: Uint8Array): readonly Uint8Array[] {
    if (bytes.length >= this.size) {
      const pending = this.take();
      return pending === undefined ? [bytes] : [pending, bytes];
    }
    const full = this.put(bytes);
    return full === undefined ? NONE : [full];
  }

  /** `n` zero bytes (fewer than `size`): returns the block that filled up on the way, if one did. */
  zeros(n: number): Uint8Array | undefined {
    const room = this.size - this.pos;
    if (n <= room) {
      this.pos += n;
      return undefined;
    }
    this.pos = this.size;
    const full = this.take();
    this.pos = n - room;
    return full;
  }
}
