/**
 * The memory driver: a Map of keys to bytes, for tests and dry runs. It keeps the contract of the real
 * drivers (whole-object writes, conditional create, ascending paginated listing, key checks) so a test on
 * memory means something on disk and S3.
 */
import { createHash } from "node:crypto";
import { checkKey, checkLimit, checkPrefix, checkRange } from "./key.ts";
import { collectBytes } from "./read.ts";
import type { ListPage, ObjectInfo, PutOptions, Storage } from "./storage.ts";

interface MemoryObject {
  bytes: Uint8Array;
  etag: string;
  lastModified: Date;
  options: PutOptions;
}

/** Default page size of `list`, as on S3. */
const DEFAULT_LIMIT = 1000;

function info(key: string, object: MemoryObject): ObjectInfo {
  return { key, size: object.bytes.length, etag: object.etag, lastModified: object.lastModified };
}

/**
 * A {@link Storage} held in memory (etag: the SHA-256 of the bytes). Every instance is a separate, empty store.
 *
 * @example const storage = memoryStorage(); await storage.put("a/b.txt", new TextEncoder().encode("hi"));
 */
export function memoryStorage(): Storage {
  const objects = new Map<string, MemoryObject>();
  // Copies in and out, so a caller mutating its buffer never changes what is stored.
  const store = (key: string, bytes: Uint8Array, options: PutOptions): void => {
    const copy = bytes.slice();
    objects.set(key, {
      bytes: copy,
      etag: createHash("sha256").update(copy).digest("hex"),
      lastModified: new Date(),
      options: { ...options },
    });
  };
  return {
    description: "memory",
    async get(key, options) {
      checkKey(key);
      if (options?.range) checkRange(key, options.range);
      const object = objects.get(key);
      if (object === undefined) return undefined;
      const start = Math.min(options?.range?.start ?? 0, object.bytes.length);
      const end = Math.min(options?.range?.end ?? object.bytes.length, object.bytes.length);
      const bytes = object.bytes.slice(start, end);
      return (async function* () {
        if (bytes.length > 0) yield bytes;
      })();
    },
    async head(key) {
      checkKey(key);
      const object = objects.get(key);
      return object === undefined ? undefined : info(key, object);
    },
    async put(key, body, options = {}) {
      checkKey(key);
      // Collected first, so a stream that fails midway leaves the old object in place.
      const bytes = body instanceof Uint8Array ? body : await collectBytes(body);
      store(key, bytes, options);
    },
    async create(key, body, options = {}) {
      checkKey(key);
      if (objects.has(key)) return false;
      store(key, body, options);
      return true;
    },
    async list(prefix, options = {}): Promise<ListPage> {
      checkPrefix(prefix);
      const limit = options.limit ?? DEFAULT_LIMIT;
      checkLimit(limit);
      const after = options.cursor;
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const page = keys.slice(0, limit);
      const result: ListPage = { objects: page.map((k) => info(k, objects.get(k)!)) };
      if (keys.length > limit) result.cursor = page[page.length - 1]!;
      return result;
    },
    async delete(key) {
      checkKey(key);
      objects.delete(key);
    },
  };
}
