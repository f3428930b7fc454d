/**
 * Seeded payload generator for the benchmarks. The same seed gives the same file tree and the same bytes
 * on every machine, and the bytes have a fixed compressibility (gzip -6 keeps a little over half), so
 * compression work is comparable between runs and between packyard and the native tools.
 *
 * Payloads are staged once per kind under bench/out/payload-<kind>/ (git-ignored) and reused.
 */
import { mkdir, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { PayloadKind } from "./scenario.ts";

/** Bumped when the generator's output changes, so stale staged payloads are rebuilt. */
export const GENERATOR_VERSION = 2;
export const DEFAULT_SEED = 0x5eed;
export const PAYLOAD_KINDS: readonly PayloadKind[] = [
  "binary20mb",
  "electron5k",
  "small50k",
  "tiny",
  "large2g",
];

const MiB = 1024 * 1024;

/** A small, fast, seedable PRNG (xorshift32 seeded through splitmix32); never yields a zero state. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    let z = (seed + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    this.state = z === 0 ? 0x6d2b79f5 : z;
  }
  /** Next unsigned 32-bit value. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
}

/** Bytes per page: each page is random, structured (low-entropy) or zero. */
const PAGE = 4096;

/**
 * `size` bytes of binary-like content: 40% incompressible pages (like machine code and compressed
 * resources), 50% pages built from a page-local dictionary of sixteen 8-byte words (like tables and
 * strings; LZ77 finds the repeats), 10% zero pages. gzip -6 keeps a little over half of it.
 */
export function fileBytes(size: number, seed: number): Uint8Array {
  const rng = new Prng(seed);
  const out = new Uint8Array(size);
  const words = new Uint32Array(PAGE / 4);
  const wordBytes = new Uint8Array(words.buffer);
  const dict = new Uint8Array(16 * 8);
  for (let pos = 0; pos < size; pos += PAGE) {
    const n = Math.min(PAGE, size - pos);
    const kind = rng.below(10);
    if (kind < 4) {
      for (let i = 0; i < words.length; i++) words[i] = rng.next();
      out.set(wordBytes.subarray(0, n), pos);
    } else if (kind < 9) {
      for (let i = 0; i < dict.length; i++) dict[i] = rng.below(256);
      for (let i = 0; i < n; i += 8) {
        const w = rng.below(16) * 8;
        for (let j = 0; j < 8 && i + j < n; j++) out[pos + i + j] = dict[w + j]!;
      }
    }
    // else: a zero page (already zero).
  }
  return out;
}

/** One file of a payload: where it goes under the payload folder, how big, and its content seed. */
export interface PayloadFile {
  path: string;
  size: number;
  seed: number;
}

/** The file list of a payload kind: deterministic for a given seed. */
export function payloadFiles(kind: PayloadKind, seed: number = DEFAULT_SEED): PayloadFile[] {
  let h = seed | 0;
  for (const ch of kind) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const rng = new Prng(h);
  const files: PayloadFile[] = [];
  const add = (path: string, size: number): void => {
    files.push({ path, size, seed: rng.next() });
  };
  switch (kind) {
    case "binary20mb":
      add("usr/lib/bench/bench.bin", 20 * MiB);
      break;
    case "electron5k": {
      // Like an Electron app: one big binary, a few shared libraries and paks, then thousands of small
      // resource and node_modules files: ~5,000 files, ~200 MB.
      const root = "opt/BenchApp";
      add(`${root}/benchapp`, 110 * MiB);
      for (const name of ["libffmpeg.so", "libEGL.so", "libGLESv2.so", "libvk_swiftshader.so"])
        add(`${root}/${name}`, 4 * MiB);
      add(`${root}/resources.pak`, 8 * MiB);
      add(`${root}/icudtl.dat`, 10 * MiB);
      for (let i = 0; i < 55; i++)
        add(`${root}/locales/l${String(i).padStart(2, "0")}.pak`, 200 * 1024 + rng.below(400 * 1024));
      for (let i = 0; i < 4935; i++) {
        const pkg = `m${String(i % 250).padStart(3, "0")}`;
        const sub = ["lib", "dist", "src"][i % 3];
        add(`${root}/resources/app/node_modules/${pkg}/${sub}/f${i}.js`, 256 + rng.below(9 * 1024));
      }
      break;
    }
    case "tiny":
      // One small program: what a build costs when start-up is everything (the CLI start-up scenarios).
      add("usr/bin/bench-tiny", 4 * 1024);
      break;
    case "large2g":
      // The bounded-memory gate's input: 2 GiB, mostly large files (streamed in chunks, never held whole)
      // plus 2,000 small ones, so both of a writer's paths run at that size.
      for (let i = 0; i < 31; i++) add(`opt/bench-large/blob${String(i).padStart(2, "0")}.bin`, 64 * MiB);
      for (let i = 0; i < 2000; i++)
        add(
          `opt/bench-large/small/d${String(i % 20).padStart(2, "0")}/f${i}.dat`,
          1024 + rng.below(31 * 1024),
        );
      break;
    case "small50k":
      for (let i = 0; i < 50_000; i++) {
        add(
          `usr/share/bench/d${String(i % 500).padStart(3, "0")}/f${String(i).padStart(5, "0")}.txt`,
          64 + rng.below(2048),
        );
      }
      break;
  }
  return files;
}

/** Total bytes of a payload kind. */
export function payloadBytes(kind: PayloadKind, seed: number = DEFAULT_SEED): number {
  return payloadFiles(kind, seed).reduce((n, f) => n + f.size, 0);
}

/** Free bytes available to an unprivileged writer on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Refuses (with a message saying how much is needed and how much is free) when the file system holding
 * `dir` cannot take `needed` bytes.
 */
export async function checkFreeSpace(dir: string, needed: number, what: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const free = await freeBytes(dir);
  if (free < needed) {
    const mb = (n: number): string => `${Math.ceil(n / MiB)} MiB`;
    throw new Error(
      `not enough disk space for ${what}: needs ${mb(needed)} in ${dir}, only ${mb(free)} free`,
    );
  }
}

/**
 * Stages a payload under `outDir/payload-<kind>/` unless an identical one (same seed and generator
 * version) is already there. Returns the payload folder.
 */
export async function stagePayload(
  kind: PayloadKind,
  outDir: string,
  seed: number = DEFAULT_SEED,
): Promise<string> {
  const dir = join(outDir, `payload-${kind}`);
  const stamp = join(outDir, `payload-${kind}.stamp`);
  const want = JSON.stringify({ kind, seed, version: GENERATOR_VERSION });
  const have = await readFile(stamp, "utf8").catch(() => "");
  if (have === want) return dir;
  const files = payloadFiles(kind, seed);
  // The payload itself plus room for the artifacts of a repetition (rpmbuild and makepkg copy the tree).
  await checkFreeSpace(outDir, payloadBytes(kind, seed) * 4, `the ${kind} payload`);
  await rm(dir, { recursive: true, force: true });
  await rm(stamp, { force: true });
  const made = new Set<string>();
  for (const f of files) {
    const p = join(dir, f.path);
    const parent = dirname(p);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(p, fileBytes(f.size, f.seed), { mode: 0o644 });
  }
  await writeFile(stamp, want);
  return dir;
}
