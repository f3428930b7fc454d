/**
 * The batch reader: the contents of the files a writer is about to consume, read on a worker thread in
 * the writer's order and handed back in batches, with the per-file digests the format needs computed in
 * the same pass. The main thread then never opens a file: with 50,000 small files, an open/read/close per
 * file (~29 µs) was a third of its time, and asynchronous reads cost three thread-pool round trips each.
 *
 * - Small files (up to {@link BATCH_FILE_BYTES}) are read back to back into one buffer of about
 *   {@link BATCH_BYTES} and transferred with per-file offsets; larger files come in pieces of
 *   {@link PIECE_BYTES}. The reader stays at most `aheadBytes` (default {@link AHEAD_BYTES}) ahead of the
 *   consumer, so memory is bounded whatever the payload.
 * - With `data: false` nothing comes back but digests: a digest pass (Arch's .MTREE) costs the main thread
 *   one message per few thousand files.
 * - Sources that are not files (bytes in memory, spooled parts, a caller's own source) are read through
 *   their own `open()` on the main thread when the consumer reaches them, digested there by the same code.
 * - A file that cannot be read, or ends early, fails when the consumer reaches it, with the IOError its
 *   source's `open()` gives (READ_FAILED with path and offset; expected and found for a short file).
 *
 * The worker is started on the first read and terminated when the iteration ends, fails or is abandoned
 * (`return()`); while no request is pending it does not keep the process alive.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { IOError } from "../errors.ts";
import type { ByteSource } from "../spec/types.ts";
import type { BatchReply, PieceReply, ReadFailure, ReadReply, ReadRequest } from "./batch-read-worker.ts";
import { fileTapOf, filePathOf } from "./file.ts";
import { createReadDigester, type ReadDigestAlgo, type ReadDigests } from "./read-digests.ts";

export type { ReadDigestAlgo, ReadDigests } from "./read-digests.ts";

/** Files up to this size are read whole, in batches; larger ones stream in pieces. */
export const BATCH_FILE_BYTES = 1024 * 1024;
/** A batch closes once it holds this many bytes (so it holds up to twice this with a last 1 MiB file). */
export const BATCH_BYTES = 1024 * 1024;
/** Files per batch at most (empty and tiny files would otherwise make one message of a whole tree). */
const BATCH_FILES = 4096;
/** Pieces a large file streams in. */
export const PIECE_BYTES = 1024 * 1024;
/** Bytes read ahead of the consumer, at most (plus one batch). */
export const AHEAD_BYTES = 8 * 1024 * 1024;
/** In a digest pass, bytes of reading asked for ahead (nothing is held: only the work is bounded). */
const DIGEST_AHEAD_BYTES = 32 * 1024 * 1024;
/** A digest-pass batch closes at this many bytes of reading. */
const DIGEST_BATCH_BYTES = 8 * 1024 * 1024;
/** Below this many files and bytes a worker does not pay for its start (~20-40 ms): read on this thread. */
const WORKER_MIN_FILES = 32;
const WORKER_MIN_BYTES = 8 * 1024 * 1024;

// The worker is a sibling module: `.ts` when running the sources (tests), `.js` in the emitted build.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./batch-read-worker.ts" : "./batch-read-worker.js",
  import.meta.url,
);

/**
 * Heap limits of the reader worker: it holds path lists and digests (a few MiB of heap); the file bytes
 * it reads are transferred away. A small old generation makes V8 collect it often (see
 * COMPRESS_WORKER_LIMITS in compress/worker-pool.ts).
 */
const READ_WORKER_LIMITS = { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 1 } as const;

let live = 0;
/** Test seam: force the worker on or off for every read without a `worker` option (undefined: auto). */
let workerPolicy: boolean | undefined;

/** Forces the reader worker on (`true`) or off (`false`) for reads that do not choose; `undefined` restores the default. */
export function setReadWorkerPolicy(policy: boolean | undefined): void {
  workerPolicy = policy;
}

/** Reader worker threads alive now (tests check that they are gone after a read ends or is abandoned). */
export function liveReadWorkers(): number {
  return live;
}

/** One thing to read: a source, whole or a range of it. */
export type ReadItem = ByteSource | { source: ByteSource; start: number; end: number };

