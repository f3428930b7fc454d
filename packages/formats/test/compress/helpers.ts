/**
 * Test helpers for byte streams (chunked input comes from @packyard/testkit/chunked; `collect` is the
 * library's, re-exported for the tests that import it from here).
 */
export { collect } from "../../src/bytes/bytes.ts";

/** Deterministic, moderately compressible bytes (text-like with noise). */
export function sampleBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  const words = new TextEncoder().encode("lorem ipsum dolor sit amet consectetur adipiscing elit ");
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x % 7 === 0 ? x & 0xff : (words[i % words.length] as number);
  }
  return out;
}

/** Fast byte equality with a readable failure (assert.deepEqual on large arrays is very slow). */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what = "bytes"): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new Error(`${what}: first difference at offset ${i}`);
  }
}
