/** How the verifiers read: small objects whole (with a cap), one chunk as a stream, and bounded parallel work. */
import { readObject } from "../storage/read.ts";
import type { Storage } from "../storage/storage.ts";
import type { Problems } from "./problems.ts";

/** One chunk, as an async iterable (for readers that take streams). */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * A small object read whole, or undefined when absent; one over `max` bytes is a problem (what it is:
 * `what`, e.g. "a top file may hold"), not read.
 */
export async function readSmall(
  problems: Problems,
  storage: Storage,
  key: string,
  max: number,
  what = "this check reads",
): Promise<Uint8Array | "too big" | undefined> {
  const head = await storage.head(key);
  if (head === undefined) return undefined;
  if (head.size > max) {
    problems.add(key, `${head.size} bytes, over the ${max} ${what}: not read`);
    return "too big";
  }
  return readObject(storage, key);
}

/** Runs `work` on every item, at most `limit` at a time; the results in the items' order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
