/** Package identifiers: reverse-DNS names, defaulted from homepage (or maintainer e-mail) and name. */
import { SpecError } from "../errors.ts";
import type { PackageSpec } from "../spec/types.ts";

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9_-]*)+$/;

function label(s: string): string {
  return s.replace(/[^A-Za-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/**
 * The default identifier: the homepage host reversed (`https://www.example.org/x` → `org.example`), else the
 * maintainer's e-mail domain reversed, else `local`; then the package name.
 * @example defaultIdentifier({ name: "hello", homepage: "https://example.org" }) // "org.example.hello"
 */
export function defaultIdentifier(spec: Pick<PackageSpec, "name" | "homepage" | "maintainer">): string {
  let host: string | undefined;
  if (spec.homepage) {
    try {
      host = new URL(spec.homepage).hostname;
    } catch {
      host = undefined;
    }
  }
  if (!host && spec.maintainer) host = /@([^>\s]+)>?\s*$/.exec(spec.maintainer)?.[1];
  const parts = (host ?? "local")
    .toLowerCase()
    .replace(/^www\./, "")
    .split(".")
    .filter(Boolean)
    .reverse()
    .map(label);
  return [...parts, label(spec.name)].join(".");
}

/** Checks a user-given identifier (reverse-DNS: at least two dot-separated alphanumeric labels). */
export function checkIdentifier(id: string, field = "macos.identifier"): string {
  if (!IDENTIFIER.test(id)) {
    throw new SpecError(
      "INVALID_FIELD",
      `${field}: expected a reverse-DNS identifier such as com.example.tool, found ${JSON.stringify(id)}`,
      {
        field,
        found: id,
      },
    );
  }
  return id;
}
