/** What `publish` and the other repository operations take and return. */
import type { ByteSource, OpenPGPSigner, PackageInfo, RSASigner } from "@packyard/formats";
import type { PublishLock } from "./lock.ts";
import type { RepositoryOwner } from "./owner.ts";

/**
 * A package to add: what a reader found in it (PackageInfo) and its bytes. macOS packages and release
 * archives go to `downloads/<name>/<version>/` with a signed SHA256SUMS (and a Homebrew cask for a .pkg).
 */
export interface PublishInput {
  /**
   * What `readPackage` (or a build) returned for exactly `source`'s bytes. Its indexes are made from it,
   * and the bytes are checked against its size and SHA-256 (CHECKSUM_MISMATCH when they differ); what the
   * reader verified inside (an rpm's payload against its header, .MTREE against an Arch package's files)
   * is not verified again.
   */
  info: PackageInfo;
  /** The package file (re-openable). Read while copying it into the pool, and to check a kept signature. */
  source: ByteSource;
  /** The file's name, for messages (`dist/hello_1.0.0_amd64.deb`). */
  name?: string;
  /** A detached signature that travels with the package (Arch `.sig`). */
  signature?: Uint8Array;
}

/** Which held packages an operation applies to; absent fields match anything. */
export interface PackageSelector {
  name: string;
  version?: string;
  arch?: string;
  component?: string;
  /** RPM-MD, Alpine: the catalogue target (`el-9`, `alpine-3.22`); absent matches every target. */
  target?: string;
  /**
   * The repository family the selector applies to (`deb`, `rpm`, `archlinux`, `alpine`). Absent: the
   * family of `target` when one is given, else the APT suite plus every family whose settings the
   * operation is given.
   */
  family?: "deb" | "rpm" | "archlinux" | "alpine";
  /**
   * In results, the root the package was added to or removed from (`deb/stable`, `rpm/el/9/x86_64`): a
   * noarch rpm is listed once per root. As a selector it is ignored.
   */
  root?: string;
}

/**
 * RPM-MD settings of a publish. Each (target, base architecture) is one root, `rpm/<path>/<arch>/`, with
 * its own `repodata/`; rpm files live once in `rpm/pool/` and every root's `location href` points there.
 */
export interface RpmPublishSettings {
  /**
   * Catalogue targets rpms go to (`el-9`, `fedora-41`, `opensuse-15.6`, ...). Default: every target the
   * repository already serves; with none, publishing an rpm is refused with the known ids listed.
   */
  targets?: string[];
  /**
   * Base architectures of new roots (default: those of the added packages, `noarch` excluded; `x86_64`
   * when only noarch). An existing target keeps its roots; these add more.
   */
  architectures?: string[];
  /** zstd-compressed metadata (`.xml.zst`) instead of gz. EL7 yum cannot read it. */
  zstd?: boolean;
  /** Changelog entries kept per package in other.xml (default 10). */
  changelogLimit?: number;
  /** The URL users fetch the repository root from; when given (or held), `<name>.repo` files are written. */
  baseUrl?: string;
  /** Name of the `.repo` file and section (default: the key name). */
  name?: string;
  /** Replace the signature of an rpm already signed by another key (otherwise REPO_FOREIGN_SIGNATURE). */
  resign?: boolean;
}

/**
 * pacman settings of a publish. Each architecture is one root, `archlinux/<repo>/os/<arch>/`, holding its
 * packages (`any` packages copied into each), their `.sig` files and the signed databases.
 */
export interface ArchlinuxPublishSettings {
  /**
   * The repository (database) name: the `[section]` users add to pacman.conf and `<repo>.db`. Default:
   * the repository the publish already serves, else the key name. Letters, digits, `.`, `_`, `-`.
   */
  repo?: string;
  /**
   * Architectures of new roots (default: those of the added packages, `any` excluded; `x86_64` when only
   * `any`). Existing ones are kept; these add more.
   */
  architectures?: string[];
  /** Embed each package's signature (`%PGPSIG%`) in the database, as repo-add before pacman 7 did. */
  includeSignatures?: boolean;
  /** Replace a package `.sig` that is armored or by another key (otherwise REPO_FOREIGN_SIGNATURE). */
  resign?: boolean;
}

