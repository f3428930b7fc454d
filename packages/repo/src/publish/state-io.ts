/**
 * Reading and writing states and pointers, and picking each root's current state after a crash: the state
 * whose recorded top-file hash matches the live top file (the pointer's, or one written by a publish that
 * stopped between its top file and its pointer).
 */
import { isAscii } from "node:buffer";
import { createHash } from "node:crypto";
import { joinBytes } from "../bytes.ts";
import { RepoError } from "../errors.ts";
import { type CutRule, cutsToPieces, itemCuts } from "../gzip.ts";
import { mapLimited } from "../limit.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import {
  chunkKey,
  chunksPrefix,
  ENGINE_PREFIX,
  parseStateKey,
  pointerKey,
  stateKey,
  statesPrefix,
  topKeyOf,
} from "./layout.ts";
import {
  type Family,
  type PackageRecord,
  type RootState,
  STATE_SCHEMA,
  STATE_SCHEMA_V1,
  type StateChunk,
} from "./state.ts";

/** The schema id of pointers. */
export const POINTER_SCHEMA = "packyard-pointer/1";

/** A root's pointer: which state is current. */
export interface Pointer {
  schema: typeof POINTER_SCHEMA;
  root: string;
  /** Key of the current state. */
  state: string;
  /** The top file and its hash, as the state records them. */
  top: { key: string; sha256: string };
}

/** A loaded root: its current state and that state's key. */
export interface LoadedRoot {
  state: RootState;
  key: string;
  /**
   * The last publish of this root stopped midway: a later top file (Release, Release.gpg), the live top
   * file or the pointer is not the one the state records, or a newer state was written whose top file
   * never was. The next publish of the root commits it again.
   */
  stale?: boolean;
  /**
   * States of publishes that stopped before their top file (newer than the current one). Such a publish
   * may have rewritten canonical indexes: the next commit rewrites them all, and tombstones these states
   * and what they alone name.
   */
  abandoned?: string[];
  /** The highest generation among the root's states (the next commit takes the one after). */
  maxGeneration: number;
}

const encoder = new TextEncoder();

/** SHA-256 of bytes, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The bytes of package records as a state read from storage spelled them (compact JSON, one a line): a
 * record carried over unchanged into the next state is copied as those bytes, not encoded again. Keyed by
 * the record object: the engine never changes a record in place (a changed package is a new record).
 */
const recordBytes = new WeakMap<object, Uint8Array>();

/** The fields that hold a record's index fields: each record has one (its family's), written last. */
const DETAIL_FIELDS: readonly Family[] = ["deb", "rpm", "archlinux", "alpine"];

/** `,"rpm":` and a TAB (`,"deb":\t`, …): where a stored record's index fields start. */
const detailMarker = (field: Family): Uint8Array => encoder.encode(`,${JSON.stringify(field)}:\t`);

/**
 * A record as a state stores it: compact JSON, its index fields last and after a TAB (JSON whitespace,
 * which compact JSON holds nowhere else: a reader finds them without parsing, see {@link parseLaidOut}).
 * A record without index fields, or with several, is plain compact JSON.
 */
function encodeRecord(record: PackageRecord): Uint8Array {
  const present = DETAIL_FIELDS.filter((f) => record[f] !== undefined);
  if (present.length !== 1) return encoder.encode(JSON.stringify(record));
  const field = present[0]!;
  const { [field]: detail, ...head } = record as unknown as Record<string, unknown>;
  const headText = JSON.stringify(head);
  if (headText === "{}") return encoder.encode(JSON.stringify(record));
  return encoder.encode(`${headText.slice(0, -1)},${JSON.stringify(field)}:\t${JSON.stringify(detail)}}`);
}

/**
 * A package record's bytes: as the state it was read from stores them, or, for a new record (or one read
 * from a state written before the index fields were marked), as the next state will. What index pieces
 * know their packages by.
 */
export function recordBytesOf(record: PackageRecord): Uint8Array {
  return recordBytes.get(record) ?? encodeRecord(record);
}

