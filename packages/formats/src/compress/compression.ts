/**
 * The one compression setting every writer takes: an algorithm, an optional level and an optional
 * framing. Parsed once at the boundary (`gzip`, `zstd:19`, `{ algo: "xz", level: 6 }`); everything after
 * trusts it.
 */
import { SpecError } from "../errors.ts";

/** Algorithms packyard reads. `bzip2` is read-only (old rpms and tarballs); the others are also written. */
export type CompressionAlgo = "gzip" | "zstd" | "xz" | "bzip2" | "none";

export const COMPRESSION_ALGOS: readonly CompressionAlgo[] = Object.freeze([
  "gzip",
  "zstd",
  "xz",
  "bzip2",
  "none",
]);

/**
 * Independent members/frames: the *uncompressed* input is cut every `chunkBytes` bytes and each piece is
 * compressed on its own (a gzip member, a zstd frame, an xz stream). The output then depends only on the
 * input bytes and this number — never on how the input was chunked or how many workers compress it.
 */
export interface Framing {
  chunkBytes: number;
  /**
   * Worker threads compressing frames side by side; absent: compress()'s `workers` option, else
   * `setCompressionWorkers`, else {@link defaultFrameThreads}. 1 compresses on the calling thread. Never
   * changes the output bytes, only how fast they come.
   */
  threads?: number;
}

/** Most worker threads a framed compression starts, whatever the machine or the setting says. */
export const MAX_FRAME_THREADS = 16;

export interface Compression {
  algo: CompressionAlgo;
  /** Absent: the algorithm's default ({@link DEFAULT_LEVELS}). */
  level?: number;
  /** Absent: one stream. */
  framing?: Framing;
}

/** Accepted level range per algorithm (inclusive). `none` and `bzip2` take no level. */
export const LEVEL_RANGES: Readonly<Record<"gzip" | "zstd" | "xz", readonly [number, number]>> =
  Object.freeze({
    // zlib: 0 = stored, 9 = best.
    gzip: [0, 9] as const,
    // libzstd: 1..19 regular, 20..22 "ultra" (big windows; decoders need --long/more memory).
    zstd: [1, 22] as const,
    // xz presets 0..9.
    xz: [0, 9] as const,
  });

/**
 * Library defaults when no level is given. These are the tools' own defaults (zlib/GNU gzip 6, zstd CLI 3
 * — also what makepkg's `COMPRESSZST=(zstd -c -z -q -)` gives here —, xz 6). Format owners may pick their
 * own default (nfpm's deb uses gzip 9, dpkg-deb's default is also 9).
 */
export const DEFAULT_LEVELS: Readonly<Record<"gzip" | "zstd" | "xz", number>> = Object.freeze({
  gzip: 6,
  zstd: 3,
  xz: 6,
});

/** The level a compressor will use: the explicit one or the algorithm's default. */
export function effectiveLevel(c: Compression): number | undefined {
  if (c.algo === "none" || c.algo === "bzip2") return undefined;
  return c.level ?? DEFAULT_LEVELS[c.algo];
}

function isAlgo(s: unknown): s is CompressionAlgo {
  return typeof s === "string" && (COMPRESSION_ALGOS as readonly string[]).includes(s);
}

function invalid(field: string, expected: string, found: unknown): SpecError {
  return new SpecError("INVALID_FIELD", `${field}: expected ${expected}, found ${JSON.stringify(found)}`, {
    field,
    expected,
    found,
  });
}

/** Validates a level; `found` is what the user wrote (the whole `zstd:30` string, or the level). */
function checkLevel(
  algo: CompressionAlgo,
  level: unknown,
  field: string,
  found: unknown = level,
): number | undefined {
  if (level === undefined) return undefined;
  if (algo === "none" || algo === "bzip2") throw invalid(field, `no level for ${algo}`, found);
  const [lo, hi] = LEVEL_RANGES[algo];
  if (typeof level !== "number" || !Number.isInteger(level) || level < lo || level > hi) {
    throw invalid(field, `an integer ${algo} level from ${lo} to ${hi}`, found);
  }
  return level;
}

/** Binary size units accepted in a frame size (`8MiB`, `8M`, `8m`, `512KiB`, `512k`, `1GiB`; no unit: bytes). */
const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  "": 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
});

/** Smallest frame accepted from the string form: below this the per-frame header and lost context dominate. */
export const MIN_FRAME_BYTES = 64 * 1024;