export interface ReadFilesOptions {
  /** Digests to compute per item (default none). */
  digests?: readonly ReadDigestAlgo[];
  /** false: a digest pass; no content is handed back, only digests and byte counts. Default true. */
  data?: boolean;
  /**
   * Have every item's digests before its content (apk's SHA-1 pax record precedes the data): a large
   * file is then read twice, once for the digests and once for the pieces. Small files are read once.
   */
  digestsFirst?: boolean;
  /** Bytes read ahead of the consumer at most (default {@link AHEAD_BYTES}). */
  aheadBytes?: number;
  /** Force the worker on or off; by default it is used when there are enough files to pay for it. */
  worker?: boolean;
}

/** One item as it is consumed. */
export interface FileRead {
  /** The item's position in the list. */
  readonly index: number;
  /** Bytes the item should have (its source's size, or its range's length). */
  readonly size: number;
  /**
   * The content: the whole bytes when read in a batch (a view the consumer may keep), else a source to
   * open once (a large file's pieces, or a source that is not a file). Undefined in a digest pass.
   */
  readonly content: Uint8Array | ByteSource | undefined;
  /**
   * The digests asked for: set at once for whole bytes, in a digest pass and with `digestsFirst`;
   * otherwise once the content's last byte has been consumed.
   */
  readonly digests: ReadDigests | undefined;
  /** In a digest pass: the bytes the content had (a source that is not a file may disagree with `size`). */
  readonly read: number;
}

interface Item {
  source: ByteSource;
  /** The file, when the source is one (read by the worker); undefined: read through `open()`. */
  path: string | undefined;
  start: number;
  end: number;
}

class Read implements FileRead {
  index: number;
  size: number;
  content: Uint8Array | ByteSource | undefined = undefined;
  digests: ReadDigests | undefined = undefined;
  read = 0;
  constructor(index: number, size: number) {
    this.index = index;
    this.size = size;
  }
}

/** A batch item's place in its reply. */
interface BatchSlot {
  kind: "batch";
  reply: Promise<BatchReply>;
  k: number;
  offset: number;
}

/** A streamed item's pieces, in order, as they are asked for. */
interface StreamSlot {
  kind: "stream";
  pieces: { reply: Promise<PieceReply>; bytes: number }[];
  /** Pieces handed to the consumer so far. */
  taken: number;
}

function normalize(x: ReadItem): Item {
  const source = "source" in x ? x.source : x;
  const start = "source" in x ? x.start : 0;
  const end = "source" in x ? x.end : source.size;
  let path = filePathOf(source);
  // A bad range is the source's own business: its open() raises the RangeError it always has.
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end < start ||
    end > source.size
  )
    path = undefined;
  return { source, path, start, end };
}

/** The IOError a file source's `open()` raises for the same failure (source/file.ts readRange). */
function readError(item: Item, f: ReadFailure): IOError {
  const path = item.path!;
  if (f.short) {
    const expected = item.end - item.start;
    const found = f.offset - item.start;
    return new IOError(
      "READ_FAILED",
      `${path}: expected ${expected} bytes from offset ${item.start}, found ${found} (file changed while reading)`,
      { path, offset: f.offset, expected, found },
    );
  }
  const cause: Error & { code?: string } = new Error(f.message ?? "read failed");
  if (f.errno !== undefined) cause.code = f.errno;
  return new IOError(
    "READ_FAILED",
    `${path}: read failed at offset ${f.offset}`,
    { path, offset: f.offset },
    { cause },
  );
}

class Session {
  readonly items: Item[];
  readonly algos: ReadDigestAlgo[];
  readonly data: boolean;
  readonly digestsFirst: boolean;
  readonly ahead: number;
  readonly useWorker: boolean;
  readonly slots: (BatchSlot | StreamSlot | undefined)[] = [];
  worker: Worker | undefined;
  readonly pending = new Map<number, { resolve(r: ReadReply): void; reject(e: unknown): void }>();
  nextId = 0;
  nextStream = 0;
  /** The next item not yet asked for, and for a streamed one the offset its next piece starts at. */
  sched = 0;
  schedSlot: StreamSlot | undefined;
  schedAt = -1;
  schedStream = -1;
  /** Bytes asked for and not yet handed to the consumer. */
  outstanding = 0;
  dead = false;
  failure: unknown;

