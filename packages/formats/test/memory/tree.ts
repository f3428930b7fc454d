/**
 * The generated input of the memory test: `files` files totalling about `mib` MiB in 200 folders, the
 * same bytes on every run (a seeded xorshift). One file in a thousand is 10 MiB (a large file streams in
 * pieces), the rest 0.5 KiB up to twice the average that makes the total (small files are read in
 * batches). Each 4 KiB page is either random (one in four) or text, so the compressors neither skip it
 * nor crawl: gzip keeps about 40 % of it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MiB = 1024 * 1024;

/** xorshift32: the same sequence for the same seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** Writes the tree under `root` (created); returns the bytes of content written. */
export function generateTree(root: string, files: number, mib: number): number {
  const next = prng(0x5eed);
  const text = new TextEncoder().encode(
    "the quick brown fox jumps over the lazy dog; packyard memory line\n".repeat(80),
  );
  const big = Math.max(1, Math.floor(files / 1000));
  const bigSize = 10 * MiB;
  const smallAverage = Math.max(512, Math.floor((mib * MiB - big * bigSize) / Math.max(1, files - big)));
  let total = 0;
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${String(i % 200).padStart(3, "0")}`);
    if (i < 200) mkdirSync(dir, { recursive: true });
    const size = i % 1000 === 999 ? bigSize : 512 + (next() % (2 * (smallAverage - 512) + 1));
    const out = new Uint8Array(size);
    for (let p = 0; p < size; p += 4096) {
      const len = Math.min(4096, size - p);
      if (next() % 4 === 0) {
        for (let k = 0; k < len; k++) out[p + k] = next() & 0xff;
      } else {
        const o = next() % 64;
        out.set(text.subarray(o, o + len), p);
      }
    }
    writeFileSync(join(dir, `f${String(i).padStart(5, "0")}.dat`), out);
    total += size;
  }
  return total;
}
