/** Architecture names as pacman spells them (`arch =` in .PKGINFO, `Architecture` in pacman.conf). */
import { SpecError } from "../errors.ts";
import type { Arch } from "../spec/types.ts";

/** packyard arch → pacman arch (Arch Linux, Arch Linux ARM, Arch Linux 32, Arch POWER, Loong Arch). */
const TO_PACMAN: Partial<Record<Arch, string>> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armv7: "armv7h",
  armv6: "armv6h",
  armv5: "arm",
  i386: "i686",
  riscv64: "riscv64",
  ppc64le: "powerpc64le",
  loong64: "loong64",
  all: "any",
};

const FROM_PACMAN: Record<string, Arch> = {
  x86_64: "amd64",
  aarch64: "arm64",
  armv7h: "armv7",
  armv6h: "armv6",
  arm: "armv5",
  i686: "i386",
  pentium4: "i386",
  riscv64: "riscv64",
  powerpc64le: "ppc64le",
  loong64: "loong64",
  any: "all",
};

/** A pacman architecture given verbatim (`archlinux.arch`): lowercase letters, digits and `_`. */
const RAW_ARCH = /^[A-Za-z0-9_]+$/;

/**
 * The pacman architecture for a packyard arch, or the verbatim override. Throws SpecError INVALID_ARCH for
 * architectures pacman distributions do not ship (s390x, mips64le).
 * @example toArchlinuxArch("amd64") // "x86_64"
 */
export function toArchlinuxArch(arch: Arch, override?: string): string {
  if (override !== undefined) {
    if (!RAW_ARCH.test(override)) {
      throw new SpecError(
        "INVALID_ARCH",
        `archlinux.arch: expected a pacman architecture such as x86_64, found "${override}"`,
        {
          field: "archlinux.arch",
          found: override,
        },
      );
    }
    return override;
  }
  const a = TO_PACMAN[arch];
  if (a === undefined) {
    throw new SpecError(
      "INVALID_ARCH",
      `arch: no Arch Linux distribution ships "${arch}"; set archlinux.arch to write one anyway`,
      {
        field: "arch",
        found: arch,
        expected: Object.keys(TO_PACMAN),
      },
    );
  }
  return a;
}

/** The packyard arch for a pacman architecture name, or undefined for names outside the vocabulary. */
export function fromArchlinuxArch(name: string): Arch | undefined {
  return FROM_PACMAN[name];
}