  constructor(list: readonly ReadItem[], o: ReadFilesOptions) {
    this.items = list.map(normalize);
    this.algos = [...(o.digests ?? [])];
    this.data = o.data !== false;
    this.digestsFirst = o.digestsFirst === true;
    this.ahead = o.aheadBytes ?? (this.data ? AHEAD_BYTES : DIGEST_AHEAD_BYTES);
    let files = 0;
    let bytes = 0;
    for (const it of this.items) {
      if (it.path === undefined) continue;
      files++;
      bytes += it.end - it.start;
    }
    this.useWorker =
      files > 0 && (o.worker ?? workerPolicy ?? (files >= WORKER_MIN_FILES || bytes >= WORKER_MIN_BYTES));
    if (!this.useWorker) for (const it of this.items) it.path = undefined;
  }

  #start(): Worker {
    const w = new Worker(WORKER_URL, { resourceLimits: READ_WORKER_LIMITS });
    live++;
    w.unref();
    w.on("message", (reply: ReadReply) => {
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      p.resolve(reply);
    });
    w.on("error", (e) => this.#fail(e));
    w.on("exit", (code) => {
      if (!this.dead) {
        this.dead = true;
        live--;
      }
      this.#fail(
        new IOError("READ_FAILED", `file reader worker exited (code ${code}) with reads pending`, {
          found: code,
        }),
      );
    });
    this.worker = w;
    return w;
  }

  #fail(e: unknown): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  #send<R extends ReadReply>(req: ReadRequest): Promise<R> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const w = this.worker ?? this.#start();
    const reply = new Promise<ReadReply>((resolve, reject) => this.pending.set(req.id, { resolve, reject }));
    // Awaited when the consumer gets there; until then a rejection must not count as unhandled.
    reply.catch(() => {});
    // Pending work keeps the process alive; an idle worker does not (an abandoned read never hangs exit).
    w.ref();
    w.postMessage(req);
    return reply as Promise<R>;
  }

  /** Asks the worker for what comes next, while the budget allows (always something when nothing is out). */
  pump(): void {
    const items = this.items;
    while (this.sched < items.length && (this.outstanding < this.ahead || this.outstanding === 0)) {
      const it = items[this.sched]!;
      if (it.path === undefined) {
        this.sched++;
        continue;
      }
      if (!this.data) this.#digestBatch();
      else if (it.end - it.start <= BATCH_FILE_BYTES) this.#batch();
      else this.#piece();
    }
  }

  #batch(): void {
    const paths: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const at: number[] = [];
    let bytes = 0;
    const items = this.items;
    while (this.sched < items.length && bytes < BATCH_BYTES && paths.length < BATCH_FILES) {
      const it = items[this.sched]!;
      if (it.path === undefined) {
        this.sched++;
        continue;
      }
      if (it.end - it.start > BATCH_FILE_BYTES) break;
      at.push(this.sched);
      paths.push(it.path);
      starts.push(it.start);
      ends.push(it.end);
      bytes += it.end - it.start;
      this.sched++;
    }
    const reply = this.#send<BatchReply>({
      kind: "batch",
      id: this.nextId++,
      paths,
      starts,
      ends,
      algos: this.algos,
      data: true,
    });
    let offset = 0;
    for (const [k, i] of at.entries()) {
      this.slots[i] = { kind: "batch", reply, k, offset };
      offset += ends[k]! - starts[k]!;
    }
    this.outstanding += bytes;
  }

  #digestBatch(): void {
    const paths: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const at: number[] = [];
    let bytes = 0;
    const items = this.items;
    while (this.sched < items.length && bytes < DIGEST_BATCH_BYTES && paths.length < BATCH_FILES) {
      const it = items[this.sched]!;
      this.sched++;
      if (it.path === undefined) continue;
      at.push(this.sched - 1);
      paths.push(it.path);
      starts.push(it.start);
      ends.push(it.end);
      bytes += it.end - it.start;
    }
    const reply = this.#send<BatchReply>({
      kind: "batch",
      id: this.nextId++,
      paths,
      starts,
      ends,
      algos: this.algos,
      data: false,
    });
    for (const [k, i] of at.entries()) this.slots[i] = { kind: "batch", reply, k, offset: 0 };
    this.outstanding += bytes;
  }

  #piece(): void {
    const i = this.sched;
    const it = this.items[i]!;
    let slot = this.schedSlot;
    if (slot === undefined) {
      slot = { kind: "stream", pieces: [], taken: 0 };
      this.slots[i] = slot;
      this.schedSlot = slot;
      this.schedAt = it.start;
      this.schedStream = this.nextStream++;
    }
    const start = this.schedAt;
    const end = Math.min(it.end, start + PIECE_BYTES);
    const last = end === it.end;
    const reply = this.#send<PieceReply>({
      kind: "piece",
      id: this.nextId++,
      stream: this.schedStream,
      path: it.path!,
      start,
      end,
      itemStart: it.start,
      itemEnd: it.end,
      first: start === it.start,
      last,
      algos: this.algos,
      digestsFirst: this.digestsFirst,
    });
    slot.pieces.push({ reply, bytes: end - start });
    this.outstanding += end - start;
    this.schedAt = end;
    if (last) this.#nextItem();
  }

  #nextItem(): void {
    this.sched++;
    this.schedSlot = undefined;
    this.schedAt = -1;
    this.schedStream = -1;
  }

  /** Item `i`, for the consumer (every earlier item has been taken). */
  async take(i: number): Promise<FileRead> {
    const item = this.items[i]!;
    const size = item.end - item.start;
    const read = new Read(i, size);
    if (item.path === undefined) return this.#takeOwn(item, read);
    this.pump();
    const slot = this.slots[i]!;
    // A view of the file (a progress counter) hears of the reading as if its open() had been called.
    const seen = fileTapOf(item.source)?.opened(item.start);
    if (slot.kind === "batch") {
      this.slots[i] = undefined;
      const reply = await slot.reply;
      this.outstanding -= size;
      const failure = reply.failures[slot.k];
      if (failure !== undefined) throw readError(item, failure);
      read.digests = reply.digests[slot.k];
      if (this.data) read.content = new Uint8Array(reply.buffer!, slot.offset, size);
      else read.read = size;
      if (size > 0) seen?.(size);
      return read;
    }
    if (this.digestsFirst && this.algos.length > 0) {
      // The first piece carries the digests of the whole file: wait for it before handing the item out.
      const first = await slot.pieces[0]!.reply;
      if (first.failure !== undefined) throw readError(item, first.failure);
      read.digests = first.digests;
    }
    read.content = {
      size,
      open: () => this.#stream(i, item, slot, read, seen),
    };
    return read;
  }

  /** The pieces of streamed item `i`, in order; once. */
  async *#stream(
    i: number,
    item: Item,
    slot: StreamSlot,
    read: Read,
    seen: ((bytes: number) => void) | undefined,
  ): AsyncGenerator<Uint8Array> {
    if (slot.taken > 0) throw new Error(`batch reader: the content of item ${i} can be read once`);
    for (let k = 0; ; k++) {
      // Pieces are asked for as the budget frees up; the item's own next piece always can be.
      if (slot.pieces[k] === undefined) this.pump();
      const p = slot.pieces[k];
      if (p === undefined) return;
      const reply = await p.reply;
      slot.taken = k + 1;
      this.outstanding -= p.bytes;
      slot.pieces[k] = undefined as never;
      if (reply.failure !== undefined) throw readError(item, reply.failure);
      if (reply.digests !== undefined && read.digests === undefined) read.digests = reply.digests;
      seen?.(p.bytes);
      yield new Uint8Array(reply.buffer!);
      if (slot.taken === Math.ceil((item.end - item.start) / PIECE_BYTES)) return;
    }
  }

  /** Drops what was asked for item `i` and not consumed (its content was skipped or left half-read). */
  release(i: number): void {
    const slot = this.slots[i];
    if (slot?.kind === "stream") {
      for (let k = slot.taken; k < slot.pieces.length; k++) {
        const p = slot.pieces[k];
        if (p !== undefined) this.outstanding -= p.bytes;
      }
      slot.taken = slot.pieces.length;
      // Not all of it asked for yet: the rest never will be.
      if (this.sched === i) this.#nextItem();
    }
    this.slots[i] = undefined;
  }

  /** A source that is not a file (or no worker): through its own open(), digested here. */
  async #takeOwn(item: Item, read: Read): Promise<FileRead> {
    const whole = item.start === 0 && item.end === item.source.size;
    const openOwn = () =>
      whole ? item.source.open() : item.source.open({ start: item.start, end: item.end });
    const algos = this.algos;
    if (!this.data || (this.digestsFirst && algos.length > 0)) {
      const d = createReadDigester(algos);
      let n = 0;
      for await (const chunk of openOwn()) {
        d.update(chunk);
        n += chunk.length;
      }
      read.digests = d.digest();
      read.read = n;
      if (this.data) read.content = whole ? item.source : { size: read.size, open: openOwn };
      return read;
    }
    if (algos.length === 0) {
      read.content = whole ? item.source : { size: read.size, open: openOwn };
      return read;
    }
    read.content = {
      size: read.size,
      async *open() {
        const d = createReadDigester(algos);
        for await (const chunk of openOwn()) {
          d.update(chunk);
          yield chunk;
        }
        read.digests = d.digest();
      },
    };
    return read;
  }

  async close(): Promise<void> {
    this.#fail(new IOError("READ_FAILED", "batch reader closed", {}));
    const w = this.worker;
    this.worker = undefined;
    if (w === undefined || this.dead) return;
    this.dead = true;
    live--;
    await w.terminate();
  }
}

