/** Hashing: one-pass digests over bytes and streams. */
export {
  createHasher,
  digestStream,
  HASH_ALGOS,
  type HashAlgo,
  type Hasher,
  hashBytes,
  hashBytesRaw,
  hashing,
} from "./hasher.ts";
