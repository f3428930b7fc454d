/** The `artifact` part of PackageInfo: the package file's own size and digests, as indexes print them. */
import { digestStream } from "../hash/hasher.ts";
import type { ByteSource } from "../spec/types.ts";
import type { Digests, PackageInfo } from "./types.ts";

/**
 * An artifact's size and md5, sha1, sha256 and sha512, computed by the caller over exactly the bytes a
 * reader is given (a build hashes its package while writing it): ReadContext.knownArtifact.
 */
export interface KnownArtifact {
  size: number;
  digests: Digests;
}

/** `known` when it is usable for `source` (its size, all four digests), else undefined. */
export function usableKnown(source: ByteSource, known: KnownArtifact | undefined): KnownArtifact | undefined {
  if (known === undefined || known.size !== source.size) return undefined;
  const d = known.digests;
  return d.md5 && d.sha1 && d.sha256 && d.sha512 ? known : undefined;
}

/**
 * The artifact's size and four digests: `known` when usable (the caller hashed these bytes already: a
 * second pass over a 100 MB package costs ~0.4 s), else one pass over `source`.
 */
export async function artifactDigests(
  source: ByteSource,
  known: KnownArtifact | undefined,
): Promise<{ size: number; digests: Digests }> {
  return usableKnown(source, known) ?? (await digestStream(source.open()));
}

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
