/**
 * The state of one index root (an APT suite, an RPM-MD directory, a pacman repository/architecture, an
 * APKINDEX directory): every package it serves with what its index needs, the root's persistent identity and
 * settings, the index files its top file lists, and tombstones of blobs awaiting deletion.
 *
 * A state is written immutable and content-addressed (`.packyard/states/<root>/<top sha256>.<state
 * sha256>.json`) before its top file, and records that top file's SHA-256; the root's pointer
 * (`.packyard/roots/<root>.json`) names the current one. After a crash the state whose recorded hash
 * matches the live top file wins, so the next publish continues from what clients see.
 *
 * Schema `packyard-state/2` (written since issue 18): compact JSON whose package records are stored apart,
 * in content-addressed chunk files of a few hundred records (`.packyard/chunks/<root>/<sha256>.json`, cut
 * by the records' own digests, so one package more or less changes one chunk) that the state lists in
 * `chunks`; a publish writes only the chunks that changed and the states that follow share the rest. A
 * chunk is a JSON array with one record a line, each record's index fields (its `deb`, `rpm`, `archlinux`
 * or `alpine` object) last and after a TAB — JSON whitespace, which compact JSON holds nowhere else — so a
 * reader can take a record's other fields without parsing its index fields, which only the index pieces
 * being made need (state-io.ts). Schema `packyard-state/1` (earlier versions) held the records in the
 * state itself, as its `packages` array laid out the same way (or two-space indented, before that): still
 * read, and written as schema 2 at the root's next commit. Times are ISO-8601 UTC strings.
 */
import type { ApkIndexInfo } from "../apkindex/types.ts";
import type { GzipPieceTable } from "../gzip.ts";
import type { PacmanIndexInfo } from "../pacman/types.ts";

/** The schema id this version writes (and reads). */
export const STATE_SCHEMA = "packyard-state/2";

/** The schema id of earlier versions' states (records inline), which this version reads too. */
export const STATE_SCHEMA_V1 = "packyard-state/1";

/** A chunk of a state's package records, as the state lists it (in the records' order). */
export interface StateChunk {
  /** Storage key (`.packyard/chunks/<root>/<sha256 of its bytes>.json`). */
  key: string;
  /** Its size in bytes. */
  size: number;
  /** How many records it holds. */
  count: number;
}

/** Repository families: one folder each under the repository root. */
export type Family = "deb" | "rpm" | "archlinux" | "alpine";

