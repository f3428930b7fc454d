/**
 * The worker-thread side of the batch reader ({@link readFiles} in batch-read.ts): reads what the main
 * thread asks for with synchronous calls (on this thread they stall nobody), computes the digests asked
 * for in the same pass, and sends the bytes back in one transferred buffer per request. Two requests:
 * a batch of whole files (small files, or any size when only digests are wanted), and one piece of a
 * large file streamed in order. Failures are answered per file, never thrown: the main thread raises
 * them when its consumer reaches that file, with the same IOError a source's own `open()` gives.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import {
  createReadDigester,
  digestWhole,
  type ReadDigestAlgo,
  type ReadDigester,
  type ReadDigests,
} from "./read-digests.ts";

/** Whole files, read in order into one buffer (`data`) or only digested. */
export interface BatchRequest {
  kind: "batch";
  id: number;
  paths: string[];
  starts: number[];
  ends: number[];
  algos: ReadDigestAlgo[];
  /** false: nothing is sent back but digests and failures (a digest pass). */
  data: boolean;
}

/** One piece `[start, end)` of a large file streamed in pieces; `stream` ties the pieces of one file. */
export interface PieceRequest {
  kind: "piece";
  id: number;
  stream: number;
  path: string;
  start: number;
  end: number;
  /** The whole range the digests cover (the file's range, of which this is one piece). */
  itemStart: number;
  itemEnd: number;
  first: boolean;
  last: boolean;
  algos: ReadDigestAlgo[];
  /** Digest the whole range before sending its first piece (apk's SHA-1 goes in the header first). */
  digestsFirst: boolean;
}

export type ReadRequest = BatchRequest | PieceRequest;

/** Why a file could not be read: an error (with its errno code) or a short read (the file shrank). */
export interface ReadFailure {
  /** Absolute offset in the file where reading stopped. */
  offset: number;
  /** True when the file ended early; false for an error thrown by the file system. */
  short: boolean;
  message?: string;
  errno?: string;
}

export interface BatchReply {
  kind: "batch";
  id: number;
  /** The files' bytes back to back, each at the sum of the sizes before it (with `data`). */
  buffer?: ArrayBuffer;
  digests: (ReadDigests | undefined)[];
  failures: (ReadFailure | undefined)[];
}

export interface PieceReply {
  kind: "piece";
  id: number;
  buffer?: ArrayBuffer;
  /** With the last piece (or the first, with `digestsFirst`). */
  digests?: ReadDigests;
  failure?: ReadFailure;
}

export type ReadReply = BatchReply | PieceReply;

/** A failure raised inside a read: where it stopped. */
class Stop extends Error {
  readonly failure: ReadFailure;
  constructor(failure: ReadFailure) {
    super(failure.message ?? "short read");
    this.failure = failure;
  }
}

function fsFailure(e: unknown, offset: number): ReadFailure {
  const errno = (e as { code?: unknown } | null)?.code;
  const out: ReadFailure = { offset, short: false, message: e instanceof Error ? e.message : String(e) };
  if (typeof errno === "string") out.errno = errno;
  return out;
}

/** Reads `[start, end)` of `path` into `into` at `at`; throws Stop when it cannot read all of it. */
function readInto(path: string, start: number, end: number, into: Uint8Array, at: number): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new Stop(fsFailure(e, start));
  }
  let done = 0;
  try {
    const want = end - start;
    while (done < want) {
      const n = readSync(fd, into, at + done, want - done, start + done);
      if (n === 0) throw new Stop({ offset: start + done, short: true });
      done += n;
    }
  } catch (e) {
    if (e instanceof Stop) throw e;
    throw new Stop(fsFailure(e, start + done));
  } finally {
    closeSync(fd);
  }
}

/** Digest pieces of a large file go through one reused buffer of this size. */
const SCRATCH_BYTES = 1024 * 1024;
let scratch = new Uint8Array(SCRATCH_BYTES);

