/**
 * RpmOptions: everything rpm-specific passed beside the PackageSpec (the `rpm:` block of packyard.yml
 * parses into it, config.ts).
 */
import type { Compression, CompressionSetting } from "../compress/compression.ts";
import type { RelationGroup } from "../spec/types.ts";

/** Scriptlet phases a `Requires(phase)` may name. */
export const REQUIRE_PHASES = ["pre", "post", "preun", "postun", "pretrans", "posttrans"] as const;
export type RequirePhase = (typeof REQUIRE_PHASES)[number];

/** rpm's legacy `.lzma` payload (LZMA_alone, PAYLOADCOMPRESSOR `lzma`, nfpm's `lzma`), xz preset 0..9, default 6. */
export interface LzmaCompression {
  algo: "lzma";
  level?: number;
}

/**
 * An rpm payload compression: the shared {@link CompressionSetting} (gzip, zstd, xz), or rpm's legacy
 * {@link LzmaCompression}. `lzma` is rpm's alone, so it stays out of the shared type. gzip without a
 * framing is written in 2 MiB members (rpm reads them all); `framing: false` (`gzip:6/stream`) gives one
 * stream; zstd may be framed on request (`zstd:3/8MiB`), xz and lzma never (rpm reads one xz stream).
 */
export type RpmCompression = CompressionSetting | LzmaCompression;

/** What the payload writer compresses with: {@link RpmCompression} after the default framing was applied. */
export type RpmPayloadCompression = Compression | LzmaCompression;

export interface RpmOptions {
  /** rpm arch string written verbatim (overrides the mapping of `spec.arch`). */
  arch?: string;
  /** Overrides the summary (default: spec.summary, else the first line of the description). */
  summary?: string;
  /** GROUP tag (default: spec.section, else `Unspecified`). */
  group?: string;
  /** PACKAGER tag (default: spec.maintainer). */
  packager?: string;
  /** BUILDHOST tag; never the machine's hostname. Default `localhost`. */
  buildhost?: string;
  /**
   * Payload compression: gzip (default, level 6; 2 MiB members unless `framing: false`), zstd, xz, or the
   * legacy lzma; xz and lzma need lzma-native.
   */
  compression?: RpmCompression;
  /**
   * Relocation prefixes (PREFIXES): files under one of them move with `rpm -i --prefix`/`--relocate`; files
   * outside every prefix are allowed, as rpmbuild allows them, and install where they are.
   */
  prefixes?: string[];
  /** `Requires(pre)` etc.: dependencies needed while a scriptlet runs. */
  requires?: { [P in RequirePhase]?: RelationGroup[] };
  /** Supplements (reverse weak dependency); no PackageSpec counterpart. */
  supplements?: RelationGroup[];
  /** Script files named by the config's `rpm.scripts`, as written (relative to the config); the loader reads them into spec.scripts. */
  scriptFiles?: { pretrans?: string; posttrans?: string; verify?: string };
  /** Where the signing key comes from (the CLI loads it and passes a Signer in the WriteContext). */
  signature?: { keyFile?: string; keyId?: string };
  /**
   * Also write the legacy header+payload signature (tag 1002/1005) that RHEL 7-era yum wanted. Off by
   * default: rpm ≥ 4.16 no longer adds it, and it needs the payload in memory while signing.
   */
  legacySignature?: boolean;
  /** Leave RESERVEDSPACE (4128 bytes) so a signature can be added later without rewriting. Default true. */
  reserveSignatureSpace?: boolean;
  /** Package format version; only 4 is written. */
  format?: 4;
}
