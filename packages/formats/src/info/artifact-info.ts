/** The `artifact` part of PackageInfo: the package file's own size and digests, as indexes print them. */
import type { Digests, PackageInfo } from "./types.ts";

/**
 * PackageInfo.artifact from the artifact's size and its digests, which must hold md5, sha1, sha256 and
 * sha512 (what `createHasher()`/`digestStream()` compute by default); extra keys are dropped.
 */
export function artifactInfo(size: number, digests: Digests): PackageInfo["artifact"] {
  return {
    size,
    digests: { md5: digests.md5!, sha1: digests.sha1!, sha256: digests.sha256!, sha512: digests.sha512! },
  };
}
