/**
 * Architectures: Distribution `hostArchitectures` from the spec's arch (Apple's Distribution XML reference,
 * `options`).
 */
import { SpecError } from "../errors.ts";
import type { Arch } from "../spec/types.ts";

/** `amd64` → `x86_64`, `arm64` → `arm64`, `all` → both (universal). Other arches have no macOS host. */
export function toMacosArchitectures(arch: Arch): string[] {
  if (arch === "amd64") return ["x86_64"];
  if (arch === "arm64") return ["arm64"];
  if (arch === "all") return ["x86_64", "arm64"];
  throw new SpecError("INVALID_ARCH", `arch: macOS packages are for amd64, arm64 or all, found "${arch}"`, {
    field: "arch",
    found: arch,
    expected: ["amd64", "arm64", "all"],
  });
}

/** The packyard arch of a `hostArchitectures` list (`x86_64,arm64` → `all`); undefined when unknown. */
export function fromMacosArchitectures(list: readonly string[]): Arch | undefined {
  const s = new Set(list);
  if (s.has("x86_64") && s.has("arm64")) return "all";
  if (s.has("x86_64") && s.size === 1) return "amd64";
  if (s.has("arm64") && s.size === 1) return "arm64";
  return undefined;
}
