/** One-pass digests over streamed bytes (node:crypto), as lowercase hex. */
import { createHash, type Hash } from "node:crypto";

/** Digests as lowercase hex. */
export interface Digests {
  md5?: string;
  sha1?: string;
  sha256?: string;
  sha512?: string;
}

export type HashAlgo = "md5" | "sha1" | "sha256" | "sha512";

export const HASH_ALGOS: readonly HashAlgo[] = Object.freeze(["md5", "sha1", "sha256", "sha512"]);

/** Feeds bytes once, digests every chosen algorithm. */
export interface Hasher {
  update(bytes: Uint8Array): void;
  /** Lowercase hex per algorithm; call once. */
  digest(): Digests;
}

/** A hasher computing all `algos` in one pass (default: md5, sha1, sha256, sha512). */
export function createHasher(algos: readonly HashAlgo[] = HASH_ALGOS): Hasher {
  const hashes = algos.map((a) => [a, createHash(a)] as [HashAlgo, Hash]);
  return {
    update(bytes) {
      for (const [, h] of hashes) h.update(bytes);
    },
    digest() {
      const out: Digests = {};
      for (const [a, h] of hashes) out[a] = h.digest("hex");
      return out;
    },
  };
}

/** Hex digest of bytes. */
export function hashBytes(bytes: Uint8Array, algo: HashAlgo): string {
  return createHash(algo).update(bytes).digest("hex");
}

/** Raw digest bytes (for signatures and binary index fields). */
export function hashBytesRaw(bytes: Uint8Array, algo: HashAlgo): Uint8Array {
  const d = createHash(algo).update(bytes).digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Size and digests of a whole stream, in one pass. */
export async function digestStream(
  input: AsyncIterable<Uint8Array>,
  algos: readonly HashAlgo[] = HASH_ALGOS,
): Promise<{ size: number; digests: Digests }> {
  const hasher = createHasher(algos);
  let size = 0;
  for await (const chunk of input) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, digests: hasher.digest() };
}

/** Passes bytes through unchanged while feeding `hasher`; digest it after the iteration ends. */
export async function* hashing(
  input: AsyncIterable<Uint8Array>,
  hasher: Pick<Hasher, "update">,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    hasher.update(chunk);
    yield chunk;
  }
}
