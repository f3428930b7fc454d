/**
 * The per-file digests a writer asks the batch reader for: the hex digests of hash/ plus the two CRCs
 * archive formats store (zip's CRC-32, the POSIX `cksum` of a macOS Bom). One implementation, used on
 * the reader's worker thread and, for sources that are not files, on the main thread, so both give the
 * same values.
 */
import { createHash, type Hash, hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { cksumFinish, cksumUpdate } from "../container/bom.ts";
import type { Digests, HashAlgo } from "../hash/hasher.ts";

/** What can be computed per file: a hex digest, zip's CRC-32 or the POSIX cksum CRC. */
export type ReadDigestAlgo = HashAlgo | "crc32" | "cksum";

/** Digests of one file's content: hex strings for the hashes, unsigned 32-bit numbers for the CRCs. */
export interface ReadDigests extends Digests {
  crc32?: number;
  cksum?: number;
}

/** Feeds bytes once, computes every chosen algorithm. */
export interface ReadDigester {
  update(bytes: Uint8Array): void;
  /** Call once, after the last update. */
  digest(): ReadDigests;
}

/** A digester over `algos` (streamed content). */
export function createReadDigester(algos: readonly ReadDigestAlgo[]): ReadDigester {
  const hashes: [HashAlgo, Hash][] = [];
  let crc: number | undefined;
  let ck: number | undefined;
  let length = 0;
  for (const a of algos) {
    if (a === "crc32") crc = 0;
    else if (a === "cksum") ck = 0;
    else hashes.push([a, createHash(a)]);
  }
  return {
    update(bytes) {
      for (const [, h] of hashes) h.update(bytes);
      if (crc !== undefined) crc = crc32(bytes, crc);
      if (ck !== undefined) ck = cksumUpdate(ck, bytes);
      length += bytes.length;
    },
    digest() {
      const out: ReadDigests = {};
      for (const [a, h] of hashes) out[a] = h.digest("hex");
      if (crc !== undefined) out.crc32 = crc >>> 0;
      if (ck !== undefined) out.cksum = cksumFinish(ck, length);
      return out;
    },
  };
}

/** Digests of bytes held whole: one-shot `crypto.hash` (no Hash object per file). */
export function digestWhole(algos: readonly ReadDigestAlgo[], bytes: Uint8Array): ReadDigests {
  const out: ReadDigests = {};
  for (const a of algos) {
    if (a === "crc32") out.crc32 = crc32(bytes) >>> 0;
    else if (a === "cksum") out.cksum = cksumFinish(cksumUpdate(0, bytes), bytes.length);
    else out[a] = hash(a, bytes, "hex");
  }
  return out;
}
