/**
 * The checks an APT suite's settings pass before any index or Release is built from them. Suite,
 * component and architecture names become storage keys and URL paths (`deb/dists/<suite>/<component>/
 * binary-<arch>/`), and Release field values must stay one clean line each, so both are restricted here.
 */
import { RepoError } from "../errors.ts";
import type { AptSettings } from "../publish/state.ts";

/**
 * Suite: `/`-separated segments of `[A-Za-z0-9._-]` (`bookworm`, `bookworm-updates`, `bookworm/updates`).
 * No `+`, `~` or `:`: S3 and the clients disagree on encoding them in paths (repos.md §7, pitfall 14).
 */
const SUITE = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
/** Codename and component: one segment of `[A-Za-z0-9._-]`, not starting with a dot. */
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** dpkg architecture names: lowercase letters, digits and `-` (dpkg-architecture(1)). */
const ARCH = /^[a-z0-9][a-z0-9-]*$/;

function invalid(field: string, expected: string, found: unknown): RepoError {
  return new RepoError(
    "INVALID_SETTING",
    `APT ${field}: expected ${expected}, found ${JSON.stringify(found)}`,
    {
      field,
      expected,
      found,
    },
  );
}

/** True when `arch` is a valid dpkg architecture name (lowercase letters, digits, `-`). */
export function isAptArchitecture(arch: string): boolean {
  return ARCH.test(arch);
}

function checkList(field: string, values: readonly string[], pattern: RegExp, expected: string): void {
  if (values.length === 0) throw invalid(field, `at least one ${expected}`, values);
  const seen = new Set<string>();
  for (const v of values) {
    if (!pattern.test(v)) throw invalid(field, expected, v);
    if (seen.has(v)) throw invalid(field, "each name once", v);
    seen.add(v);
  }
}

/** Single-line free-text fields (Origin, Label, Version): no line break, no control character. */
function checkLine(field: string, value: string | undefined): void {
  if (value !== undefined && /[\u0000-\u001f\u007f]/.test(value))
    throw invalid(field, "one line of text without control characters", value);
}

/**
 * Throws RepoError INVALID_SETTING unless the suite, codename, components and architectures are names
 * apt and every store accept, the free-text fields are single lines (Description may span lines), the
 * hash and compression lists are known, and `validFor` is a positive number of seconds.
 */
export function validateAptSettings(settings: AptSettings): void {
  if (!SUITE.test(settings.suite))
    throw invalid("suite", "segments of letters, digits, '.', '_' or '-' separated by '/'", settings.suite);
  if (!NAME.test(settings.codename))
    throw invalid("codename", "letters, digits, '.', '_' or '-'", settings.codename);
  checkList("components", settings.components, NAME, "component of letters, digits, '.', '_' or '-'");
  checkList("architectures", settings.architectures, ARCH, "dpkg architecture name ([a-z0-9-])");
  // `all` packages are folded into every binary-<arch>/Packages (Debian's practice); listing `all` in
  // Architectures would make apt fetch a binary-all index nobody writes (repos.md §2.5).
  if (settings.architectures.includes("all"))
    throw invalid("architectures", "real architectures only (`all` packages are folded into each)", "all");
  checkLine("origin", settings.origin);
  checkLine("label", settings.label);
  checkLine("version", settings.version);
  if (settings.description !== undefined && /[\u0000-\u0009\u000b-\u001f\u007f]/.test(settings.description))
    throw invalid(
      "description",
      "text without control characters other than line breaks",
      settings.description,
    );
  for (const h of settings.hashes)
    if (h !== "SHA256" && h !== "SHA512") throw invalid("hashes", "SHA256 or SHA512", h);
  if (!settings.hashes.includes("SHA256"))
    throw invalid("hashes", "a list including SHA256", settings.hashes);
  for (const c of settings.compressions)
    if (c !== "gz" && c !== "xz") throw invalid("compressions", "gz or xz", c);
  if (settings.validFor !== undefined && !(Number.isSafeInteger(settings.validFor) && settings.validFor > 0))
    throw invalid("validFor", "a positive whole number of seconds", settings.validFor);
}
