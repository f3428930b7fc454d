/**
 * Splits a gzip file into its members with their exact *compressed* byte ranges (apk signs and indexes
 * digests of individual members). The deflate data of each member is run through node:zlib's raw inflater,
 * whose `bytesWritten` at stream end is exactly the deflate length; output is discarded, so memory stays
 * small, and reading stops right after each member.
 */
import zlib from "node:zlib";
import { encodeHex } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
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

/** Finds the end of one member starting at `start`. */
async function scanMember(
  source: ByteSource,
  start: number,
  limits: ReadLimits,
  unpackedSoFar: { n: number },
): Promise<GzipMember> {
  let head: Uint8Array = new Uint8Array(0);
  let hlen = -1;
  let fed = 0;
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
      failure = new FormatError(
        "LIMIT_UNPACKED_BYTES",
        `gzip: decompressed size exceeds the limit of ${limits.maxUnpackedBytes} bytes (maxUnpackedBytes)`,
        {
          offset: start,
          limit: "maxUnpackedBytes",
          expected: `<= ${limits.maxUnpackedBytes}`,
        },
      );
      inflater.destroy();
    }
  });
  const write = (chunk: Uint8Array) =>
    Promise.race([
      finished,
      new Promise<void>((resolve) => {
        inflater.write(chunk, () => resolve());
      }),
    ]);
  try {
    for await (const chunk of source.open({ start, end: source.size })) {
      if (ended || failure !== undefined) break;
      let rest = chunk;
      if (hlen < 0) {
        head = concat(head, chunk);
        hlen = headerLength(head, start);
        if (hlen < 0) {
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
          continue;
        }
        rest = head.subarray(hlen);
        head = new Uint8Array(0);
      }
      fed += rest.length;
      if (rest.length > 0) await write(rest);
      // Stop before pulling another chunk: what follows the member is not read (the reader may be a hash
      // that must see the next member first, or a caller refusing to inflate it).
      if (ended || failure !== undefined) break;
    }
    if (hlen < 0) throw truncated(source.size, "a gzip member header");
    if (!ended && failure === undefined) inflater.end();
    await finished;
  } finally {
    if (!ended) inflater.destroy();
  }
  if (failure instanceof FormatError) throw failure;
  const deflateStart = start + hlen;
  if (failure !== undefined) {
    const code = (failure as { code?: unknown }).code;
    if (code === "Z_BUF_ERROR") throw truncated(deflateStart + fed, "deflate data", failure);
    throw new FormatError(
      "CORRUPT_COMPRESSED_DATA",
      `gzip: corrupt deflate data in the member at offset ${start} (${(failure as Error).message})`,
      { offset: start },
      { cause: failure },
    );
  }
  const trailerStart = deflateStart + inflater.bytesWritten;
  if (trailerStart + TRAILER > source.size) throw truncated(source.size, "a gzip member trailer");
  let trailer: Uint8Array = new Uint8Array(0);
  for await (const c of source.open({ start: trailerStart, end: trailerStart + TRAILER }))
    trailer = concat(trailer, c);
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  return {
    start,
    deflateStart,
    end: trailerStart + TRAILER,
    crc32: view.getUint32(0, true),
    isize: view.getUint32(4, true),
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
