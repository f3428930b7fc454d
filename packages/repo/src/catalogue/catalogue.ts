/**
 * The distro catalogue: every target a repository can serve, as data. Repository layouts (RPM-MD roots
 * `rpm/<path>/<basearch>/`), install instructions and the server all read it from here. The list is
 * validated when this module loads, so a bad edit fails every import.
 *
 * Sources: repos.md §2.8–2.11 (apt key handling and versions), §3.7/§3.10 (`$releasever`, paths), §4.5–4.6,
 * §5.1/§5.6, §9 (client versions); os-release values as the distros ship them (samples in the tests).
 * Deprecation reasons give the vendor's end of (standard) support.
 */
import type {
  AlpineTarget,
  ApkInstall,
  AptInstall,
  ArchlinuxTarget,
  CatalogueTarget,
  DebTarget,
  PacmanInstall,
  RpmInstall,
  RpmTarget,
} from "./target.ts";
import { validateCatalogue } from "./validate.ts";

// ---- Debian and Ubuntu -------------------------------------------------------------------------------

/** apt 2.0–2.2 (Debian 11, Ubuntu 20.04): gpgv 2.2, no key inside Signed-By, no /etc/apt/keyrings yet. */
const APT_2_0: AptInstall = {
  manager: "apt",
  keyFormat: "openpgp-armored",
  keyAlgorithms: ["rsa", "eddsa"],
  verifier: "gpgv",
  inlineSignedBy: false,
  keyringsDir: false,
};
/** apt 2.4–2.8 (Debian 12, Ubuntu 22.04/24.04): gpgv, deb822 Signed-By may hold the key (apt ≥ 2.3.10). */
const APT_GPGV: AptInstall = { ...APT_2_0, inlineSignedBy: true, keyringsDir: true };
/** apt 3 (Debian 13): sqv, which refuses GnuPG keybox files (repos.md §2.8). */
const APT_SQV: AptInstall = { ...APT_GPGV, verifier: "sqv" };

const DEBIAN_ARCHES_12 = [
  "amd64",
  "arm64",
  "armel",
  "armhf",
  "i386",
  "mips64el",
  "mipsel",
  "ppc64el",
  "s390x",
];
const UBUNTU_ARCHES = ["amd64", "arm64", "armhf", "ppc64el", "riscv64", "s390x"];

function debian(
  version: string,
  codename: string,
  architectures: string[],
  install: AptInstall,
  deprecated?: string,
): DebTarget {
  return {
    id: `debian-${version}`,
    name: `Debian ${version} (${codename})`,
    ...(deprecated === undefined ? {} : { deprecated }),
    family: "deb",
    format: "deb",
    architectures,
    layout: { suite: codename, component: "main" },
    // Derivatives (Raspberry Pi OS, LMDE) are recognised by the Debian codename they name.
    osRelease: { ids: ["debian"], idLike: ["debian"], versionId: { exact: version }, codename },
    install,
  };
}

function ubuntu(
  version: string,
  codename: string,
  name: string,
  install: AptInstall,
  deprecated?: string,
): DebTarget {
  return {
    id: `ubuntu-${version}`,
    name: `Ubuntu ${version} LTS (${name})`,
    ...(deprecated === undefined ? {} : { deprecated }),
    family: "deb",
    format: "deb",
    architectures: UBUNTU_ARCHES,
    layout: { suite: codename, component: "main" },
    // Derivatives (Linux Mint, Pop!_OS, elementary OS) carry UBUNTU_CODENAME.
    osRelease: { ids: ["ubuntu"], idLike: ["ubuntu"], versionId: { exact: version }, codename },
    install,
  };
}

const DEB_TARGETS: DebTarget[] = [
  debian("11", "bullseye", DEBIAN_ARCHES_12, APT_2_0, "Debian 11 LTS ended on 2026-08-31"),
  debian("12", "bookworm", DEBIAN_ARCHES_12, APT_GPGV),
  // Debian 13 dropped mipsel and mips64el and added riscv64 (i386 remains for multiarch userland).
  debian(
    "13",
    "trixie",
    ["amd64", "arm64", "armel", "armhf", "i386", "ppc64el", "riscv64", "s390x"],
    APT_SQV,
  ),
  ubuntu(
    "20.04",
    "focal",
    "Focal Fossa",
    APT_2_0,
    "Ubuntu 20.04 standard support ended in May 2025 (ESM only)",
  ),
  ubuntu("22.04", "jammy", "Jammy Jellyfish", APT_GPGV),
  ubuntu("24.04", "noble", "Noble Numbat", APT_GPGV),
  {
    // One suite for packages that run on any Debian or Ubuntu release; chosen for hosts no release
    // target fits (Debian testing, Devuan, Kali). Client facts are those of the oldest apt it may meet.
    id: "deb-any",
    name: "Any Debian or Ubuntu release",
    family: "deb",
    format: "deb",
    architectures: ["amd64", "arm64", "armel", "armhf", "i386", "ppc64el", "riscv64", "s390x"],
    layout: { suite: "stable", component: "main" },
    osRelease: { ids: ["debian", "ubuntu"], idLike: ["debian", "ubuntu"] },
    install: { ...APT_2_0, keyAlgorithms: ["rsa"] },
  },
];

