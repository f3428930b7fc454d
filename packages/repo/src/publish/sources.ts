/** Byte sources the engine makes for files it writes: bytes in memory, and objects already stored. */
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
