/**
 * rpm's legacy `.lzma` payload (PAYLOADCOMPRESSOR `lzma`, rpm's `w6.lzdio`): the LZMA_alone format, a
 * 13-byte header (properties, dictionary size, uncompressed size) then raw LZMA1 data ending with an end
 * marker. Written through the optional lzma-native (liblzma's lzma_alone_encoder, so the bytes equal
 * `xz --format=lzma -<preset>`); read by decompress's xz path, which, like rpm's reader (rpmio's
 * lzma_auto_decoder), takes either format.
 */
import { COMPRESS_PIECE_BYTES } from "./compress.ts";
import { loadLzmaNative } from "./lzma-native.ts";
import { rechunk } from "./rechunk.ts";
import { throughPieces } from "./through.ts";

/** Header bytes: 1 properties byte, 4 dictionary size, 8 uncompressed size (all little-endian). */
export const LZMA_ALONE_HEADER_BYTES = 13;
/** Largest properties byte: (pb * 5 + lp) * 9 + lc with pb <= 4, lp <= 4, lc <= 8 (liblzma lzma_lzma_lclppb_decode). */
const MAX_PROPERTIES = (4 * 5 + 4) * 9 + 8;
/** liblzma's LZMA_LCLP_MAX: lc + lp may not exceed it. */
const MAX_LC_PLUS_LP = 4;

/**
 * True when `head` starts a `.lzma` stream as liblzma's auto decoder recognises one (alone_decoder.c in
 * its picky mode): valid lc/lp/pb, a dictionary size of 2^n or 2^n + 2^(n-1) (or all ones), and an
 * uncompressed size that is unknown or below 256 GiB. Those rules keep random bytes from passing.
 */
export function isLzmaAloneHeader(head: Uint8Array): boolean {
  if (head.length < LZMA_ALONE_HEADER_BYTES) return false;
  let props = head[0]!;
  if (props > MAX_PROPERTIES) return false;
  const pb = Math.floor(props / 45);
  props -= pb * 45;
  const lp = Math.floor(props / 9);
  const lc = props - lp * 9;
  if (lc + lp > MAX_LC_PLUS_LP) return false;
  const view = new DataView(head.buffer, head.byteOffset, LZMA_ALONE_HEADER_BYTES);
  const dict = view.getUint32(1, true);
  if (dict !== 0xffffffff) {
    let d = (dict - 1) >>> 0;
    d = (d | (d >>> 2)) >>> 0;
    d = (d | (d >>> 3)) >>> 0;
    d = (d | (d >>> 4)) >>> 0;
    d = (d | (d >>> 8)) >>> 0;
    d = (d | (d >>> 16)) >>> 0;
    if ((d + 1) % 2 ** 32 !== dict) return false;
  }
  const size = view.getBigUint64(5, true);
  return size === 0xffffffffffffffffn || size < 1n << 38n;
}

/**
 * Compresses a byte stream as `.lzma` at xz preset `preset` (0..9). Throws SpecError
 * OPTIONAL_DEPENDENCY_MISSING naming `field` when lzma-native is not installed, before reading any input.
 * Fed in {@link COMPRESS_PIECE_BYTES} pieces, so the output depends only on the input bytes.
 */
export async function* compressLzmaAlone(
  input: AsyncIterable<Uint8Array>,
  preset: number,
  field = "compression",
): AsyncGenerator<Uint8Array> {
  const lzma = loadLzmaNative(field, "lzma");
  yield* throughPieces(rechunk(input, COMPRESS_PIECE_BYTES), lzma.createStream("aloneEncoder", { preset }));
}