// ---- RPM-MD -------------------------------------------------------------------------------------------

/** rpm ≥ 4.16 (EL 9) or rpm-sequoia (Fedora, EL 10) verify EdDSA; rpm 4.14 (EL 8, SUSE 15) does not. */
const RSA_EDDSA = ["rsa", "eddsa"] as const;
const RSA_ONLY = ["rsa"] as const;
const DNF5: RpmInstall = {
  manager: "dnf",
  dnf: 5,
  releaseverInBaseUrl: true,
  keyFormat: "openpgp-armored",
  keyAlgorithms: RSA_EDDSA,
};
const DNF4: RpmInstall = { ...DNF5, dnf: 4 };
const ZYPPER: RpmInstall = {
  manager: "zypper",
  releaseverInBaseUrl: true,
  keyFormat: "openpgp-armored",
  keyAlgorithms: RSA_EDDSA,
};
const RPM_ARCHES = ["x86_64", "aarch64", "ppc64le", "s390x"];

function fedora(version: string, deprecated?: string): RpmTarget {
  return {
    id: `fedora-${version}`,
    name: `Fedora ${version}`,
    ...(deprecated === undefined ? {} : { deprecated }),
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: `fedora/${version}` },
    // Fedora remixes (Nobara, Bazzite, Aurora) keep Fedora's PLATFORM_ID.
    osRelease: { ids: ["fedora"], versionId: { exact: version }, platformId: `platform:f${version}` },
    // Fedora 41 switched to dnf5.
    install: DNF5,
  };
}

function enterpriseLinux(major: string, install: RpmInstall): RpmTarget {
  return {
    id: `el-${major}`,
    name: `Enterprise Linux ${major} (RHEL, Rocky Linux, AlmaLinux, CentOS Stream, Oracle Linux)`,
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: `el/${major}` },
    // VERSION_ID is `9.4` on RHEL, Rocky and Alma and `9` on CentOS Stream; other rebuilds share PLATFORM_ID.
    osRelease: {
      ids: ["rhel", "centos", "rocky", "almalinux", "ol"],
      idLike: ["rhel", "centos"],
      versionId: { series: major },
      platformId: `platform:el${major}`,
    },
    // $releasever is the major release, except on RHEL hosts pinned to a minor release with
    // `subscription-manager release --set` (repos.md §3.7, unverified); the written .repo files hard-code it.
    install,
  };
}

const RPM_TARGETS: RpmTarget[] = [
  fedora("41", "Fedora 41 reached end of life on 2025-12-15"),
  fedora("42", "Fedora 42 reached end of life in 2026 (four weeks after Fedora 44's release)"),
  fedora("43"),
  // Released in April 2026 (os-release values follow Fedora's fixed pattern, checked by the fedora() rule).
  fedora("44"),
  enterpriseLinux("8", { ...DNF4, keyAlgorithms: RSA_ONLY }),
  enterpriseLinux("9", DNF4),
  enterpriseLinux("10", DNF4),
  {
    id: "amazonlinux-2023",
    name: "Amazon Linux 2023",
    family: "rpm",
    format: "rpm",
    architectures: ["x86_64", "aarch64"],
    layout: { path: "amazonlinux/2023" },
    osRelease: { ids: ["amzn"], versionId: { exact: "2023" }, platformId: "platform:al2023" },
    // $releasever is a full build version (2023.5.20240708), so baseurls hard-code the path (§3.7). Its rpm
    // is 4.16 with an EdDSA path nobody here has verified: RSA only until someone does.
    install: { ...DNF4, releaseverInBaseUrl: false, keyAlgorithms: RSA_ONLY },
  },
  {
    id: "opensuse-15.6",
    name: "openSUSE Leap 15.6",
    deprecated: "openSUSE Leap 15.6 reached end of life on 2026-04-30",
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: "opensuse/15.6" },
    osRelease: { ids: ["opensuse-leap"], versionId: { exact: "15.6" } },
    install: { ...ZYPPER, keyAlgorithms: RSA_ONLY },
  },
  {
    id: "opensuse-16.0",
    name: "openSUSE Leap 16.0",
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: "opensuse/16.0" },
    osRelease: { ids: ["opensuse-leap"], versionId: { exact: "16.0" } },
    install: ZYPPER,
  },
  {
    id: "opensuse-tumbleweed",
    name: "openSUSE Tumbleweed",
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: "opensuse/tumbleweed" },
    // Rolling: VERSION_ID is the snapshot date. MicroOS, Aeon and Slowroll list opensuse-tumbleweed in ID_LIKE.
    osRelease: { ids: ["opensuse-tumbleweed"], idLike: ["opensuse-tumbleweed"] },
    install: { ...ZYPPER, releaseverInBaseUrl: false },
  },
  {
    id: "sles-15",
    name: "SUSE Linux Enterprise 15",
    family: "rpm",
    format: "rpm",
    architectures: RPM_ARCHES,
    layout: { path: "sles/15" },
    osRelease: { ids: ["sles", "sled", "sles_sap"], versionId: { series: "15" } },
    // $releasever is the service pack (15.6), not the `15` of the path; rpm 4.14 has no EdDSA.
    install: { ...ZYPPER, releaseverInBaseUrl: false, keyAlgorithms: RSA_ONLY },
  },
];

