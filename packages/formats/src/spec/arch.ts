import { SpecError } from "../errors.ts";
import { ARCHES, type Arch } from "./types.ts";

// Go GOARCH names, `uname -m` names and distro names, mapped to the canonical vocabulary.
// Note: "armhf" means ARMv7 on Debian but ARMv6 on Alpine; as an input we follow Debian (the common case).
const ALIASES: Record<string, Arch> = {
  amd64: "amd64",
  x86_64: "amd64",
  x64: "amd64",
  arm64: "arm64",
  aarch64: "arm64",
  arm7: "armv7",
  armv7: "armv7",
  armv7l: "armv7",
  armv7h: "armv7",
  armv7hl: "armv7",
  armhf: "armv7",
  arm: "armv7",
  arm6: "armv6",
  armv6: "armv6",
  armv6l: "armv6",
  armv6h: "armv6",
  armv6hl: "armv6",
  arm5: "armv5",
  armv5: "armv5",
  armv5tel: "armv5",
  armel: "armv5",
  "386": "i386",
  i386: "i386",
  i486: "i386",
  i586: "i386",
  i686: "i386",
  x86: "i386",
  ppc64le: "ppc64le",
  ppc64el: "ppc64le",
  s390x: "s390x",
  s390: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  loongarch64: "loong64",
  mips64le: "mips64le",
  mips64el: "mips64le",
  all: "all",
  any: "all",
  noarch: "all",
};

/**
 * Maps an architecture name in Go, `uname -m` or distro spelling to packyard's canonical vocabulary.
 * @example parseArch("x86_64") // "amd64"
 */
export function parseArch(input: string, field = "arch"): Arch {
  const key = input
    .trim()
    .toLowerCase()
    .replace(/_(softfloat|hardfloat)$/, "");
  const arch = ALIASES[key];
  if (arch === undefined) {
    throw new SpecError(
      "INVALID_ARCH",
      `${field}: unknown architecture "${input}"; expected one of ${ARCHES.join(", ")} (or x86_64, aarch64, 386, i686, armhf, ...)`,
      { field, found: input, expected: ARCHES },
    );
  }
  return arch;
}
