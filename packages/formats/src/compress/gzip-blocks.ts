/**
 * One gzip member made of independently deflated blocks, as pigz makes it: the input is cut every
 * `chunkBytes`, each piece is raw-deflated on its own primed with the 32 KiB of input before it (deflate's
 * window, so it loses almost none of the matches one stream would find) and ended with a sync flush
 * (an empty stored block: byte-aligned, not final), the last with deflate's final block instead, and the
 * pieces' outputs are joined between one gzip header and the CRC-32 and size of the whole input. An input
 * of one block is then byte for byte the one-stream gzip of it. The result is one member
 * and one deflate stream, read by every gzip reader as any other (a reader that reports member
 * boundaries, like apk-tools' and its signatures, sees none inside it), while the pieces can be
 * compressed side by side. The bytes depend on the input, the level and `chunkBytes` only.
 */
import { promisify } from "node:util";
import zlib from "node:zlib";

/** deflate's window: what a piece may refer back to, and so what it is primed with. */
export const GZIP_WINDOW = 32 * 1024;

/**
 * Input per block when a writer names no size: 1 MiB. Measured on electron5k's apk data (gzip-9): +0.02 %
 * against one stream; a block is ~0.1 s of gzip-9 on one core, small enough for two to four threads to
 * share a pipeline holding 8 MiB.
 */
export const DEFAULT_BLOCK_BYTES = 1024 * 1024;

/** zlib's header for `level` (ID1 ID2 CM=8 FLG=0 MTIME=0 XFL OS): XFL 2 at level 9, 4 at levels 0-1, else 0. */
export function gzipHeader(level: number): Uint8Array {
  // OS 3 (Unix), as frame.ts pins it in every gzip header.
  return Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 3);
}

/** The gzip trailer: the CRC-32 and the size (mod 2^32) of the whole input, little-endian. */
export function gzipTrailer(crc: number, size: number): Uint8Array {
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, crc >>> 0, true);
  view.setUint32(4, size % 2 ** 32, true);
  return out;
}

/** Output buffer for one call on `n` bytes: deflateBound, rounded up (one buffer, no 16 KiB chunks). */
function deflateOutBytes(n: number): number {
  return Math.max(64 * 1024, n + (n >>> 10) + 1024);
}

/**
 * One block: `piece` raw-deflated at `level` in one call, primed with `dictionary` (the up to 32 KiB of
 * input before it; none for the first), ended with a sync flush, or with the final block when it is the
 * `last`. The same call on every thread, so the same bytes whichever compresses it. Level 0 is not made
 * in blocks (its stored blocks follow the output buffer's size).
 */
export function deflateBlock(
  piece: Uint8Array,
  level: number,
  dictionary: Uint8Array | undefined,
  last: boolean,
): Uint8Array {
  const out = zlib.deflateRawSync(piece, blockOptions(piece, level, dictionary, last));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const deflateRawAsync = promisify(zlib.deflateRaw);

/**
 * {@link deflateBlock} on libuv's thread pool, for the calling thread's path (workers: 1, small inputs),
 * which must not hold the event loop for the block's time: the same options, and deflate's output does
 * not depend on how it is handed back, so the same bytes (the tests compare both paths).
 */
export async function deflateBlockAsync(
  piece: Uint8Array,
  level: number,
  dictionary: Uint8Array | undefined,
  last: boolean,
): Promise<Uint8Array> {
  const out = await deflateRawAsync(piece, blockOptions(piece, level, dictionary, last));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function blockOptions(
  piece: Uint8Array,
  level: number,
  dictionary: Uint8Array | undefined,
  last: boolean,
): zlib.ZlibOptions {
  const options: zlib.ZlibOptions = {
    level,
    finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    chunkSize: deflateOutBytes(piece.length),
  };
  if (dictionary !== undefined && dictionary.length > 0) options.dictionary = dictionary;
  return options;
}

/**
 * The window a block after `piece` is primed with: the last {@link GZIP_WINDOW} bytes of the input up to
 * the end of `piece`, from `before` (the window before `piece`) when `piece` is shorter. A copy: the piece
 * may be handed to another thread.
 */
export function windowAfter(before: Uint8Array | undefined, piece: Uint8Array): Uint8Array {
  if (piece.length >= GZIP_WINDOW || before === undefined || before.length === 0)
    return piece.slice(Math.max(0, piece.length - GZIP_WINDOW));
  const keep = Math.min(before.length, GZIP_WINDOW - piece.length);
  const out = new Uint8Array(keep + piece.length);
  out.set(before.subarray(before.length - keep));
  out.set(piece, keep);
  return out;
}