const PACKAGES_OPEN = encoder.encode(`"packages":[\n`);
const PACKAGES_EMPTY = encoder.encode(`"packages":[]`);
const RECORD_SEP = encoder.encode(",\n");
const CHUNK_OPEN = encoder.encode("[\n");
const CHUNK_CLOSE = encoder.encode("\n]\n");

/**
 * How a state's records are cut into chunks ({@link itemCuts} of each record's SHA-256): 64 records at
 * least, then 1 in 256 per record, 2,048 at most — a few hundred records (100-500 KB) a chunk, so adding
 * one package rewrites one chunk, and a state of 50,000 packages lists ~150.
 */
const CHUNK_CUTS: CutRule = { min: 64, spread: 256, max: 2048 };

/** How many chunks a state's read fetches at once. */
const CHUNK_READ_CONCURRENCY = 8;

/**
 * The chunks records were read from or written in, by their first record: a run of records that is
 * exactly one such chunk's, in order, is that chunk again, neither encoded nor hashed (the engine never
 * changes a record in place). Keyed by first records only: a weak entry per record would cost the
 * collector more than the lookups save.
 */
const chunkByFirst = new WeakMap<object, { chunk: StateChunk; root: string; records: readonly object[] }>();

/** How a state's records are stored: the chunks it lists, and those to write before it. */
export interface ChunkLayout {
  chunks: StateChunk[];
  /** The chunks not among those held, with their bytes. */
  writes: { chunk: StateChunk; bytes: Uint8Array }[];
}

/** The chunk `packages[start, end)` was read from or written as, if it is exactly one. */
function storedChunk(
  root: string,
  packages: readonly PackageRecord[],
  start: number,
  end: number,
): StateChunk | undefined {
  const known = chunkByFirst.get(packages[start]!);
  if (known === undefined || known.root !== root || known.records.length !== end - start) return undefined;
  for (let i = start + 1; i < end; i++) if (known.records[i - start] !== packages[i]) return undefined;
  return known.chunk;
}

/**
 * The chunks of a root's `packages` (cut by {@link CHUNK_CUTS}): a run of records read from a chunk that
 * `held` holds (the previous state's) is that chunk; every other chunk is encoded (records carried over
 * copied as their stored bytes), hashed and, unless `held` holds it, to be written.
 */
export function layoutChunks(
  root: string,
  packages: readonly PackageRecord[],
  held: ReadonlySet<string> = new Set(),
): ChunkLayout {
  const layout: ChunkLayout = { chunks: [], writes: [] };
  if (packages.length === 0) return layout;
  const cuts = itemCuts(
    packages.map((p) => p.digests.sha256),
    CHUNK_CUTS,
  );
  for (const { start, end } of cutsToPieces(cuts)) {
    const stored = storedChunk(root, packages, start, end);
    if (stored !== undefined && held.has(stored.key)) {
      layout.chunks.push(stored);
      continue;
    }
    const parts: Uint8Array[] = [CHUNK_OPEN];
    for (let i = start; i < end; i++) {
      if (i > start) parts.push(RECORD_SEP);
      parts.push(recordBytesOf(packages[i]!));
    }
    parts.push(CHUNK_CLOSE);
    const bytes = joinBytes(parts);
    const chunk: StateChunk = {
      key: chunkKey(root, sha256Hex(bytes)),
      size: bytes.length,
      count: end - start,
    };
    chunkByFirst.set(packages[start]!, { chunk, root, records: packages.slice(start, end) });
    layout.chunks.push(chunk);
    if (!held.has(chunk.key)) layout.writes.push({ chunk, bytes });
  }
  return layout;
}

/**
 * The bytes of a state (schema 2): compact JSON and a newline, its records stored apart and listed as
 * `chunks` where the records were (`layout`, else {@link layoutChunks} of its packages). Any JSON reader
 * reads it; the chunks are JSON arrays, one record a line (see {@link encodeRecord}).
 */
