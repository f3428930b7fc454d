/**
 * PackageSpec: the one description of a package that every format writer consumes. Format-specific
 * options (DebOptions, RpmOptions, ...) sit beside it and never widen it.
 */

/** A re-openable byte stream of known size. Content is never held: `open()` may be called many times. */
export interface ByteSource {
  readonly size: number;
  /** Yields the bytes from `start` (default 0) to `end` (exclusive, default size). */
  open(range?: { start: number; end: number }): AsyncIterable<Uint8Array>;
}

/** A version as packyard models it; each format renders it in its own syntax. */
export interface Version {
  epoch?: number;
  /** The upstream part, e.g. `1.2.3`. Never empty. */
  upstream: string;
  /** Semver prerelease without the dash, e.g. `rc.1`. */
  prerelease?: string;
  /** Semver build metadata without the plus, e.g. `git.abc123`. */
  metadata?: string;
  /** Packaging revision: deb revision, rpm release, Arch pkgrel, apk `-rN`. */
  release?: string;
}

/** Canonical architecture vocabulary. `all` means architecture-independent. */
export const ARCHES = [
  "amd64",
  "arm64",
  "armv7",
  "armv6",
  "armv5",
  "i386",
  "ppc64le",
  "s390x",
  "riscv64",
  "loong64",
  "mips64le",
  "all",
] as const;
export type Arch = (typeof ARCHES)[number];

export type RelationOp = "<" | "<=" | "=" | ">=" | ">";

/** One package named in a relation, optionally versioned. */
export interface Relation {
  /**
   * The package or capability name. A name starting with `(` is an rpm rich (boolean) dependency, the
   * whole expression verbatim (`(bash >= 4.4 or fish)`, `(a if b)`): it has no op or version of its own,
   * stands alone in its group, and only rpm writes it (the other formats refuse it).
   */
  name: string;
  op?: RelationOp;
  version?: string;
  /** Debian multiarch qualifier such as `any` or `native` (`foo:any`). */
  archQualifier?: string;
  /** Free text shown to users, e.g. Arch optdepends `name: description`. */
  description?: string;
}

/** Alternatives: the group is satisfied when any one relation is (`a | b`). */
export type RelationGroup = Relation[];

export const RELATION_KINDS = [
  "depends",
  "preDepends",
  "recommends",
  "suggests",
  "enhances",
  "conflicts",
  "breaks",
  "replaces",
  "provides",
] as const;
export type RelationKind = (typeof RELATION_KINDS)[number];
export type Relations = { [K in RelationKind]?: RelationGroup[] };

/** A user or group, by name and numeric id (root/0 by default). */
export interface Principal {
  name: string;
  id: number;
}

/** Per-entry flags, following nfpm's `type:` values and rpm's file flags. */
export interface EntryFlags {
  /** A configuration file the package manager protects (deb conffiles, rpm %config, Arch backup). */
  config?: boolean;
  /** With `config`: do not replace a modified file on upgrade (rpm %config(noreplace)). */
  noreplace?: boolean;
  /** With `config`: a missing file is not an error (rpm %config(missingok)). */
  missingok?: boolean;
  doc?: boolean;
  license?: boolean;
  /** Owned but not shipped (rpm %ghost); other formats skip it. */
  ghost?: boolean;
}

interface EntryBase {
  /** Absolute destination path, normalised: starts with `/`, no `.`/`..` segments, no trailing `/`. */
  path: string;
  /** Permission bits including setuid/setgid/sticky (0o7777); the type lives in `type`. */
  mode: number;
  owner: Principal;
  group: Principal;
  /** Seconds since the epoch; defaults to the spec's `date`. */
  mtime?: number;
  flags?: EntryFlags;
  /** rpm `%lang` of this file. */
  lang?: string;
}

export interface FileEntry extends EntryBase {
  type: "file";
  content: ByteSource;
}
export interface DirEntry extends EntryBase {
  type: "dir";
}
export interface SymlinkEntry extends EntryBase {
  type: "symlink";
  /** Link target exactly as stored (relative or absolute). */
  target: string;
}
export interface HardlinkEntry extends EntryBase {
  type: "hardlink";
  /** Absolute path of another `file` entry of this package that this one shares content with. */
  target: string;
}
export type Entry = FileEntry | DirEntry | SymlinkEntry | HardlinkEntry;
export type EntryType = Entry["type"];

/** A maintainer script. `interpreter` defaults to `/bin/sh` where a format needs one. */
export interface Script {
  interpreter?: string;
  body: string;
}

export const SCRIPT_KINDS = [
  "preinstall",
  "postinstall",
  "preremove",
  "postremove",
  "preupgrade",
  "postupgrade",
  "pretrans",
  "posttrans",
  "verify",
  "trigger",
] as const;
export type ScriptKind = (typeof SCRIPT_KINDS)[number];
export type Scripts = { [K in ScriptKind]?: Script };

/** One changelog entry, newest first in `PackageSpec.changelog`. */
export interface ChangelogEntry {
  /** Version string as the user wrote it (semver-like). */
  version: string;
  /** Seconds since the epoch. */
  date: number;
  /** `Name <email>`. */
  author: string;
  changes: string[];
}

/** The format-independent description of one package. */
export interface PackageSpec {
  name: string;
  version: Version;
  arch: Arch;
  /** Build date in seconds since the epoch (SOURCE_DATE_EPOCH at the CLI edge); default entry mtime. */
  date: number;
  /** `Name <email>`. */
  maintainer?: string;
  /** One-line summary; defaults to the first line of `description`. */
  summary?: string;
  /** Long description; first line is the summary when `summary` is absent. */
  description?: string;
  license?: string;
  homepage?: string;
  vendor?: string;
  /** Debian section / rpm group / pacman group. */
  section?: string;
  priority?: string;
  relations: Relations;
  entries: Entry[];
  scripts: Scripts;
  changelog: ChangelogEntry[];
}

/** Root/0: the default owner and group of every entry. */
export const ROOT: Principal = Object.freeze({ name: "root", id: 0 });
