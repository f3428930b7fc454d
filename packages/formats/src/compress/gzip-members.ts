/**
 * Splits a gzip file into its members with their exact *compressed* byte ranges (apk signs and indexes
 * digests of individual members). The deflate data of each member is run through node:zlib's raw inflater,
 * whose `bytesWritten` at stream end is exactly the deflate length. {@link gzipMembers} and
 * {@link gzipMemberAt} discard the output, so memory stays small, and reading stops right after each
 * member; {@link inflateMember} hands the output of one member to a consumer and finds its end in the same
 * pass, so a reader that needs both inflates the member once.
 */
import zlib from "node:zlib";
import { encodeHex } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
import { DECODER_OPTIONS } from "./decompress.ts";
import { plainBytes } from "./through.ts";
import { reportUnpacked } from "./unpacked-channel.ts";

/** One gzip member (RFC 1952 §2.3). Offsets are absolute in the source; `end` is exclusive. */
export interface GzipMember {
  start: number;
  /** First byte of the deflate data (after the header and its optional fields). */
  deflateStart: number;
  /** First byte after the 8-byte trailer. */
  end: number;
  /** CRC-32 of the uncompressed data, from the trailer. */
  crc32: number;
  /** Uncompressed size modulo 2^32, from the trailer (ISIZE). */
  isize: number;
}

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED_FLAGS = 0xe0;
const FIXED_HEADER = 10;
const TRAILER = 8;

function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async *open(range) {
      yield bytes.subarray(range?.start ?? 0, range?.end ?? bytes.length);
    },
  };
}