export function stateBytes(state: RootState, layout?: ChunkLayout): Uint8Array {
  const chunks = (layout ?? layoutChunks(state.root, state.packages)).chunks;
  const fields: string[] = [];
  for (const [field, value] of Object.entries(state)) {
    if (field === "packages" || field === "chunks") continue;
    // Always just before `indexes`, wherever the object holds its records.
    if (field === "indexes") fields.push(`"chunks":${JSON.stringify(chunks)}`);
    if (field === "schema") fields.push(`"schema":${JSON.stringify(STATE_SCHEMA)}`);
    else if (value !== undefined) fields.push(`${JSON.stringify(field)}:${JSON.stringify(value)}`);
  }
  if (!Object.hasOwn(state, "indexes")) fields.push(`"chunks":${JSON.stringify(chunks)}`);
  return encoder.encode(`{${fields.join(",")}}\n`);
}

/**
 * A state as the bytes stored, its content-addressed key, and how its records are stored (the chunks
 * `layout` says, else all of them to write).
 */
export function encodeState(
  state: RootState,
  layout: ChunkLayout = layoutChunks(state.root, state.packages),
): { key: string; bytes: Uint8Array; layout: ChunkLayout } {
  const bytes = stateBytes(state, layout);
  return { key: stateKey(state.root, state.generation, state.top.sha256, sha256Hex(bytes)), bytes, layout };
}

/** A pointer as the bytes stored. */
export function encodePointer(root: string, key: string, state: RootState): Uint8Array {
  // The top's gzip pieces stay in the state (the pointer only names it).
  const { gzip: _, ...top } = state.top;
  const pointer: Pointer = { schema: POINTER_SCHEMA, root, state: key, top };
  return encoder.encode(`${JSON.stringify(pointer, null, 2)}\n`);
}