/** Digests of `[start, end)` without keeping the bytes: whole when it fits the scratch buffer, else in pieces. */
function digestRange(path: string, start: number, end: number, algos: ReadDigestAlgo[]): ReadDigests {
  if (end - start <= scratch.length) {
    readInto(path, start, end, scratch, 0);
    return digestWhole(algos, scratch.subarray(0, end - start));
  }
  const d = createReadDigester(algos);
  for (let at = start; at < end; at += scratch.length) {
    const to = Math.min(end, at + scratch.length);
    readInto(path, at, to, scratch, 0);
    d.update(scratch.subarray(0, to - at));
  }
  return d.digest();
}

function batch(req: BatchRequest): { reply: BatchReply; transfer: ArrayBuffer[] } {
  const n = req.paths.length;
  const digests: (ReadDigests | undefined)[] = new Array(n);
  const failures: (ReadFailure | undefined)[] = new Array(n);
  const wantDigests = req.algos.length > 0;
  if (!req.data) {
    for (let i = 0; i < n; i++) {
      try {
        digests[i] = digestRange(req.paths[i]!, req.starts[i]!, req.ends[i]!, req.algos);
      } catch (e) {
        failures[i] = e instanceof Stop ? e.failure : fsFailure(e, req.starts[i]!);
      }
    }
    // A large file grew the scratch buffer only up to SCRATCH_BYTES; nothing else is kept.
    if (scratch.length > SCRATCH_BYTES) scratch = new Uint8Array(SCRATCH_BYTES);
    return { reply: { kind: "batch", id: req.id, digests, failures }, transfer: [] };
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += req.ends[i]! - req.starts[i]!;
  const buffer = new ArrayBuffer(total);
  const bytes = new Uint8Array(buffer);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const start = req.starts[i]!;
    const end = req.ends[i]!;
    try {
      readInto(req.paths[i]!, start, end, bytes, at);
      if (wantDigests) digests[i] = digestWhole(req.algos, bytes.subarray(at, at + end - start));
    } catch (e) {
      failures[i] = e instanceof Stop ? e.failure : fsFailure(e, start);
    }
    at += end - start;
  }
  return { reply: { kind: "batch", id: req.id, buffer, digests, failures }, transfer: [buffer] };
}

/** Digest state of the large files being streamed, by stream id. */
const streams = new Map<number, ReadDigester | "failed" | "done">();

function piece(req: PieceRequest): { reply: PieceReply; transfer: ArrayBuffer[] } {
  const state = req.first ? undefined : streams.get(req.stream);
  if (req.last) streams.delete(req.stream);
  if (state === "failed") {
    // The consumer stops at the first failed piece: later pieces of that file are never read.
    return {
      reply: { kind: "piece", id: req.id, failure: { offset: req.start, short: false } },
      transfer: [],
    };
  }
  const reply: PieceReply = { kind: "piece", id: req.id };
  try {
    let digester = state;
    if (req.first && req.algos.length > 0) {
      if (req.digestsFirst) {
        reply.digests = digestRange(req.path, req.itemStart, req.itemEnd, req.algos);
        digester = "done";
      } else digester = createReadDigester(req.algos);
    }
    const buffer = new ArrayBuffer(req.end - req.start);
    const bytes = new Uint8Array(buffer);
    readInto(req.path, req.start, req.end, bytes, 0);
    if (digester !== undefined && digester !== "done") {
      digester.update(bytes);
      if (req.last) reply.digests = digester.digest();
    }
    if (!req.last && digester !== undefined) streams.set(req.stream, digester);
    reply.buffer = buffer;
    return { reply, transfer: [buffer] };
  } catch (e) {
    if (!req.last) streams.set(req.stream, "failed");
    reply.failure = e instanceof Stop ? e.failure : fsFailure(e, req.start);
    return { reply, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  port.on("message", (req: ReadRequest) => {
    const { reply, transfer } = req.kind === "batch" ? batch(req) : piece(req);
    port.postMessage(reply, transfer);
  });
}
