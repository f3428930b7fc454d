/**
 * The optional dependency `lzma-native` (liblzma through N-API, with prebuilds for linux, darwin and
 * win32), loaded on first use. It writes xz and rpm's legacy `.lzma` (LZMA_alone), reads the xz streams
 * that xz-decompress cannot (SHA-256 checks, which rpmbuild writes), and reads `.lzma`. It is CommonJS, so it is loaded with `require`; tests replace the loader
 * with {@link setLzmaNativeLoader} instead of uninstalling the package.
 */
import { createRequire } from "node:module";
import type { Transform } from "node:stream";
import { SpecError } from "../errors.ts";

export const XZ_PACKAGE = "lzma-native";

/** The part of lzma-native packyard uses: its generic stream factory and two constants. */
export interface LzmaNative {
  createStream(
    coder: "streamEncoder",
    options: { filters: Array<{ id: string; options: { preset: number } }>; check: number },
  ): Transform;
  createStream(coder: "streamDecoder", options: { memlimit: number; synchronous: boolean }): Transform;
  /** LZMA_alone (`.lzma`) encoder at an xz preset: liblzma's lzma_alone_encoder, as `xz --format=lzma`. */
  createStream(coder: "aloneEncoder", options: { preset: number }): Transform;
  createStream(coder: "aloneDecoder", options: { memlimit: number; synchronous: boolean }): Transform;
  FILTER_LZMA2: string;
  CHECK_CRC64: number;
}

/** Returns the loaded module (what `require("lzma-native")` returns) or throws. */
export type LzmaNativeLoader = () => unknown;

const requireLzmaNative: LzmaNativeLoader = () => createRequire(import.meta.url)(XZ_PACKAGE);

let loader: LzmaNativeLoader = requireLzmaNative;
let cached: { module: LzmaNative } | { failure: unknown } | undefined;

function isLzmaNative(m: unknown): m is LzmaNative {
  const o = m as Partial<LzmaNative> | null;
  return (
    typeof o?.createStream === "function" &&
    typeof o.FILTER_LZMA2 === "string" &&
    typeof o.CHECK_CRC64 === "number"
  );
}

function load(): { module: LzmaNative } | { failure: unknown } {
  if (cached !== undefined) return cached;
  try {
    const m = loader();
    cached = isLzmaNative(m)
      ? { module: m }
      : { failure: new TypeError(`${XZ_PACKAGE} loaded, but without createStream/FILTER_LZMA2/CHECK_CRC64`) };
  } catch (failure) {
    cached = { failure };
  }
  return cached;
}

/**
 * Replaces how lzma-native is loaded (tests simulate a missing package with a throwing loader); without an
 * argument, restores `require`. Clears the cached result either way.
 */
export function setLzmaNativeLoader(next?: LzmaNativeLoader): void {
  loader = next ?? requireLzmaNative;
  cached = undefined;
}

/** lzma-native when it can be loaded, otherwise undefined (readers then fall back to xz-decompress). */
export function tryLoadLzmaNative(): LzmaNative | undefined {
  const r = load();
  return "module" in r ? r.module : undefined;
}

/**
 * lzma-native, or SpecError OPTIONAL_DEPENDENCY_MISSING naming the package and how to install it; `algo`
 * (`xz`, or rpm's `lzma`) names the output that needs it.
 */
export function loadLzmaNative(field = "compression", algo: "xz" | "lzma" = "xz"): LzmaNative {
  const r = load();
  if ("module" in r) return r.module;
  const reason = r.failure instanceof Error ? r.failure.message.split("\n")[0] : String(r.failure);
  throw new SpecError(
    "OPTIONAL_DEPENDENCY_MISSING",
    `${field}: ${algo} output needs the optional package ${XZ_PACKAGE}, which could not be loaded (${reason}); install it with \`npm install ${XZ_PACKAGE}\` or choose gzip or zstd`,
    { field, expected: XZ_PACKAGE, found: "not loadable" },
    { cause: r.failure },
  );
}