function corrupt(key: string, expected: string, found: unknown, cause?: unknown): never {
  const shown = typeof found === "string" ? JSON.stringify(found).slice(0, 80) : typeof found;
  throw new RepoError(
    "CORRUPT_STATE",
    `${key}: expected ${expected}, found ${shown}; the repository's engine state is damaged (restore it, or publish into a new folder)`,
    { key, expected, found: shown },
    cause === undefined ? undefined : { cause },
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The text of UTF-8 bytes; throws on bytes that are not UTF-8. Node's lenient decoder is several times
 * faster than a fatal TextDecoder on a state of megabytes: it turns any invalid sequence into U+FFFD, so
 * only a text holding U+FFFD (which valid text may hold too) is decoded again strictly to tell which.
 */
function utf8Text(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII (most states: JSON escapes nothing else) is its own Latin-1, which V8 takes as it is; its UTF-8
  // decoding goes through the general path at a few hundred MB/s (3 MB of records: ~9 ms against ~1).
  if (isAscii(buf)) return buf.toString("latin1");
  const text = buf.toString("utf8");
  if (text.includes("\uFFFD")) return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  // As TextDecoder: a byte order mark is not part of the text.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJson(key: string, bytes: Uint8Array): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(utf8Text(bytes));
  } catch (e) {
    corrupt(key, "a JSON document", "text that does not parse", e);
  }
  if (!isObject(data)) corrupt(key, "a JSON object", data);
  return data;
}

/** What a record's index fields must hold at least (what the engine reads without checking again). */
function checkDetail(family: Family, where: string, v: unknown): void {
  if (family === "rpm") {
    if (!isObject(v) || !isObject(v.deps) || !Array.isArray(v.files) || !Array.isArray(v.changelog))
      corrupt(where, "an rpm record with its index fields { deps, files, changelog, ... }", v);
  } else if (family === "archlinux") {
    if (!isObject(v) || !Array.isArray(v.files) || !Array.isArray(v.depends))
      corrupt(where, "a pacman record with its desc fields { depends, files, ... }", v);
  } else if (family === "alpine") {
    if (!isObject(v) || typeof v.checksum !== "string" || !Array.isArray(v.depends))
      corrupt(where, "an apk record with its index fields { checksum, depends, ... }", v);
  } else if (v !== undefined && (!isObject(v) || typeof v.control !== "string")) {
    corrupt(where, "a deb record's index fields { control, ... }", v);
  }
}

/**
 * The property of a record read by {@link parseLaidOut} that holds its index fields: parsed from the
 * record's stored line and checked when first read, then an ordinary value (assigning one replaces it as
 * usual). Most publishes make the index text of a few packages only, and a state's index fields are most
 * of its bytes (RPM-MD's file and dependency lists, pacman's). One accessor per family, shared by every
 * record (the record's line is {@link recordBytes}'s).
 */
const detailProperty = Object.fromEntries(
  DETAIL_FIELDS.map((field) => {
    const settle = (record: object, value: unknown) =>
      Object.defineProperty(record, field, { value, writable: true, enumerable: true, configurable: true });
    const descriptor: PropertyDescriptor = {
      configurable: true,
      enumerable: true,
      get(this: PackageRecord) {
        const line = recordBytes.get(this);
        if (line === undefined)
          throw new Error(`the ${field} index fields of a record not read from a state`);
        // After the line's one TAB, up to the `}` that closes the record.
        const tab = Buffer.from(line.buffer, line.byteOffset, line.byteLength).indexOf(0x09);
        const where = `the state record of ${this.name} ${this.version} ${this.arch} (${this.key})`;
        let value: unknown;
        try {
          value = JSON.parse(utf8Text(line.subarray(tab + 1, line.length - 1)));
        } catch (e) {
          corrupt(where, `its ${field} index fields as JSON`, "text that does not parse", e);
        }
        checkDetail(field, where, value);
        settle(this, value);
        return value;
      },
      set(this: PackageRecord, value: unknown) {
        // The line no longer spells the record: it is encoded again when written.
        recordBytes.delete(this);
        settle(this, value);
      },
    };
    return [field, descriptor];
  }),
) as Record<Family, PropertyDescriptor>;

/**
 * Records laid out one a line from `at` (`{…},` lines and a last `{…}` line, then a newline and `]`), each
 * with its index fields after its one TAB, read without parsing those: the lines cut at their marker
 * (`,"rpm":` and a TAB) as one array, each record's index fields parsed when first read
 * ({@link detailProperty}). The records and the offset of the closing `]`, or undefined for anything else
 * (a record without the marker, as earlier versions wrote them; other layouts; damage): the caller then
 * parses, and checks, the whole text as JSON.
 */
function laidOutRecords(
  bytes: Uint8Array,
  at: number,
  family: Family,
): { records: Record<string, unknown>[]; close: number } | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: number[] = [];
  let headBytes = 2;
  for (;;) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return undefined;
    const last = bytes[nl + 1] === 0x5d;
    const end = last ? nl : nl - 1;
    if (end <= at || bytes[at] !== 0x7b || bytes[end - 1] !== 0x7d) return undefined;
    if (!last && bytes[nl - 1] !== 0x2c) return undefined;
    const tab = buf.indexOf(0x09, at);
    if (tab < 0 || tab >= end) return undefined;
    const next = buf.indexOf(0x09, tab + 1);
    if (next >= 0 && next < end) return undefined;
    lines.push(at, end, tab);
    headBytes += tab - at + 2;
    at = nl + 1;
    if (last) break;
  }
  const marker = detailMarker(family);
  // The heads as one JSON array: `[` head `,` head … `]`, each head its line up to the marker, closed.
  // (Its size from the scan: memory written for the first time costs page faults, ~3 ms a MB here.)
  const heads = Buffer.allocUnsafe(headBytes);
  let n = 0;
  heads[n++] = 0x5b;
  for (let i = 0; i < lines.length; i += 3) {
    const start = lines[i]!;
    const end = lines[i + 1]!;
    const tab = lines[i + 2]!;
    const cut = tab + 1 - marker.length;
    if (cut <= start || bytes[tab + 1] !== 0x7b || bytes[end - 2] !== 0x7d) return undefined;
    if (!marker.every((b, j) => bytes[cut + j] === b)) return undefined;
    if (i > 0) heads[n++] = 0x2c;
    n += buf.copy(heads, n, start, cut);
    heads[n++] = 0x7d;
  }
  heads[n++] = 0x5d;
  let records: unknown;
  try {
    records = JSON.parse(utf8Text(heads.subarray(0, n)));
  } catch {
    return undefined;
  }
  if (!Array.isArray(records) || records.length * 3 !== lines.length) return undefined;
  const property = detailProperty[family];
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as unknown;
    if (!isObject(r) || Object.hasOwn(r, family)) return undefined;
    recordBytes.set(r, bytes.subarray(lines[3 * i]!, lines[3 * i + 1]!));
    Object.defineProperty(r, family, property);
  }
  return { records: records as Record<string, unknown>[], close: at };
}