/**
 * Reads `items` in order, on a worker thread for the ones that are files, and yields one {@link FileRead}
 * per item. Take each item's content (and, for a streamed one, read it to its end) before asking for the
 * next: the reader reads ahead of that point, by at most `aheadBytes`.
 *
 * @example
 * for await (const r of readFiles(entries.map((e) => e.content), { digests: ["md5"] })) {
 *   // r.content: Uint8Array (a small file) or a source to open once; r.digests.md5 once consumed
 * }
 */
export async function* readFiles(
  items: readonly ReadItem[],
  options: ReadFilesOptions = {},
): AsyncGenerator<FileRead> {
  const s = new Session(items, options);
  try {
    for (let i = 0; i < s.items.length; i++) {
      const r = await s.take(i);
      yield r;
      s.release(i);
    }
  } finally {
    await s.close();
  }
}

/** A digest pass is split over several readers only when it has at least this many bytes. */
export const SPLIT_DIGEST_MIN_BYTES = 32 * 1024 * 1024;

/**
 * A digest pass (`readFiles` with `data: false`) over `items` on up to `readers` worker threads at once
 * (default: 2 when the machine has 2 cores or more and the items hold at least
 * {@link SPLIT_DIGEST_MIN_BYTES}), each reading a contiguous range of the list holding about the same
 * number of bytes. `each` gets every item's FileRead and its index in `items` (in order within a range,
 * ranges side by side). What it throws, or a read's error, ends that range, and the ranges after it stop
 * at their next item; the error thrown is the earliest range's: the one a single pass in list order would
 * have met first.
 */
