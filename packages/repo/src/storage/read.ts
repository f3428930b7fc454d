/** Whole-object reads: the small objects (states, pointers, indexes) callers want as bytes, not streams. */
import { joinBytes } from "../bytes.ts";
import { RepoError } from "../errors.ts";
import type { Storage } from "./storage.ts";

/** The bytes of `chunk` as a plain Uint8Array (a view, no copy): Node hands out Buffers, callers compare bytes. */
export function plainBytes(chunk: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(chunk) === Uint8Array.prototype
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Joins a stream of byte chunks into one array (the chunk itself when there is only one). */
export async function collectBytes(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return joinBytes(parts);
}

/**
 * The bytes of the object at `key`, or `undefined` when it is absent. Holds the whole object in memory:
 * meant for states, pointers and indexes, not packages.
 *
 * @example const state = await readObject(storage, ".packyard/roots/deb.json");
 */
export async function readObject(storage: Storage, key: string): Promise<Uint8Array | undefined> {
  const body = await storage.get(key);
  return body === undefined ? undefined : collectBytes(body);
}

/**
 * The object at `key` parsed as JSON, or `undefined` when it is absent; RepoError CORRUPT_STATE naming the
 * key when it does not parse. For the engine's small JSON records (owner marker, site settings).
 */
export async function readJson(storage: Storage, key: string): Promise<unknown> {
  const bytes = await readObject(storage, key);
  if (bytes === undefined) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new RepoError(
      "CORRUPT_STATE",
      `${key}: expected JSON, found text that does not parse (${(e as Error).message})`,
      { key },
    );
  }
}
