/**
 * The compressor ceiling (issue 18 "Gates"): Node's own compressor alone on the bytes a package holds.
 *
 * `node bench/ceiling-run.ts STREAM gzip|zstd LEVEL FRAME_BYTES THREADS` reads STREAM (the uncompressed
 * tar/cpio of packyard's package, extracted by the untimed check step) into shared memory, starts THREADS
 * worker threads and waits until they are ready (all untimed), then times only the compression and prints
 * one JSON line: `{ seconds, inputBytes, outputBytes, frames, threads, frameBytes }`.
 *
 * - FRAME_BYTES > 0: the stream is cut every FRAME_BYTES bytes and each piece is compressed as one
 *   independent gzip member / zstd frame (`gzipSync` / `zstdCompressSync`, same level, zstd with its
 *   content checksum as packyard writes it) by whichever worker takes it next: every core busy until
 *   the last piece, the best a framed writer can do with node:zlib.
 * - FRAME_BYTES = 0: one stream on one thread (the main thread): the ceiling of a format that cannot be
 *   split (apk's members are signed as written; dpkg reads only the first zstd frame).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import zlib from "node:zlib";

export interface CeilingResult {
  seconds: number;
  inputBytes: number;
  outputBytes: number;
  frames: number;
  threads: number;
  frameBytes: number;
}

/** `[start, end)` of every frame of a `total`-byte stream cut every `frameBytes` (the last may be shorter). */
export function frameRanges(total: number, frameBytes: number): [number, number][] {
  if (!Number.isSafeInteger(frameBytes) || frameBytes < 1)
    throw new RangeError(`frame size: expected a positive whole number of bytes, found ${frameBytes}`);
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += frameBytes) out.push([s, Math.min(total, s + frameBytes)]);
  if (out.length === 0) out.push([0, 0]);
  return out;
}

/** One piece compressed as packyard compresses a piece: a gzip member or a zstd frame with its checksum. */
export function compressPiece(piece: Uint8Array, algo: "gzip" | "zstd", level: number): number {
  if (algo === "gzip") return zlib.gzipSync(piece, { level }).length;
  return zlib.zstdCompressSync(piece, {
    params: { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 1 },
  }).length;
}

interface WorkerInput {
  shared: SharedArrayBuffer;
  /** Int32Array over it: [next frame index]. */
  counter: SharedArrayBuffer;
  ranges: [number, number][];
  algo: "gzip" | "zstd";
  level: number;
}

function workerMain(): void {
  const w = workerData as WorkerInput;
  const bytes = new Uint8Array(w.shared);
  const next = new Int32Array(w.counter);
  parentPort!.postMessage({ ready: true });
  parentPort!.once("message", () => {
    let out = 0;
    let frames = 0;
    for (;;) {
      const i = Atomics.add(next, 0, 1);
      const r = w.ranges[i];
      if (r === undefined) break;
      out += compressPiece(bytes.subarray(r[0], r[1]), w.algo, w.level);
      frames++;
    }
    parentPort!.postMessage({ out, frames });
  });
}

/** Measures the ceiling on `bytes` (see the file comment). */
export async function measureCeiling(
  bytes: Uint8Array,
  algo: "gzip" | "zstd",
  level: number,
  frameBytes: number,
  threads: number,
): Promise<CeilingResult> {
  if (frameBytes === 0) {
    const t0 = process.hrtime.bigint();
    const outputBytes = compressPiece(bytes, algo, level);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { seconds, inputBytes: bytes.length, outputBytes, frames: 1, threads: 1, frameBytes: 0 };
  }
  const shared = new SharedArrayBuffer(bytes.length);
  new Uint8Array(shared).set(bytes);
  const counter = new SharedArrayBuffer(4);
  const input: WorkerInput = { shared, counter, ranges: frameRanges(bytes.length, frameBytes), algo, level };
  const workers = Array.from(
    { length: threads },
    () => new Worker(fileURLToPath(import.meta.url), { workerData: input }),
  );
  try {
    await Promise.all(workers.map((w) => new Promise((ok) => w.once("message", ok))));
    const t0 = process.hrtime.bigint();
    const done = workers.map(
      (w) =>
        new Promise<{ out: number; frames: number }>((ok, fail) => {
          w.once("message", ok);
          w.once("error", fail);
        }),
    );
    for (const w of workers) w.postMessage("go");
    const parts = await Promise.all(done);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      seconds,
      inputBytes: bytes.length,
      outputBytes: parts.reduce((n, p) => n + p.out, 0),
      frames: parts.reduce((n, p) => n + p.frames, 0),
      threads,
      frameBytes,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function main(): Promise<void> {
  const [file, algo, level, frame, threads] = process.argv.slice(2);
  const usage = "usage: node bench/ceiling-run.ts STREAM gzip|zstd LEVEL FRAME_BYTES THREADS\n";
  if (file === undefined || (algo !== "gzip" && algo !== "zstd") || threads === undefined) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const bytes = readFileSync(file);
  const r = await measureCeiling(bytes, algo, Number(level), Number(frame), Number(threads));
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (!isMainThread) workerMain();
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`ceiling: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