export async function digestPass(
  items: readonly ReadItem[],
  digests: readonly ReadDigestAlgo[],
  each: (r: FileRead, index: number) => void,
  readers = defaultDigestReaders(items),
): Promise<void> {
  const ranges = byteRanges(items, Math.max(1, readers));
  /** The first range that failed (ranges after it need not finish). */
  let firstFailed = ranges.length;
  const results = await Promise.allSettled(
    ranges.map(async ([from, to], k) => {
      try {
        for await (const r of readFiles(items.slice(from, to), { digests, data: false })) {
          if (firstFailed < k) return;
          each(r, from + r.index);
        }
      } catch (e) {
        firstFailed = Math.min(firstFailed, k);
        throw e;
      }
    }),
  );
  for (const r of results) if (r.status === "rejected") throw r.reason;
}

function itemBytes(x: ReadItem): number {
  return "source" in x ? Math.max(0, x.end - x.start) : x.size;
}

/** Readers for a digest pass by default: 2 on a multi-core machine for a large enough pass, else 1. */
function defaultDigestReaders(items: readonly ReadItem[]): number {
  let bytes = 0;
  for (const x of items) bytes += itemBytes(x);
  return bytes >= SPLIT_DIGEST_MIN_BYTES && availableParallelism() >= 2 ? 2 : 1;
}

/**
 * At most `n` contiguous [from, to) ranges of `items` of about total/n bytes each: a range ends before
 * the item that would take it past its share (so a large file starts a range of its own).
 */
function byteRanges(items: readonly ReadItem[], n: number): [number, number][] {
  let total = 0;
  for (const x of items) total += itemBytes(x);
  const out: [number, number][] = [];
  let from = 0;
  let sum = 0;
  for (let i = 0; i < items.length; i++) {
    const size = itemBytes(items[i]!);
    if (out.length < n - 1 && i > from && sum + size > (total * (out.length + 1)) / n) {
      out.push([from, i]);
      from = i;
    }
    sum += size;
  }
  out.push([from, items.length]);
  return out;
}
