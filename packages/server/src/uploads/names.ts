/**
 * Names the uploads API accepts, checked on the decoded URL parameter (fastify decodes `%2e`, `%2F`, `%00`),
 * so `..`, `a/b` and NUL are refused however the client spelled them. A refused name is 400 INVALID_NAME.
 */
import { ServerError } from "../errors.ts";

/** A source file's access name (DistroPack's file reference), as issue 19 and the schema's CHECK have it. */
export const ACCESS_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * A ready-made package's file name: the access-name characters plus `+` and `~`, which Debian and rpm
 * versions carry (`hello_1.0+git1~rc1-1_amd64.deb`), starting with a letter or digit (the artifacts table's
 * CHECK), so never `.` or `..`.
 */
export const ARTIFACT_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9+~._-]{0,127}$/;

/** A package's name in a project (the packages table's CHECK). */
export const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9+._-]{0,127}$/;

/** A release's version: 1 to 128 characters, no white space, control character or `/` (releases' CHECK). */
export const RELEASE_VERSION = /^[^\s\p{Cc}/]{1,128}$/u;

/** The name as a message shows it: JSON-quoted (NUL reads `\u0000`), cut after 80 characters. */
function shown(name: string): string {
  const cut = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return JSON.stringify(cut);
}

function check(name: string, pattern: RegExp, field: string, expected: string): string {
  if (pattern.test(name) && name !== "." && name !== "..") return name;
  throw new ServerError(
    "INVALID_NAME",
    `Expected ${field} to be ${expected}, found ${shown(name)} (${name.length} characters)`,
    { field, expected: String(pattern), found: name.length > 200 ? `${name.slice(0, 200)}…` : name },
  );
}

/** Returns `name` when it is a valid access name; else throws INVALID_NAME naming `field`. */
export function checkAccessName(name: string, field = "accessName"): string {
  return check(name, ACCESS_NAME, field, "1 to 128 of A-Z a-z 0-9 . _ - and not . or ..");
}

/** Returns `name` when it is a valid package file name; else throws INVALID_NAME. */
export function checkArtifactFileName(name: string, field = "fileName"): string {
  return check(
    name,
    ARTIFACT_FILE_NAME,
    field,
    "1 to 128 of A-Z a-z 0-9 + ~ . _ - starting with a letter or digit",
  );
}

/** Returns `name` when it is a valid package name; else throws INVALID_NAME. */
export function checkPackageName(name: string, field = "package"): string {
  return check(name, PACKAGE_NAME, field, "1 to 128 of A-Z a-z 0-9 + . _ - starting with a letter or digit");
}

/** Returns `version` when it is a valid release version; else throws INVALID_REQUEST. */
export function checkReleaseVersion(version: string, field = "version"): string {
  if (RELEASE_VERSION.test(version)) return version;
  throw new ServerError(
    "INVALID_REQUEST",
    `Expected ${field} to be 1 to 128 characters without white space, control characters or /, found ${shown(version)}`,
    { field },
  );
}
