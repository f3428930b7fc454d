/** Byte sources the engine makes for files it writes: bytes in memory, and objects already stored. */
import { createHash } from "node:crypto";
import type { ByteSource, PackageInfo } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import { joinBytes } from "../bytes.ts";

/** One chunk, as an async iterable (what signers and storage take). */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Bytes in memory as a re-openable source (whole, or the range asked). */
export function bytesInput(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    open: (range) => once(range === undefined ? bytes : bytes.subarray(range.start, range.end)),
  };
}

/**
 * Packages up to this size are read once into memory for the checks of a kept signature (their bytes
 * against the PackageInfo, then the signature): one read of the file instead of one per check, and
 * openpgp.js verifies bytes in one call, while a stream goes through its web-stream machinery chunk by
 * chunk (~0.2 ms more a package, most of a first publish of 5,000 small Arch packages' planning). Larger
 * ones are streamed by each check, in bounded memory.
 */
export const VERIFY_IN_MEMORY_BYTES = 4 * 1024 * 1024;

/**
 * The input's bytes for the checks of its kept signature, after checking that they are those its
 * PackageInfo was read from ({@link checkUnchanged}): in memory when small, else the source itself.
 */
export async function checkedBytes(
  source: ByteSource,
  artifact: PackageInfo["artifact"],
  where: string,
): Promise<{ source: ByteSource; bytes?: Uint8Array }> {
  if (source.size > VERIFY_IN_MEMORY_BYTES) {
    await checkUnchanged(source, artifact, where);
    return { source };
  }
  // Read no further than the size expected: a source that yields more fails the check below anyway.
  const parts: Uint8Array[] = [];
  let read = 0;
  for await (const chunk of source.open()) {
    parts.push(chunk);
    read += chunk.length;
    if (read > Math.min(artifact.size, VERIFY_IN_MEMORY_BYTES)) break;
  }
  const bytes = parts.length === 1 ? parts[0]! : joinBytes(parts);
  const held = bytesInput(bytes);
  await checkUnchanged(held, artifact, where);
  return { source: held, bytes };
}

/** A stored object as a source, to copy it to another key (`any`/`noarch` packages into a new folder). */
export function storedSource(
  get: (key: string) => Promise<AsyncIterable<Uint8Array> | undefined>,
  key: string,
  size: number,
): ByteSource {
  return {
    size,
    open: () =>
      (async function* () {
        const body = await get(key);
        if (body === undefined) {
          throw new RepoError("NOT_FOUND", `${key}: expected the stored file to copy, found no such object`, {
            key,
          });
        }
        yield* body;
      })(),
  };
}

/**
 * Refuses an input whose bytes are not those its PackageInfo was read from (changed on disk since), before
 * a signed copy of it is planned: the signed copy's own digests would not notice a changed payload.
 * @throws RepoError CHECKSUM_MISMATCH naming the file.
 */
export async function checkUnchanged(
  source: ByteSource,
  artifact: PackageInfo["artifact"],
  where: string,
): Promise<void> {
  const expected = { size: artifact.size, sha256: artifact.digests.sha256 };
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of source.open()) {
    hash.update(chunk);
    size += chunk.length;
  }
  const sha256 = hash.digest("hex");
  if (size !== expected.size || sha256 !== expected.sha256) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${where}: expected ${expected.size} bytes with sha256 ${expected.sha256} (what was read of it), read ${size} bytes with sha256 ${sha256}; the file changed after it was read`,
      { path: where, expected: expected.sha256, found: sha256 },
    );
  }
}
