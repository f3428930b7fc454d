/**
 * gzip of an index held in memory, in one call on libuv's thread pool: the bytes @packyard/formats'
 * `compressBytes` writes for one gzip stream (zlib deflate at the level, mtime 0, no name, OS byte 3 on
 * every platform), without its piece-by-piece pipeline, which is built for streams of unknown length and
 * costs more than the compression for an index of a few MiB. Several run at once on the pool's threads.
 */
import { promisify } from "node:util";
import { gzip } from "node:zlib";

const gzipAsync = promisify(gzip);

/** Offset of the OS byte in a gzip header (RFC 1952 §2.3). */
const OS_OFFSET = 9;
/** "Unix": what compressBytes pins, so the bytes do not depend on the platform. */
const OS_UNIX = 3;

/**
 * gzip-compresses `bytes` at `level` (default 6, zlib's and GNU gzip's).
 * @example const gz = await gzipBytes(new TextEncoder().encode(packages), 9);
 */
export async function gzipBytes(bytes: Uint8Array, level = 6): Promise<Uint8Array> {
  const out = await gzipAsync(bytes, { level });
  out[OS_OFFSET] = OS_UNIX;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
