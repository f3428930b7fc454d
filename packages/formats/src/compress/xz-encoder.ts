/**
 * xz writing through the optional dependency `@napi-rs/lzma`, loaded on first use. Without it, choosing
 * xz fails with SpecError OPTIONAL_DEPENDENCY_MISSING instead of an import crash.
 *
 * Two generations of that package exist: >= 1.5 (lzma-rust2) has a streaming `XzCompressor` with presets
 * 0..9; 1.4.x (lzma-rs) only has a whole-buffer `xz.compress` that ignores any level and emits stored
 * (uncompressed) LZMA2 chunks — valid xz that every decoder reads, but no smaller than the input.
 */
import { SpecError } from "../errors.ts";

export const XZ_PACKAGE = "@napi-rs/lzma";

interface XzCompressorLike {
  update(chunk: Uint8Array): Uint8Array;
  finish(): Promise<Uint8Array>;
}

interface LzmaModule {
  XzCompressor?: new (options?: { preset?: number }) => XzCompressorLike;
  xz: { compress(input: Uint8Array): Promise<Uint8Array> };
}

/** What an xz encoder can do: a streaming compressor with presets, or only whole buffers. */
export type XzEncoder =
  | { kind: "streaming"; create(preset: number): XzCompressorLike }
  | { kind: "buffer"; compress(input: Uint8Array): Promise<Uint8Array> };

let loaded: Promise<XzEncoder> | undefined;

/** Loads the optional xz encoder once; throws SpecError OPTIONAL_DEPENDENCY_MISSING when absent. */
export function loadXzEncoder(field = "compression"): Promise<XzEncoder> {
  loaded ??= import(XZ_PACKAGE).then(
    (mod: LzmaModule & { default?: LzmaModule }) => {
      const m: LzmaModule = mod.xz === undefined && mod.default !== undefined ? mod.default : mod;
      const Ctor = m.XzCompressor;
      if (Ctor !== undefined) return { kind: "streaming", create: (preset: number) => new Ctor({ preset }) };
      return { kind: "buffer", compress: (input: Uint8Array) => m.xz.compress(input) };
    },
    (cause: unknown) => {
      loaded = undefined;
      throw new SpecError(
        "OPTIONAL_DEPENDENCY_MISSING",
        `${field}: xz output needs the optional package ${XZ_PACKAGE}, which could not be loaded; install it with \`npm install ${XZ_PACKAGE}\` or choose gzip or zstd`,
        { field, expected: XZ_PACKAGE, found: "not installed" },
        { cause },
      );
    },
  );
  return loaded;
}
