/**
 * createSpool: memory below a threshold, a temp file above it. Digests and size are computed while
 * writing. Whatever happens — dispose, abort, or a failed write — the temp file is removed.
 */
import { tmpdir } from "node:os";
import { IOError } from "../errors.ts";
import { createHasher } from "../hash/hasher.ts";
import type { Digests } from "../hash/hasher.ts";
import { createTempFile, fileSpooled, type TempFile } from "./file.ts";
import { memorySpooled } from "./memory.ts";
import type { SpooledBytes, SpoolFactory, SpoolWriter } from "./spool.ts";

export type { SpooledBytes, SpoolFactory, SpoolWriter } from "./spool.ts";

export interface SpoolOptions {
  /** Bytes kept in memory before spilling to a temp file. Default 32 MiB. */
  thresholdBytes?: number;
  /** Where temp files go. Default: the OS temp directory (`os.tmpdir()`). */
  tmpDir?: string;
}

export const DEFAULT_SPOOL_THRESHOLD = 32 * 1024 * 1024;

/** A spool factory: each call gives a fresh writer. */
export function createSpool(options: SpoolOptions = {}): SpoolFactory {
  const threshold = options.thresholdBytes ?? DEFAULT_SPOOL_THRESHOLD;
  const dir = options.tmpDir ?? tmpdir();
  return () => spoolWriter(threshold, dir);
}

/** A spool that never touches the disk (tests, small parts, runtimes without a file system). */
export function memorySpool(): SpoolFactory {
  return () => spoolWriter(Number.POSITIVE_INFINITY, "");
}

function spoolWriter(threshold: number, dir: string): SpoolWriter {
  const hasher = createHasher();
  let chunks: Uint8Array[] = [];
  let size = 0;
  let file: TempFile | undefined;
  let state: "open" | "closed" | "aborted" = "open";
  const checkOpen = () => {
    if (state !== "open")
      throw new IOError("WRITE_FAILED", `spool: write after ${state === "closed" ? "close" : "abort"}`, {
        found: state,
      });
  };
  const abort = async () => {
    state = "aborted";
    chunks = [];
    const f = file;
    file = undefined;
    await f?.remove();
  };
  return {
    async write(chunk) {
      checkOpen();
      if (chunk.length === 0) return;
      hasher.update(chunk);
      size += chunk.length;
      try {
        if (file === undefined && size > threshold) {
          file = await createTempFile(dir);
          for (const c of chunks) await file.write(c);
          chunks = [];
        }
        // Memory mode copies: callers may reuse their buffer after the write resolves.
        if (file === undefined) chunks.push(chunk.slice());
        else await file.write(chunk);
      } catch (e) {
        await abort();
        throw e;
      }
    },
    async close(): Promise<SpooledBytes> {
      checkOpen();
      state = "closed";
      const digests = hasher.digest() as Required<Digests>;
      if (file === undefined) return memorySpooled(chunks, size, digests);
      const f = file;
      try {
        await f.close();
      } catch (cause) {
        await f.remove();
        throw new IOError(
          "WRITE_FAILED",
          `spool: closing temp file ${f.path} failed`,
          { path: f.path },
          { cause },
        );
      }
      return fileSpooled(f, size, digests);
    },
    abort,
  };
}

/** Spools a whole stream; on any error (from the input or the spool) the writer is aborted first. */
export async function spoolStream(
  factory: SpoolFactory,
  input: AsyncIterable<Uint8Array>,
): Promise<SpooledBytes> {
  const writer = factory();
  try {
    for await (const chunk of input) await writer.write(chunk);
    return await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