/**
 * A schema 1 state whose records {@link laidOutRecords} reads (as versions before chunks wrote them:
 * `"packages":[` and a newline, one record a line): the document but its package lines parsed as JSON,
 * then the records. Undefined for anything else.
 */
function parseLaidOut(key: string, bytes: Uint8Array): Record<string, unknown> | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const open = buf.indexOf(PACKAGES_OPEN);
  if (open < 0) return undefined;
  // The family, from the text before the records (`{"schema":…,"family":"deb",…`), to know the marker.
  const family = /"family":"(deb|rpm|archlinux|alpine)"/.exec(buf.toString("latin1", 0, open))?.[1] as
    | Family
    | undefined;
  if (family === undefined) return undefined;
  const laid = laidOutRecords(bytes, open + PACKAGES_OPEN.length, family);
  if (laid === undefined) return undefined;
  const data = parseJson(
    key,
    joinBytes([buf.subarray(0, open), PACKAGES_EMPTY, buf.subarray(laid.close + 1)]),
  );
  if (data.family !== family) return undefined;
  data.packages = laid.records;
  return data;
}

/**
 * The records of a chunk (a JSON array, one record a line as {@link layoutChunks} writes it; any other
 * JSON array of records is read and checked whole).
 */
function parseChunk(key: string, bytes: Uint8Array, family: Family): unknown[] {
  if (bytes[0] === 0x5b && bytes[1] === 0x0a) {
    const laid = laidOutRecords(bytes, 2, family);
    if (laid !== undefined && bytes.subarray(laid.close + 1).every((b) => b === 0x0a)) return laid.records;
  }
  let data: unknown;
  try {
    data = JSON.parse(utf8Text(bytes));
  } catch (e) {
    corrupt(key, "a JSON array of package records", "text that does not parse", e);
  }
  if (!Array.isArray(data)) corrupt(key, "a JSON array of package records", data);
  for (const [i, p] of data.entries()) if (isObject(p)) checkDetail(family, `${key}[${i}]`, p[family]);
  return data;
}

/** A state document parsed, before its records are read from its chunks ({@link completeState}). */
interface StateDocument {
  key: string;
  data: Record<string, unknown>;
  /** Schema 2: the chunks it lists (checked). */
  chunks?: StateChunk[];
  /** Schema 1 whose records were parsed whole (their index fields checked with the rest). */
  whole: boolean;
}

function parseStateDocument(key: string, bytes: Uint8Array, root?: string): StateDocument {
  const laidOut = parseLaidOut(key, bytes);
  const data = laidOut ?? parseJson(key, bytes);
  if (data.schema !== STATE_SCHEMA && data.schema !== STATE_SCHEMA_V1)
    corrupt(key, `schema ${STATE_SCHEMA} (or ${STATE_SCHEMA_V1})`, data.schema);
  if (typeof data.root !== "string") corrupt(key, "a string root", data.root);
  if (root !== undefined && data.root !== root) corrupt(key, `root ${root}`, data.root);
  if (!DETAIL_FIELDS.includes(data.family as Family))
    corrupt(key, "family deb, rpm, archlinux or alpine", data.family);
  if (data.schema === STATE_SCHEMA_V1) {
    if (data.chunks !== undefined) corrupt(key, `no chunks in a ${STATE_SCHEMA_V1} state`, data.chunks);
    return { key, data, whole: laidOut === undefined };
  }
  const prefix = chunksPrefix(data.root);
  const list = data.chunks;
  if (!Array.isArray(list) || data.packages !== undefined)
    corrupt(key, "a list of chunks (and no packages)", list);
  // Each entry as this version writes it (so a state written again spells it the same way).
  const chunks = list.map((c, i): StateChunk => {
    if (
      !isObject(c) ||
      typeof c.key !== "string" ||
      !c.key.startsWith(prefix) ||
      !CHUNK_NAME.test(c.key.slice(prefix.length)) ||
      !Number.isSafeInteger(c.size) ||
      (c.size as number) < 0 ||
      !Number.isSafeInteger(c.count) ||
      (c.count as number) < 1
    )
      corrupt(`${key} chunks[${i}]`, `a chunk { key ${prefix}<sha256>.json, size, count ≥ 1 }`, c);
    return { key: c.key, size: c.size as number, count: c.count as number };
  });
  data.chunks = chunks;
  return { key, data, chunks, whole: false };
}

