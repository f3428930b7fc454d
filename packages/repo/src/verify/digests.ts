/** Digests of indexes read whole, and of packages hashed as they stream (the verifier; rpm signing at publish). */
import { createHash } from "node:crypto";
import type { Storage } from "../storage/storage.ts";

/** Size and lowercase hex digests of an object. */
export interface ObjectDigests {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/** Digests of bytes in memory. */
export function digestBytes(bytes: Uint8Array): ObjectDigests {
  const hex = (algo: string) => createHash(algo).update(bytes).digest("hex");
  return {
    size: bytes.length,
    md5: hex("md5"),
    sha1: hex("sha1"),
    sha256: hex("sha256"),
    sha512: hex("sha512"),
  };
}

/** Size and digests of bytes as they stream, never held whole. */
export async function digestStream(stream: AsyncIterable<Uint8Array>): Promise<ObjectDigests> {
  const hashes = {
    md5: createHash("md5"),
    sha1: createHash("sha1"),
    sha256: createHash("sha256"),
    sha512: createHash("sha512"),
  };
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    for (const h of Object.values(hashes)) h.update(chunk);
  }
  return {
    size,
    md5: hashes.md5.digest("hex"),
    sha1: hashes.sha1.digest("hex"),
    sha256: hashes.sha256.digest("hex"),
    sha512: hashes.sha512.digest("hex"),
  };
}

/** Size and digests of an object, read as a stream and never held whole; undefined when absent. */
export async function digestObject(storage: Storage, key: string): Promise<ObjectDigests | undefined> {
  const stream = await storage.get(key);
  return stream === undefined ? undefined : digestStream(stream);
}
