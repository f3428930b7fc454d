/** Options of the Arch Linux writer: nfpm's `archlinux:` block plus packyard's compression and signature. */
import type { CompressionSetting } from "../compress/compression.ts";
import type { Script } from "../spec/types.ts";

/** Where the detached signing key comes from (the CLI loads it and calls `detachedSignature`). */
export interface ArchlinuxSignatureOptions {
  /** Armored or binary OpenPGP secret key file (absolute, resolved against the config's folder). */
  keyFile?: string;
  /** 16-hex key id of the (sub)key to sign with, when the key file holds several. */
  keyId?: string;
}

export interface ArchlinuxOptions {
  /** pacman architecture written verbatim (nfpm `archlinux.arch`), instead of mapping `spec.arch`. */
  arch?: string;
  /** `pkgbase` in .PKGINFO; defaults to the package name. */
  pkgbase?: string;
  /** `packager` in .PKGINFO; defaults to the spec's maintainer, then `Unknown Packager` (makepkg's default). */
  packager?: string;
  /** Arch-only upgrade scripts (nfpm `archlinux.scripts`); they override `spec.scripts.preupgrade/postupgrade`. */
  scripts?: { preupgrade?: Script; postupgrade?: Script };
  /**
   * Paths of nfpm's `archlinux.scripts` files as parsed from packyard.yml (absolute). The writer never reads
   * files: the config loader reads them into `spec.scripts` (a library caller may fill `scripts` instead).
   */
  scriptFiles?: { preupgrade?: string; postupgrade?: string };
  /**
   * Default zstd level 3 (makepkg's `zstd -c -z -q -`), one stream; gzip, xz and none also work with
   * pacman. gzip without a framing is written in 2 MiB members (libarchive reads them all), `framing:
   * false` (`gzip:6/stream`) gives one stream; zstd and xz frames only on request (`zstd:3/8MiB`).
   */
  compression?: CompressionSetting;
  signature?: ArchlinuxSignatureOptions;
}
