/**
 * The distro catalogue's API: look a target up by id (an unknown id lists the known ones), list a
 * family's targets, find the target of a host from its `/etc/os-release`, and validate a catalogue.
 */
import { RepoError } from "../errors.ts";
import type { Family } from "../publish/state.ts";
import { CATALOGUE } from "./catalogue.ts";
import { matchTarget, versionMatches } from "./os-release.ts";
import { type CatalogueTarget, FAMILY_FORMAT } from "./target.ts";

export { CATALOGUE } from "./catalogue.ts";
export { parseOsRelease } from "./os-release.ts";
export type {
  AlpineTarget,
  ApkInstall,
  AptInstall,
  ArchlinuxTarget,
  CatalogueTarget,
  DebTarget,
  Family,
  KeyAlgorithm,
  KeyFormat,
  OsReleaseMatch,
  PackageManager,
  PacmanInstall,
  RpmInstall,
  RpmTarget,
  TargetFormat,
  VersionMatch,
} from "./target.ts";
export { FAMILY_ARCHITECTURES, FAMILY_FORMAT, FAMILY_KEY_FORMAT, FAMILY_MANAGERS } from "./target.ts";
export { validateCatalogue } from "./validate.ts";

const BY_ID: ReadonlyMap<string, CatalogueTarget> = new Map(CATALOGUE.map((t) => [t.id, t]));

/** The leading letters of an id or name (`rocky-9` → `rocky`, `el9` → `el`). */
function head(s: string): string {
  return /^[a-z]*/.exec(s)?.[0] ?? "";
}

/** Words that point at a target: its id's head, its os-release IDs, its suite, codename, branch, distro folder. */
function wordsOf(t: CatalogueTarget): Set<string> {
  const words = new Set<string>([head(t.id), ...t.osRelease.ids, ...(t.osRelease.idLike ?? [])]);
  if (t.family === "deb") words.add(t.layout.suite);
  if (t.family === "rpm") words.add(t.layout.path.split("/")[0]!);
  if (t.osRelease.codename !== undefined) words.add(t.osRelease.codename);
  return words;
}

/** The family an unknown id seems to mean, when exactly one family's words or name fit its head. */
function guessFamily(found: string): Family | undefined {
  const h = head(found);
  if (h === "") return undefined;
  const families = new Set<Family>();
  for (const t of CATALOGUE) {
    if (wordsOf(t).has(h) || h === t.family || h === FAMILY_FORMAT[t.family] || h === t.install.manager)
      families.add(t.family);
  }
  return families.size === 1 ? [...families][0] : undefined;
}

/** The one target of `family` an unknown id seems to mean (`rocky-9` → el-9, `debian-bookworm` → debian-12). */
function suggest(found: string, family: Family): CatalogueTarget | undefined {
  const h = head(found);
  const rest = found.slice(h.length).replace(/^[-_ ]+/, "");
  if (rest === "") return undefined;
  // The release may follow more words (`opensuse-leap-15.6`): try its trailing number too.
  const releases = [rest, /[0-9][0-9.]*$/.exec(rest)?.[0]].filter((r) => r !== undefined);
  const fits = targetsOf(family).filter((t) => {
    if (!wordsOf(t).has(h)) return false;
    const m = t.osRelease;
    return releases.some(
      (r) =>
        r === t.id.slice(head(t.id).length).replace(/^-/, "") ||
        r === m.codename ||
        (t.family === "alpine" && r === t.layout.branch) ||
        (m.versionId !== undefined && versionMatches(m.versionId, r)),
    );
  });
  return fits.length === 1 ? fits[0] : undefined;
}

/**
 * The catalogue target with this id. An unknown id throws RepoError UNKNOWN_TARGET whose message lists
 * the known ids of the family the id seems to mean (all ids when none can be guessed), with a "did you
 * mean" when one target fits; data `{ found, expected: ids, family?, suggestion? }`.
 *
 * @example catalogueTarget("el-9").layout // { path: "el/9" }
 */
export function catalogueTarget(id: string): CatalogueTarget {
  const target = BY_ID.get(id);
  if (target !== undefined) return target;
  const found = String(id);
  const family = guessFamily(found.toLowerCase());
  const expected = (family === undefined ? CATALOGUE : targetsOf(family)).map((t) => t.id);
  const suggestion = family === undefined ? undefined : suggest(found.toLowerCase(), family);
  throw new RepoError(
    "UNKNOWN_TARGET",
    `unknown distro target ${JSON.stringify(found)}${suggestion === undefined ? "" : ` (did you mean ${suggestion.id}?)`}; ` +
      `expected one of the ${family === undefined ? "" : `${family} `}targets: ${expected.join(", ")}`,
    {
      found,
      expected,
      ...(family === undefined ? {} : { family }),
      ...(suggestion === undefined ? {} : { suggestion: suggestion.id }),
    },
  );
}

/**
 * The targets of one family, in catalogue order (a new array).
 *
 * @example targetsOf("alpine").map((t) => t.layout.branch) // ["v3.20", ..., "edge"]
 */
export function targetsOf(family: Family): CatalogueTarget[] {
  if (!Object.hasOwn(FAMILY_FORMAT, family))
    throw new RepoError(
      "INVALID_SETTING",
      `distro family: expected one of ${Object.keys(FAMILY_FORMAT).join(", ")}, found ${JSON.stringify(family)}`,
      { field: "family", expected: Object.keys(FAMILY_FORMAT), found: family },
    );
  return CATALOGUE.filter((t) => t.family === family);
}

/**
 * The target a host is, from its `/etc/os-release` (the file's text or its variables): its own release
 * (`ID`/`PLATFORM_ID` plus `VERSION_ID` or codename), else the release a derivative follows (`ID_LIKE`
 * plus its codename: Linux Mint 22 → ubuntu-24.04), else a rolling or catch-all target (Arch, Tumbleweed,
 * `deb-any` for Debian testing or Devuan). Undefined when nothing fits (CentOS 7, NixOS).
 *
 * @example matchOsRelease('ID="almalinux"\nID_LIKE="rhel centos fedora"\nVERSION_ID="8.10"\n')?.id // "el-8"
 */
export function matchOsRelease(
  osRelease: Readonly<Record<string, string>> | string,
): CatalogueTarget | undefined {
  return matchTarget(CATALOGUE, osRelease);
}
