/**
 * The three segments of a v2 apk (apk-v2(5); abuild-tar --cut): each is a tar compressed as one gzip member,
 * and the concatenated decompressed streams form one tar — so the signature and control tars are "cut" (no
 * end blocks) and only the data tar ends the archive.
 */
import { collect } from "../bytes/bytes.ts";
import { compressBytes } from "../compress/compress.ts";
import { TAR_BLOCK, type TarWriteEntry, writeTar } from "../container/tar.ts";
import { isZero } from "../bytes/bytes.ts";

/** gzip level abuild uses (`gzip -n -9`). */
export const APK_GZIP_LEVEL = 9;

/** A small tar in memory; `end: false` cuts it before the end blocks. */
export async function writeTarBytes(entries: TarWriteEntry[], end: boolean): Promise<Uint8Array> {
  return collect(writeTar(entries, { flavour: "pax", end }));
}

/** One gzip member holding `bytes` (header without timestamp, OS byte pinned). */
export async function gzipMember(bytes: Uint8Array, level: number): Promise<Uint8Array> {
  return compressBytes(bytes, { algo: "gzip", level });
}

/**
 * Walks a tar's header chain and says how it ends: `cut` when the input ends exactly after an entry,
 * `ended` when a zero block comes where a header is expected, `ragged` when the input stops inside an
 * entry. Only the size field is read (octal), enough for control and signature segments.
 */
export function tarEnding(tar: Uint8Array): "cut" | "ended" | "ragged" {
  let p = 0;
  while (p < tar.length) {
    if (p + TAR_BLOCK > tar.length) return "ragged";
    const block = tar.subarray(p, p + TAR_BLOCK);
    if (isZero(block)) return "ended";
    const sizeText = new TextDecoder("latin1")
      .decode(block.subarray(124, 136))
      .replace(/[\0 ]+$/g, "")
      .trim();
    const size = sizeText === "" ? 0 : Number.parseInt(sizeText, 8);
    if (!Number.isFinite(size) || size < 0) return "ragged";
    p += TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return p === tar.length ? "cut" : "ragged";
}
