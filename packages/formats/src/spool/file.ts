/**
 * The file half of the spool: a temp file created with a unique name and mode 0600, written sequentially,
 * replayed with ranged read streams, removed on dispose, abort or error.
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { IOError } from "../errors.ts";
import type { Digests, HashAlgo } from "../hash/hasher.ts";
import { checkRange } from "./memory.ts";
import type { SpooledBytes } from "./spool.ts";

/** Bytes per read when a spooled part is read back (see {@link fileSpooled}). */
export const SPOOL_READ_BYTES = 1024 * 1024;

/** An open temp file being written. */
export interface TempFile {
  readonly path: string;
  write(bytes: Uint8Array): Promise<void>;
  /** Closes the handle (keeps the file). */
  close(): Promise<void>;
  /** Closes and removes the file. Safe to call twice. */
  remove(): Promise<void>;
}

/** Creates `packyard-spool-<uuid>.tmp` in `dir`, exclusively, mode 0600. */
export async function createTempFile(dir: string): Promise<TempFile> {
  const path = join(dir, `packyard-spool-${randomUUID()}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "wx", 0o600);
  } catch (cause) {
    throw new IOError("WRITE_FAILED", `spool: cannot create a temp file in ${dir}`, { path }, { cause });
  }
  const remove = async () => {
    const h = handle;
    handle = undefined;
    await h?.close().catch(() => undefined);
    await rm(path, { force: true });
  };
  return {
    path,
    async write(bytes) {
      if (handle === undefined)
        throw new IOError("WRITE_FAILED", `spool: write to closed temp file ${path}`, { path });
      try {
        let done = 0;
        while (done < bytes.length)
          done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
      } catch (cause) {
        await remove();
        throw new IOError("WRITE_FAILED", `spool: writing temp file ${path} failed`, { path }, { cause });
      }
    },
    async close() {
      const h = handle;
      handle = undefined;
      await h?.close();
    },
    remove,
  };
}

/** Replays a closed temp file; `dispose` removes it. */
export function fileSpooled<A extends HashAlgo>(
  file: TempFile,
  size: number,
  digests: Digests & Record<A, string>,
): SpooledBytes<A> {
  let disposed = false;
  return {
    size,
    digests,
    async *open(range) {
      const [start, end] = checkRange(range, size);
      if (disposed)
        throw new IOError("READ_FAILED", "spool: read after dispose", { path: file.path, found: "disposed" });
      if (start === end) return;
      try {
        // createReadStream's `end` is inclusive. 1 MiB reads: a spooled part is read back whole into a
        // package (apk's data, macOS's Payload, a deb's data.tar), and at the default 64 KiB each read,
        // write and digest update of 100 MB is one of 1,600 round trips through the thread pool.
        for await (const chunk of createReadStream(file.path, {
          start,
          end: end - 1,
          highWaterMark: SPOOL_READ_BYTES,
        })) {
          const b = chunk as Uint8Array;
          yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        }
      } catch (cause) {
        throw new IOError(
          "READ_FAILED",
          `spool: reading temp file ${file.path} failed`,
          { path: file.path },
          { cause },
        );
      }
    },
    async dispose() {
      disposed = true;
      await file.remove();
    },
  };
}
