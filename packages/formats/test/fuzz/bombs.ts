/**
 * Decompression bombs: tiny inputs that inflate to a lot (megabytes to gigabytes) in gzip, zstd and xz, each
 * made without holding the output: a prefix (usually a tar header claiming the size that follows), then one
 * compressed block of a MiB of zeros repeated. gzip stays one member (deflate blocks ended by a full flush
 * are byte-aligned and reference nothing before them), so apk's one-member-per-segment rule still holds;
 * zstd and xz repeat whole frames/streams, which the readers decode one after another.
 */
import zlib from "node:zlib";
import { concatBytes } from "../../src/bytes/bytes.ts";
import { compressBytes } from "../../src/compress/compress.ts";
import type { Algo } from "./codec.ts";

const MiB = 1024 * 1024;
const ZEROS = new Uint8Array(MiB);
let gzipBlock: Uint8Array | undefined;
let zstdFrame: Uint8Array | undefined;
let xzStream: Uint8Array | undefined;

/** CRC-32 of `prefix` followed by `mib` MiB of zeros. */
function crcOf(prefix: Uint8Array, mib: number): number {
  let crc = zlib.crc32(prefix);
  for (let i = 0; i < mib; i++) crc = zlib.crc32(ZEROS, crc);
  return crc;
}

/**
 * `prefix` then `mib` MiB of zeros as one gzip member. The CRC is computed for bombs up to 8 MiB (it
 * takes a pass over the output); bigger ones carry a wrong CRC, which a reader only sees after inflating
 * everything, so its limit must stop it first.
 */
export function gzipBomb(prefix: Uint8Array, mib: number): Uint8Array {
  gzipBlock ??= new Uint8Array(
    zlib.deflateRawSync(ZEROS, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH }),
  );
  const head = new Uint8Array(zlib.deflateRawSync(prefix, { finishFlush: zlib.constants.Z_FULL_FLUSH }));
  const final = new Uint8Array(zlib.deflateRawSync(new Uint8Array(0)));
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, mib <= 8 ? crcOf(prefix, mib) : 0x12345678, true);
  view.setUint32(4, (prefix.length + mib * MiB) >>> 0, true);
  const header = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  return concatBytes([header, head, ...new Array<Uint8Array>(mib).fill(gzipBlock), final, trailer]);
}

/** `prefix` then `mib` MiB of zeros as zstd frames (one for the prefix, one per MiB). */
export function zstdBomb(prefix: Uint8Array, mib: number): Uint8Array {
  zstdFrame ??= new Uint8Array(zlib.zstdCompressSync(ZEROS));
  const head = new Uint8Array(zlib.zstdCompressSync(prefix));
  return concatBytes([head, ...new Array<Uint8Array>(mib).fill(zstdFrame)]);
}

/** `prefix` then `mib` MiB of zeros as xz streams (one for the prefix, one per MiB). */
export async function xzBomb(prefix: Uint8Array, mib: number): Promise<Uint8Array> {
  xzStream ??= await compressBytes(ZEROS, { algo: "xz", level: 0 });
  const head = await compressBytes(prefix, { algo: "xz", level: 0 });
  return concatBytes([head, ...new Array<Uint8Array>(mib).fill(xzStream)]);
}

/** A bomb in `algo` (gzip for anything without an encoder). */
export async function bomb(algo: Algo, prefix: Uint8Array, mib: number): Promise<Uint8Array> {
  if (algo === "zstd") return zstdBomb(prefix, mib);
  if (algo === "xz") return xzBomb(prefix, mib);
  return gzipBomb(prefix, mib);
}

/** Bomb sizes in MiB: under, near and far over the fuzz limits. */
export const BOMB_MIB = [1, 8, 40, 100, 1024] as const;
