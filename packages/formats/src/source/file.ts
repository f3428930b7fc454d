/** File-system byte sources and atomic writes: the runtime seam for reading and writing artifacts. */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { IOError, isPackyardError } from "../errors.ts";
import type { ByteSource } from "../spec/types.ts";

function errno(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** A re-openable source over a file; its size is taken once (a file that changes later reads short). */
export async function fileSource(path: string): Promise<ByteSource> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile())
      throw new IOError("READ_FAILED", `${path}: expected a regular file, found another kind of file`, {
        path,
      });
    size = s.size;
  } catch (cause) {
    if (cause instanceof IOError) throw cause;
    const code = errno(cause) === "ENOENT" ? "NOT_FOUND" : "READ_FAILED";
    throw new IOError(code, `${path}: cannot read (${errno(cause) ?? String(cause)})`, { path }, { cause });
  }
  return {
    size,
    async *open(range) {
      const start = range?.start ?? 0;
      const end = range?.end ?? size;
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(end) ||
        start < 0 ||
        end < start ||
        end > size
      ) {
        throw new RangeError(`${path}: range ${start}..${end} is outside 0..${size}`);
      }
      if (start === end) return;
      let read = 0;
      try {
        // createReadStream's `end` is inclusive.
        for await (const chunk of createReadStream(path, { start, end: end - 1 })) {
          const b = chunk as Uint8Array;
          read += b.length;
          yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        }
      } catch (cause) {
        throw new IOError(
          "READ_FAILED",
          `${path}: read failed at offset ${start + read}`,
          { path, offset: start + read },
          { cause },
        );
      }
      if (read !== end - start) {
        throw new IOError(
          "READ_FAILED",
          `${path}: expected ${end - start} bytes from offset ${start}, found ${read} (file changed while reading)`,
          {
            path,
            offset: start + read,
            expected: end - start,
            found: read,
          },
        );
      }
    },
  };
}

/**
 * Writes `chunks` to a temp file beside `path`, then renames it over `path`, so readers never see a
 * half-written file. On error the temp file is removed; file-system failures become IOError WRITE_FAILED
 * with the cause, packyard errors raised by `chunks` are rethrown as they are.
 */
export async function writeFileAtomic(
  path: string,
  chunks: AsyncIterable<Uint8Array>,
  mode = 0o644,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, "wx", mode);
    for await (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
    }
    // The mode given at creation is filtered by the umask; set it exactly.
    await handle.chmod(mode);
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    // A typed error from the producer (a writer rejecting its input) keeps its own class and code.
    if (isPackyardError(cause)) throw cause;
    throw new IOError(
      "WRITE_FAILED",
      `${path}: write failed (${errno(cause) ?? (cause instanceof Error ? cause.message : String(cause))})`,
      { path },
      { cause },
    );
  }
}
