/**
 * The bad-input budget of the issues: every malformed package is rejected in under a second and without
 * the reader allocating more than 64 MB. "Under a second" is not measured as time (a loaded CI machine took
 * 1.7 s for a read that takes 0.1 s idle); it is counted as the work that makes a read slow.
 *
 * What is counted, and why:
 * - Work: bytes produced by decompression during the read, as the codecs report them on
 *   `packyard:unpacked` (compress/unpacked-channel.ts: `decompress` and the gzip member scan, so every
 *   format's payloads and metadata). Decompression is where a small bad input turns into a lot of work
 *   (a bomb, a limit not enforced, a member inflated before it is checked); parsing and hashing are bounded
 *   by the input's size, which is small in these tests. The limit, 64 MiB, is about what gzip or zstd
 *   inflate in a quarter of a second here, and 15 times what the most expensive of these reads decompresses
 *   today (4 MiB: a bomb stopped at its limit). The zip and xar readers inflate with fflate, which does not
 *   report; their bombs show up as allocation (fflate hands each piece over whole).
 * - Memory: the largest rise of `heapUsed + arrayBuffers` while the read runs: the highest sample minus
 *   the lowest sample taken before it (the sample just before the read included). That sum is what this
 *   process's JavaScript holds (objects plus Uint8Array/Buffer backing stores, which live outside the V8
 *   heap and so must be added). It is sampled before the read, by a 1 ms interval timer during it (the
 *   timer runs whenever the reader awaits, which streaming readers do between chunks), and once more
 *   after it settles, before anything is collected. Why the rise from the lowest earlier sample rather
 *   than from the first one: garbage left by earlier tests inflates the first sample, and when a collection
 *   during the read frees it, "peak minus first sample" would hide what the read allocated (the helper's
 *   own test showed this). Anything that rises during the read was allocated during it.
 * - Not RSS: RSS moves in whole pages, includes memory the allocator keeps after earlier tests freed it,
 *   and is shared with everything else in the process, so a delta of RSS is both noisy and blind to reuse.
 *   The RSS delta is still recorded in the result for reports.
 * - Samples are taken at await points: a spike built and dropped between two awaits of one synchronous
 *   stretch can be missed. Readers here stream in chunks and await between them, and the bomb cases
 *   hold their limit-sized state across awaits, so what matters is seen.
 * - Garbage not yet collected counts, so the measure errs on the side of too much, never too little.
 *   When the process runs with `--expose-gc`, `global.gc()` runs first so the baseline is tight; it is
 *   never forced otherwise.
 * - Not counted: a CPU-bound loop that neither decompresses nor allocates. Readers bound their loops by
 *   the limits (entries, header bytes), which the security tests check by error code.
 */
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { UNPACKED_CHANNEL, type UnpackedMessage } from "../../src/compress/unpacked-channel.ts";

/** One MiB in bytes. */
export const MiB = 1024 * 1024;

/** The limits a bad input must stay within. */
export interface Budget {
  /** Bytes decompressed during the read (reported on {@link UNPACKED_CHANNEL}). */
  unpackedBytes: number;
  /** Largest rise of heapUsed + arrayBuffers during the read, in bytes. */
  bytes: number;
}

/** The issues' budget: under a second of work (64 MiB decompressed), under 64 MB allocated. */
export const BAD_INPUT_BUDGET: Budget = { unpackedBytes: 64 * MiB, bytes: 64 * MiB };

/** What one budgeted run measured. */
export interface BudgetResult {
  /** The value `fn` threw, or undefined when it resolved. */
  error: unknown;
  /** Bytes the codecs produced while `fn` ran. */
  unpackedBytes: number;
  /** Largest rise of heapUsed + arrayBuffers over the lowest earlier sample. */
  bytes: number;
  /** Peak growth of RSS over the baseline (informational only). */
  rssBytes: number;
}

function jsBytes(m: NodeJS.MemoryUsage): number {
  return m.heapUsed + m.arrayBuffers;
}

/** Runs `fn` while counting decompressed bytes and sampling memory; returns what `fn` threw instead of throwing it. */
export async function measureBudget(fn: () => Promise<unknown>): Promise<BudgetResult> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
  let unpacked = 0;
  const count = (message: unknown) => {
    unpacked += (message as UnpackedMessage).bytes;
  };
  const base = process.memoryUsage();
  let lowJs = jsBytes(base);
  let riseJs = 0;
  let peakRss = base.rss;
  const sample = () => {
    const m = process.memoryUsage();
    const js = jsBytes(m);
    lowJs = Math.min(lowJs, js);
    riseJs = Math.max(riseJs, js - lowJs);
    peakRss = Math.max(peakRss, m.rss);
  };
  const timer = setInterval(sample, 1);
  diagnosticsChannel.subscribe(UNPACKED_CHANNEL, count);
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  } finally {
    diagnosticsChannel.unsubscribe(UNPACKED_CHANNEL, count);
    clearInterval(timer);
  }
  sample();
  return { error, unpackedBytes: unpacked, bytes: riseJs, rssBytes: peakRss - base.rss };
}

/**
 * Runs the async read `fn`, asserts it stayed within `budget` (decompressed bytes and memory, see the file
 * comment), and returns what it threw (undefined if it resolved) so the caller can assert the exact error code.
 */
export async function expectWithinBudget(
  fn: () => Promise<unknown>,
  budget: Budget = BAD_INPUT_BUDGET,
  label = "",
): Promise<unknown> {
  const r = await measureBudget(fn);
  const what = label === "" ? "" : `${label}: `;
  assert.ok(
    r.unpackedBytes <= budget.unpackedBytes,
    `${what}decompressed ${(r.unpackedBytes / MiB).toFixed(1)} MiB (budget ${(budget.unpackedBytes / MiB).toFixed(1)} MiB)`,
  );
  assert.ok(
    r.bytes < budget.bytes,
    `${what}allocated ${(r.bytes / MiB).toFixed(1)} MiB (budget ${(budget.bytes / MiB).toFixed(1)} MiB; RSS grew ${(r.rssBytes / MiB).toFixed(1)} MiB)`,
  );
  return r.error;
}
