/**
 * Written samples of `/etc/os-release`, for matching tests. They are SAMPLES, not copies of installed
 * files: the identifying fields (ID, ID_LIKE, VERSION_ID, codenames, PLATFORM_ID) carry the values these
 * releases ship, as collected for many distros in the which-distro/os-release repository, and a few
 * descriptive fields are added so the parser meets quoting, comments and unknown keys. The one real file
 * is `fixtures/debian-12.os-release` (this machine's, see os-release.test.ts).
 *
 * Each sample names the catalogue target it must match (undefined: none should).
 */
export interface OsReleaseSample {
  /** What the sample stands for. */
  label: string;
  text: string;
  expected: string | undefined;
}

export const SAMPLES: readonly OsReleaseSample[] = [
  {
    label: "Rocky Linux 9.4",
    text: `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
SUPPORT_END="2032-05-31"
`,
    expected: "el-9",
  },
  {
    label: "AlmaLinux 8.10",
    text: `NAME="AlmaLinux"
VERSION="8.10 (Cerulean Leopard)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.10 (Cerulean Leopard)"
`,
    expected: "el-8",
  },
  {
    label: "Fedora 41 (container image)",
    text: `NAME="Fedora Linux"
VERSION="41 (Container Image)"
RELEASE_TYPE=stable
ID=fedora
VERSION_ID=41
VERSION_CODENAME=""
PLATFORM_ID="platform:f41"
PRETTY_NAME="Fedora Linux 41 (Container Image)"
SUPPORT_END=2025-12-15
VARIANT_ID=container
`,
    expected: "fedora-41",
  },
  {
    label: "openSUSE Leap 15.6",
    text: `NAME="openSUSE Leap"
VERSION="15.6"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.6"
PRETTY_NAME="openSUSE Leap 15.6"
CPE_NAME="cpe:/o:opensuse:leap:15.6"
`,
    expected: "opensuse-15.6",
  },
  {
    label: "Amazon Linux 2023",
    text: `NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023"
`,
    expected: "amazonlinux-2023",
  },
  {
    label: "Ubuntu 24.04",
    text: `PRETTY_NAME="Ubuntu 24.04 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
`,
    expected: "ubuntu-24.04",
  },
  {
    label: "Arch Linux",
    text: `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
LOGO=archlinux-logo
`,
    expected: "arch",
  },
  {
    label: "Alpine Linux 3.21.4",
    text: `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.21.4
PRETTY_NAME="Alpine Linux v3.21"
`,
    expected: "alpine-3.21",
  },
  {
    label: "Alpine Linux edge (reports the next release as an alpha)",
    text: `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.21.0_alpha20240606
PRETTY_NAME="Alpine Linux edge"
`,
    expected: "alpine-edge",
  },
  // Clones and derivatives.
  {
    label: "CentOS Stream 9 (VERSION_ID without a minor)",
    text: `NAME="CentOS Stream"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\nPLATFORM_ID="platform:el9"\n`,
    expected: "el-9",
  },
  {
    label: "Oracle Linux 9.1 (ID_LIKE names only fedora)",
    text: `NAME="Oracle Linux Server"\nID="ol"\nID_LIKE="fedora"\nVERSION_ID="9.1"\nPLATFORM_ID="platform:el9"\n`,
    expected: "el-9",
  },
  {
    label: "MIRACLE LINUX 9.4 (an EL rebuild known only by ID_LIKE and PLATFORM_ID)",
    text: `ID="miraclelinux"\nID_LIKE="rhel fedora"\nVERSION_ID="9.4"\nPLATFORM_ID="platform:el9"\n`,
    expected: "el-9",
  },
  {
    label: "Rocky Linux 10.0",
    text: `ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="10.0"\nPLATFORM_ID="platform:el10"\n`,
    expected: "el-10",
  },
  {
    label: "Bazzite 41 (a Fedora remix, ID_LIKE also names rhel)",
    text: `ID=bazzite\nID_LIKE="rhel centos fedora"\nVERSION_ID=41\nPLATFORM_ID="platform:f41"\n`,
    expected: "fedora-41",
  },
  {
    label: "Linux Mint 22 (own VERSION_ID, follows Ubuntu noble)",
    text: `NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22"\nVERSION_CODENAME=wilma\nUBUNTU_CODENAME=noble\n`,
    expected: "ubuntu-24.04",
  },
  {
    label: "Raspberry Pi OS 12",
    text: `ID=raspbian\nID_LIKE=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n`,
    expected: "debian-12",
  },
  {
    label: "Debian trixie/sid before the release (no VERSION_ID)",
    text: `PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n`,
    expected: "debian-13",
  },
  {
    label: "Debian 10 (no release target left: the catch-all suite)",
    text: `ID=debian\nVERSION_ID="10"\nVERSION_CODENAME=buster\n`,
    expected: "deb-any",
  },
  {
    label: "Devuan 5 (a Debian derivative with its own codenames)",
    text: `ID=devuan\nID_LIKE=debian\nVERSION_ID="5"\nVERSION_CODENAME="daedalus"\n`,
    expected: "deb-any",
  },
  {
    label: "Manjaro",
    text: `NAME="Manjaro Linux"\nID=manjaro\nID_LIKE=arch\nBUILD_ID=rolling\n`,
    expected: "arch",
  },
  {
    label: "openSUSE Tumbleweed (VERSION_ID is the snapshot)",
    text: `NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\nVERSION_ID="20240823"\n`,
    expected: "opensuse-tumbleweed",
  },
  {
    label: "SUSE Linux Enterprise Server 15 SP6",
    text: `NAME="SLES"\nVERSION="15-SP6"\nVERSION_ID="15.6"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP6"\nID="sles"\nID_LIKE="suse"\n`,
    expected: "sles-15",
  },
  {
    label: "openSUSE Leap 15.5 (no target; must not fall to SLES or Tumbleweed)",
    text: `ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n`,
    expected: undefined,
  },
  {
    label: "CentOS 7 (no el-7 target)",
    text: `ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n`,
    expected: undefined,
  },
  {
    label: "Amazon Linux 2 (no target; ID_LIKE names centos and rhel)",
    text: `ID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n`,
    expected: undefined,
  },
  {
    label: "Nobara 40 (a Fedora release the catalogue lacks)",
    text: `ID=nobara\nID_LIKE="rhel centos fedora"\nVERSION_ID=40\nPLATFORM_ID="platform:f40"\n`,
    expected: undefined,
  },
  {
    label: "postmarketOS (ID_LIKE=alpine, own version)",
    text: `ID="postmarketos"\nID_LIKE="alpine"\nVERSION_ID="v25.12"\n`,
    expected: undefined,
  },
  {
    label: "NixOS",
    text: `NAME=NixOS\nID=nixos\nVERSION_ID="25.05"\nVERSION_CODENAME=warbler\n`,
    expected: undefined,
  },
];
