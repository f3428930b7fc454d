/** Options of the deb format, passed beside the spec (never inside it). */
import type { CompressionSetting } from "../compress/compression.ts";
import type { RelationGroup } from "../spec/types.ts";

/** Trigger directives written to the `triggers` control file (deb-triggers(5)). */
export interface DebTriggers {
  interest?: string[];
  interestAwait?: string[];
  interestNoawait?: string[];
  activate?: string[];
  activateAwait?: string[];
  activateNoawait?: string[];
}

/** Where the debsigs signature goes: `_gpgorigin` (default), `_gpgmaint` or `_gpgarchive`. */
export type DebSignatureType = "origin" | "maint" | "archive";

/** `Multi-Arch` values (deb-control(5)). */
export type DebMultiArch = "no" | "same" | "foreign" | "allowed";

export interface DebOptions {
  /**
   * data.tar compression. Default gzip level 9 (dpkg-deb's and nfpm's default). gzip without a framing is
   * written in 2 MiB members (dpkg reads them all); `framing: false` (`gzip:9/stream`) gives one stream,
   * for data.tar and control.tar. control.tar is always gzip. zstd and xz are one stream (dpkg reads only
   * their first frame).
   */
  compression?: CompressionSetting;
  /** Raw Debian architecture overriding the mapped one (nfpm `deb.arch`), e.g. `armhf` or `hurd-i386`. */
  arch?: string;
  /** `Architecture-Variant` (nfpm `arch_variant`), e.g. `amd64v3`. */
  archVariant?: string;
  /** Added to the spec's `breaks` (nfpm `deb.breaks`). */
  breaks?: RelationGroup[];
  /** Added to the spec's `preDepends` (nfpm `deb.predepends`). */
  preDepends?: RelationGroup[];
  triggers?: DebTriggers;
  /** Extra control fields, written after the standard ones and before Description; empty values are skipped. */
  fields?: Record<string, string>;
  multiArch?: DebMultiArch;
  /** Signature member type (nfpm `signature.type`); the key comes from the write context's signer. */
  signatureType?: DebSignatureType;
  /** nfpm `signature:` block: the CLI loads `keyFile` (relative to the config) into the write context's signer. */
  signature?: { keyFile?: string; keyId?: string; type?: DebSignatureType };
  /** debconf files (nfpm `scripts.templates` / `scripts.config`): paths as written, read by the block's resolve step. */
  debconfFiles?: { templates?: string; config?: string };
  /** debconf `templates` (0644) and `config` (0755) control files. */
  debconf?: { templates?: Uint8Array; config?: Uint8Array };
  /**
   * Generate `/usr/share/doc/<name>/copyright` and `changelog.Debian.gz` when the spec ships none
   * (default true: what lintian requires of every package).
   */
  generateDocs?: boolean;
}
