/**
 * Reading and writing states and pointers, and picking each root's current state after a crash: the state
 * whose recorded top-file hash matches the live top file (the pointer's, or one written by a publish that
 * stopped between its top file and its pointer).
 */
import { createHash } from "node:crypto";
import { joinBytes } from "../bytes.ts";
import { RepoError } from "../errors.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import { ENGINE_PREFIX, parseStateKey, pointerKey, stateKey, statesPrefix, topKeyOf } from "./layout.ts";
import { type Family, type PackageRecord, type RootState, STATE_SCHEMA } from "./state.ts";

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
const PACKAGES_CLOSE = encoder.encode("\n]");

/**
 * The bytes of a state: compact JSON, every package record on a line of its own
 * (`{"schema":…,"packages":[\n{…},\n{…}\n],…}` and a newline), so that the records a state carries over
 * are copied as bytes (see {@link recordBytes}), and each record's index fields last, after a TAB, so
 * that a reader can leave them unparsed until they are used (see {@link encodeRecord}, {@link parseState}).
 * Any JSON reader reads it.
 */
export function stateBytes(state: RootState): Uint8Array {
  const parts: Uint8Array[] = [];
  let first = true;
  for (const [field, value] of Object.entries(state)) {
    if (value === undefined) continue;
    const lead = first ? "{" : ",";
    first = false;
    if (field === "packages" && Array.isArray(value) && value.length > 0) {
      parts.push(encoder.encode(lead), PACKAGES_OPEN);
      for (const [i, r] of (value as PackageRecord[]).entries()) {
        if (i > 0) parts.push(RECORD_SEP);
        parts.push(recordBytesOf(r));
      }
      parts.push(PACKAGES_CLOSE);
    } else {
      parts.push(encoder.encode(`${lead}${JSON.stringify(field)}:${JSON.stringify(value)}`));
    }
  }
  parts.push(encoder.encode(first ? "{}\n" : "}\n"));
  return joinBytes(parts);
}

/** A state as the bytes stored, and its content-addressed key. */
export function encodeState(state: RootState): { key: string; bytes: Uint8Array } {
  const bytes = stateBytes(state);
  return { key: stateKey(state.root, state.generation, state.top.sha256, sha256Hex(bytes)), bytes };
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
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
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
 * A state whose records {@link stateBytes} wrote one a line with their index fields marked, read without
 * parsing those: the document but its package lines, then the lines cut at their marker (`,"rpm":` and a
 * TAB; the one TAB of the line) as one array; each record's index fields are parsed when first read
 * ({@link detailProperty}). Undefined for anything else (a record without the marker, as earlier versions
 * wrote them; other layouts; damage): the whole document is then parsed, and checked, as JSON.
 */
function parseLaidOut(key: string, bytes: Uint8Array): Record<string, unknown> | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const open = buf.indexOf(PACKAGES_OPEN);
  if (open < 0) return undefined;
  // Each line a record: `{…},` and, before the `]` that closes the list, `{…}`; one TAB in each.
  const lines: number[] = [];
  let headBytes = 2;
  let at = open + PACKAGES_OPEN.length;
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
  const data = parseJson(key, joinBytes([buf.subarray(0, open), PACKAGES_EMPTY, buf.subarray(at + 1)]));
  const family = data.family as Family;
  if (!DETAIL_FIELDS.includes(family)) return undefined;
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
  data.packages = records;
  return data;
}

/**
 * Parses and checks a state document (schema, root, the fields the engine relies on). A
 * `packyard-state/2` state as this version writes it is read without parsing its records' index fields
 * (see {@link parseLaidOut}): those are checked when first read.
 */
export function parseState(key: string, bytes: Uint8Array, root?: string): RootState {
  const laidOut = parseLaidOut(key, bytes);
  const data = laidOut ?? parseJson(key, bytes);
  if (data.schema !== STATE_SCHEMA) corrupt(key, `schema ${STATE_SCHEMA}`, data.schema);
  if (typeof data.root !== "string") corrupt(key, "a string root", data.root);
  if (root !== undefined && data.root !== root) corrupt(key, `root ${root}`, data.root);
  if (!DETAIL_FIELDS.includes(data.family as Family))
    corrupt(key, "family deb, rpm, archlinux or alpine", data.family);
  const family = data.family as Family;
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
      typeof p.identity !== "string"
    ) {
      corrupt(
        `${key} packages[${i}]`,
        "a package record { name, version, arch, key, size, digests, identity }",
        p,
      );
    }
    // Read lazily: checked when first read.
    if (laidOut === undefined) checkDetail(family, `${key} packages[${i}]`, p[family]);
    if (family === "archlinux") {
      const sig = p.signature;
      if (!isObject(sig) || typeof sig.key !== "string" || typeof sig.base64 !== "string")
        corrupt(`${key} packages[${i}]`, "a pacman record's signature { key, size, sha256, base64 }", sig);
    }
  }
  return data as unknown as RootState;
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
 * state stands. Whatever is out of step is reported as `stale`, newer states as `abandoned`.
 */
export async function loadRoot(storage: Storage, root: string): Promise<LoadedRoot | undefined> {
  const pkey = pointerKey(root);
  const pbytes = await readObject(storage, pkey);
  const pointer = pbytes === undefined ? undefined : parsePointer(pkey, pbytes);
  const states = (await listAll(storage, statesPrefix(root)))
    .map((key) => ({ key, ...parseStateKey(root, key) }))
    .filter((e): e is { key: string; generation: number; top: string } => e.generation !== undefined);
  const live = await liveTopSha(storage, pointer?.top.key ?? topKeyOf(root));
  let chosen: string | undefined;
  if (live !== undefined) {
    const matching = states
      .filter((e) => e.top === live)
      .sort((a, b) => b.generation - a.generation || (a.key < b.key ? 1 : -1));
    chosen = matching.some((e) => e.key === pointer?.state) ? pointer!.state : matching[0]?.key;
  }
  chosen ??= pointer?.state;
  if (chosen === undefined) return undefined;
  const bytes = await readObject(storage, chosen);
  if (bytes === undefined) corrupt(chosen, "the state the pointer names", "no such object");
  const state = parseState(chosen, bytes, root);
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
