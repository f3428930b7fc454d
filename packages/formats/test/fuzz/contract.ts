/**
 * The contract every reader keeps on any input: `readPackage` returns PackageInfo or throws one of
 * packyard's typed errors (isPackyardError) with a string `code` — never a TypeError, RangeError or any
 * other untyped error. Reads run under {@link FUZZ_LIMITS}, so a bomb stops at a limit and its cost is
 * bounded; the work each read does is counted as the bytes the codecs decompressed (the
 * `packyard:unpacked` channel, compress/unpacked-channel.ts).
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { chunkedSource } from "@packyard/testkit/chunked";
import { readPackage } from "../../src/api.ts";
import type { ByteSource } from "../../src/spec/types.ts";
import { UNPACKED_CHANNEL, type UnpackedMessage } from "../../src/compress/unpacked-channel.ts";
import { isPackyardError } from "../../src/errors.ts";
import type { ReadLimits } from "../../src/limits.ts";

const MiB = 1024 * 1024;

/**
 * The limits the fuzzer reads with: the defaults are sized for real packages (64 GiB decompressed), under
 * which a 1 GiB bomb is a valid package whose read rightly takes seconds; these make every bomb a limit.
 */
export const FUZZ_LIMITS: ReadLimits = Object.freeze({
  maxUnpackedBytes: 32 * MiB,
  maxHeaderBytes: 4 * MiB,
  maxEntries: 100_000,
});

/**
 * Tighter limits for the sample in `npm test`: the same inputs stop sooner, so two thousand cases per
 * format fit the suite's time; the long run (`npm run fuzz`) uses {@link FUZZ_LIMITS}.
 */
export const SAMPLE_LIMITS: ReadLimits = Object.freeze({
  maxUnpackedBytes: 2 * MiB,
  maxHeaderBytes: 512 * 1024,
  maxEntries: 2_000,
});

/** The limit sets by name: `fuzz` for `npm run fuzz`, `sample` for the sample in `npm test`. */
export const LIMIT_SETS = { fuzz: FUZZ_LIMITS, sample: SAMPLE_LIMITS } as const;
export type LimitSet = keyof typeof LIMIT_SETS;

/** Most bytes one read may decompress (the bad-input budget of test/support/budget.ts). */
export const FUZZ_WORK_BUDGET = 64 * MiB;

/** What one read did: returned, threw a typed error, or broke the contract by throwing something else. */
export type Outcome =
  | { kind: "info"; files: number }
  | { kind: "typed"; code: string }
  | { kind: "untyped"; name: string; message: string; stack: string };

/** One read's outcome and its counted work. */
export interface ReadResult {
  outcome: Outcome;
  /** Bytes decompressed during the read. */
  unpackedBytes: number;
}

/** `bytes` as a source fed to the reader in `chunk`-byte pieces (0: the whole input as one piece). */
export function fuzzSource(bytes: Uint8Array, chunk: number): ByteSource {
  return chunkedSource(bytes, chunk > 0 ? chunk : Math.max(1, bytes.length));
}

/** Classifies what a read threw. */
export function classify(e: unknown): Outcome {
  if (isPackyardError(e) && typeof e.code === "string" && e.code.length > 0)
    return { kind: "typed", code: e.code };
  const err = e instanceof Error ? e : undefined;
  return {
    kind: "untyped",
    name: err?.name ?? typeof e,
    message: err?.message ?? String(e),
    stack: (err?.stack ?? "").split("\n").slice(0, 12).join("\n"),
  };
}

/**
 * Reads `bytes` as `fileName` with readPackage under `limits` (and public keys or a detached signature when
 * given), counting decompressed bytes.
 */
export async function readUnderContract(
  bytes: Uint8Array,
  fileName: string,
  chunk = 0,
  limits: ReadLimits = FUZZ_LIMITS,
  extra: { publicKeys?: string[]; detachedSignature?: Uint8Array } = {},
): Promise<ReadResult> {
  let unpacked = 0;
  const count = (message: unknown) => {
    unpacked += (message as UnpackedMessage).bytes;
  };
  diagnosticsChannel.subscribe(UNPACKED_CHANNEL, count);
  try {
    const info = await readPackage(fuzzSource(bytes, chunk), fileName, { ...extra, limits });
    return { outcome: { kind: "info", files: info.files.length }, unpackedBytes: unpacked };
  } catch (e) {
    return { outcome: classify(e), unpackedBytes: unpacked };
  } finally {
    diagnosticsChannel.unsubscribe(UNPACKED_CHANNEL, count);
  }
}