/** The records of one of a document's chunks, from its bytes (checked against what the document lists). */
function chunkRecordsOf(doc: StateDocument, chunk: StateChunk, bytes: Uint8Array): unknown[] {
  if (bytes.length !== chunk.size)
    corrupt(chunk.key, `${chunk.size} bytes, as ${doc.key} lists it`, `${bytes.length} bytes`);
  const got = parseChunk(chunk.key, bytes, doc.data.family as Family);
  if (got.length !== chunk.count)
    corrupt(chunk.key, `${chunk.count} records, as ${doc.key} lists it`, `${got.length} records`);
  if (isObject(got[0]))
    chunkByFirst.set(got[0], { chunk, root: doc.data.root as string, records: got as object[] });
  return got;
}

/**
 * The state of a parsed document: its records those of its chunks (schema 2; a chunk `chunkRecords` has
 * not is damage, or, with `partial`, left out), then checked (schema, root, the fields the engine relies on).
 */
function completeState(
  doc: StateDocument,
  chunkRecords: (chunk: StateChunk) => readonly unknown[] | undefined,
  partial: boolean,
): RootState {
  const { key, data } = doc;
  const family = data.family as Family;
  if (doc.chunks !== undefined) {
    const records: unknown[] = [];
    for (const chunk of doc.chunks) {
      const got = chunkRecords(chunk);
      if (got === undefined) {
        if (partial) continue;
        corrupt(chunk.key, `the chunk of records ${key} lists`, "no such object");
      }
      for (const r of got) records.push(r);
    }
    data.packages = records;
  }
  if (typeof data.generation !== "number" || !Number.isInteger(data.generation) || data.generation < 1)
    corrupt(key, "a positive integer generation", data.generation);
  if (typeof data.date !== "string" || Number.isNaN(Date.parse(data.date)))
    corrupt(key, "an ISO date", data.date);
  for (const field of ["packages", "indexes", "tombstones"] as const) {
    if (!Array.isArray(data[field])) corrupt(key, `an array ${field}`, data[field]);
  }
  const top = data.top;
  if (!isObject(top) || typeof top.key !== "string" || typeof top.sha256 !== "string")
    corrupt(key, "top { key, sha256 }", top);
  const settings = { deb: "apt", rpm: "rpm", archlinux: "archlinux", alpine: "alpine" }[family];
  if (!isObject(data[settings])) corrupt(key, `${settings} settings`, data[settings]);
  for (const [i, p] of (data.packages as unknown[]).entries()) {
    if (
      !isObject(p) ||
      typeof p.name !== "string" ||
      typeof p.version !== "string" ||
      typeof p.arch !== "string" ||
      typeof p.key !== "string" ||
      typeof p.size !== "number" ||
      !isObject(p.digests) ||
      typeof p.digests.sha256 !== "string" ||
      !SHA256_HEX.test(p.digests.sha256) ||
      typeof p.identity !== "string"
    ) {
      corrupt(
        `${key} packages[${i}]`,
        "a package record { name, version, arch, key, size, digests { sha256, … }, identity }",
        p,
      );
    }
    // Read lazily: checked when first read.
    if (doc.whole) checkDetail(family, `${key} packages[${i}]`, p[family]);
    if (family === "archlinux") {
      const sig = p.signature;
      if (!isObject(sig) || typeof sig.key !== "string" || typeof sig.base64 !== "string")
        corrupt(`${key} packages[${i}]`, "a pacman record's signature { key, size, sha256, base64 }", sig);
    }
  }
  return data as unknown as RootState;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const CHUNK_NAME = /^[0-9a-f]{64}\.json$/;

/**
 * Parses and checks a state document (schema, root, the fields the engine relies on). Records are read
 * without parsing their index fields where they are laid out as this version writes them (see
 * {@link laidOutRecords}): those are checked when first read. A schema 2 state's records come from its
 * chunks, which `chunkBytes` gives by chunk (see {@link readState}); a schema 1 state holds its own.
 */
export function parseState(
  key: string,
  bytes: Uint8Array,
  root?: string,
  chunkBytes: (chunk: StateChunk) => Uint8Array | undefined = () => undefined,
): RootState {
  const doc = parseStateDocument(key, bytes, root);
  return completeState(
    doc,
    (c) => {
      const chunk = chunkBytes(c);
      return chunk === undefined ? undefined : chunkRecordsOf(doc, c, chunk);
    },
    false,
  );
}

/**
 * Reads the state stored under `key` with its chunks (a few at a time); undefined when there is no such
 * object. A missing chunk is damage (CORRUPT_STATE), or, with `partial` (a state a publish abandoned,
 * which may have stopped before writing its chunks), leaves its records out; the chunks it lists are in
 * `chunks` either way.
 */
export async function readState(
  storage: Storage,
  key: string,
  root: string,
  partial = false,
): Promise<RootState | undefined> {
  const bytes = await readObject(storage, key);
  if (bytes === undefined) return undefined;
  const doc = parseStateDocument(key, bytes, root);
  // Each chunk parsed as it arrives, while the others are read.
  const parsed = new Map<string, unknown[]>();
  await mapLimited(doc.chunks ?? [], CHUNK_READ_CONCURRENCY, async (c) => {
    const chunk = await readObject(storage, c.key);
    if (chunk !== undefined) parsed.set(c.key, chunkRecordsOf(doc, c, chunk));
  });
  return completeState(doc, (c) => parsed.get(c.key), partial);
}

function parsePointer(key: string, bytes: Uint8Array): Pointer {
  const data = parseJson(key, bytes);
  if (data.schema !== POINTER_SCHEMA) corrupt(key, `schema ${POINTER_SCHEMA}`, data.schema);
  const top = data.top;
  if (typeof data.root !== "string" || typeof data.state !== "string")
    corrupt(key, "root and state keys", data.state);
  if (!isObject(top) || typeof top.key !== "string" || typeof top.sha256 !== "string")
    corrupt(key, "top { key, sha256 }", top);
  return data as unknown as Pointer;
}

/** Every key under `prefix`, all pages. */
export async function listAll(storage: Storage, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, cursor === undefined ? {} : { cursor });
    for (const o of page.objects) out.push(o.key);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

async function liveTopSha(storage: Storage, key: string): Promise<string | undefined> {
  const bytes = await readObject(storage, key);
  return bytes === undefined ? undefined : sha256Hex(bytes);
}

/**
 * The current state of one root. Among the root's states, the one whose recorded top-file hash matches
 * the live top file wins (the pointer's when it is one of them, else the newest: a publish stopped
 * between its top file and its pointer); with no live top file, or one no state records, the pointer's
 * state stands. A matching state whose chunks are not all there is passed over for the next: its publish
 * stopped before its top file (one with the same bytes as another's: a pacman database of the same
 * packages carries no date). Whatever is out of step is reported as `stale`, newer states as `abandoned`.
 */
export async function loadRoot(storage: Storage, root: string): Promise<LoadedRoot | undefined> {
  const pkey = pointerKey(root);
  const pbytes = await readObject(storage, pkey);
  const pointer = pbytes === undefined ? undefined : parsePointer(pkey, pbytes);
  const states = (await listAll(storage, statesPrefix(root)))
    .map((key) => ({ key, ...parseStateKey(root, key) }))
    .filter((e): e is { key: string; generation: number; top: string } => e.generation !== undefined);
  const live = await liveTopSha(storage, pointer?.top.key ?? topKeyOf(root));
  const candidates: string[] = [];
  if (live !== undefined) {
    const matching = states
      .filter((e) => e.top === live)
      .sort((a, b) => b.generation - a.generation || (a.key < b.key ? 1 : -1));
    if (matching.some((e) => e.key === pointer?.state)) candidates.push(pointer!.state);
    candidates.push(...matching.map((e) => e.key));
  }
  if (pointer !== undefined) candidates.push(pointer.state);
  if (candidates.length === 0) return undefined;
  let chosen: string | undefined;
  let state: RootState | undefined;
  for (const [i, key] of candidates.entries()) {
    // The pointer's state was complete when the pointer was written (its last write): a missing chunk of
    // it, or of the last candidate, is damage.
    const last = key === pointer?.state || i === candidates.length - 1;
    const read = await readState(storage, key, root, !last);
    if (read === undefined) {
      if (last)
        corrupt(
          key,
          key === pointer?.state ? "the state the pointer names" : "the state listed under this key",
          "no such object",
        );
      continue;
    }
    if (read.packages.length < (read.chunks ?? []).reduce((n, c) => n + c.count, 0)) continue;
    chosen = key;
    state = read;
    break;
  }
  if (chosen === undefined || state === undefined) return undefined;
  const abandoned = states.filter((e) => e.generation > state.generation).map((e) => e.key);
  const maxGeneration = Math.max(state.generation, ...states.map((e) => e.generation));
  let stale = pointer?.state !== chosen || live !== state.top.sha256 || abandoned.length > 0;
  for (const [key, sha] of Object.entries(state.top.others ?? {})) {
    if (stale) break;
    stale = (await liveTopSha(storage, key)) !== sha;
  }
  const loaded: LoadedRoot = { state, key: chosen, maxGeneration };
  if (stale) loaded.stale = true;
  if (abandoned.length > 0) loaded.abandoned = abandoned;
  return loaded;
}

/**
 * The roots of a family: those with a pointer, plus those whose first publish stopped after its top file
 * but before its pointer (found by their states).
 */
export async function listRoots(storage: Storage, family: Family): Promise<string[]> {
  const roots = new Set<string>();
  const pointers = `${ENGINE_PREFIX}roots/${family}/`;
  for (const key of await listAll(storage, pointers)) {
    if (key.endsWith(".json")) roots.add(key.slice(`${ENGINE_PREFIX}roots/`.length, -".json".length));
  }
  const states = `${ENGINE_PREFIX}states/${family}/`;
  for (const key of await listAll(storage, states)) {
    const root = key.slice(`${ENGINE_PREFIX}states/`.length, key.lastIndexOf("/"));
    roots.add(root);
  }
  return [...roots].sort();
}

/** The current state of every root of a family. */
export async function loadFamily(storage: Storage, family: Family): Promise<Map<string, LoadedRoot>> {
  const out = new Map<string, LoadedRoot>();
  for (const root of await listRoots(storage, family)) {
    const loaded = await loadRoot(storage, root);
    if (loaded !== undefined) out.set(root, loaded);
  }
  return out;
}

/** The states of loaded roots, in root order (what {@link readRepository} returns). */
export function sortedStates(roots: ReadonlyMap<string, LoadedRoot>): RootState[] {
  return [...roots.values()].map((r) => r.state).sort((a, b) => (a.root < b.root ? -1 : 1));
}

/** The families this version publishes. */
export const PUBLISHED_FAMILIES: readonly Family[] = ["deb", "rpm", "archlinux", "alpine"];

/** The current state of every root of every family this version publishes. */
export async function loadRepository(storage: Storage): Promise<Map<string, LoadedRoot>> {
  const out = new Map<string, LoadedRoot>();
  for (const family of PUBLISHED_FAMILIES) {
    for (const [root, loaded] of await loadFamily(storage, family)) out.set(root, loaded);
  }
  return out;
}
