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
import { type Family, type RootState, STATE_SCHEMA } from "./state.ts";

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

/** The bytes a package record had in the state it was read from (its line), or undefined for a new record. */
export function storedRecordBytes(record: object): Uint8Array | undefined {
  return recordBytes.get(record);
}

const PACKAGES_OPEN = encoder.encode(`"packages":[\n`);
const RECORD_SEP = encoder.encode(",\n");
const PACKAGES_CLOSE = encoder.encode("\n]");

/**
 * The bytes of a state: compact JSON, every package record on a line of its own
 * (`{"schema":…,"packages":[\n{…},\n{…}\n],…}` and a newline), so that the records a state carries
 * over are copied as bytes (see {@link recordBytes}). Any JSON reader reads it; a state written two-space
 * indented by earlier versions parses the same (its records are encoded once, at its next commit).
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
      for (const [i, r] of (value as object[]).entries()) {
        if (i > 0) parts.push(RECORD_SEP);
        parts.push(recordBytes.get(r) ?? encoder.encode(JSON.stringify(r)));
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

/**
 * Remembers the bytes of each package record of a state written by {@link stateBytes} (one record a
 * line), so an unchanged record is written again as it was read. Anything else (an indented state, lines
 * that are not one record each) is left alone: those records are encoded when the state is next written.
 */
function rememberRecordBytes(bytes: Uint8Array, packages: readonly unknown[]): void {
  if (packages.length === 0) return;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = buf.indexOf(PACKAGES_OPEN);
  if (start < 0) return;
  const lines: Uint8Array[] = [];
  let at = start + PACKAGES_OPEN.length;
  for (let i = 0; i < packages.length; i++) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) return;
    const last = i === packages.length - 1;
    // `{…},` on every line but the last, `{…}` then `]` on the last.
    const end = last ? nl : nl - 1;
    if (end <= at || bytes[at] !== 0x7b || bytes[end - 1] !== 0x7d) return;
    if (last ? bytes[nl + 1] !== 0x5d : bytes[nl - 1] !== 0x2c) return;
    lines.push(bytes.subarray(at, end));
    at = nl + 1;
  }
  for (const [i, p] of packages.entries())
    if (typeof p === "object" && p !== null) recordBytes.set(p, lines[i]!);
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

/** Parses and checks a state document (schema, root, the fields the engine relies on). */
export function parseState(key: string, bytes: Uint8Array, root?: string): RootState {
  const data = parseJson(key, bytes);
  if (data.schema !== STATE_SCHEMA) corrupt(key, `schema ${STATE_SCHEMA}`, data.schema);
  if (typeof data.root !== "string") corrupt(key, "a string root", data.root);
  if (root !== undefined && data.root !== root) corrupt(key, `root ${root}`, data.root);
  if (!["deb", "rpm", "archlinux", "alpine"].includes(data.family as string))
    corrupt(key, "family deb, rpm, archlinux or alpine", data.family);
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
  }
  if (data.family === "deb" && !isObject(data.apt)) corrupt(key, "apt settings", data.apt);
  if (data.family === "rpm") {
    if (!isObject(data.rpm)) corrupt(key, "rpm settings", data.rpm);
    for (const [i, p] of (data.packages as Record<string, unknown>[]).entries()) {
      const rpm = p.rpm;
      if (!isObject(rpm) || !isObject(rpm.deps) || !Array.isArray(rpm.files) || !Array.isArray(rpm.changelog))
        corrupt(
          `${key} packages[${i}]`,
          "an rpm record with its index fields { deps, files, changelog, ... }",
          rpm,
        );
    }
  }
  if (data.family === "archlinux") {
    if (!isObject(data.archlinux)) corrupt(key, "archlinux settings", data.archlinux);
    for (const [i, p] of (data.packages as Record<string, unknown>[]).entries()) {
      const a = p.archlinux;
      const sig = p.signature;
      if (!isObject(a) || !Array.isArray(a.files) || !Array.isArray(a.depends))
        corrupt(`${key} packages[${i}]`, "a pacman record with its desc fields { depends, files, ... }", a);
      if (!isObject(sig) || typeof sig.key !== "string" || typeof sig.base64 !== "string")
        corrupt(`${key} packages[${i}]`, "a pacman record's signature { key, size, sha256, base64 }", sig);
    }
  }
  if (data.family === "alpine") {
    if (!isObject(data.alpine)) corrupt(key, "alpine settings", data.alpine);
    for (const [i, p] of (data.packages as Record<string, unknown>[]).entries()) {
      const a = p.alpine;
      if (!isObject(a) || typeof a.checksum !== "string" || !Array.isArray(a.depends))
        corrupt(`${key} packages[${i}]`, "an apk record with its index fields { checksum, depends, ... }", a);
    }
  }
  rememberRecordBytes(bytes, data.packages as unknown[]);
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