// ---- pacman -------------------------------------------------------------------------------------------

const PACMAN: PacmanInstall = {
  manager: "pacman",
  keyFormat: "openpgp-armored",
  keyAlgorithms: ["rsa", "eddsa"],
};

const ARCHLINUX_TARGETS: ArchlinuxTarget[] = [
  {
    id: "arch",
    name: "Arch Linux",
    family: "archlinux",
    format: "archlinux",
    // Arch Linux proper is x86_64 only; aarch64 is Arch Linux ARM (ID=archarm).
    architectures: ["x86_64", "aarch64"],
    layout: { repo: "arch" },
    // Rolling; Manjaro, EndeavourOS, CachyOS and SteamOS say ID_LIKE=arch.
    osRelease: { ids: ["arch", "archarm"], idLike: ["arch", "archlinux"] },
    install: PACMAN,
  },
];

// ---- Alpine -------------------------------------------------------------------------------------------

const APK: ApkInstall = { manager: "apk", keyFormat: "rsa-pem", keyAlgorithms: ["rsa"] };
/** loongarch64 joined in 3.21. */
const ALPINE_ARCHES = [
  "x86_64",
  "x86",
  "aarch64",
  "armhf",
  "armv7",
  "ppc64le",
  "s390x",
  "riscv64",
  "loongarch64",
];

function alpine(version: string, architectures: string[], deprecated?: string): AlpineTarget {
  return {
    id: `alpine-${version}`,
    name: `Alpine Linux ${version}`,
    ...(deprecated === undefined ? {} : { deprecated }),
    family: "alpine",
    format: "apk",
    architectures,
    layout: { branch: `v${version}` },
    // VERSION_ID is the point release (3.21.4); `series` refuses edge's 3.21.0_alpha… values.
    osRelease: { ids: ["alpine"], versionId: { series: version } },
    install: APK,
  };
}

const ALPINE_TARGETS: AlpineTarget[] = [
  alpine(
    "3.20",
    ALPINE_ARCHES.filter((a) => a !== "loongarch64"),
    "Alpine 3.20 reached end of support on 2026-04-01",
  ),
  alpine("3.21", ALPINE_ARCHES, "Alpine 3.21 reached end of support on 2026-11-01"),
  alpine("3.22", ALPINE_ARCHES),
  alpine("3.23", ALPINE_ARCHES),
  {
    id: "alpine-edge",
    name: "Alpine Linux edge",
    family: "alpine",
    format: "apk",
    architectures: ALPINE_ARCHES,
    layout: { branch: "edge" },
    // edge reports the next release as an alpha: VERSION_ID=3.21.0_alpha20240606.
    osRelease: { ids: ["alpine"], versionId: { contains: "_alpha" } },
    install: APK,
  },
];

// ---- The catalogue ------------------------------------------------------------------------------------

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const TARGETS: readonly CatalogueTarget[] = [
  ...DEB_TARGETS,
  ...RPM_TARGETS,
  ...ARCHLINUX_TARGETS,
  ...ALPINE_TARGETS,
];
validateCatalogue(TARGETS);

/** Every distro target, grouped by family, older releases first; frozen. */
export const CATALOGUE: readonly CatalogueTarget[] = deepFreeze(TARGETS);