function checkFraming(
  algo: CompressionAlgo,
  chunk: unknown,
  threads: unknown,
  field: string,
  found: unknown,
): Framing {
  if (algo === "none" || algo === "bzip2") throw invalid(field, `no framing for ${algo}`, found);
  if (typeof chunk !== "number" || !Number.isSafeInteger(chunk) || chunk < 1) {
    throw invalid(`${field}.chunkBytes`, "a positive integer number of bytes", chunk);
  }
  const out: Framing = { chunkBytes: chunk };
  if (threads !== undefined) {
    if (
      typeof threads !== "number" ||
      !Number.isInteger(threads) ||
      threads < 1 ||
      threads > MAX_FRAME_THREADS
    )
      throw invalid(`${field}.threads`, `an integer from 1 to ${MAX_FRAME_THREADS}`, threads);
    out.threads = threads;
  }
  return out;
}

/**
 * Parses `gzip`, `gzip:9`, `zstd`, `zstd:19`, `xz`, `xz:6`, `bzip2`, `none`, a framed form
 * `ALGO[:LEVEL]/SIZE` (`zstd:3/8MiB`: independent frames of 8 MiB of uncompressed input, compressed on
 * worker threads; SIZE in bytes or with k/KiB, m/MiB, g/GiB, at least {@link MIN_FRAME_BYTES}) or a
 * {@link Compression} object; throws SpecError INVALID_FIELD naming `field` otherwise.
 * @example parseCompression("zstd:19", "archlinux.compression") // { algo: "zstd", level: 19 }
 * @example parseCompression("zstd:3/8MiB", "archlinux.compression") // { algo: "zstd", level: 3, framing: { chunkBytes: 8388608 } }
 */
export function parseCompression(input: string | Compression, field: string): Compression {
  const expected = `one of ${COMPRESSION_ALGOS.join(", ")}, optionally ":level" and "/frame size" (e.g. "zstd:19", "zstd:3/8MiB")`;
  if (typeof input === "string") {
    const m = /^([a-z0-9]+)(?::(-?\d+))?(?:\/(\d+)([a-zA-Z]*))?$/.exec(input.trim());
    if (m === null || !isAlgo(m[1])) throw invalid(field, expected, input);
    const algo = m[1];
    const level = checkLevel(algo, m[2] === undefined ? undefined : Number(m[2]), field, input);
    const out: Compression = level === undefined ? { algo } : { algo, level };
    if (m[3] !== undefined) {
      const unit = SIZE_UNITS[(m[4] ?? "").toLowerCase()];
      const bytes = unit === undefined ? Number.NaN : Number(m[3]) * unit;
      if (!Number.isSafeInteger(bytes) || bytes < MIN_FRAME_BYTES)
        throw invalid(
          `${field}`,
          `a frame size of at least ${MIN_FRAME_BYTES / 1024}KiB after "/", in bytes or with a unit k/KiB, m/MiB, g/GiB (e.g. "zstd:3/8MiB")`,
          input,
        );
      out.framing = checkFraming(algo, bytes, undefined, field, input);
    }
    return out;
  }
  if (typeof input !== "object" || input === null) throw invalid(field, expected, input);
  for (const key of Object.keys(input)) {
    if (key !== "algo" && key !== "level" && key !== "framing")
      throw invalid(`${field}.${key}`, "algo, level or framing", key);
  }
  if (!isAlgo(input.algo))
    throw invalid(`${field}.algo`, `one of ${COMPRESSION_ALGOS.join(", ")}`, input.algo);
  const out: Compression = { algo: input.algo };
  const level = checkLevel(input.algo, input.level, `${field}.level`);
  if (level !== undefined) out.level = level;
  if (input.framing !== undefined) {
    const f = input.framing as Partial<Framing> | null;
    if (typeof f === "object" && f !== null) {
      for (const key of Object.keys(f))
        if (key !== "chunkBytes" && key !== "threads")
          throw invalid(`${field}.framing.${key}`, "chunkBytes or threads", key);
    }
    out.framing = checkFraming(input.algo, f?.chunkBytes, f?.threads, `${field}.framing`, input.framing);
  }
  return out;
}

/** Renders a compression back to its short string form (`zstd:19`, `zstd:3/8388608`); threads are not part of it. */
export function formatCompression(c: Compression): string {
  const base = c.level === undefined ? c.algo : `${c.algo}:${c.level}`;
  return c.framing === undefined ? base : `${base}/${c.framing.chunkBytes}`;
}
