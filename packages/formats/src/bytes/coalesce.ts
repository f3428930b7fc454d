/**
 * Coalescing of many small writes into large output pieces, for the archive writers (tar, cpio): headers,
 * small contents and padding of many entries go out in one piece, so every consumer downstream (hashing,
 * compression, a worker hand-off) pays its per-piece cost once per block instead of once per entry.
 */

/** Size of the pieces the archive writers yield: 1 MiB (a content chunk this large passes through whole). */
export const COALESCE_BYTES = 1024 * 1024;

const NONE: readonly Uint8Array[] = [];

/** Buffers of the pieces a Coalescer handed out: each belongs to its consumer alone. */
const OWNED = new WeakSet<ArrayBufferLike>();

/**
 * True when `piece` came out of a {@link Coalescer} (not a content chunk passed through): nothing else
 * holds its buffer, so a consumer may transfer it to a worker instead of copying it. With the `exact`
 * option, every such piece but the last is a whole buffer of exactly the block size.
 */
export function isOwnedPiece(piece: Uint8Array): boolean {
  return OWNED.has(piece.buffer);
}

/** Options of a {@link Coalescer}. */
export interface CoalescerOptions {
  /** Block size (default {@link COALESCE_BYTES}). */
  size?: number;
  /**
   * Every piece handed out is a whole block of exactly `size` bytes, but the last (`take` at the end):
   * nothing passes through and nothing is handed out early, so a consumer that cuts its input into
   * pieces of the same size (the compressor's workers) can take these as they are.
   */
  exact?: boolean;
}

/**
 * A block being filled, handed out once. Writers encode in place into `buf` at `pos` (then advance `pos`)
 * or copy with {@link Coalescer.put}. Bytes not written are zero, since every block is new or cleared, so
 * padding is {@link Coalescer.zeros}. A piece handed out is never written again: consumers keep pieces in
 * flight (and may transfer them to a worker, see {@link isOwnedPiece}).
 * @example
 * const w = new Coalescer();
 * const full = w.put(header); // a full block when the copy filled one, else undefined
 * if (full !== undefined) yield full;
 * const last = w.take(); // whatever is pending at the end
 */
export class Coalescer {
  /** Size of a block; bytes of at least this length pass through {@link write} rather than be copied. */
  readonly size: number;
  /** Whether pieces are whole blocks of exactly `size` bytes (but the last): see {@link CoalescerOptions}. */
  readonly exact: boolean;
  /** The block being filled. */
  buf: Uint8Array;
  /** Bytes of `buf` written so far. */
  pos = 0;

  constructor(options: CoalescerOptions = {}) {
    this.size = options.size ?? COALESCE_BYTES;
    this.exact = options.exact === true;
    this.buf = new Uint8Array(this.size);
  }

  /** Free bytes left in the block. */
  get room(): number {
    return this.size - this.pos;
  }

  /**
   * The pending bytes (undefined when there are none); the next write starts a new block. A mostly
   * empty block (under 1/8 used, as before a large content passes through) is copied out and cleared
   * for reuse instead of handing out a large buffer that holds a few bytes. In `exact` mode, call it
   * only when the block is full or at the end.
   */
  take(): Uint8Array | undefined {
    const n = this.pos;
    if (n === 0) return undefined;
    this.pos = 0;
    let out: Uint8Array;
    if (n * 8 < this.size) {
      out = this.buf.slice(0, n);
      this.buf.fill(0, 0, n);
    } else {
      out = n === this.size ? this.buf : this.buf.subarray(0, n);
      this.buf = new Uint8Array(this.size);
    }
    OWNED.add(out.buffer);
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
   * Adds `bytes`: copied in when shorter than a block (or always, in `exact` mode), else handed out
   * whole, without a copy, after the pending bytes. Returns the pieces to hand out now, in order
   * (usually none).
   */
  write(bytes: Uint8Array): readonly Uint8Array[] {
    if (bytes.length < this.size) {
      const full = this.put(bytes);
      return full === undefined ? NONE : [full];
    }
    if (!this.exact) {
      const pending = this.take();
      return pending === undefined ? [bytes] : [pending, bytes];
    }
    const out: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(this.size - this.pos, bytes.length - at);
      this.buf.set(bytes.subarray(at, at + n), this.pos);
      this.pos += n;
      at += n;
      if (this.pos === this.size) out.push(this.take()!);
    }
    return out;
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