/**
 * Alpine settings of a publish. Each (target, architecture) is one root, `alpine/<branch>/<repo>/<arch>/`,
 * holding `<name>-<version>.apk` files (`noarch` ones copied into each) and the signed `APKINDEX.tar.gz`.
 */
export interface AlpinePublishSettings {
  /**
   * Catalogue targets apks go to (`alpine-3.22`, `alpine-edge`). Default: every target the repository
   * already serves; with none, publishing an apk is refused with the known ids listed.
   */
  targets?: string[];
  /** The repository folder (default `main`). */
  repo?: string;
  /** Architectures of new roots (default: those of the added packages; `x86_64` when only `noarch`). */
  architectures?: string[];
  /** The index DESCRIPTION (default `<repo> <branch>`). */
  description?: string;
  /** Add a SHA-1 signature (`.SIGN.RSA.`) after the SHA-256 one, for apk-tools older than 2.7. */
  legacySha1?: boolean;
  /**
   * Sign with `apkSigner` although the roots were signed with another key (or another key name): users
   * must then install the new `keys/<keyName>`, or apk finds the repository UNTRUSTED (and empty). Not
   * needed to rotate with `apkSigners` when one of the keys given is one the roots are signed with.
   */
  changeKey?: boolean;
}

/** APT settings of the suite being published (new suites take these; existing ones keep theirs unless changed here). */
export interface AptPublishSettings {
  /** The suite (`stable`, `bookworm`, `bookworm/updates`); default `stable`. */
  suite?: string;
  /** Codename (default: the suite). Persistent: changing it needs `changeIdentity`. */
  codename?: string;
  /** Origin and Label. Persistent: changing them needs `changeIdentity`. */
  origin?: string;
  label?: string;
  version?: string;
  description?: string;
  /** The component packages are added to (default `main`). */
  component?: string;
  /** Components listed in Release; the component added to is always included. */
  components?: string[];
  /** Architectures (default: those of the added packages, `all` excluded; amd64 when only `all`). */
  architectures?: string[];
  /** Also write `Packages.xz` (needs lzma-native; MISSING_ENCODER otherwise). */
  xz?: boolean;
  /** Also list SHA512 (with by-hash/SHA512 copies and SHA512 in stanzas). */
  sha512?: boolean;
  /** Write `Contents-<arch>.gz` for apt-file. */
  contents?: boolean;
  /** Seconds from Date to Valid-Until (absent: no Valid-Until; `0` removes it from an existing suite). */
  validFor?: number;
  /** Allow Origin, Label or Codename of an existing suite to change (apt users then need --allow-releaseinfo-change). */
  changeIdentity?: boolean;
}

/** What a publish reports as it goes. */
export interface PublishProgress {
  step: "plan" | "blobs" | "indexes" | "states" | "top" | "pointers" | "prune";
  /** Writes done and planned in this step. */
  done: number;
  total: number;
  /** Bytes written so far in the whole publish. */
  bytes: number;
  key?: string;
}

