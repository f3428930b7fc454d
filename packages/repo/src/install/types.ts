/**
 * What a repository's users are told: the install document (`install.json`, schema `packyard-install/1`),
 * from which the install text, `install.sh`, `index.html` and `badge.svg` are all made, and the facts about
 * a repository it is built from.
 *
 * The document is data: every target's steps are POSIX shell commands (run as root) with the same command
 * as a user with sudo types it, and file contents where a step writes a file. A consumer never rebuilds a
 * command from parts, so the page, the script and the text cannot disagree.
 */
import type { CatalogueTarget, Family, OsReleaseMatch, PackageManager } from "../catalogue/target.ts";

/** The schema id of `install.json` this version writes. */
export const INSTALL_SCHEMA = "packyard-install/1";

/**
 * What a private repository's install steps hold where the read token goes: users put their own token
 * there. Published files never carry a real token.
 */
export const READ_TOKEN_PLACEHOLDER = "<READ_TOKEN>";

/** A private repository: served only with HTTP basic auth (a read token as the password). */
export interface PrivateAccess {
  /** The basic-auth user name the server expects with a read token. */
  username: string;
  /** Always {@link READ_TOKEN_PLACEHOLDER}: the text users replace with their read token. */
  token: typeof READ_TOKEN_PLACEHOLDER;
}

/** One thing a user does to add the repository or install from it. */
export interface InstallStep {
  /** What the step does, one short sentence (`Add the repository's signing key`). */
  title: string;
  /**
   * The POSIX sh command, as root (no `sudo`): what `install.sh` runs and what the tests run verbatim. May
   * span lines (a here-document writing a file).
   */
  command: string;
  /** The same command as a user types it with `sudo` (pipes into `sudo tee`, not `sudo cmd | cmd`). */
  sudo: string;
  /** When the step writes a file: its absolute path, mode and exact contents. */
  file?: { path: string; mode: string; contents: string };
  /** When the step downloads a file of the repository: its URL. */
  url?: string;
}

/** A family's public key files, as users fetch them. */
export interface OpenPGPKeyInfo {
  /** File name stem (`keys/<name>.asc`, `/etc/apt/keyrings/<name>.asc`). */
  name: string;
  /** Primary key fingerprints, uppercase hex without spaces: one, or two during a key rotation (old first). */
  fingerprints: string[];
  /** URLs of the armored and binary key files (both keys while rotating). */
  asc: string;
  gpg: string;
}

/** Alpine's RSA public key. */
export interface ApkKeyInfo {
  /** The exact file name the index signatures carry and `/etc/apk/keys/` must use. */
  name: string;
  url: string;
  /** SHA-256 of the PEM file, lowercase hex. */
  sha256: string;
}

/** The newest version of one package in one family (or a download). */
export interface LatestPackage {
  family: Family | "download";
  name: string;
  version: string;
  /** One-line summary, when the package has one. */
  summary?: string;
}

/** One catalogue target the repository serves, with its steps. */
export interface InstallTarget {
  /** Catalogue id (`debian-12`, `el-9`, `arch`, `alpine-3.22`). */
  id: string;
  name: string;
  family: Family;
  manager: PackageManager;
  /** The catalogue's reason, when the target is past its vendor's support. */
  deprecated?: string;
  /** Architectures served for this target, in the family's own names. */
  architectures: string[];
  /** Package names served for this target, sorted. */
  packages: string[];
  /** The package the install step installs. */
  package: string;
  /** How `/etc/os-release` identifies the target (install.sh's detection). */
  osRelease: OsReleaseMatch;
  /**
   * The repository root this target reads: APT `deb/dists/<suite>` (`deb-any`'s suite for releases with
   * no suite of their own), RPM-MD `rpm/<path>`, pacman `archlinux/<repo>/os`, Alpine `alpine/<branch>/<repo>`.
   */
  root: string;
  steps: InstallStep[];
}

/** A file of a published release download. */
export interface DownloadFile {
  /** File name (`hello-1.0.0.pkg`). */
  name: string;
  url: string;
  size: number;
  sha256: string;
  /** `macos` (a .pkg) or the archive packager (`tar.gz`, `zip`). */
  kind: string;
}

