/**
 * Reading and writing states and pointers, and picking each root's current state after a crash: the state
 * whose recorded top-file hash matches the live top file (the pointer's, or one written by a publish that
 * stopped between its top file and its pointer).
 */
import { createHash } from "node:crypto";
import { RepoError } from "../errors.ts";
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import { ENGINE_PREFIX, pointerKey, stateKey, statesPrefix, topKeyOf } from "./layout.ts";
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
   * The last publish of this root stopped after its top file: a later top file (Release, Release.gpg) or
   * the pointer is not the one the state records. The next publish of the root commits it again.
   */
  stale?: boolean;
}

const encoder = new TextEncoder();

/** SHA-256 of bytes, lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A state as the bytes stored, and its content-addressed key. */
export function encodeState(state: RootState): { key: string; bytes: Uint8Array } {
  const bytes = encoder.encode(`${JSON.stringify(state, null, 2)}\n`);
  return { key: stateKey(state.root, state.top.sha256, sha256Hex(bytes)), bytes };
}

/** A pointer as the bytes stored. */
export function encodePointer(root: string, key: string, state: RootState): Uint8Array {
  const pointer: Pointer = { schema: POINTER_SCHEMA, root, state: key, top: state.top };
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

function parseJson(key: string, bytes: Uint8Array): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
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

async function stateForTop(storage: Storage, root: string, topSha: string): Promise<LoadedRoot | undefined> {
  const prefix = `${statesPrefix(root)}${topSha}.`;
  const keys = (await listAll(storage, prefix)).filter((k) => !k.slice(prefix.length).includes("/"));
  let best: LoadedRoot | undefined;
  for (const key of keys) {
    const bytes = await readObject(storage, key);
    if (bytes === undefined) continue;
    const state = parseState(key, bytes, root);
    // Several states can record the same top (a prune rewrites the state, not the top): the newest wins.
    if (best === undefined || state.generation > best.state.generation || key > best.key)
      best = { state, key };
  }
  return best;
}

/**
 * The current state of one root: the pointer's when the live top file is the one it records, else the
 * state recording the live top file's hash (a publish stopped after its top file). With no live top
 * file the pointer's state stands (a publish stopped before its first top file: nothing is served yet).
 */
export async function loadRoot(storage: Storage, root: string): Promise<LoadedRoot | undefined> {
  const found = await findRoot(storage, root);
  if (found === undefined) return undefined;
  const pointer = await readObject(storage, pointerKey(root));
  let stale = pointer === undefined || parsePointer(pointerKey(root), pointer).state !== found.key;
  for (const [key, sha] of Object.entries(found.state.top.others ?? {})) {
    if (stale) break;
    const live = await liveTopSha(storage, key);
    stale = live !== sha;
  }
  return stale ? { ...found, stale } : found;
}

async function findRoot(storage: Storage, root: string): Promise<LoadedRoot | undefined> {
  const pkey = pointerKey(root);
  const pbytes = await readObject(storage, pkey);
  const pointer = pbytes === undefined ? undefined : parsePointer(pkey, pbytes);
  const live = await liveTopSha(storage, pointer?.top.key ?? topKeyOf(root));
  if (pointer !== undefined && (live === undefined || live === pointer.top.sha256)) {
    const bytes = await readObject(storage, pointer.state);
    if (bytes === undefined) corrupt(pointer.state, "the state the pointer names", "no such object");
    const state = parseState(pointer.state, bytes, root);
    // A prune may have written a newer state for the same top file before its pointer.
    const newer = live === undefined ? undefined : await stateForTop(storage, root, live);
    return newer !== undefined && newer.state.generation >= state.generation && newer.key !== pointer.state
      ? newer
      : { state, key: pointer.state };
  }
  if (live !== undefined) {
    const found = await stateForTop(storage, root, live);
    if (found !== undefined) return found;
  }
  if (pointer === undefined) return undefined;
  const bytes = await readObject(storage, pointer.state);
  if (bytes === undefined) corrupt(pointer.state, "the state the pointer names", "no such object");
  return { state: parseState(pointer.state, bytes, root), key: pointer.state };
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
