/**
 * Decompression for readers: gzip (every member), zstd (every frame), xz (every stream, via xz-decompress's
 * xz-embedded, or lzma-native for the checks xz-embedded lacks; rpm's legacy .lzma too, via lzma-native),
 * bzip2 (seek-bzip) and none. Output is
 * bounded by `maxUnpackedBytes`; codec failures become FormatError CORRUPT_COMPRESSED_DATA or TRUNCATED
 * with the cause kept; errors thrown by the input itself pass through untouched.
 */
import zlib from "node:zlib";
import { concatBytes, peekStream } from "../bytes/bytes.ts";
import { FormatError, isPackyardError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import { bunzip2 } from "./bzip2.ts";
import type { CompressionAlgo } from "./compression.ts";
import { DETECT_BYTES, detectCompression } from "./detect.ts";
import { isLzmaAloneHeader, LZMA_ALONE_HEADER_BYTES } from "./lzma-alone.ts";
import { tryLoadLzmaNative, XZ_PACKAGE } from "./lzma-native.ts";
import { rechunk } from "./rechunk.ts";
import { plainBytes, through, throughPieces } from "./through.ts";
import { reportUnpacked } from "./unpacked-channel.ts";
import { xzEmbeddedDecode } from "./xz-embedded.ts";
import { ZstdFrameWalker } from "./zstd-frames.ts";

export interface DecompressOptions {
  limits?: Partial<ReadLimits>;
  /** Offset of the compressed stream inside the artifact, so error offsets point into the artifact. */
  offset?: number;
  /** Member name for error messages (e.g. `data.tar.zst`). */
  path?: string;
}

/** xz stream header (xz-file-format §2.1.1): 6 magic bytes, 2 flag bytes (check ID in the low nibble of the second), CRC32. */
const XZ_HEADER_BYTES = 12;
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const XZ_CHECK_NAMES: Readonly<Record<number, string>> = { 0: "none", 1: "CRC32", 4: "CRC64", 10: "SHA-256" };
/**
 * Checks xz-decompress (xz-embedded built without SHA-256) verifies. It is preferred for them: measured
 * here on 30 MB it decoded in 0.69 s where lzma-native 8.0.6 (liblzma 5.2.3) took 1.3 s, and it pulls
 * input only as output is read.
 */
const XZ_EMBEDDED_CHECKS: ReadonlySet<number> = new Set([0, 1, 4]);
/**
 * Compressed bytes handed to lzma-native per call. It decodes a whole call's input before returning, and
 * LZMA reaches ~6800:1 on zeros, so 2 KiB bounds one burst to ~14 MB, whatever the file.
 */
const XZ_NATIVE_PIECE_BYTES = 2048;
/** liblzma memory limit: xz -9 needs 65 MiB; a crafted header cannot make it reserve gigabytes. */
const XZ_NATIVE_MEMLIMIT = 1024 ** 3;

/** The check ID of an xz stream header, or undefined when `head` is not one (the codec then reports it). */
function xzCheckId(head: Uint8Array): number | undefined {
  if (head.length < XZ_HEADER_BYTES || XZ_MAGIC.some((b, i) => head[i] !== b)) return undefined;
  return (head[7] as number) & 0x0f;
}

/**
 * xz: streams whose check xz-decompress verifies go there; others (SHA-256, as rpmbuild writes) go to
 * lzma-native, or fail with FormatError UNSUPPORTED naming it when it is not installed. The first stream
 * decides; a later stream with another check is decoded by the same codec.
 */
async function* xzStreams(
  input: AsyncIterable<Uint8Array>,
  opts: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  const { head, stream } = await peekStream(input, Math.max(XZ_HEADER_BYTES, LZMA_ALONE_HEADER_BYTES));
  const check = xzCheckId(head);
  if (check === undefined && isLzmaAloneHeader(head)) {
    yield* lzmaAloneStream(stream, opts);
    return;
  }
  if (check === undefined || XZ_EMBEDDED_CHECKS.has(check)) {
    yield* xzEmbeddedDecode(stream);
    return;
  }
  const lzma = tryLoadLzmaNative();
  const checkName = XZ_CHECK_NAMES[check] ?? `check ID ${check}`;
  if (lzma === undefined) {
    const where = opts.path === undefined ? "" : ` in ${opts.path}`;
    throw new FormatError(
      "UNSUPPORTED",
      `xz: the stream${where} uses a ${checkName} check, which only the optional package ${XZ_PACKAGE} reads; install it with \`npm install ${XZ_PACKAGE}\``,
      {
        ...(opts.offset === undefined ? {} : { offset: opts.offset }),
        ...(opts.path === undefined ? {} : { path: opts.path }),
        expected: `a none, CRC32 or CRC64 check, or ${XZ_PACKAGE} installed`,
        found: checkName,
      },
    );
  }
  const decoder = lzma.createStream("streamDecoder", { memlimit: XZ_NATIVE_MEMLIMIT, synchronous: true });
  yield* throughPieces(rechunk(stream, XZ_NATIVE_PIECE_BYTES), decoder);
}

/**
 * rpm's legacy `.lzma` (LZMA_alone), which rpm reads through the same liblzma auto decoder as xz (rpmio
 * lzopen_internal): only lzma-native decodes it, else FormatError UNSUPPORTED naming the package.
 */
async function* lzmaAloneStream(
  stream: AsyncIterable<Uint8Array>,
  opts: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  const lzma = tryLoadLzmaNative();
  if (lzma === undefined) {
    throw new FormatError(
      "UNSUPPORTED",
      `lzma: ${opts.path ?? "the data"} is legacy .lzma (LZMA_alone), which only the optional package ${XZ_PACKAGE} reads; install it with \`npm install ${XZ_PACKAGE}\``,
      {
        ...(opts.offset === undefined ? {} : { offset: opts.offset }),
        ...(opts.path === undefined ? {} : { path: opts.path }),
        expected: `xz, or ${XZ_PACKAGE} installed`,
        found: "lzma",
      },
    );
  }
  const decoder = lzma.createStream("aloneDecoder", { memlimit: XZ_NATIVE_MEMLIMIT, synchronous: true });
  yield* throughPieces(rechunk(stream, XZ_NATIVE_PIECE_BYTES), decoder);
}

/** Marks errors raised by the caller's input, so they are never mistaken for codec errors. */
const inputErrors = new WeakSet<object>();

async function* guarded(
  input: AsyncIterable<Uint8Array>,
  onChunk?: (c: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  const it = input[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        finished = true;
        if (typeof e === "object" && e !== null) inputErrors.add(e);
        throw e;
      }
      if (r.done) {
        finished = true;
        return;
      }
      onChunk?.(r.value);
      // Only errors from `it.next()` are the input's. One thrown in at this yield is the codec's: the
      // pipeline in through.ts destroys its Readable.from(guarded) with the codec's error, which calls
      // throw(error) on this generator; marking it would let a zlib error pass through untyped.
      yield r.value;
    }
  } finally {
    if (!finished) await it.return?.();
  }
}