/** One version of one download (`downloads/<name>/<version>/`). */
export interface DownloadRelease {
  name: string;
  version: string;
  files: DownloadFile[];
  /** URLs of the release's `SHA256SUMS` and its armored detached signature (absent when unsigned). */
  checksums: string;
  checksumsSignature?: string;
  /** URL of the Homebrew cask for the newest .pkg of this name (on the newest release only). */
  cask?: string;
}

/** `install.json`: everything the install page, install.sh and the text show, as data. */
export interface InstallDocument {
  schema: typeof INSTALL_SCHEMA;
  /** The repository's display name (the project's name). */
  name: string;
  description?: string;
  /**
   * Where users fetch the repository from, without a trailing slash: the public base URL, or, when none
   * was given, the storage location (`file:///srv/repo`, `s3://bucket/prefix`) with `public: false`.
   */
  baseUrl: string;
  public: boolean;
  /**
   * Present for a private repository: the install steps then carry the credential step (apt's
   * auth.conf.d file, the .repo's username=/password=, zypper's credentials file, pacman's and apk's
   * URL) with `token` as the placeholder users replace.
   */
  private?: PrivateAccess;
  /** The newest date of any index the repository holds (ISO 8601 UTC), so the same repository gives the same bytes. */
  updated: string;
  /**
   * `apkRotation`: while Alpine keys rotate, the other keys that sign the indexes too; users install them
   * beside `apk` (apk trusts an index signed by any key it holds).
   */
  keys: { openpgp?: OpenPGPKeyInfo; apk?: ApkKeyInfo; apkRotation?: ApkKeyInfo[] };
  latest: LatestPackage[];
  targets: InstallTarget[];
  downloads: DownloadRelease[];
  /** install.sh: its URL and the one line users run. */
  script: { url: string; command: string };
  /** URL of the install page, install.json and badge.svg. */
  page: string;
  json: string;
  badge: string;
}

/** What the document is built from: the repository's roots, read from its states, and its keys. */
export interface RepositoryFacts {
  /** APT suites: suite name, components, architectures (`all` excluded), packages. */
  apt: { suite: string; components: string[]; architectures: string[]; packages: FactPackage[] }[];
  /** RPM-MD targets: catalogue id, path, `.repo` file name (absent when none is written), architectures, packages. */
  rpm: {
    target: string;
    path: string;
    repoName: string;
    repoFile?: string;
    architectures: string[];
    packages: FactPackage[];
  }[];
  /** pacman repositories: name, architectures, packages. */
  archlinux: { target: string; repo: string; architectures: string[]; packages: FactPackage[] }[];
  /** Alpine targets: catalogue id, branch, repository folder, architectures, packages. */
  alpine: {
    target: string;
    branch: string;
    repo: string;
    architectures: string[];
    packages: FactPackage[];
  }[];
  /** Key files the repository publishes (storage keys) and what they hold. */
  openpgp?: { name: string; fingerprints: string[] };
  apk?: { name: string; sha256: string };
  downloads: DownloadRelease[];
  /** Newest index date (ISO). */
  updated: string;
}

/** A package as the install document needs it. */
export interface FactPackage {
  name: string;
  version: string;
  arch: string;
  summary?: string;
}

/** What {@link targetSteps} is given for one target. */
export interface StepContext {
  target: CatalogueTarget;
  /** Base URL without a trailing slash. */
  baseUrl: string;
  /** The served root of this target (see {@link InstallTarget.root}). */
  root: string;
  /** Served architectures. */
  architectures: string[];
  /** The package the last step installs. */
  package: string;
  /** File name stem for key and source files (`/etc/apt/keyrings/<name>.asc`, `<name>.sources`). */
  name: string;
  openpgp?: OpenPGPKeyInfo;
  apk?: ApkKeyInfo;
  /** A private repository: the basic-auth user name (the token is {@link READ_TOKEN_PLACEHOLDER}). */
  private?: PrivateAccess;
  /** Alpine, while keys rotate: the other keys that sign the indexes too (installed beside `apk`). */
  apkRotation?: ApkKeyInfo[];
  /** APT: suite and component. */
  suite?: string;
  component?: string;
  /** RPM-MD: the `.repo` file's URL and section name, when one is published. */
  repoFile?: string;
  repoName?: string;
  /** pacman: the repository (section) name. */
  pacmanRepo?: string;
  /** Alpine: branch and repository folder. */
  branch?: string;
  alpineRepo?: string;
}
