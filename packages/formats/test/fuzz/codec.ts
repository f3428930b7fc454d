/**
 * The compression layer under a container the mutators change: decode by magic (the library's own
 * decompressor, bounded), encode again with the same algorithm at its fastest level, so a mutated tar or
 * cpio goes back into the package as its writer would have put it.
 */
import zlib from "node:zlib";
import { compressBytes } from "../../src/compress/compress.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { detectCompression } from "../../src/compress/detect.ts";

/** What a layer was compressed with; bzip2 is read-only here (no encoder), so such layers stay opaque. */
export type Algo = "gzip" | "zstd" | "xz" | "bzip2" | "none";

/** A decoded layer. */
export interface Layer {
  algo: Algo;
  plain: Uint8Array;
}

/**
 * Largest layer the mutators decode: seeds are a few KiB, and what mutations add stays under this, so a
 * layer that inflates further (a bomb put there by an earlier mutation) is left as opaque bytes rather
 * than inflated by the fuzzer itself.
 */
const MAX_PLAIN = 8 * 1024 * 1024;

const cache = new WeakMap<Uint8Array, Layer | null>();

/** Decodes `bytes` by its magic; undefined when it does not decode (already broken) or is bzip2. */
export async function decodeLayer(bytes: Uint8Array): Promise<Layer | undefined> {
  const hit = cache.get(bytes);
  if (hit !== undefined) return hit ?? undefined;
  const algo: Algo = detectCompression(bytes) ?? "none";
  let layer: Layer | null = null;
  if (algo === "none") layer = { algo, plain: bytes };
  else if (algo !== "bzip2") {
    try {
      layer = {
        algo,
        plain: await decompressBytes(bytes, algo, { limits: { maxUnpackedBytes: MAX_PLAIN } }),
      };
    } catch {
      layer = null;
    }
  }
  cache.set(bytes, layer);
  return layer ?? undefined;
}

/** Compresses `plain` with `algo` at its fastest level (bzip2: left as is, there is no encoder). */
export async function encodeLayer(algo: Algo, plain: Uint8Array): Promise<Uint8Array> {
  switch (algo) {
    case "gzip":
      return new Uint8Array(zlib.gzipSync(plain, { level: 1 }));
    case "zstd":
      return new Uint8Array(zlib.zstdCompressSync(plain));
    case "xz":
      return compressBytes(plain, { algo: "xz", level: 0 });
    default:
      return plain;
  }
}