/**
 * gzip input up to this size is inflated in one synchronous call when it inflates to at most
 * {@link SYNC_GUNZIP_MAX_OUT} bytes: a stream per member costs ~0.1 ms of set-up, most of the time of a
 * small package's control.tar.gz (a first publish of 5,000 debs reads 10,000 of them). 1 MiB out keeps
 * the main thread blocked for a few milliseconds at most (a server reads uploads on it); more is streamed
 * from the start, the dropped work counted.
 */
export const SYNC_GUNZIP_MAX_IN = 256 * 1024;

/**
 * The streaming gzip and zstd decoders' output chunk and read-ahead (also apk's one-member inflater,
 * gzip-members.ts). node:zlib's defaults (16 KiB chunks,
 * 16 KiB buffered) make decoder and consumer take turns: each 16 KiB is one trip through the libuv pool,
 * and the decoder waits for the consumer to take a chunk before it makes the next. With 128 KiB chunks and
 * up to 1 MiB decoded ahead, the decoder runs on its pool thread while the main thread parses and hashes
 * the previous chunks: reading back a 100 MB .deb, .rpm or .tar.gz of 200 MB takes ~30 % less time
 * (bench/README.md, "Reading a package"). Memory in flight: about 1 MiB more per open decoder.
 */
export const DECODER_OPTIONS = { chunkSize: 128 * 1024, readableHighWaterMark: 1024 * 1024 } as const;
export const SYNC_GUNZIP_MAX_OUT = 1024 * 1024;