/** Length of the member header in `head` (which starts at the member), or -1 when more bytes are needed. */
function headerLength(head: Uint8Array, at: number): number {
  const magic = [0x1f, 0x8b, 8];
  if (magic.some((b, i) => i < head.length && head[i] !== b)) {
    throw new FormatError(
      "BAD_MAGIC",
      `gzip: expected a member (1f 8b 08) at offset ${at}, found ${encodeHex(head.subarray(0, 3), " ")}`,
      {
        offset: at,
        expected: "1f 8b 08",
      },
    );
  }
  const flags = head[3] as number;
  if (flags & RESERVED_FLAGS)
    throw new FormatError("BAD_HEADER", `gzip: reserved flag bits set at offset ${at + 3}`, {
      offset: at + 3,
      found: flags,
    });
  let p = FIXED_HEADER;
  if (flags & FEXTRA) {
    if (head.length < p + 2) return -1;
    p += 2 + ((head[p] as number) | ((head[p + 1] as number) << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const nul = head.indexOf(0, p);
      if (nul < 0) return -1;
      p = nul + 1;
    }
  }
  if (flags & FHCRC) p += 2;
  return head.length < p ? -1 : p;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function truncated(at: number, what: string, cause?: unknown): FormatError {
  return new FormatError(
    "TRUNCATED",
    `gzip: input ends at offset ${at} inside ${what}`,
    { offset: at, expected: what, found: "end of data" },
    cause === undefined ? undefined : { cause },
  );
}

function tooLarge(start: number, limits: ReadLimits): FormatError {
  return new FormatError(
    "LIMIT_UNPACKED_BYTES",
    `gzip: decompressed size exceeds the limit of ${limits.maxUnpackedBytes} bytes (maxUnpackedBytes)`,
    {
      offset: start,
      limit: "maxUnpackedBytes",
      expected: `<= ${limits.maxUnpackedBytes}`,
    },
  );
}

/** A raw inflater's failure as a FormatError: TRUNCATED when the input ended (at `inputEnd`), else CORRUPT_COMPRESSED_DATA. */
function inflateFailure(failure: unknown, start: number, inputEnd: number): FormatError {
  if (failure instanceof FormatError) return failure;
  if ((failure as { code?: unknown }).code === "Z_BUF_ERROR")
    return truncated(inputEnd, "deflate data", failure);
  return new FormatError(
    "CORRUPT_COMPRESSED_DATA",
    `gzip: corrupt deflate data in the member at offset ${start} (${(failure as Error).message})`,
    { offset: start },
    { cause: failure },
  );
}

/**
 * Reads the member header at `start` from `input`: its length, and the bytes after it that came with it
 * (the start of the deflate data).
 */
async function readHeader(
  input: AsyncIterator<Uint8Array>,
  start: number,
  limits: ReadLimits,
): Promise<{ length: number; rest: Uint8Array }> {
  let head: Uint8Array = new Uint8Array(0);
  for (;;) {
    const r = await input.next();
    if (r.done) throw truncated(start + head.length, "a gzip member header");
    head = concat(head, r.value);
    const length = headerLength(head, start);
    if (length >= 0) return { length, rest: head.subarray(length) };
    if (head.length > limits.maxHeaderBytes) {
      throw new FormatError(
        "LIMIT_HEADER_BYTES",
        `gzip: member header at offset ${start} exceeds ${limits.maxHeaderBytes} bytes (maxHeaderBytes)`,
        {
          offset: start,
          limit: "maxHeaderBytes",
        },
      );
    }
  }
}

/** The 8-byte trailer: `pending` (input already read past the deflate data), then more of `input`. */
async function readTrailer(
  input: AsyncIterator<Uint8Array>,
  pending: Uint8Array,
  at: number,
): Promise<{ crc32: number; isize: number }> {
  let trailer = pending;
  while (trailer.length < TRAILER) {
    const r = await input.next();
    if (r.done) throw truncated(at + trailer.length, "a gzip member trailer");
    trailer = concat(trailer, r.value);
  }
  const view = new DataView(trailer.buffer, trailer.byteOffset, TRAILER);
  return { crc32: view.getUint32(0, true), isize: view.getUint32(4, true) };
}

/** Finds the end of one member starting at `start`. */
async function scanMember(
  source: ByteSource,
  start: number,
  limits: ReadLimits,
  unpackedSoFar: { n: number },
): Promise<GzipMember> {
  const input = source.open({ start, end: source.size })[Symbol.asyncIterator]();
  const inflater = zlib.createInflateRaw();
  let ended = false;
  let failure: unknown;
  const finished = new Promise<void>((resolve) => {
    inflater.on("end", () => {
      ended = true;
      resolve();
    });
    inflater.on("error", (e) => {
      failure ??= e;
      resolve();
    });
    // destroy() (on a limit) emits neither end nor error.
    inflater.on("close", () => resolve());
  });
  inflater.on("data", (d: Uint8Array) => {
    unpackedSoFar.n += d.length;
    reportUnpacked("gzip", d.length);
    if (unpackedSoFar.n > limits.maxUnpackedBytes && failure === undefined) {
      failure = tooLarge(start, limits);
      inflater.destroy();
    }
  });
  let deflateStart = start;
  try {
    const header = await readHeader(input, start, limits);
    deflateStart = start + header.length;
    // What follows the member is not read (the reader may be a hash that must see the next member first,
    // or a caller refusing to inflate it): feed stops at the chunk the deflate data ends in.
    const fed = await feed(input, inflater, header.rest);
    await finished;
    if (fed.failure !== undefined) throw fed.failure;
    if (failure !== undefined) throw inflateFailure(failure, start, deflateStart + fed.bytes);
    const trailerStart = deflateStart + inflater.bytesWritten;
    // Input already read past the deflate data: the tail of the last chunk, which the inflater left.
    const pending = fed.last.subarray(fed.last.length - (fed.bytes - inflater.bytesWritten));
    const trailer = await readTrailer(input, pending, trailerStart);
    return { start, deflateStart, end: trailerStart + TRAILER, ...trailer };
  } finally {
    if (!ended) inflater.destroy();
    await input.return?.();
  }
}

/** What {@link feed} left: the input it wrote, the last chunk, and the input's own failure if any. */
interface Fed {
  bytes: number;
  last: Uint8Array;
  failure?: unknown;
}

/**
 * Writes `first`, then the rest of `input`, to `inflater` one chunk at a time, and stops as soon as the
 * inflater has not taken a whole chunk (the deflate data ended in it) or has failed; ends the inflater when
 * the input ends first. An input error destroys the inflater with it and is reported in `failure`.
 */
async function feed(
  input: AsyncIterator<Uint8Array>,
  inflater: zlib.InflateRaw,
  first: Uint8Array,
): Promise<Fed> {
  const fed: Fed = { bytes: 0, last: first };
  const closed = new Promise<void>((resolve) => inflater.once("close", resolve));
  try {
    for (let chunk = first; ; ) {
      if (chunk.length > 0) {
        fed.bytes += chunk.length;
        fed.last = chunk;
        await Promise.race([closed, new Promise<void>((resolve) => inflater.write(chunk, () => resolve()))]);
        if (inflater.destroyed || inflater.bytesWritten < fed.bytes) return fed;
      }
      const r = await input.next();
      if (r.done) {
        inflater.end();
        return fed;
      }
      chunk = r.value;
    }
  } catch (e) {
    fed.failure = e;
    inflater.destroy(e as Error);
    return fed;
  }
}

/**
 * Inflates the member at `start`, yielding its output, then reads its trailer, checks the CRC-32 and ISIZE
 * of what was inflated against it, and passes the member to `onEnd`.
 */
async function* inflateChunks(
  source: ByteSource,
  start: number,
  limits: ReadLimits,
  onEnd: (member: GzipMember) => void,
): AsyncGenerator<Uint8Array> {
  const input = source.open({ start, end: source.size })[Symbol.asyncIterator]();
  let inflater: zlib.InflateRaw | undefined;
  let feeding: Promise<Fed> | undefined;
  try {
    const header = await readHeader(input, start, limits);
    const deflateStart = start + header.length;
    inflater = zlib.createInflateRaw(DECODER_OPTIONS);
    feeding = feed(input, inflater, header.rest);
    let crc = 0;
    let size = 0;
    try {
      for await (const chunk of inflater) {
        const out = plainBytes(chunk as Uint8Array);
        size += out.length;
        reportUnpacked("gzip", out.length);
        if (size > limits.maxUnpackedBytes) throw tooLarge(start, limits);
        crc = zlib.crc32(out, crc);
        yield out;
      }
    } catch (e) {
      const fed = await feeding;
      if (fed.failure !== undefined && e === fed.failure) throw e;
      throw inflateFailure(e, start, deflateStart + fed.bytes);
    }
    const fed = await feeding;
    const consumed = inflater.bytesWritten;
    const trailerStart = deflateStart + consumed;
    const trailer = await readTrailer(
      input,
      fed.last.subarray(fed.last.length - (fed.bytes - consumed)),
      trailerStart,
    );
    checkTrailer(trailer, crc, size, start, trailerStart);
    onEnd({ start, deflateStart, end: trailerStart + TRAILER, ...trailer });
  } finally {
    inflater?.destroy();
    await feeding;
    await input.return?.();
  }
}

/** gunzip's check of the trailer (RFC 1952 §2.3.1): CRC-32 and size mod 2^32 of the inflated data. */
function checkTrailer(
  trailer: { crc32: number; isize: number },
  crc: number,
  size: number,
  start: number,
  at: number,
): void {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  if (trailer.crc32 !== crc) {
    throw new FormatError(
      "CORRUPT_COMPRESSED_DATA",
      `gzip: the member at offset ${start} inflates to data with CRC-32 ${hex(crc)}, its trailer (offset ${at}) says ${hex(trailer.crc32)}`,
      { offset: at, field: "CRC32", expected: hex(trailer.crc32), found: hex(crc) },
    );
  }
  if (trailer.isize !== size % 2 ** 32) {
    throw new FormatError(
      "CORRUPT_COMPRESSED_DATA",
      `gzip: the member at offset ${start} inflates to ${size} bytes, its trailer (offset ${at + 4}) says ${trailer.isize} (mod 2^32)`,
      { offset: at + 4, field: "ISIZE", expected: trailer.isize, found: size % 2 ** 32 },
    );
  }
}

/** One gzip member being inflated once: its output for a consumer, then where it ends. */
export interface MemberInflation {
  /**
   * The member's inflated bytes, as plain Uint8Array chunks; iterate it once. A consumer may stop early
   * (break, or `return()` as readTar does after the end-of-archive blocks): the inflater keeps its place
   * for {@link MemberInflation.end}.
   */
  readonly output: AsyncIterable<Uint8Array>;
  /**
   * Inflates what `output` did not hand out (discarding it: memory stays at the inflater's read-ahead),
   * reads the trailer and checks its CRC-32 and ISIZE; resolves with the member, or rejects with the first
   * error of the whole inflation.
   */
  end(): Promise<GzipMember>;
  /** Stops inflating and closes the input, for a consumer that gives up. Harmless after `end()`. */
  cancel(): Promise<void>;
}

/**
 * Inflates the member that starts at `start` once: `output` yields what it inflates to and `end()` finds
 * where it ends, with the same checks as gunzip (the trailer's CRC-32 and ISIZE). Input stops being fed
 * exactly where the deflate data ends; at most `limits.maxUnpackedBytes` are inflated (LIMIT_UNPACKED_BYTES).
 * Errors are those of {@link gzipMemberAt} (BAD_MAGIC, TRUNCATED, CORRUPT_COMPRESSED_DATA...); a CRC-32 or
 * ISIZE that does not match is CORRUPT_COMPRESSED_DATA; errors of the source pass through untouched.
 *
 * @example
 * const inflation = inflateMember(source, start);
 * try {
 *   for await (const entry of readTar(inflation.output)) use(entry);
 *   const member = await inflation.end();
 * } finally {
 *   await inflation.cancel();
 * }
 */
export function inflateMember(
  source: ByteSource,
  start: number,
  limits: Partial<ReadLimits> = {},
): MemberInflation {
  let member: GzipMember | undefined;
  const chunks = inflateChunks(source, start, resolveLimits(limits), (m) => {
    member = m;
  });
  let failure: { error: unknown } | undefined;
  // The next chunk, or undefined once the member has ended; the first failure again on every later call.
  const next = async (): Promise<Uint8Array | undefined> => {
    if (failure !== undefined) throw failure.error;
    try {
      const r = await chunks.next();
      return r.done ? undefined : r.value;
    } catch (error) {
      failure = { error };
      throw error;
    }
  };
  return {
    output: {
      // Not `yield* chunks`: a consumer's return() must leave `chunks` where it is.
      async *[Symbol.asyncIterator]() {
        for (let c = await next(); c !== undefined; c = await next()) yield c;
      },
    },
    async end() {
      while ((await next()) !== undefined);
      if (member === undefined) throw new Error("gzip: inflateMember was cancelled before its end");
      return member;
    },
    async cancel() {
      await chunks.return(undefined);
    },
  };
}

/**
 * The one member that starts at `start`, found by inflating it (output discarded; at most
 * `limits.maxUnpackedBytes`). For readers that must check something before touching the next member.
 */
export function gzipMemberAt(
  source: ByteSource,
  start: number,
  limits: Partial<ReadLimits> = {},
): Promise<GzipMember> {
  return scanMember(source, start, resolveLimits(limits), { n: 0 });
}

/**
 * Yields every member of a gzip file with its exact byte range. Data after the last member that is not
 * another member is an error (BAD_MAGIC), so the ranges cover the whole input.
 */
export async function* gzipMembers(
  input: ByteSource | Uint8Array,
  opts: { limits?: Partial<ReadLimits> } = {},
): AsyncGenerator<GzipMember> {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const limits = resolveLimits(opts.limits);
  const unpacked = { n: 0 };
  let pos = 0;
  let count = 0;
  while (pos < source.size || count === 0) {
    if (++count > limits.maxEntries) {
      throw new FormatError("LIMIT_ENTRIES", `gzip: more than ${limits.maxEntries} members (maxEntries)`, {
        offset: pos,
        limit: "maxEntries",
      });
    }
    const member = await scanMember(source, pos, limits, unpacked);
    pos = member.end;
    yield member;
  }
}