/** Options of {@link publish}. */
export interface PublishOptions {
  add?: readonly PublishInput[];
  remove?: readonly PackageSelector[];
  /** Keep only the N newest versions per (name, architecture, suite, component). */
  keep?: number;
  /** Overwrite a held name/version/architecture whose content differs (otherwise REPO_CONFLICT). */
  replace?: boolean;
  /** APT suite settings. */
  apt?: AptPublishSettings;
  /** RPM-MD settings (targets, architectures, metadata options). */
  rpm?: RpmPublishSettings;
  /** pacman settings (repository name, architectures). */
  archlinux?: ArchlinuxPublishSettings;
  /** Alpine settings (targets, repository, architectures). */
  alpine?: AlpinePublishSettings;
  /**
   * One or two OpenPGP signers (two while rotating keys): APT, RPM-MD and pacman. May be empty when the
   * publish touches Alpine roots only.
   */
  signers: readonly OpenPGPSigner[];
  /**
   * The RSA key that signs Alpine indexes and unsigned .apk files; its `keyName` is the name of the
   * signature and of `keys/<keyName>` (users copy that file to /etc/apk/keys/ under the same name).
   */
  apkSigner?: RSASigner;
  /**
   * Instead of `apkSigner`, while rotating Alpine keys: both keys, the new one first. Each index carries a
   * `.SIGN.RSA256.<keyName>` signature by each (apk-tools accepts it with either key installed), `keys/`
   * and the install files list both, and the first signs unsigned .apk files. Roots signed with either key
   * take the pair without `alpine.changeKey`, and later the new key alone.
   */
  apkSigners?: readonly RSASigner[];
  /** The lock; default: the lock beside the repository (`.packyard/lock/`). `false`: no lock (`--no-lock`). */
  lock?: PublishLock | false;
  /** How long to wait for another publisher's lock (default 10 minutes). */
  lockTimeoutMs?: number;
  /**
   * The server's owner marker (`{ kind: "server", url }`): recorded in `.packyard/owner.json`; a later
   * operation without it is refused with REPO_OWNED_BY_SERVER.
   */
  owner?: RepositoryOwner;
  /** How long an unreferenced blob stays before it is deleted (default 2 days). */
  graceMs?: number;
  /** The clock (default: `new Date()`); Release dates never run ahead of it. */
  clock?: () => Date;
  /** How to wait (default: setTimeout); tests inject a fake. */
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: PublishProgress) => void;
}

/** Something a publish did that users of the repository may trip on; the publish itself succeeded. */
export interface PublishWarning {
  /**
   * `RPM_KEY_NOT_SIGNING`: rpms signed by a key that no longer signs the repository.
   * `PACMAN_KEY_NOT_SIGNING`: the same for pacman package `.sig` files.
   * `PACMAN_NOT_NEWEST`: a pacman package was not added because the database holds a newer version of it
   * (a pacman database lists one version per name).
   * `DOWNLOAD_NOTE`: something about downloads users miss (no Homebrew cask without a public URL).
   * `INSTALL_FILES_NOT_WRITTEN`: the publish is done but the install files could not be rebuilt.
   */
  code:
    | "RPM_KEY_NOT_SIGNING"
    | "PACMAN_KEY_NOT_SIGNING"
    | "PACMAN_NOT_NEWEST"
    | "DOWNLOAD_NOTE"
    | "INSTALL_FILES_NOT_WRITTEN";
  message: string;
  /** The root concerned. */
  root: string;
}

/** What a publish did. */
export interface PublishResult {
  /** What the repository's users may trip on (absent when nothing). */
  warnings?: PublishWarning[];
  /** Packages added, as `name version arch` in the suite/component they went to. */
  added: PackageSelector[];
  /** Packages already held with the same identity (no-ops). */
  unchanged: PackageSelector[];
  /** Packages removed (by `remove` or `keep`). */
  removed: PackageSelector[];
  /** Mutable keys whose content changed (top files, canonical indexes): what a CDN must invalidate. */
  changedKeys: string[];
  /** Blobs deleted because their grace period had passed. */
  deleted: string[];
  /** Every key written, in write order. */
  written: string[];
  /** The roots this publish changed (`deb/stable`). */
  roots: string[];
  /** macOS packages and release archives put in (or already in) `downloads/<name>/<version>/`. */
  downloads?: {
    added: { name: string; version: string; file: string }[];
    unchanged: { name: string; version: string; file: string }[];
  };
}