/**
 * The input whole, when it ends within `max` bytes (one chunk is not copied); otherwise the input replayed
 * from its first byte.
 */
async function wholeIfSmall(
  input: AsyncIterable<Uint8Array>,
  max: number,
): Promise<{ whole?: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let have = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) {
      const whole = seen.length === 1 ? seen[0]! : concatBytes(seen);
      return { whole, stream: once(whole) };
    }
    seen.push(r.value);
    have += r.value.length;
    if (have > max) break;
  }
  async function* replay(): AsyncGenerator<Uint8Array> {
    try {
      yield* seen.splice(0);
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.();
    }
  }
  return { stream: replay() };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Maps a codec error to a FormatError; input errors and packyard errors pass through. */
function codecError(algo: CompressionAlgo, e: unknown, opts: DecompressOptions): unknown {
  if (isPackyardError(e) || (typeof e === "object" && e !== null && inputErrors.has(e))) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  // zlib: Z_BUF_ERROR "unexpected end of file"; xz-embedded: XZ_BUF_ERROR = 8 ("no progress possible");
  // liblzma (lzma-native): LZMA_BUF_ERROR "No progress is possible".
  const name = (e as { name?: unknown } | null)?.name;
  const truncated =
    code === "Z_BUF_ERROR" || name === "LZMA_BUF_ERROR" || /unexpected end|error code 8\b/i.test(msg);
  const where = opts.path === undefined ? "" : ` in ${opts.path}`;
  const data = {
    ...(opts.offset === undefined ? {} : { offset: opts.offset }),
    ...(opts.path === undefined ? {} : { path: opts.path }),
    algo,
    found: msg,
  };
  return truncated
    ? new FormatError("TRUNCATED", `${algo}: compressed data${where} ends early (${msg})`, data, { cause: e })
    : new FormatError("CORRUPT_COMPRESSED_DATA", `${algo}: corrupt compressed data${where} (${msg})`, data, {
        cause: e,
      });
}

async function* decode(
  input: AsyncIterable<Uint8Array>,
  algo: CompressionAlgo,
  opts: DecompressOptions,
): AsyncGenerator<Uint8Array> {
  switch (algo) {
    case "none":
      yield* input;
      return;
    case "gzip": {
      // Gunzip continues across concatenated members (RFC 1952 §2.2) until the input ends, in both paths.
      const small = await wholeIfSmall(guarded(input), SYNC_GUNZIP_MAX_IN);
      // ISIZE, the last member's size mod 2^32 (RFC 1952 §2.3.1): over the cap, the stream at once.
      const w = small.whole;
      const lastSize =
        w === undefined || w.length < 4
          ? 0
          : (w[w.length - 4]! |
              (w[w.length - 3]! << 8) |
              (w[w.length - 2]! << 16) |
              (w[w.length - 1]! << 24)) >>>
            0;
      if (w !== undefined && w.length > 0 && lastSize <= SYNC_GUNZIP_MAX_OUT) {
        try {
          const out = zlib.gunzipSync(w, { maxOutputLength: SYNC_GUNZIP_MAX_OUT });
          if (out.length > 0) yield plainBytes(out);
          return;
        } catch (e) {
          if ((e as { code?: unknown }).code !== "ERR_BUFFER_TOO_LARGE") throw e;
          // Inflated past the cap and dropped: counted as work done, then streamed from the start.
          reportUnpacked("gzip", SYNC_GUNZIP_MAX_OUT);
        }
      }
      yield* through(small.stream, zlib.createGunzip(DECODER_OPTIONS));
      return;
    }
    case "zstd":
      yield* zstdFrames(guarded(input), opts.offset ?? 0);
      return;
    case "xz":
      yield* xzStreams(guarded(input), opts);
      return;
    case "bzip2": {
      // seek-bzip is synchronous over a whole buffer: the compressed input is collected first.
      const parts: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of guarded(input)) {
        parts.push(chunk);
        total += chunk.length;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      parts.length = 0;
      yield* bunzip2(all, opts.offset ?? 0);
      return;
    }
  }
}

