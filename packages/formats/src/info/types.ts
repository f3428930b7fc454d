/**
 * PackageInfo: what every reader returns, and what repository indexes are built from, so that no
 * package is read twice. Metadata is already in format-neutral shape; `raw` keeps what indexes need
 * verbatim.
 */
import type { Digests } from "../hash/hasher.ts";
import type {
  Arch,
  EntryFlags,
  EntryType,
  Principal,
  RelationGroup,
  Relations,
  ScriptKind,
  Version,
} from "../spec/types.ts";

export type FormatId = "deb" | "rpm" | "archlinux" | "apk" | "macos" | "tarball";

/** Digests as lowercase hex (defined with the hasher that makes them). */
export type { Digests };

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
  | {
      format: "rpm";
      headerStart: number;
      headerEnd: number;
      headerSha256: string;
      /** SOURCERPM: the source package's file name (`hello-1.0-1.src.rpm`); absent in a source rpm. */
      sourcerpm?: string;
      /** BUILDHOST as rpmbuild recorded it. */
      buildhost?: string;
      /** Size of the uncompressed payload (cpio archive) in bytes (LONGARCHIVESIZE/PAYLOADSIZE/ARCHIVESIZE). */
      archiveSize?: number;
      /** Every dependency list exactly as the header has it, for RPM-MD indexes (rpmlib() and config() kept). */
      dependencies: RpmDependencies;
    }
  | { format: "apk"; controlSha1: string; datahash: string; pkginfo: string }
  | {
      format: "archlinux";
      pkginfo: string;
      /** The detached `.sig` bytes the caller passed (ReadContext.detachedSignature), for `%PGPSIG%`. */
      signature?: Uint8Array;
    }
  | { format: "macos"; toc: string }
  | { format: "tarball"; container: "tar" | "zip"; compression: string };

/** The scriptlet phases an rpm requirement is needed in (`Requires(pre,postun): foo`). */
export type RpmPhase = "pre" | "post" | "preun" | "postun" | "pretrans" | "posttrans" | "verify" | "interp";

/** One rpm dependency as the header stores it: name, sense flags and `[epoch:]version[-release]`. */
export interface RpmDependency {
  name: string;
  /** The raw RPMSENSE flags word (comparison bits, phases, rpmlib, config, ...). */
  flags: number;
  /** The version string as stored, empty when unversioned. */
  version: string;
  /** The scriptlet phases named by `flags` (empty for a plain requirement). */
  phases: RpmPhase[];
}

/** rpm's dependency lists, verbatim. */
export interface RpmDependencies {
  requires: RpmDependency[];
  provides: RpmDependency[];
  conflicts: RpmDependency[];
  obsoletes: RpmDependency[];
  recommends: RpmDependency[];
  suggests: RpmDependency[];
  supplements: RpmDependency[];
  enhances: RpmDependency[];
}

/** One changelog entry as a package records it (newest first). */
export interface ChangelogInfo {
  /** `Name <email>` as recorded (rpm: the name part of CHANGELOGNAME, before ` - version`). */
  author: string;
  /** Seconds since the epoch. */
  date: number;
  /** The version the entry is for, when the format records one. */
  version?: string;
  /** The entry's text as recorded (rpm CHANGELOGTEXT, the body lines of a debian/changelog entry). */
  text: string;
}

/** Relations as read from a package: the spec's kinds plus rpm's `supplements`. */
export type InfoRelations = Relations & { supplements?: RelationGroup[] };

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
  relations: InfoRelations;
  /** Changelog entries, newest first (deb, rpm, Arch; empty when the package has none). */
  changelog?: ChangelogInfo[];
  files: FileInfo[];
  scripts: { [K in ScriptKind]?: { interpreter?: string; body: string } };
  signatures: SignatureInfo[];
  /** The artifact itself. */
  artifact: { size: number; digests: Required<Pick<Digests, "md5" | "sha1" | "sha256" | "sha512">> };
  raw: RawInfo;
}
