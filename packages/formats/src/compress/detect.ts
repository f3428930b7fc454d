/** Compression detection by magic bytes, as pacman/libarchive and dpkg do (never by file name). */
import type { CompressionAlgo } from "./compression.ts";

/** Bytes needed to recognise every supported magic. */
export const DETECT_BYTES = 6;

/** The algorithm whose magic starts `head`, or undefined (plain data or unknown). */
export function detectCompression(head: Uint8Array): Exclude<CompressionAlgo, "none"> | undefined {
  const b = (i: number): number => head[i] ?? -1;
  if (b(0) === 0x1f && b(1) === 0x8b) return "gzip";
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return "zstd";
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00)
    return "xz";
  // "BZh" + block size digit 1..9.
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68 && b(3) >= 0x31 && b(3) <= 0x39) return "bzip2";
  return undefined;
}
