/** Byte sources the engine makes for files it writes: bytes in memory, and objects already stored. */
import { createHash } from "node:crypto";
import type { ByteSource } from "@packyard/formats";
import { RepoError } from "../errors.ts";

/** One chunk, as an async iterable (what signers and storage take). */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Bytes in memory as a re-openable source. */
export function bytesInput(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, open: () => once(bytes) };
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
  expected: { size: number; sha256: string },
  where: string,
): Promise<void> {
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
