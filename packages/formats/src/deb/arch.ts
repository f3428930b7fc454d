/**
 * Architecture names of Debian (dpkg data/cputable, dpkg-architecture(1)) to and from packyard's canonical
 * vocabulary.
 */
import type { Arch } from "../spec/types.ts";

const TO_DEB: Record<Arch, string> = {
  amd64: "amd64",
  arm64: "arm64",
  armv7: "armhf",
  // Debian has no ARMv6 port; nfpm maps arm6 to armhf (Raspbian's name for ARMv6 hard-float).
  armv6: "armhf",
  armv5: "armel",
  i386: "i386",
  ppc64le: "ppc64el",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64le: "mips64el",
  all: "all",
};

const FROM_DEB: Record<string, Arch> = {
  amd64: "amd64",
  arm64: "arm64",
  armhf: "armv7",
  armel: "armv5",
  i386: "i386",
  ppc64el: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64el: "mips64le",
  all: "all",
};

/**
 * Debian's name for a canonical architecture.
 * @example debArch("armv7") // "armhf"
 */
export function debArch(arch: Arch): string {
  return TO_DEB[arch];
}

/** The canonical architecture for a Debian architecture name, or undefined for names outside the vocabulary. */
export function archFromDeb(name: string): Arch | undefined {
  return FROM_DEB[name];
}
