/**
 * Compression off the main thread: a single stream on one worker thread and frames on several give the
 * bytes of the calling-thread path (workers: 1), which is the path compress() had before workers (a
 * one-off comparison against that commit's code, 558 cases, found no difference; the round trips
 * below check the bytes independently). Inputs up to IN_THREAD_BYTES never start a worker; the pump
 * runs ahead of the consumer but within its bound; errors of either side arrive as they are; an
 * abandoned compression leaves no worker working; the pool is reused across compressions.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { WORKER_PIECE_BYTES } from "../../src/compress/compress-worker.ts";
import {
  COMPRESS_PIECE_BYTES,
  compress,
  compressionWorkers,
  DEFAULT_IN_FLIGHT_BYTES,
  IN_THREAD_BYTES,
  setCompressionWorkers,
} from "../../src/compress/compress.ts";
import type { Compression } from "../../src/compress/compression.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { defaultFrameThreads, liveFrameWorkers } from "../../src/compress/frame-pool.ts";
import { tryLoadLzmaNative, XZ_PACKAGE } from "../../src/compress/lzma-native.ts";
import { type PipelineStage, pipelined } from "../../src/compress/pipeline.ts";
import { STREAM_PIECE_BYTES } from "../../src/compress/stream-pool.ts";
import {
  closeCompressionWorkers,
  idleCompressionWorkers,
  startedCompressionWorkers,
} from "../../src/compress/worker-pool.ts";
import { collect, sameBytes, sampleBytes } from "./helpers.ts";
import { chunked } from "@packyard/testkit/chunked";

const MiB = 1024 * 1024;
const piece = COMPRESS_PIECE_BYTES;

/** Half text-like, half random, so both the match finder and literal coding are exercised. */
function mixed(n: number, seed: number): Uint8Array {
  const out = sampleBytes(n, seed);
  const half = Math.floor(n / 2);
  out.set(randomBytes(n - half), half);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Compresses on the calling thread and with `workers`, noting whether a worker did the work. */
async function bothWays(
  bytes: Uint8Array,
  c: Compression,
  cuts: number | number[],
  workers: number,
): Promise<{ inThread: Uint8Array; offThread: Uint8Array; sawWorker: boolean }> {
  const inThread = await collect(compress(chunked(bytes, cuts), c, { workers: 1 }));
  const parts: Uint8Array[] = [];
  let sawWorker = false;
  for await (const chunk of compress(chunked(bytes, cuts), c, { workers })) {
    if (liveFrameWorkers() > 0) sawWorker = true;
    parts.push(chunk);
  }
  return { inThread, offThread: concat(parts), sawWorker };
}

test("the worker's piece size is compress()'s, and a transferred piece is a whole number of them", () => {
  assert.equal(WORKER_PIECE_BYTES, COMPRESS_PIECE_BYTES);
  assert.equal(STREAM_PIECE_BYTES % COMPRESS_PIECE_BYTES, 0);
  assert.ok(STREAM_PIECE_BYTES >= MiB);
});

const sizes = [0, 1, piece, IN_THREAD_BYTES, IN_THREAD_BYTES + 1, 2 * MiB + piece, 3 * MiB + 4321];
const singles: Compression[] = [
  { algo: "gzip", level: 0 },
  { algo: "gzip", level: 1 },
  { algo: "gzip", level: 6 },
  { algo: "gzip", level: 9 },
  { algo: "zstd", level: 1 },
  { algo: "zstd", level: 3 },
  { algo: "zstd", level: 19 },
  { algo: "xz", level: 0 },
  { algo: "xz", level: 6 },
];

test(`${XZ_PACKAGE} is installed here (the xz cases below need it)`, () => {
  assert.ok(tryLoadLzmaNative(), `${XZ_PACKAGE} is a dev dependency of this repository`);
});

/** Slow settings: fewer cases; the fast ones check every size both ways. */
const SLOW = new Set(["gzip:9", "zstd:19", "xz:0", "xz:6"]);

for (const c of singles) {
  const name = `${c.algo}:${c.level}`;
  test(`${name} one stream: a worker gives the calling thread's bytes; small inputs stay in-thread`, async () => {
    let n = 0;
    for (const size of sizes) {
      for (const kind of ["text", "mixed"] as const) {
        if (SLOW.has(name) && (n + (kind === "text" ? 0 : 1)) % 2 === 1) continue;
        if (SLOW.has(name) && size > 2 * MiB + piece) continue;
        const bytes = kind === "text" ? sampleBytes(size, size + 11) : mixed(size, size + 5);
        // Odd chunkings: tiny, not dividing the piece, one seam per piece, whole input.
        const cuts = [[7, 1, 321], 65_537, piece, Math.max(1, size)][n++ % 4] as number | number[];
        const { inThread, offThread, sawWorker } = await bothWays(bytes, c, cuts, 2);
        const what = `${name} ${kind} ${size} bytes, cuts ${cuts}`;
        sameBytes(offThread, inThread, what);
        assert.equal(sawWorker, size > IN_THREAD_BYTES, `${what}: worker used only above ${IN_THREAD_BYTES}`);
        sameBytes(await decompressBytes(offThread, c.algo), bytes, `${what} round trip`);
      }
    }
    assert.equal(liveFrameWorkers(), 0);
  });
}

for (const c of [
  { algo: "gzip", level: 6, framing: { chunkBytes: MiB } },
  { algo: "zstd", level: 3, framing: { chunkBytes: 512 * 1024 } },
  { algo: "xz", level: 0, framing: { chunkBytes: MiB + 3 } },
] as Compression[]) {
  test(`${c.algo} framed: workers 1, 2 and 8 give the same bytes`, async () => {
    const bytes = mixed((c.algo === "xz" ? 3 : 5) * MiB + 17, 3);
    const one = await collect(compress(chunked(bytes, 100_003), c, { workers: 1 }));
    for (const workers of [2, 8]) {
      const { offThread, sawWorker } = await bothWays(bytes, c, [4096, 1_000_000], workers);
      sameBytes(offThread, one, `${c.algo} framed, workers ${workers}`);
      assert.ok(sawWorker, `workers ${workers}: frames compressed on workers`);
    }
    // The framing's own threads win over the option.
    const explicit = { ...c, framing: { ...(c.framing as { chunkBytes: number }), threads: 2 } };
    sameBytes(await collect(compress(chunked(bytes, 65_536), explicit, { workers: 1 })), one, "threads 2");
    sameBytes(await decompressBytes(one, c.algo), bytes, `${c.algo} framed round trip`);
    assert.equal(liveFrameWorkers(), 0);
  });
}

test("a framed input of at most IN_THREAD_BYTES starts no worker unless the framing names threads", async () => {
  const bytes = sampleBytes(IN_THREAD_BYTES, 9);
  const c: Compression = { algo: "zstd", level: 3, framing: { chunkBytes: 64 * 1024 } };
  const { offThread, inThread, sawWorker } = await bothWays(bytes, c, 10_000, 4);
  sameBytes(offThread, inThread);
  assert.equal(sawWorker, false);
  const named = await bothWays(bytes, { ...c, framing: { chunkBytes: 64 * 1024, threads: 2 } }, 10_000, 1);
  sameBytes(named.offThread, inThread);
  assert.equal(named.sawWorker, true);
});

test("setCompressionWorkers sets the default a call without options uses", async () => {
  assert.equal(compressionWorkers(), defaultFrameThreads());
  const bytes = sampleBytes(2 * MiB, 12);
  const c: Compression = { algo: "gzip", level: 1 };
  /** Compresses with no options; says whether a worker did the work. */
  const run = async () => {
    const parts: Uint8Array[] = [];
    let sawWorker = false;
    for await (const chunk of compress(chunked(bytes, 50_000), c)) {
      if (liveFrameWorkers() > 0) sawWorker = true;
      parts.push(chunk);
    }
    return { out: await collect(chunked(concat(parts), MiB)), sawWorker };
  };
  try {
    setCompressionWorkers(1);
    assert.equal(compressionWorkers(), 1);
    const one = await run();
    assert.equal(one.sawWorker, false, "workers 1: the calling thread only");
    setCompressionWorkers(2);
    const two = await run();
    assert.equal(two.sawWorker, true, "workers 2: a worker thread");
    sameBytes(two.out, one.out);
    assert.throws(() => setCompressionWorkers(-1), RangeError);
  } finally {
    setCompressionWorkers(undefined);
  }
  assert.equal(compressionWorkers(), defaultFrameThreads());
});

/** Counts the bytes pulled from an endless (or failing) producer and whether it was closed. */
function producer(opts: { failAfter?: number } = {}) {
  const state = { pulled: 0, closed: false };
  const block = mixed(256 * 1024, 21);
  async function* gen(): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; ; i++) {
        if (opts.failAfter !== undefined && state.pulled >= opts.failAfter)
          throw new TypeError("source broke");
        const chunk = block.slice();
        chunk[0] = i & 0xff;
        state.pulled += chunk.length;
        yield chunk;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, input: gen() };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  // Generous: this waits for progress on a loaded machine, it does not time anything.
  for (let i = 0; i < 6000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
}

for (const c of [
  { algo: "gzip", level: 6 },
  { algo: "zstd", level: 3, framing: { chunkBytes: MiB } },
] as Compression[]) {
  const name = c.framing ? `${c.algo} framed` : c.algo;
  test(`${name}: the producer runs ahead of a waiting consumer, within the bound, and stops when abandoned`, async () => {
    const bound = 4 * MiB;
    const { state, input } = producer();
    const it = compress(input, c, { workers: 2, inFlightBytes: bound })[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(first.done, false);
    // The consumer waits; the pump keeps reading and the workers keep compressing meanwhile.
    await until("the producer is pulled while the consumer waits", () => state.pulled >= bound);
    const pulledThen = state.pulled;
    await new Promise((r) => setTimeout(r, 300));
    // Bound + the piece being read + what the peek and the first answer took; whatever the wait.
    const slack = IN_THREAD_BYTES + 2 * MiB + 256 * 1024;
    assert.ok(state.pulled <= bound + slack, `pulled ${state.pulled} with a ${bound} bound`);
    assert.ok(state.pulled >= pulledThen);
    assert.ok(liveFrameWorkers() > 0);
    await it.return?.(undefined);
    assert.ok(state.closed, "the producer was closed");
    assert.equal(liveFrameWorkers(), 0, "no worker left working");
  });

  test(`${name}: a producer's error mid-stream arrives as it is, and no worker is left working`, async () => {
    const { state, input } = producer({ failAfter: 3 * MiB });
    await assert.rejects(collect(compress(input, c, { workers: 2 })), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.equal(e.message, "source broke");
      return true;
    });
    assert.ok(state.closed);
    assert.equal(liveFrameWorkers(), 0);
  });
}

test("a codec error inside the worker arrives as the calling thread's error", async () => {
  const bytes = sampleBytes(2 * MiB, 8);
  const seen: Array<{ name: string; code: unknown; message: string }> = [];
  for (const framing of [undefined, { chunkBytes: MiB }]) {
    for (const workers of [1, 2]) {
      // An unvalidated level reaches zlib, which throws on either thread.
      const c: Compression = framing ? { algo: "gzip", level: 99, framing } : { algo: "gzip", level: 99 };
      await assert.rejects(collect(compress(chunked(bytes, 70_000), c, { workers })), (e: unknown) => {
        assert.ok(e instanceof Error);
        seen.push({ name: e.constructor.name, code: (e as { code?: unknown }).code, message: e.message });
        return true;
      });
    }
  }
  assert.equal(seen[0]?.name, "RangeError");
  for (const s of seen) assert.deepEqual(s, seen[0]);
  assert.equal(liveFrameWorkers(), 0);
});

test("the pool is reused: later compressions start no new worker, and can be closed", async () => {
  const bytes = sampleBytes(3 * MiB, 2);
  const c: Compression = { algo: "zstd", level: 1 };
  await collect(compress(chunked(bytes, MiB), c, { workers: 2 }));
  const started = startedCompressionWorkers();
  assert.ok(idleCompressionWorkers() >= 1);
  for (let i = 0; i < 3; i++) await collect(compress(chunked(bytes, MiB), c, { workers: 2 }));
  assert.equal(startedCompressionWorkers(), started, "no worker started after the first compression");
  await closeCompressionWorkers();
  assert.equal(idleCompressionWorkers(), 0);
  assert.equal(liveFrameWorkers(), 0);
});

test("the default bound is a few MiB", () => {
  assert.ok(DEFAULT_IN_FLIGHT_BYTES >= 4 * MiB && DEFAULT_IN_FLIGHT_BYTES <= 16 * MiB);
});

test("the pipeline counts a piece's bytes when its stage transfers it to another thread (detaching it)", async () => {
  const PIECE = 1000;
  let submitted = 0;
  const answers: (() => void)[] = [];
  const stage: PipelineStage = {
    submit(piece) {
      submitted++;
      const out = new Uint8Array(piece);
      // What a worker request does to its piece: the buffer moves, the view here is left empty.
      structuredClone(piece.buffer, { transfer: [piece.buffer as ArrayBuffer] });
      assert.equal(piece.length, 0, "the piece is detached");
      return new Promise((resolve) => answers.push(() => resolve([out])));
    },
    finish: async () => [],
  };
  async function* pieces() {
    for (let i = 0; i < 10; i++) yield new Uint8Array(PIECE).fill(i);
  }
  const it = pipelined(pieces(), stage, { bytes: 2.5 * PIECE, pieces: 100, minPieces: 1 })[
    Symbol.asyncIterator
  ]();
  const first = it.next();
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.ok(
    submitted <= 3,
    `${submitted} pieces of ${PIECE} bytes submitted within a bound of ${2.5 * PIECE}`,
  );
  let got = 0;
  const drain = (async () => {
    for (let r = await first; !r.done; r = await it.next()) got += r.value.length;
  })();
  while (got < 10 * PIECE) {
    for (const a of answers.splice(0)) a();
    await new Promise((r) => setImmediate(r));
  }
  await drain;
  assert.equal(submitted, 10);
});
