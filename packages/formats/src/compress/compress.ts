/**
 * Compression writers: gzip and zstd through node:zlib, xz through the optional `@napi-rs/lzma`, `none`
 * as a pass-through. Deterministic: gzip headers carry mtime 0 and OS byte 3 on every platform.
 *
 * Without framing the output is one stream, compressed as the input arrives. With framing the input is
 * cut every `chunkBytes` of uncompressed bytes and each piece becomes an independent member/frame via
 * {@link compressFrame}; only one piece (plus its output) is held in memory at a time.
 */
import { promisify } from "node:util";
import zlib from "node:zlib";
import { SpecError } from "../errors.ts";
import { type Compression, effectiveLevel } from "./compression.ts";
import { plainBytes, through } from "./through.ts";
import { loadXzEncoder } from "./xz-encoder.ts";

/** Offset of the OS byte in a gzip member header (RFC 1952 §2.3). */
const GZIP_OS_OFFSET = 9;
/**
 * OS byte written in every gzip header: 3 (Unix), what GNU gzip and zlib write on Linux. zlib itself
 * writes a platform-dependent value (10 on Windows, 19 on macOS), so it is pinned here.
 */
export const GZIP_OS_UNIX = 3;

const gzipAsync = promisify(zlib.gzip);
const zstdAsync = promisify(zlib.zstdCompress);

function zstdParams(level: number, pledgedSize?: number): zlib.ZstdOptions {
  const params: Record<number, number> = {
    [zlib.constants.ZSTD_c_compressionLevel]: level,
    // 4-byte XXH64 content checksum at the end of each frame, as the zstd CLI writes by default.
    [zlib.constants.ZSTD_c_checksumFlag]: 1,
  };
  // Never ZSTD_c_nbWorkers: it crashes Node 24 on large inputs (nodejs/node#59899). Parallelism = framing.
  return pledgedSize === undefined ? { params } : { params, pledgedSrcSize: pledgedSize };
}

function unsupportedWrite(c: Compression): SpecError {
  return new SpecError(
    "UNSUPPORTED_FEATURE",
    `compression: ${c.algo} can be read but not written; choose gzip, zstd, xz or none`,
    {
      field: "compression",
      expected: "gzip, zstd, xz or none",
      found: c.algo,
    },
  );
}

/** Pins the OS byte of a gzip stream as it flows past (the header may be split across chunks). */
async function* pinGzipOs(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen <= GZIP_OS_OFFSET && seen + chunk.length > GZIP_OS_OFFSET)
      chunk[GZIP_OS_OFFSET - seen] = GZIP_OS_UNIX;
    seen += chunk.length;
    yield chunk;
  }
}

/** Cuts a byte stream into pieces of exactly `size` bytes (the last one shorter). Copies only at seams. */
export async function* rechunk(input: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (let chunk of input) {
    while (chunk.length > 0) {
      const take = Math.min(size - pendingBytes, chunk.length);
      pending.push(chunk.subarray(0, take));
      pendingBytes += take;
      chunk = chunk.subarray(take);
      if (pendingBytes === size) {
        yield concatBytes(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield concatBytes(pending, pendingBytes);
}

function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Compresses one piece as a complete, independent gzip member / zstd frame / xz stream. This is the unit
 * of framed output: a worker thread running it on piece `i` yields exactly the bytes the sequential path
 * yields.
 */
export async function compressFrame(piece: Uint8Array, c: Compression): Promise<Uint8Array> {
  const level = effectiveLevel(c);
  switch (c.algo) {
    case "none":
      return piece;
    case "gzip": {
      const out = plainBytes(await gzipAsync(piece, { level: level ?? 6 }));
      out[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
      return out;
    }
    case "zstd":
      // The frame header records the piece's size (pledged), so readers can size buffers.
      return plainBytes(await zstdAsync(piece, zstdParams(level ?? 3, piece.length)));
    case "xz": {
      const enc = await loadXzEncoder();
      if (enc.kind === "buffer") return plainBytes(await enc.compress(piece));
      const xz = enc.create(level ?? 6);
      const head = plainBytes(xz.update(piece));
      const tail = plainBytes(await xz.finish());
      return concatBytes([head, tail], head.length + tail.length);
    }
    case "bzip2":
      throw unsupportedWrite(c);
  }
}

async function* framed(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  let any = false;
  for await (const piece of rechunk(input, chunkBytes)) {
    any = true;
    yield await compressFrame(piece, c);
  }
  // Empty input still gives one (empty) member/frame, so the output is a valid compressed file.
  if (!any) yield await compressFrame(new Uint8Array(0), c);
}

async function* xzStream(input: AsyncIterable<Uint8Array>, level: number): AsyncGenerator<Uint8Array> {
  const enc = await loadXzEncoder();
  if (enc.kind === "buffer") {
    // The 1.4.x encoder only takes whole buffers: the input is collected in memory first.
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of input) {
      parts.push(chunk);
      total += chunk.length;
    }
    yield plainBytes(await enc.compress(concatBytes(parts, total)));
    return;
  }
  const xz = enc.create(level);
  for await (const chunk of input) {
    const out = xz.update(chunk);
    if (out.length > 0) yield plainBytes(out).slice();
  }
  yield plainBytes(await xz.finish());
}

/**
 * Compresses a byte stream. Throws SpecError UNSUPPORTED_FEATURE for bzip2 (read-only) and
 * OPTIONAL_DEPENDENCY_MISSING for xz without `@napi-rs/lzma`.
 */
export async function* compress(
  input: AsyncIterable<Uint8Array>,
  c: Compression,
): AsyncGenerator<Uint8Array> {
  if (c.algo === "bzip2") throw unsupportedWrite(c);
  if (c.algo === "xz") await loadXzEncoder();
  if (c.framing !== undefined) {
    yield* framed(input, c, c.framing.chunkBytes);
    return;
  }
  const level = effectiveLevel(c);
  switch (c.algo) {
    case "none":
      yield* input;
      return;
    case "gzip":
      yield* pinGzipOs(through(input, zlib.createGzip({ level: level ?? 6 })));
      return;
    case "zstd":
      yield* through(input, zlib.createZstdCompress(zstdParams(level ?? 3)));
      return;
    case "xz":
      yield* xzStream(input, level ?? 6);
      return;
  }
}

/** Compresses bytes in memory; equal to the concatenation of {@link compress} over `[bytes]`. */
export async function compressBytes(bytes: Uint8Array, c: Compression): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of compress(once(bytes), c)) {
    parts.push(chunk);
    total += chunk.length;
  }
  return concatBytes(parts, total);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
