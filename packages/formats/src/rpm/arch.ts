/** Architecture names as rpm spells them, and the `%{_isa}` suffix rpmbuild adds to the self-provide. */
import type { Arch } from "../spec/types.ts";

const RPM_ARCH: Record<Arch, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armv7: "armv7hl",
  armv6: "armv6hl",
  armv5: "armv5tel",
  i386: "i686",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loongarch64",
  mips64le: "mips64el",
  all: "noarch",
};

// rpm's platform macros (`%_isa`): only the arches whose isa name is certain are listed.
const ISA: Record<string, string> = {
  x86_64: "x86-64",
  aarch64: "aarch-64",
  i686: "x86-32",
  ppc64le: "ppc-64",
  s390x: "s390-64",
  riscv64: "riscv-64",
  loongarch64: "loongarch-64",
};

/**
 * rpm's name for a packyard architecture.
 * @example rpmArch("amd64") // "x86_64"
 */
export function rpmArch(arch: Arch): string {
  return RPM_ARCH[arch];
}

/** packyard's architecture for an rpm arch name, or undefined when it has none. */
export function archFromRpm(name: string): Arch | undefined {
  for (const [k, v] of Object.entries(RPM_ARCH)) if (v === name) return k as Arch;
  if (/^i[3-6]86$/.test(name)) return "i386";
  return undefined;
}

/** The `(x86-64)`-style suffix of the arch-qualified self-provide, or undefined (noarch and unknown isas). */
export function rpmIsa(rpmArchName: string): string | undefined {
  return ISA[rpmArchName];
}
