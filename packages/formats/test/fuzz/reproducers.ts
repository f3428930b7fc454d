/**
 * Reproducers: every contract violation the fuzzer finds is kept as `reproducers/<format>-<hash>.<ext>`
 * (the input, named so readPackage recognises it) with a JSON sidecar `<format>-<hash>.json` saying how
 * it was made (seed package, run seed and case index, mutations, chunk size) and what happened.
 * reproducers.test.ts reads every one and asserts the contract, so each fixed bug keeps a regression test.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AppliedMutation, FuzzCase } from "./cases.ts";
import type { LimitSet, Outcome } from "./contract.ts";
import type { FuzzFormat } from "./seeds.ts";

/** The folder of reproducers (test/fuzz/reproducers/). */
export const REPRODUCERS_DIR = new URL("./reproducers/", import.meta.url).pathname;

/** What broke the contract. */
export type ViolationKind = "untyped" | "slow" | "memory" | "crash" | "hang" | "work";

/** A violation as the sidecar records it. */
export interface Violation {
  kind: ViolationKind;
  /** One line: the error (untyped), the time, RSS, bytes or exit status that broke the contract. */
  detail: string;
  /** For untyped errors: the outcome with its stack. */
  outcome?: Outcome;
  ms?: number;
  rssMiB?: number;
  unpackedBytes?: number;
}

/** The sidecar of one reproducer. */
export interface Sidecar {
  format: FuzzFormat;
  /** Name readPackage is given (the seed's file name). */
  fileName: string;
  /** The reproducer's own file name in reproducers/. */
  file: string;
  seed: string;
  runSeed: string;
  index: number;
  chunk: number;
  /** Read with the fuzz public keys. */
  keys?: boolean;
  /** The limits it was read under when not FUZZ_LIMITS (a case of the sample in npm test). */
  limits?: LimitSet;
  /** The detached signature the reader was given, base64. */
  detachedSignature?: string;
  mutations: AppliedMutation[];
  violation: Violation;
  /** Short key grouping violations with the same cause (kind, error, first frame in src/). */
  signature: string;
  /**
   * Size of the case as the mutations made it, when the kept input is a reduced one (cut and cleared
   * down to the smallest input that still breaks the contract the same way).
   */
  minimizedFrom?: number;
  /** What was done about it (the fix's commit subject), once fixed. */
  fixed?: string;
}

/** The extension a reproducer keeps so readPackage sniffs it as its seed was. */
export function extensionOf(fileName: string): string {
  const m =
    /\.(pkg\.tar\.(?:zst|xz|gz|bz2)|pkg\.tar|tar\.(?:gz|xz|zst|bz2)|tgz|tar|zip|deb|rpm|apk|pkg)$/.exec(
      fileName,
    );
  return m?.[1] ?? "bin";
}

/**
 * The cause of a violation as a short key: kind, error name, message with numbers and quoted text
 * blanked, and the first stack frame inside packages/formats/src. Violations with one key are one bug.
 */
export function signatureOf(format: FuzzFormat, v: Violation): string {
  if (v.kind !== "untyped" || v.outcome?.kind !== "untyped") return `${format}:${v.kind}`;
  const o = v.outcome;
  const message = o.message
    .replace(/"[^"]*"|'[^']*'/g, "S")
    .replace(/0x[0-9a-f]+|\d+/gi, "N")
    .slice(0, 80);
  const frame = o.stack
    .split("\n")
    .find((l) => l.includes("/src/"))
    ?.replace(/^.*\/src\//, "")
    .replace(/:\d+\)?$/, "");
  return `${format}:untyped:${o.name}:${message}@${frame ?? "?"}`;
}

/** Every reproducer's sidecar, sorted by file name. */
export function listReproducers(): Sidecar[] {
  if (!existsSync(REPRODUCERS_DIR)) return [];
  return readdirSync(REPRODUCERS_DIR)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => JSON.parse(readFileSync(REPRODUCERS_DIR + n, "utf8")) as Sidecar);
}

/** What the reader of a reproducer is given besides its bytes: keys and a detached signature, as recorded. */
export function sidecarCase(s: Sidecar): { keys: boolean; detached?: Uint8Array } {
  return {
    keys: s.keys === true,
    ...(s.detachedSignature !== undefined
      ? { detached: new Uint8Array(Buffer.from(s.detachedSignature, "base64")) }
      : {}),
  };
}

/** The bytes of a reproducer. */
export function reproducerBytes(s: Sidecar): Uint8Array {
  return new Uint8Array(readFileSync(REPRODUCERS_DIR + s.file));
}

/**
 * Writes `c` (or `reduced`, a smaller input that fails the same way) and its sidecar; returns the sidecar.
 */
export function writeReproducer(
  c: FuzzCase,
  found: Violation,
  reduced?: Uint8Array,
  limits: LimitSet = "fuzz",
): Sidecar {
  mkdirSync(REPRODUCERS_DIR, { recursive: true });
  // stack frames without this machine's checkout path
  const violation =
    found.outcome?.kind === "untyped"
      ? {
          ...found,
          outcome: {
            ...found.outcome,
            stack: found.outcome.stack.replace(
              /(\(|at |async )(file:\/\/)?\/[^()\s]*?\/(packages|node_modules)\//g,
              "$1$3/",
            ),
          },
        }
      : found;
  const bytes = reduced ?? c.bytes;
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 12);
  const base = `${c.format}-${hash}`;
  const file = `${base}.${extensionOf(c.fileName)}`;
  const sidecar: Sidecar = {
    format: c.format,
    fileName: c.fileName,
    file,
    seed: c.seed,
    runSeed: c.runSeed,
    index: c.index,
    chunk: c.chunk,
    mutations: c.mutations,
    violation,
    signature: signatureOf(c.format, violation),
  };
  if (c.keys) sidecar.keys = true;
  if (limits !== "fuzz") sidecar.limits = limits;
  if (c.detached !== undefined) sidecar.detachedSignature = Buffer.from(c.detached).toString("base64");
  if (reduced !== undefined && reduced.length < c.bytes.length) sidecar.minimizedFrom = c.bytes.length;
  writeFileSync(REPRODUCERS_DIR + file, bytes);
  writeFileSync(`${REPRODUCERS_DIR}${base}.json`, `${JSON.stringify(sidecar, null, 2)}\n`);
  return sidecar;
}
