/**
 * PackageInfo: what every reader returns, and what repository indexes are built from, so that no
 * package is read twice. Metadata is already in format-neutral shape; `raw` keeps what indexes need
 * verbatim.
 */
import type {
  Arch,
  EntryFlags,
  EntryType,
  Principal,
  Relations,
  ScriptKind,
  Version,
} from "../spec/types.ts";

export type FormatId = "deb" | "rpm" | "archlinux" | "apk" | "macos" | "tarball";

/** Digests as lowercase hex. */
export interface Digests {
  md5?: string;
  sha1?: string;
  sha256?: string;
  sha512?: string;
}

export interface FileInfo {
  /** Absolute path as installed (`/usr/bin/foo`). */
  path: string;
  type: EntryType | "char" | "block" | "fifo";
  mode: number;
  owner: Principal;
  group: Principal;
  size: number;
  mtime: number;
  /** Symlink or hardlink target. */
  target?: string;
  digests: Digests;
  flags?: EntryFlags;
  lang?: string;
}

export interface SignatureInfo {
  kind: "openpgp" | "rsa" | "x509";
  /** Where the signature sits, e.g. `_gpgorigin`, `rpm:RSAHEADER`, `.sig`, `.SIGN.RSA256.key.rsa.pub`. */
  location: string;
  keyId?: string;
  fingerprint?: string;
  hash?: string;
  /** `true`/`false` when checked against given keys; `undefined` when no key was given. */
  verified?: boolean;
}

export type RawInfo =
  | { format: "deb"; control: string; members: string[] }
  | { format: "rpm"; headerStart: number; headerEnd: number; headerSha256: string }
  | { format: "apk"; controlSha1: string; datahash: string; pkginfo: string }
  | { format: "archlinux"; pkginfo: string }
  | { format: "macos"; toc: string }
  | { format: "tarball"; container: "tar" | "zip"; compression: string };

/** Everything a reader learned about one artifact. */
export interface PackageInfo {
  format: FormatId;
  name: string;
  /** The version exactly as the format spells it (`1:1.2~rc1-1`, `1.2-1`, ...). */
  versionString: string;
  /** Best-effort structured version. */
  version: Version;
  /** The format's own architecture name (`amd64`, `x86_64`, `noarch`, ...). */
  archString: string;
  arch?: Arch;
  maintainer?: string;
  summary?: string;
  description?: string;
  license?: string;
  homepage?: string;
  vendor?: string;
  section?: string;
  priority?: string;
  /** Sum of file sizes as the format reports it (bytes). */
  installedSize?: number;
  buildDate?: number;
  relations: Relations;
  files: FileInfo[];
  scripts: { [K in ScriptKind]?: { interpreter?: string; body: string } };
  signatures: SignatureInfo[];
  /** The artifact itself. */
  artifact: { size: number; digests: Required<Pick<Digests, "md5" | "sha1" | "sha256" | "sha512">> };
  raw: RawInfo;
}
