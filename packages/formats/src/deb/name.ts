/** Debian package names (deb-control(5), Debian Policy §5.6.1) and deb file names. */
import { SpecError } from "../errors.ts";

/**
 * Why dpkg-deb would refuse `name`, or undefined. dpkg-deb --build (src/deb/build.c) insists on
 * lowercase `[a-z0-9+.-]` starting with an alphanumeric; Policy asks for at least two characters.
 */
export function debNameProblem(name: string): string | undefined {
  if (name.length < 2) return "a Debian package name has at least two characters";
  if (!/^[a-z0-9]/.test(name)) return "a Debian package name starts with a lowercase letter or a digit";
  const bad = /[^a-z0-9+.-]/.exec(name);
  if (bad) return `a Debian package name contains only a-z, 0-9, "+", "-" and "."; found "${bad[0]}"`;
  return undefined;
}

/** Throws SpecError INVALID_NAME when dpkg-deb would refuse the package name. */
export function assertDebName(name: string, field = "name"): void {
  const problem = debNameProblem(name);
  if (problem !== undefined) {
    throw new SpecError(
      "INVALID_NAME",
      `${field}: "${name}" is not a valid Debian package name: ${problem}`,
      {
        field,
        found: name,
      },
    );
  }
}

/**
 * The conventional file name `name_version_arch.deb`, with the epoch left out (as dpkg-name and
 * Debian archives do, since ":" is awkward in file names).
 * @example debFileName("hello", "1:1.0-1", "amd64") // "hello_1.0-1_amd64.deb"
 */
export function debFileName(name: string, version: string, arch: string): string {
  const noEpoch = version.replace(/^[0-9]+:/, "");
  return `${name}_${noEpoch}_${arch}.deb`;
}
