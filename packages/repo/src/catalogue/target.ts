/**
 * What a distro target of the catalogue is: one distro release (or a distro-independent channel such as
 * `deb-any`) that a repository can serve, with where its index root lives, how `/etc/os-release` names
 * it, and the client facts install instructions need. Pure data types plus the per-family vocabularies
 * the validator checks against.
 */
import type { FormatId } from "@packyard/formats";
import type { Family } from "../publish/state.ts";

export type { Family };

/** The package formats a repository family serves. */
export type TargetFormat = Extract<FormatId, "deb" | "rpm" | "archlinux" | "apk">;

/** The package format of each family. */
export const FAMILY_FORMAT: Readonly<Record<Family, TargetFormat>> = Object.freeze({
  deb: "deb",
  rpm: "rpm",
  archlinux: "archlinux",
  alpine: "apk",
});

/**
 * Architecture names each family's clients use, which are the names a target lists: dpkg names for deb
 * (repos.md §2.9), dnf/zypper `$basearch` for rpm (§3.7), pacman `$arch` (§4.5), `/etc/apk/arch` (§5.1).
 */
export const FAMILY_ARCHITECTURES: Readonly<Record<Family, readonly string[]>> = Object.freeze({
  deb: Object.freeze([
    "amd64",
    "arm64",
    "armel",
    "armhf",
    "i386",
    "loong64",
    "mips64el",
    "mipsel",
    "ppc64el",
    "riscv64",
    "s390x",
  ]),
  rpm: Object.freeze(["x86_64", "aarch64", "ppc64le", "s390x", "riscv64", "i386", "armhfp"]),
  archlinux: Object.freeze(["x86_64", "aarch64", "armv7h", "i686", "pentium4", "riscv64", "loong64"]),
  alpine: Object.freeze([
    "x86_64",
    "x86",
    "aarch64",
    "armhf",
    "armv7",
    "ppc64le",
    "s390x",
    "riscv64",
    "loongarch64",
  ]),
});

/** Package managers, by the command users type. */
export type PackageManager = "apt" | "dnf" | "yum" | "zypper" | "pacman" | "apk";

/** The package managers a family's targets may name. */
export const FAMILY_MANAGERS: Readonly<Record<Family, readonly PackageManager[]>> = Object.freeze({
  deb: Object.freeze(["apt"] as const),
  rpm: Object.freeze(["dnf", "yum", "zypper"] as const),
  archlinux: Object.freeze(["pacman"] as const),
  alpine: Object.freeze(["apk"] as const),
});

/**
 * The public key file a client is handed: an armored OpenPGP key (`.asc` for apt's signed-by, `gpgkey=`
 * and `rpm --import`, `pacman-key --add`), or Alpine's PEM RSA public key (`/etc/apk/keys/<name>.rsa.pub`).
 */
export type KeyFormat = "openpgp-armored" | "rsa-pem";

/** The key format each family's clients want. */
export const FAMILY_KEY_FORMAT: Readonly<Record<Family, KeyFormat>> = Object.freeze({
  deb: "openpgp-armored",
  rpm: "openpgp-armored",
  archlinux: "openpgp-armored",
  alpine: "rsa-pem",
});

/**
 * Signing key algorithms: RSA (v4 OpenPGP, or raw RSA for Alpine) and v4 "legacy" EdDSA (OpenPGP algorithm
 * 22). RFC 9580 Ed25519 and v6 keys are accepted by none of the support window's verifiers (repos.md §1.1).
 */
export type KeyAlgorithm = "rsa" | "eddsa";

/**
 * How `VERSION_ID` must look: equal to a value (`12`, `24.04`, `2023`); a release series, i.e. the value
 * followed by nothing or by more dotted numbers (`9` takes `9` and `9.4`, `3.21` takes `3.21.4` but not
 * `3.21.0_alpha20240606`); or containing a marker (Alpine edge's `_alpha`).
 */
export type VersionMatch =
  | { readonly exact: string }
  | { readonly series: string }
  | { readonly contains: string };

/** The `/etc/os-release` values that identify a target. */
export interface OsReleaseMatch {
  /** `ID` values of the distro itself and of clones that keep its version numbers (`rocky`, `almalinux`). */
  readonly ids: readonly string[];
  /**
   * `ID_LIKE` entries that make an unlisted distro a derivative of this one (Linux Mint → `ubuntu`,
   * Manjaro → `arch`). A derivative numbers its own releases, so when the target has a {@link codename}
   * only the codename identifies the release.
   */
  readonly idLike?: readonly string[];
  /** The release's `VERSION_ID`; absent together with codename and platformId: any release (rolling). */
  readonly versionId?: VersionMatch;
  /** Release codename, looked up in `VERSION_CODENAME`, `UBUNTU_CODENAME` and `DEBIAN_CODENAME`. */
  readonly codename?: string;
  /** `PLATFORM_ID` shared by a release and all its rebuilds (`platform:el9`, `platform:f41`). */
  readonly platformId?: string;
}