/** Digests of a stored blob, lowercase hex. */
export interface BlobDigests {
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/** One package a root serves. */
export interface PackageRecord {
  /** Package name, version (as the format spells it, epoch included) and architecture (the format's name). */
  name: string;
  version: string;
  arch: string;
  /** APT component (`main`); absent for families without components. */
  component?: string;
  /** Storage key of the package file, relative to the repository root (`deb/pool/main/h/hello/...`). */
  key: string;
  size: number;
  digests: BlobDigests;
  /**
   * What makes two uploads "the same package" (deb: the file's SHA-256; rpm: the main header's SHA-256;
   * apk: control+data members), so re-publishing is a no-op and a different build is a conflict.
   */
  identity: string;
  /** When it was added to this root. */
  added: string;
  /**
   * Its one-line summary as its index fields give it (`""` without one), what install pages list: kept
   * apart so that they do not parse every record's index fields. Absent in records written before it was
   * (see {@link recordSummary}).
   */
  summary?: string;
  /** Index material taken from PackageInfo at publish (never re-read from the package). */
  deb?: DebIndexInfo;
  rpm?: RpmIndexInfo;
  archlinux?: PacmanIndexInfo;
  alpine?: ApkIndexInfo;
  /**
   * pacman: the binary detached signature stored beside the package (`<key>.sig`); pacman fetches it and
   * refuses the package without it.
   */
  signature?: DetachedSignatureRecord;
  /**
   * rpm: the primary fingerprint of the repository key whose signature the stored file carries (absent in
   * states written before it was recorded), so a publish can warn when that key no longer signs the
   * repository and users with gpgcheck=1 could not install the package.
   */
  signedBy?: string;
}

/** A detached signature file kept beside a package file. */
export interface DetachedSignatureRecord {
  /** Storage key (`<package key>.sig`). */
  key: string;
  size: number;
  sha256: string;
  /** The signature bytes, base64 (small: what `%PGPSIG%` embeds when asked). */
  base64: string;
}

/** One dependency entry as RPM-MD lists it (`<rpm:entry name= flags= epoch= ver= rel= pre=>`). */
export interface RpmDepEntry {
  name: string;
  flags?: "EQ" | "LT" | "LE" | "GT" | "GE";
  epoch?: string;
  ver?: string;
  rel?: string;
  /** `pre="1"`: needed by a scriptlet before install (PREREQ, SCRIPT_PRE/POST, PRETRANS, POSTTRANS). */
  pre?: boolean;
}

/** The dependency lists of RPM-MD primary, already filtered as createrepo_c does. */
export interface RpmDepLists {
  provides: RpmDepEntry[];
  requires: RpmDepEntry[];
  conflicts: RpmDepEntry[];
  obsoletes: RpmDepEntry[];
  suggests: RpmDepEntry[];
  enhances: RpmDepEntry[];
  recommends: RpmDepEntry[];
  supplements: RpmDepEntry[];
}

/**
 * What the RPM-MD documents need of an .rpm, taken from PackageInfo when it is published (of the file as
 * stored, i.e. after signing): primary, filelists and other are rebuilt from these records alone.
 * The pkgid is the record's `digests.sha256`, the size its `size`.
 */
export interface RpmIndexInfo {
  name: string;
  arch: string;
  /** `"0"` when the package has no epoch. */
  epoch: string;
  ver: string;
  rel: string;
  summary: string;
  description: string;
  packager: string;
  url: string;
  /** RPMTAG_BUILDTIME (Unix seconds). */
  buildTime: number;
  /** RPMTAG_SIZE. */
  installedSize: number;
  /** Uncompressed payload size. */
  archiveSize: number;
  license: string;
  vendor: string;
  group: string;
  buildhost: string;
  sourcerpm: string;
  /** Byte range of the main header in the stored file (start = 96 + signature header size). */
  headerRange: { start: number; end: number };
  deps: RpmDepLists;
  /** Every path the package owns, sorted as createrepo_c lists them; `dir` and `ghost` typed. */
  files: { path: string; type?: "dir" | "ghost" }[];
  /** Changelog entries, at most the root's limit, in the order other.xml lists them. */
  changelog: { author: string; date: number; text: string }[];
}

/** What the APT indexes need of a .deb: its control stanza verbatim, and its paths when Contents is on. */
export interface DebIndexInfo {
  /** The control file exactly as in the package (ends with a newline). */
  control: string;
  /** Installed paths without the leading `/` (files and symlinks), for Contents-<arch>; only when Contents is on. */
  paths?: string[];
}

/** A blob no index names any more, deleted once `due` has passed. */
export interface Tombstone {
  key: string;
  due: string;
  /** SHA-256 of the blob, when known (a package re-added before `due` reuses it). */
  sha256?: string;
}

/** An index file the root's top file lists (canonical name and by-hash copy share one entry). */
export interface IndexFileRecord {
  /** Storage key of the canonical file. */
  key: string;
  size: number;
  sha256: string;
  /** Storage key of its by-hash copy, when by-hash is on. */
  byHash?: string;
  /** Storage keys of every by-hash copy (SHA256, and SHA512 when listed); the engine fills it. */
  byHashKeys?: string[];
  /**
   * A gzip index made in pieces (APT Packages.gz, RPM-MD's gzip documents, pacman's .files database): how
   * it was cut — per piece its key (the SHA-256 of its packages' records as stored, with what else its
   * text depends on), uncompressed size, the SHA-256 of its last 32 KiB, deflated size and CRC-32 — so
   * the next publish copies the pieces whose packages did not change (gzipItems). Absent in states
   * written before it was recorded (and their pieces without a CRC-32 are not copied).
   */
  gzip?: GzipPieceTable;
}

/** An APT suite's persistent identity and index settings. */
export interface AptSettings {
  suite: string;
  codename: string;
  origin?: string;
  label?: string;
  version?: string;
  description?: string;
  components: string[];
  /** dpkg architecture names (`amd64`, `i386`, ...); `all` packages are folded into each. */
  architectures: string[];
  /** Index compressions besides the uncompressed `Packages`: `gz` always, `xz` on request. */
  compressions: ("gz" | "xz")[];
  /** Release hash lists: `SHA256` always; `SHA512` on request (with by-hash/SHA512 copies). */
  hashes: ("SHA256" | "SHA512")[];
  /** Write Contents-<arch>.gz per component (apt-file). */
  contents: boolean;
  /** Seconds from Date to Valid-Until; absent: no Valid-Until. */
  validFor?: number;
  /** Acquire-By-Hash (default on). */
  byHash: boolean;
}

/** An RPM-MD root's settings: which catalogue target and base architecture it serves, and how. */
export interface RpmSettings {
  /** Catalogue id of the distro release (`el-9`, `fedora-41`, `opensuse-15.6`). */
  target: string;
  /** The target's folder under `rpm/` (`el/9`), from the catalogue. */
  path: string;
  /** Base architecture (`x86_64`, `aarch64`); `noarch` packages are listed in every one. */
  arch: string;
  /** Metadata compression: `gz` (every client) unless `zst` is asked for (EL7 yum cannot read it). */
  compression: "gz" | "zst";
  /** Changelog entries kept per package in other.xml (createrepo_c's default is 10). */
  changelogLimit: number;
  /** The URL users fetch the repository root from (for `<name>.repo`); absent: no .repo file is written. */
  baseUrl?: string;
  /** Name of the `.repo` file, its section id and `RPM-GPG-KEY-<name>`. */
  name: string;
}

/** A pacman root's settings: one repository (database) name and architecture, `archlinux/<repo>/os/<arch>/`. */
export interface PacmanSettings {
  /** Catalogue id (`arch`). */
  target: string;
  /** The database name: the `[section]` users add to pacman.conf, `<repo>.db`. */
  repo: string;
  /** pacman `$arch` (`x86_64`, `aarch64`); `any` packages are copied into every one. */
  arch: string;
  /** Embed `%PGPSIG%` in desc (repo-add before pacman 7; pacman ≥ 6 fetches `.sig` files itself). */
  includeSignatures: boolean;
}

/** An Alpine root's settings: one branch, repository and architecture, `alpine/<branch>/<repo>/<arch>/`. */
export interface AlpineSettings {
  /** Catalogue id (`alpine-3.22`). */
  target: string;
  /** `v3.22` or `edge`, from the catalogue. */
  branch: string;
  /** The repository folder (`main`): the last path segment of the line users add to /etc/apk/repositories. */
  repo: string;
  /** `/etc/apk/arch` (`x86_64`, `aarch64`); `noarch` packages are copied into every one. */
  arch: string;
  /** The index's DESCRIPTION. */
  description: string;
  /** Also sign with SHA-1 (`.SIGN.RSA.`, after the RSA256 one) for apk-tools before 2.7. */
  legacySha1: boolean;
  /**
   * The key the index is signed with: its name (the file users keep in /etc/apk/keys/) and the SHA-256 of
   * its public PEM. Another key is refused unless the publish says it changes the key.
   */
  keyName?: string;
  keySha256?: string;
  /**
   * While Alpine keys rotate: the other keys that sign the index too (each a `.SIGN.RSA256.<keyName>` after
   * the first key's), so users holding any of them keep trusting it. Absent with one key.
   */
  rotationKeys?: ApkKeyRecord[];
}

/** An Alpine key as a root records it: the file name users keep it under, and the SHA-256 of its public PEM. */
export interface ApkKeyRecord {
  keyName: string;
  keySha256: string;
}

/** The state document of one root. */
export interface RootState {
  schema: typeof STATE_SCHEMA | typeof STATE_SCHEMA_V1;
  family: Family;
  /** The root's id, also its path under `.packyard/roots/` and `.packyard/states/`: `deb/stable`. */
  root: string;
  /** 1 for the first publish, +1 for each publish of this root. */
  generation: number;
  /** The date the top file carries (APT `Date`). */
  date: string;
  apt?: AptSettings;
  rpm?: RpmSettings;
  archlinux?: PacmanSettings;
  alpine?: AlpineSettings;
  /** Packages, sorted by name, version, arch, component. */
  packages: PackageRecord[];
  /**
   * Where `packages` is stored (schema 2): set on a state read from storage and on a state being committed
   * once its records are laid out; `packages` is what counts (a state is written with the chunks of its
   * `packages`, whatever this says).
   */
  chunks?: StateChunk[];
  /** Index files the top file lists. */
  indexes: IndexFileRecord[];
  /** Blobs to delete once due. */
  tombstones: Tombstone[];
  /**
   * Pool keys this root once served, with the SHA-256 they held. A pool key is immutable for the life of
   * the repository (clients and CDNs cache it for a year): a later package with other content under the
   * same name, version and architecture goes to a content-qualified path instead.
   */
  retired?: Record<string, string>;
  /**
   * The top file (APT: InRelease) and its SHA-256, as written right after this state; `others` are the
   * SHA-256 of the top files written after it (APT: Release, Release.gpg), so that a publish stopped
   * between them is noticed and finished. `gzip`: the top file's gzip pieces when it is a gzip index
   * (pacman's `.db` database), as IndexFileRecord.gzip.
   */
  top: { key: string; sha256: string; others?: Record<string, string>; gzip?: GzipPieceTable };
  /** Whether the store honours conditional creates (probed once, then remembered). */
  conditionalCreate?: boolean;
}

/** A record's one-line summary from its index fields (`""` without one); {@link PackageRecord.summary}. */
export function recordSummary(p: PackageRecord): string {
  if (p.summary !== undefined) return p.summary;
  if (p.deb !== undefined) return /^Description: (.*)$/m.exec(p.deb.control)?.[1]?.trim() ?? "";
  if (p.rpm !== undefined) return p.rpm.summary;
  if (p.archlinux !== undefined) return p.archlinux.desc ?? "";
  if (p.alpine !== undefined) return p.alpine.description;
  return "";
}

/** The record with its {@link PackageRecord.summary} (for a record being made). */
export function withSummary(p: PackageRecord): PackageRecord {
  p.summary = recordSummary(p);
  return p;
}
