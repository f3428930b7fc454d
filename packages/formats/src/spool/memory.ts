/** Spooled bytes held in memory as the list of written chunks (no concatenation). */
import { IOError } from "../errors.ts";
import type { Digests, HashAlgo } from "../hash/hasher.ts";
import type { SpooledBytes } from "./spool.ts";

/** Checks a replay range against the size; returns [start, end). */
export function checkRange(
  range: { start: number; end: number } | undefined,
  size: number,
): [number, number] {
  const start = range?.start ?? 0;
  const end = range?.end ?? size;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > size) {
    throw new RangeError(`spool: range ${start}..${end} is outside 0..${size}`);
  }
  return [start, end];
}

/** Replays chunks held in memory. */
export function memorySpooled<A extends HashAlgo>(
  chunks: Uint8Array[],
  size: number,
  digests: Digests & Record<A, string>,
): SpooledBytes<A> {
  let held: Uint8Array[] | undefined = chunks;
  return {
    size,
    digests,
    async *open(range) {
      const [start, end] = checkRange(range, size);
      if (held === undefined)
        throw new IOError("READ_FAILED", "spool: read after dispose", {
          expected: "spooled bytes",
          found: "disposed",
        });
      let at = 0;
      for (const c of held) {
        const cEnd = at + c.length;
        if (cEnd > start && at < end) yield c.subarray(Math.max(0, start - at), Math.min(c.length, end - at));
        at = cEnd;
        if (at >= end) break;
      }
    },
    async dispose() {
      held = undefined;
    },
  };
}
