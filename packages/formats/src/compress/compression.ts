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
}

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

/**
 * Parses `gzip`, `gzip:9`, `zstd`, `zstd:19`, `xz`, `xz:6`, `bzip2`, `none` or a {@link Compression}
 * object; throws SpecError INVALID_FIELD naming `field` otherwise.
 * @example parseCompression("zstd:19", "archlinux.compression") // { algo: "zstd", level: 19 }
 */
export function parseCompression(input: string | Compression, field: string): Compression {
  const expected = `one of ${COMPRESSION_ALGOS.join(", ")}, optionally ":level" (e.g. "zstd:19")`;
  if (typeof input === "string") {
    const m = /^([a-z0-9]+)(?::(-?\d+))?$/.exec(input.trim());
    if (m === null || !isAlgo(m[1])) throw invalid(field, expected, input);
    const algo = m[1];
    const level = checkLevel(algo, m[2] === undefined ? undefined : Number(m[2]), field, input);
    return level === undefined ? { algo } : { algo, level };
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
    const chunk = (input.framing as { chunkBytes?: unknown } | null)?.chunkBytes;
    if (typeof chunk !== "number" || !Number.isSafeInteger(chunk) || chunk < 1) {
      throw invalid(`${field}.framing.chunkBytes`, "a positive integer number of bytes", chunk);
    }
    if (input.algo === "none" || input.algo === "bzip2")
      throw invalid(`${field}.framing`, `no framing for ${input.algo}`, input.framing);
    out.framing = { chunkBytes: chunk };
  }
  return out;
}

/** Renders a compression back to its short string form (`zstd:19`), without framing. */
export function formatCompression(c: Compression): string {
  return c.level === undefined ? c.algo : `${c.algo}:${c.level}`;
}
