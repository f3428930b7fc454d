/** How the verifiers read: small objects whole (with a cap) and one chunk as a stream (bounded parallel work: ../limit.ts). */
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
