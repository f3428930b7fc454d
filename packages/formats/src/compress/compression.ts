/**
 * The one compression setting every writer takes: an algorithm, an optional level and an optional
 * framing. Parsed once at the boundary (`gzip`, `zstd:19`, `gzip:9/stream`, `{ algo: "xz", level: 6 }`);
 * everything after trusts it. A writer turns the setting into what it compresses with
 * ({@link applyDefaultFraming}): gzip is framed by default where the format reads several members.
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

/** What compress() runs: an algorithm, a level and, when the output is cut into frames, the framing. */
export interface Compression {
  algo: CompressionAlgo;
  /** Absent: the algorithm's default ({@link DEFAULT_LEVELS}). */
  level?: number;
  /** Absent: one stream. */
  framing?: Framing;
  /**
   * gzip only, without `framing`: one member whose deflate stream is made of blocks of `chunkBytes` of
   * input, deflated side by side on `threads` (gzip-blocks.ts), for formats that must hold exactly one
   * member (apk's data, macOS's Payload). Level 0 ignores it (one stream).
   */
  blocks?: Framing;
}

/**
 * What a writer is given (`deb.compression`, `rpm.compression`, `archlinux.compression`): a
 * {@link Compression} whose framing may also be `false`, "one stream, even where this format frames by
 * default" (`gzip:6/stream`). An absent framing means the format's default ({@link applyDefaultFraming}):
 * gzip in 2 MiB members where the format reads several members, else one stream.
 */
export interface CompressionSetting extends Omit<Compression, "framing"> {
  /** A framing; `false`: one stream; absent: the format's default. */
  framing?: Framing | false;
}

/**
 * Frame size a writer uses for gzip when the setting names none, where the format reads several gzip
 * members (deb, rpm, Arch, tar.gz): 2 MiB of uncompressed input per member. Measured here (gzip-6, 2
 * workers, 128 MiB through compress()): peak RSS 209 MiB at 2 MiB frames against 270 MiB at 8 MiB and 187
 * MiB for one stream, because two threads' pieces in flight (2 × 2 MiB, 4 pieces) fit the pipeline's 8
 * MiB bound while 8 MiB frames hold several times that; size cost against one stream +0.17 % on a 60 MB
 * JavaScript tar (+0.04 % at 8 MiB; deflate's window is 32 KiB, so a member loses little), ±0.01 % on
 * binaries. Output of at most one frame is byte-identical to the unframed stream (compression.test.ts).
 */
export const DEFAULT_FRAME_BYTES = 2 * 1024 * 1024;

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
export function effectiveLevel(c: Pick<Compression, "algo" | "level">): number | undefined {
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
 * worker threads; SIZE in bytes or with k/KiB, m/MiB, g/GiB, at least {@link MIN_FRAME_BYTES}), the
 * one-stream form `ALGO[:LEVEL]/stream` (no frames even where the format frames by default; framing
 * `false`) or a {@link CompressionSetting} object; throws SpecError INVALID_FIELD naming `field` otherwise.
 * @example parseCompression("zstd:19", "archlinux.compression") // { algo: "zstd", level: 19 }
 * @example parseCompression("zstd:3/8MiB", "archlinux.compression") // { algo: "zstd", level: 3, framing: { chunkBytes: 8388608 } }
 * @example parseCompression("gzip:9/stream", "deb.compression") // { algo: "gzip", level: 9, framing: false }
 */
export function parseCompression(input: string | CompressionSetting, field: string): CompressionSetting {
  const expected = `one of ${COMPRESSION_ALGOS.join(", ")}, optionally ":level" and "/frame size" or "/stream" (e.g. "zstd:19", "zstd:3/8MiB", "gzip:9/stream")`;
  if (typeof input === "string") {
    const m = /^([a-z0-9]+)(?::(-?\d+))?(?:\/(?:(stream)|(\d+)([a-zA-Z]*)))?$/.exec(input.trim());
    if (m === null || !isAlgo(m[1])) throw invalid(field, expected, input);
    const algo = m[1];
    const level = checkLevel(algo, m[2] === undefined ? undefined : Number(m[2]), field, input);
    const out: CompressionSetting = level === undefined ? { algo } : { algo, level };
    if (m[3] !== undefined) {
      if (algo === "none" || algo === "bzip2") throw invalid(field, `no framing for ${algo}`, input);
      out.framing = false;
    }
    if (m[4] !== undefined) {
      const unit = SIZE_UNITS[(m[5] ?? "").toLowerCase()];
      const bytes = unit === undefined ? Number.NaN : Number(m[4]) * unit;
      if (!Number.isSafeInteger(bytes) || bytes < MIN_FRAME_BYTES)
        throw invalid(
          `${field}`,
          `a frame size of at least ${MIN_FRAME_BYTES / 1024}KiB after "/", in bytes or with a unit k/KiB, m/MiB, g/GiB (e.g. "zstd:3/8MiB"), or "/stream" for one stream`,
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
  const out: CompressionSetting = { algo: input.algo };
  const level = checkLevel(input.algo, input.level, `${field}.level`);
  if (level !== undefined) out.level = level;
  if (input.framing === false) {
    if (input.algo === "none" || input.algo === "bzip2")
      throw invalid(`${field}.framing`, `no framing for ${input.algo}`, false);
    out.framing = false;
  } else if (input.framing !== undefined) {
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

/**
 * The compression a writer runs for a setting: its own framing when it names one, one stream when its
 * framing is `false`, and when it names none, gzip in {@link DEFAULT_FRAME_BYTES} members if
 * `gzipMembers` (the format's readers take several gzip members: deb, rpm, Arch, tar.gz — never apk,
 * whose signatures cover exact members), else one stream. zstd and xz are never framed by default:
 * measured on electron5k, framed zstd-3 gains little (the main thread is the bottleneck, and one zstd
 * stream already runs on a worker), and dpkg reads only the first zstd/xz frame.
 * @example applyDefaultFraming({ algo: "gzip", level: 9 }, true) // { algo: "gzip", level: 9, framing: { chunkBytes: 2097152 } }
 * @example applyDefaultFraming({ algo: "gzip", level: 9, framing: false }, true) // { algo: "gzip", level: 9 }
 */
export function applyDefaultFraming(c: CompressionSetting, gzipMembers: boolean): Compression {
  const out: Compression = c.level === undefined ? { algo: c.algo } : { algo: c.algo, level: c.level };
  if (c.framing !== undefined && c.framing !== false) out.framing = c.framing;
  else if (c.framing === undefined && gzipMembers && c.algo === "gzip")
    out.framing = { chunkBytes: DEFAULT_FRAME_BYTES };
  return out;
}

/**
 * Renders a compression back to its short string form (`zstd:19`, `zstd:3/8388608`, `gzip:9/stream`);
 * threads are not part of it.
 */
export function formatCompression(c: CompressionSetting): string {
  const base = c.level === undefined ? c.algo : `${c.algo}:${c.level}`;
  if (c.framing === undefined) return base;
  return c.framing === false ? `${base}/stream` : `${base}/${c.framing.chunkBytes}`;
}
