/** Alpine architecture names (abuild functions.sh arch_to_hostspec; nfpm apk/apk.go archToAlpine). */
import { SpecError } from "../errors.ts";
import type { Arch } from "../spec/types.ts";

/** packyard arch → Alpine arch. Alpine's `armhf` is ARMv6; Debian's armhf (ARMv7) is Alpine's `armv7`. */
const TO_APK: Partial<Record<Arch, string>> = {
  amd64: "x86_64",
  i386: "x86",
  arm64: "aarch64",
  armv7: "armv7",
  armv6: "armhf",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loongarch64",
  all: "noarch",
};

/** Every Alpine arch name packyard writes. */
export const APK_ARCHES: readonly string[] = Object.values(TO_APK);

/**
 * Alpine's name for a packyard arch; `override` (the `apk.arch` option) wins verbatim.
 * @throws SpecError INVALID_ARCH for arches Alpine has no port for (armv5, mips64le).
 * @example apkArch("armv6") // "armhf"
 */
export function apkArch(arch: Arch, override?: string): string {
  if (override !== undefined) {
    if (!/^[a-z0-9_]+$/.test(override)) {
      throw new SpecError(
        "INVALID_ARCH",
        `apk.arch: expected an Alpine arch name such as x86_64, found "${override}"`,
        { field: "apk.arch", found: override },
      );
    }
    return override;
  }
  const a = TO_APK[arch];
  if (a === undefined) {
    throw new SpecError(
      "INVALID_ARCH",
      `arch: Alpine has no port for "${arch}"; expected one of ${Object.keys(TO_APK).join(", ")} (or set apk.arch)`,
      {
        field: "arch",
        found: arch,
        expected: Object.keys(TO_APK),
      },
    );
  }
  return a;
}

/** packyard arch for an Alpine arch name, or undefined when it has none. */
export function archFromApk(name: string): Arch | undefined {
  for (const [k, v] of Object.entries(TO_APK)) if (v === name) return k as Arch;
  return undefined;
}