/** Client facts for APT targets. */
export interface AptInstall {
  readonly manager: "apt";
  readonly keyFormat: "openpgp-armored";
  /** Key algorithms every client of the target verifies. */
  readonly keyAlgorithms: readonly KeyAlgorithm[];
  /** The signature verifier apt runs: gpgv (accepts keyboxes) or sqv (Debian 13+, rejects them; §2.8). */
  readonly verifier: "gpgv" | "sqv";
  /** apt reads an armored key embedded in a deb822 `Signed-By:` field (apt ≥ 2.3.10). */
  readonly inlineSignedBy: boolean;
  /** `/etc/apt/keyrings` exists out of the box (apt ≥ 2.4); else instructions create it. */
  readonly keyringsDir: boolean;
}

/** Client facts for RPM-MD targets. */
export interface RpmInstall {
  readonly manager: "dnf" | "yum" | "zypper";
  /** dnf generation when the manager is dnf: 4 (`config-manager --add-repo`) or 5 (`addrepo --from-repofile`). */
  readonly dnf?: 4 | 5;
  /**
   * Whether `$releasever` expands to the version segment of the target's path, so a `.repo` baseurl may
   * use it. False where it expands to something else (Amazon Linux 2023's `2023.5.20240708`, §3.7;
   * Tumbleweed's snapshot date; SLES's service pack `15.6` under `sles/15`).
   */
  readonly releaseverInBaseUrl: boolean;
  readonly keyFormat: "openpgp-armored";
  /** Key algorithms both repomd.xml and package signature checks accept (rpm 4.14 has no EdDSA). */
  readonly keyAlgorithms: readonly KeyAlgorithm[];
}

/** Client facts for pacman targets. */
export interface PacmanInstall {
  readonly manager: "pacman";
  readonly keyFormat: "openpgp-armored";
  readonly keyAlgorithms: readonly KeyAlgorithm[];
}

/** Client facts for Alpine targets. */
export interface ApkInstall {
  readonly manager: "apk";
  /** apk-tools trusts PEM RSA public keys in `/etc/apk/keys/`; the file name must match the signature's. */
  readonly keyFormat: "rsa-pem";
  readonly keyAlgorithms: readonly KeyAlgorithm[];
}

interface TargetCommon {
  /** Stable id used in config, CLI flags and state (`debian-12`, `el-9`). */
  readonly id: string;
  /** Human name (`Debian 12 (bookworm)`). */
  readonly name: string;
  /** Why the target should no longer be chosen (end of support); still served when asked for. */
  readonly deprecated?: string;
  /** Architectures the target's clients run on, in the family's own names. */
  readonly architectures: readonly string[];
  readonly osRelease: OsReleaseMatch;
}

/** An APT target: one suite (`deb/dists/<suite>/`) with one component. */
export interface DebTarget extends TargetCommon {
  readonly family: "deb";
  readonly format: "deb";
  readonly layout: { readonly suite: string; readonly component: string };
  readonly install: AptInstall;
}

/** An RPM-MD target: one root per base architecture, `rpm/<path>/<basearch>/`. */
export interface RpmTarget extends TargetCommon {
  readonly family: "rpm";
  readonly format: "rpm";
  /** Two segments, distro and release (`el/9`, `fedora/41`, `opensuse/15.6`). */
  readonly layout: { readonly path: string };
  readonly install: RpmInstall;
}

/**
 * A pacman target: its databases live in `archlinux/<repo>/<arch>/`; the database file itself is named
 * after the `pacman.conf` section the user adds, which is the vendor's choice, not the distro's.
 */
export interface ArchlinuxTarget extends TargetCommon {
  readonly family: "archlinux";
  readonly format: "archlinux";
  readonly layout: { readonly repo: string };
  readonly install: PacmanInstall;
}

/** An Alpine target: one branch (`alpine/<branch>/<repo>/<arch>/`). */
export interface AlpineTarget extends TargetCommon {
  readonly family: "alpine";
  readonly format: "apk";
  /** `v3.21` or `edge`, as in Alpine's own mirror layout. */
  readonly layout: { readonly branch: string };
  readonly install: ApkInstall;
}

/** One distro target of the catalogue; `family` tells which layout and install facts it has. */
export type CatalogueTarget = DebTarget | RpmTarget | ArchlinuxTarget | AlpineTarget;
