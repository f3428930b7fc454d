/** Re-cutting a byte stream into fixed-size pieces, so what follows never depends on how input arrived. */

/** Cuts a byte stream into pieces of exactly `size` bytes (the last one shorter). Copies only at seams. */
export async function* rechunk(input: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (let chunk of input) {
    while (chunk.length > 0) {
      const take = Math.min(size - pendingBytes, chunk.length);
      pending.push(chunk.subarray(0, take));
      pendingBytes += take;
      chunk = chunk.subarray(take);
      if (pendingBytes === size) {
        yield concatBytes(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield concatBytes(pending, pendingBytes);
}

/** Joins `parts` (whose lengths add up to `total`); a single part is returned as it is. */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Most spare buffers a {@link PieceBuffers} keeps. */
const MAX_SPARE_BUFFERS = 32;

/**
 * Piece buffers of one size, handed back by the worker that compressed them and reused for the next
 * pieces: a compression then allocates a handful of buffers instead of one per piece (dead buffers pile
 * up between garbage collections, on both threads).
 */
export class PieceBuffers {
  readonly size: number;
  readonly #spare: ArrayBuffer[] = [];

  constructor(size: number) {
    this.size = size;
  }

  /** A buffer of `size` bytes with unspecified content. */
  take(): Uint8Array {
    const spare = this.#spare.pop();
    return spare === undefined ? new Uint8Array(this.size) : new Uint8Array(spare);
  }

  /** Keeps `buffer` for a later {@link take} when it has the right size (nothing else may use it). */
  give(buffer: ArrayBuffer | undefined): void {
    if (buffer?.byteLength === this.size && this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(buffer);
  }
}

/**
 * Cuts a byte stream into pieces of exactly `size` bytes (the last one shorter), each a buffer of its
 * own (offset 0, the whole ArrayBuffer; from `buffers` when given), so it can be transferred to a worker
 * thread without detaching memory the producer may still use. Every byte is copied once.
 */
export async function* rechunkOwned(
  input: AsyncIterable<Uint8Array>,
  size: number,
  buffers?: PieceBuffers,
): AsyncGenerator<Uint8Array> {
  // Allocated when the first byte for it arrives, so an input ending on a seam allocates nothing more.
  let piece: Uint8Array | undefined;
  let filled = 0;
  for await (const chunk of input) {
    let at = 0;
    while (at < chunk.length) {
      piece ??= buffers?.take() ?? new Uint8Array(size);
      const take = Math.min(size - filled, chunk.length - at);
      piece.set(chunk.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === size) {
        yield piece;
        piece = undefined;
        filled = 0;
      }
    }
  }
  if (piece !== undefined && filled > 0) yield piece.slice(0, filled);
}
