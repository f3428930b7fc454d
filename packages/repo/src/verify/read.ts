/** Reading stored objects for the verifier: whole (small indexes) or hashed as they stream (packages). */
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

/** The object's bytes, or undefined when it is absent. */
export async function readObject(storage: Storage, key: string): Promise<Uint8Array | undefined> {
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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

/** Size and digests of an object, read as a stream and never held whole; undefined when absent. */
export async function digestObject(storage: Storage, key: string): Promise<ObjectDigests | undefined> {
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;
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