/**
 * node:zlib's zstd decoder stops after the first frame and says nothing about a frame cut short. The
 * walker finds frame boundaries in the compressed bytes; each frame gets a fresh decoder, and the input
 * must end exactly at a boundary.
 */
async function* zstdFrames(input: AsyncIterable<Uint8Array>, baseOffset: number): AsyncGenerator<Uint8Array> {
  const walker = new ZstdFrameWalker(baseOffset);
  const it = input[Symbol.asyncIterator]();
  let carry: Uint8Array | undefined;
  let done = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (carry !== undefined) {
      const c = carry;
      carry = undefined;
      return c;
    }
    const r = await it.next();
    if (r.done) done = true;
    return r.done ? undefined : r.value;
  };
  async function* oneFrame(first: Uint8Array): AsyncGenerator<Uint8Array> {
    for (let chunk: Uint8Array | undefined = first; chunk !== undefined; chunk = await next()) {
      if (chunk.length === 0) continue;
      const used = walker.push(chunk, true);
      if (used < chunk.length) carry = chunk.subarray(used);
      yield chunk.subarray(0, used);
      if (walker.atBoundary) return;
    }
  }
  try {
    for (let first = await next(); first !== undefined; first = await next()) {
      if (first.length === 0) continue;
      yield* through(oneFrame(first), zlib.createZstdDecompress(DECODER_OPTIONS));
      if (done) break;
    }
    walker.end();
  } finally {
    if (!done) await it.return?.();
  }
}

/**
 * Decompresses a stream. `auto` detects by magic and treats unknown data as uncompressed. Output beyond
 * `limits.maxUnpackedBytes` stops with FormatError LIMIT_UNPACKED_BYTES.
 */
export async function* decompress(
  input: AsyncIterable<Uint8Array>,
  algo: CompressionAlgo | "auto",
  opts: DecompressOptions = {},
): AsyncGenerator<Uint8Array> {
  const { maxUnpackedBytes } = resolveLimits(opts.limits);
  let source = input;
  let chosen: CompressionAlgo;
  if (algo === "auto") {
    const { head, stream } = await peekStream(input, DETECT_BYTES);
    chosen = detectCompression(head) ?? "none";
    source = stream;
  } else {
    chosen = algo;
  }
  let total = 0;
  try {
    for await (const chunk of decode(source, chosen, opts)) {
      total += chunk.length;
      if (chosen !== "none") reportUnpacked(chosen, chunk.length);
      if (total > maxUnpackedBytes) {
        const where = opts.path === undefined ? "" : ` of ${opts.path}`;
        throw new FormatError(
          "LIMIT_UNPACKED_BYTES",
          `${chosen}: decompressed size${where} exceeds the limit of ${maxUnpackedBytes} bytes (maxUnpackedBytes)`,
          {
            ...(opts.path === undefined ? {} : { path: opts.path }),
            expected: `<= ${maxUnpackedBytes}`,
            found: `> ${maxUnpackedBytes}`,
            limit: "maxUnpackedBytes",
          },
        );
      }
      yield chunk;
    }
  } catch (e) {
    throw codecError(chosen, e, opts);
  }
}

/** Decompresses bytes in memory (bounded by `maxUnpackedBytes`). */
export async function decompressBytes(
  bytes: Uint8Array,
  algo: CompressionAlgo | "auto",
  opts: DecompressOptions = {},
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  async function* one(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  for await (const chunk of decompress(one(), algo, opts)) parts.push(chunk);
  return concatBytes(parts);
}
