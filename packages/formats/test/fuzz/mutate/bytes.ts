/**
 * Generic byte mutations, for any layer: bit flips, interesting bytes and integers (both byte orders),
 * inserts, deletes, overwrites with a copy of another part, zeroed ranges, truncations and appended bytes.
 * Each returns the new bytes (the input is never changed) and a one-line description.
 */
import type { Rng } from "../rng.ts";

/** A mutation's result: the new bytes and what was done, for the reproducer's sidecar. */
export interface Mutated {
  bytes: Uint8Array;
  what: string;
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x30, 0x37, 0x38, 0x2f, 0x2e, 0x0a];
const INTERESTING_32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

/** A position in [0, n): half the time in the first 1 KiB, where headers live. */
export function position(rng: Rng, n: number): number {
  if (n <= 0) return 0;
  return rng.chance(0.5) ? rng.int(Math.min(n, 1024)) : rng.int(n);
}

/** Replaces `remove` bytes at `at` with `insert` (a new array); `at` and `remove` are clamped to `b`. */
export function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const start = Math.max(0, Math.min(at, b.length));
  const n = Math.max(0, Math.min(remove, b.length - start));
  const out = new Uint8Array(b.length - n + insert.length);
  out.set(b.subarray(0, start), 0);
  out.set(insert, start);
  out.set(b.subarray(start + n), start + insert.length);
  return out;
}

type ByteOp = (rng: Rng, b: Uint8Array) => Mutated;

const flip: ByteOp = (rng, b) => {
  const out = b.slice();
  const n = rng.range(1, 4);
  const at: number[] = [];
  for (let i = 0; i < n && out.length > 0; i++) {
    const p = position(rng, out.length);
    out[p]! ^= 1 << rng.int(8);
    at.push(p);
  }
  return { bytes: out, what: `flip a bit at ${at.join(", ")}` };
};

const setByte: ByteOp = (rng, b) => {
  const out = b.slice();
  if (out.length === 0) return { bytes: out, what: "set a byte of nothing" };
  const p = position(rng, out.length);
  const v = rng.chance(0.7) ? rng.pick(INTERESTING_8) : rng.int(256);
  out[p] = v;
  return { bytes: out, what: `byte ${p} = 0x${v.toString(16)}` };
};

const setInt: ByteOp = (rng, b) => {
  const out = b.slice();
  if (out.length < 4) return flip(rng, b);
  const p = position(rng, out.length - 3);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const old = view.getUint32(p, false);
  const v = rng.chance(0.6)
    ? rng.pick(INTERESTING_32)
    : (old + rng.pick([-1, 1, -16, 16, 512, -512, 0x10000])) >>> 0;
  const little = rng.chance(0.3);
  view.setUint32(p, v >>> 0, little);
  return { bytes: out, what: `u32${little ? "le" : "be"} at ${p} = 0x${(v >>> 0).toString(16)}` };
};

const insert: ByteOp = (rng, b) => {
  const at = position(rng, b.length + 1);
  const data =
    rng.chance(0.5) || b.length === 0
      ? rng.bytes(rng.range(1, 64))
      : b.subarray(rng.int(b.length)).subarray(0, rng.range(1, 512));
  return { bytes: splice(b, at, 0, data), what: `insert ${data.length} bytes at ${at}` };
};

const remove: ByteOp = (rng, b) => {
  if (b.length === 0) return insert(rng, b);
  const at = position(rng, b.length);
  const n = Math.min(b.length - at, rng.chance(0.7) ? rng.range(1, 16) : rng.range(1, 4096));
  return { bytes: splice(b, at, n, new Uint8Array(0)), what: `delete ${n} bytes at ${at}` };
};

const overwrite: ByteOp = (rng, b) => {
  if (b.length < 2) return flip(rng, b);
  const from = rng.int(b.length);
  const to = position(rng, b.length);
  const n = Math.min(rng.range(1, 256), b.length - from, b.length - to);
  const out = b.slice();
  out.set(b.subarray(from, from + n), to);
  return { bytes: out, what: `copy ${n} bytes from ${from} over ${to}` };
};

const zero: ByteOp = (rng, b) => {
  const at = position(rng, b.length);
  const n = Math.min(b.length - at, rng.range(1, 1024));
  const out = b.slice();
  out.fill(rng.chance(0.8) ? 0 : 0xff, at, at + n);
  return { bytes: out, what: `fill ${n} bytes at ${at}` };
};

const truncate: ByteOp = (rng, b) => {
  const at = rng.chance(0.3) ? Math.max(0, b.length - rng.range(1, 64)) : rng.int(b.length + 1);
  return { bytes: b.slice(0, at), what: `truncate to ${at} of ${b.length} bytes` };
};

const append: ByteOp = (rng, b) => {
  const tail = rng.chance(0.5) ? new Uint8Array(rng.range(1, 2048)) : rng.bytes(rng.range(1, 256));
  return { bytes: splice(b, b.length, 0, tail), what: `append ${tail.length} bytes` };
};

const OPS: readonly (readonly [number, ByteOp])[] = [
  [6, flip],
  [5, setByte],
  [4, setInt],
  [2, insert],
  [2, remove],
  [2, overwrite],
  [1, zero],
  [3, truncate],
  [1, append],
];

/** One generic mutation of `b`. */
export function mutateBytes(rng: Rng, b: Uint8Array): Mutated {
  return rng.weighted(OPS)(rng, b);
}

/** One to `max` generic mutations in a row (havoc), described together. */
export function havoc(rng: Rng, b: Uint8Array, max = 4): Mutated {
  let bytes = b;
  const what: string[] = [];
  const n = rng.range(1, max);
  for (let i = 0; i < n; i++) {
    const m = mutateBytes(rng, bytes);
    bytes = m.bytes;
    what.push(m.what);
  }
  return { bytes, what: what.join("; ") };
}
