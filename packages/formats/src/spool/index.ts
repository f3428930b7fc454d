/**
 * createSpool: memory below a threshold, a temp file above it. Digests and size are computed while
 * writing. Whatever happens — dispose, abort, or a failed write — the temp file is removed.
 */
import { tmpdir } from "node:os";
import { IOError } from "../errors.ts";
import { createHasher, type Digests, HASH_ALGOS, type HashAlgo } from "../hash/hasher.ts";
import { createTempFile, fileSpooled, type TempFile } from "./file.ts";
import { memorySpooled } from "./memory.ts";
import type { SpooledBytes, SpoolFactory, SpoolWriter } from "./spool.ts";

export type { SpooledBytes, SpoolFactory, SpoolWriter } from "./spool.ts";

export interface SpoolOptions {
  /** Bytes kept in memory before spilling to a temp file. Default 4 MiB. */
  thresholdBytes?: number;
  /** Where temp files go. Default: the OS temp directory (`os.tmpdir()`). */
  tmpDir?: string;
}

/**
 * Below this a spooled part stays in memory. 4 MiB: a larger part costs one temp file, where holding it
 * costs resident memory (32 MiB held in memory was a fifth of a build's peak against a 150 MiB budget).
 */
export const DEFAULT_SPOOL_THRESHOLD = 4 * 1024 * 1024;

/**
 * Writes to the temp file are gathered into pieces of this size: a compressor hands over 16-128 KiB at a
 * time, and one write call per chunk cost more than the copy into one buffer.
 */
export const SPOOL_WRITE_BYTES = 1024 * 1024;

/** A spool factory: each call gives a fresh writer. */
export function createSpool(options: SpoolOptions = {}): SpoolFactory {
  const threshold = options.thresholdBytes ?? DEFAULT_SPOOL_THRESHOLD;
  const dir = options.tmpDir ?? tmpdir();
  return <A extends HashAlgo = HashAlgo>(digests?: readonly A[]) =>
    spoolWriter<A>(threshold, dir, digests ?? (HASH_ALGOS as readonly A[]));
}

/** A spool that never touches the disk (tests, small parts, runtimes without a file system). */
export function memorySpool(): SpoolFactory {
  return <A extends HashAlgo = HashAlgo>(digests?: readonly A[]) =>
    spoolWriter<A>(Number.POSITIVE_INFINITY, "", digests ?? (HASH_ALGOS as readonly A[]));
}

function spoolWriter<A extends HashAlgo>(
  threshold: number,
  dir: string,
  algos: readonly A[],
): SpoolWriter<A> {
  const hasher = algos.length > 0 ? createHasher(algos) : undefined;
  let chunks: Uint8Array[] = [];
  let size = 0;
  let file: TempFile | undefined;
  /** Bytes waiting for the temp file, written when SPOOL_WRITE_BYTES have gathered (or at close). */
  let pending: Uint8Array | undefined;
  let pendingLength = 0;
  const toFile = async (f: TempFile, chunk: Uint8Array) => {
    // A large chunk with nothing gathered goes as it is (the caller waits, so it may reuse it after).
    if (pendingLength === 0 && chunk.length >= SPOOL_WRITE_BYTES) return f.write(chunk);
    pending ??= new Uint8Array(SPOOL_WRITE_BYTES);
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(chunk.length - at, SPOOL_WRITE_BYTES - pendingLength);
      pending.set(chunk.subarray(at, at + n), pendingLength);
      pendingLength += n;
      at += n;
      if (pendingLength === SPOOL_WRITE_BYTES) {
        await f.write(pending);
        pendingLength = 0;
      }
    }
  };
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
    pending = undefined;
    const f = file;
    file = undefined;
    await f?.remove();
  };
  return {
    async write(chunk) {
      checkOpen();
      if (chunk.length === 0) return;
      hasher?.update(chunk);
      size += chunk.length;
      try {
        if (file === undefined && size > threshold) {
          file = await createTempFile(dir);
          for (const c of chunks) await toFile(file, c);
          chunks = [];
        }
        // Memory mode copies: callers may reuse their buffer after the write resolves.
        if (file === undefined) chunks.push(chunk.slice());
        else await toFile(file, chunk);
      } catch (e) {
        await abort();
        throw e;
      }
    },
    async close(): Promise<SpooledBytes<A>> {
      checkOpen();
      state = "closed";
      // The hasher ran over exactly `algos`, so each of A is there.
      const digests = (hasher?.digest() ?? {}) as Digests & Record<A, string>;
      if (file === undefined) return memorySpooled(chunks, size, digests);
      const f = file;
      try {
        if (pendingLength > 0) await f.write(pending!.subarray(0, pendingLength));
        pending = undefined;
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

/**
 * Spools a whole stream, computing `digests` of it (default all four); on any error (from the input or the
 * spool) the writer is aborted first.
 */
export async function spoolStream<A extends HashAlgo = HashAlgo>(
  factory: SpoolFactory,
  input: AsyncIterable<Uint8Array>,
  digests?: readonly A[],
): Promise<SpooledBytes<A>> {
  const writer = factory<A>(digests);
  try {
    for await (const chunk of input) await writer.write(chunk);
    return await writer.close();
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
