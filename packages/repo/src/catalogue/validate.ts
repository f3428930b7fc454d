/**
 * The checks every catalogue passes — the built-in one when its module loads, so a bad edit fails every
 * import. The input is treated as unknown (it may come from JSON), every problem is collected, and one
 * RepoError INVALID_SETTING names them all with their field paths.
 */
import { RepoError } from "../errors.ts";
import type { Family } from "../publish/state.ts";
import {
  type CatalogueTarget,
  FAMILY_ARCHITECTURES,
  FAMILY_FORMAT,
  FAMILY_KEY_FORMAT,
  FAMILY_MANAGERS,
  type KeyAlgorithm,
} from "./target.ts";

/** Target ids: lowercase, digits, `.` and `-`, starting with a letter or digit. */
export const TARGET_ID = /^[a-z0-9][a-z0-9.-]*$/;
/** RPM-MD paths: exactly two segments (`el/9`); `.` and `..` segments are refused separately. */
const RPM_PATH = /^[a-z0-9.-]+\/[a-z0-9.-]+$/;
/** Suite, component and pacman repo folder: one lowercase segment that cannot be `.` or `..`. */
const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const ALPINE_BRANCH = /^(v[0-9]+\.[0-9]+|edge)$/;
/** os-release(5): ID, ID_LIKE entries, VERSION_ID and VERSION_CODENAME use lowercase a-z, 0-9, `.`, `_`, `-`. */
const OS_RELEASE_WORD = /^[a-z0-9._-]+$/;
const PLATFORM_ID = /^platform:[a-z0-9._-]+$/;

const FAMILIES: readonly Family[] = ["deb", "rpm", "archlinux", "alpine"];
const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["rsa", "eddsa"];

const LAYOUT_KEYS: Readonly<Record<Family, readonly string[]>> = {
  deb: ["suite", "component"],
  rpm: ["path"],
  archlinux: ["repo"],
  alpine: ["branch"],
};
const INSTALL_KEYS: Readonly<Record<Family, readonly string[]>> = {
  deb: ["manager", "keyFormat", "keyAlgorithms", "verifier", "inlineSignedBy", "keyringsDir"],
  rpm: ["manager", "dnf", "releaseverInBaseUrl", "keyFormat", "keyAlgorithms"],
  archlinux: ["manager", "keyFormat", "keyAlgorithms"],
  alpine: ["manager", "keyFormat", "keyAlgorithms"],
};
const TARGET_KEYS = [
  "id",
  "name",
  "deprecated",
  "family",
  "format",
  "architectures",
  "layout",
  "osRelease",
  "install",
];
const OS_RELEASE_KEYS = ["ids", "idLike", "versionId", "codename", "platformId"];
const VERSION_KINDS = ["exact", "series", "contains"];

type Fields = Readonly<Record<string, unknown>>;

function isRecord(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return v === undefined ? "nothing" : JSON.stringify(v);
}

/** Collects problems as `field: expected ..., found ...`. */
class Problems {
  readonly list: { field: string; expected: string; found: unknown }[] = [];
  add(field: string, expected: string, found: unknown): void {
    this.list.push({ field, expected, found });
  }
  onlyKeys(field: string, value: Fields, allowed: readonly string[]): void {
    for (const k of Object.keys(value))
      if (!allowed.includes(k))
        this.add(`${field}.${k}`, `no such field (known: ${allowed.join(", ")})`, value[k]);
  }
  string(field: string, value: unknown, pattern: RegExp | undefined, expected: string): value is string {
    if (typeof value === "string" && value.trim() !== "" && (pattern === undefined || pattern.test(value)))
      return true;
    this.add(field, expected, value);
    return false;
  }
  /** A non-empty list of distinct strings, each passing `each`. */
  nonEmptyList(
    field: string,
    value: unknown,
    each: (v: string) => boolean,
    expected: string,
  ): value is string[] {
    if (!Array.isArray(value) || value.length === 0) {
      this.add(field, `a non-empty list of ${expected}`, value);
      return false;
    }
    const seen = new Set<unknown>();
    value.forEach((v, i) => {
      if (typeof v !== "string" || !each(v)) this.add(`${field}[${i}]`, expected, v);
      else if (seen.has(v)) this.add(`${field}[${i}]`, "each value once", v);
      seen.add(v);
    });
    return true;
  }
  boolean(field: string, value: unknown): void {
    if (typeof value !== "boolean") this.add(field, "true or false", value);
  }
}

function checkLayout(p: Problems, field: string, family: Family, layout: unknown): string | undefined {
  if (!isRecord(layout)) {
    p.add(field, `a ${family} layout { ${LAYOUT_KEYS[family].join(", ")} }`, layout);
    return undefined;
  }
  p.onlyKeys(field, layout, LAYOUT_KEYS[family]);
  const segment = "one lowercase path segment of a-z, 0-9, '.', '_', '-'";
  switch (family) {
    case "deb": {
      const ok =
        p.string(`${field}.suite`, layout.suite, SEGMENT, segment) &&
        p.string(`${field}.component`, layout.component, SEGMENT, segment);
      return ok ? `deb/${layout.suite}/${layout.component}` : undefined;
    }
    case "rpm": {
      const path = layout.path;
      const expected =
        "two path segments of a-z, 0-9, '.', '-' (distro/release, as el/9), neither '.' nor '..'";
      if (!p.string(`${field}.path`, path, RPM_PATH, expected)) return undefined;
      if (path.split("/").some((s) => s === "." || s === "..")) {
        p.add(`${field}.path`, expected, path);
        return undefined;
      }
      return `rpm/${path}`;
    }
    case "archlinux":
      return p.string(`${field}.repo`, layout.repo, SEGMENT, segment)
        ? `archlinux/${layout.repo}`
        : undefined;
    case "alpine":
      return p.string(
        `${field}.branch`,
        layout.branch,
        ALPINE_BRANCH,
        "an Alpine branch: v<major>.<minor> or edge",
      )
        ? `alpine/${layout.branch}`
        : undefined;
  }
}

function checkInstall(p: Problems, field: string, family: Family, install: unknown): void {
  if (!isRecord(install)) {
    p.add(field, `the ${family} install facts { ${INSTALL_KEYS[family].join(", ")} }`, install);
    return;
  }
  p.onlyKeys(field, install, INSTALL_KEYS[family]);
  const managers = FAMILY_MANAGERS[family];
  if (!managers.includes(install.manager as never))
    p.add(`${field}.manager`, `a ${family} package manager: ${managers.join(", ")}`, install.manager);
  const keyFormat = FAMILY_KEY_FORMAT[family];
  if (install.keyFormat !== keyFormat)
    p.add(`${field}.keyFormat`, `${keyFormat} for ${family}`, install.keyFormat);
  const algorithms = keyFormat === "rsa-pem" ? (["rsa"] as const) : KEY_ALGORITHMS;
  p.nonEmptyList(
    `${field}.keyAlgorithms`,
    install.keyAlgorithms,
    (a) => algorithms.includes(a as KeyAlgorithm),
    `key algorithms (${algorithms.join(", ")})`,
  );
  if (family === "deb") {
    if (install.verifier !== "gpgv" && install.verifier !== "sqv")
      p.add(`${field}.verifier`, "gpgv or sqv", install.verifier);
    p.boolean(`${field}.inlineSignedBy`, install.inlineSignedBy);
    p.boolean(`${field}.keyringsDir`, install.keyringsDir);
  }
  if (family === "rpm") {
    p.boolean(`${field}.releaseverInBaseUrl`, install.releaseverInBaseUrl);
    const known = managers.includes(install.manager as never);
    if (
      known &&
      (install.manager === "dnf" ? install.dnf !== 4 && install.dnf !== 5 : install.dnf !== undefined)
    )
      p.add(
        `${field}.dnf`,
        install.manager === "dnf" ? "4 or 5" : "nothing (the manager is not dnf)",
        install.dnf,
      );
  }
}

function checkOsRelease(p: Problems, field: string, m: unknown): void {
  if (!isRecord(m)) {
    p.add(field, "the os-release values { ids, idLike?, versionId?, codename?, platformId? }", m);
    return;
  }
  p.onlyKeys(field, m, OS_RELEASE_KEYS);
  const word = "an os-release value of a-z, 0-9, '.', '_', '-'";
  p.nonEmptyList(`${field}.ids`, m.ids, (v) => OS_RELEASE_WORD.test(v), "os-release IDs");
  if (m.idLike !== undefined)
    p.nonEmptyList(`${field}.idLike`, m.idLike, (v) => OS_RELEASE_WORD.test(v), "os-release IDs");
  if (m.versionId !== undefined) {
    const v = m.versionId;
    const kinds = isRecord(v) ? Object.keys(v) : [];
    const kind = kinds[0];
    if (!isRecord(v) || kinds.length !== 1 || kind === undefined || !VERSION_KINDS.includes(kind))
      p.add(`${field}.versionId`, "one of { exact }, { series }, { contains }", v);
    else p.string(`${field}.versionId.${kind}`, v[kind], OS_RELEASE_WORD, word);
  }
  if (m.codename !== undefined) p.string(`${field}.codename`, m.codename, OS_RELEASE_WORD, word);
  if (m.platformId !== undefined)
    p.string(`${field}.platformId`, m.platformId, PLATFORM_ID, "platform:<name>");
}

/** Two entries no os-release can tell apart: a shared ID and the same release rule (or both rolling). */
function sameRelease(a: CatalogueTarget, b: CatalogueTarget): boolean {
  const x = a.osRelease;
  const y = b.osRelease;
  if (!x.ids.some((id) => y.ids.includes(id))) return false;
  const rolling = (m: typeof x) =>
    m.versionId === undefined && m.codename === undefined && m.platformId === undefined;
  if (rolling(x) && rolling(y)) return true;
  if (x.codename !== undefined && x.codename === y.codename) return true;
  if (x.platformId !== undefined && x.platformId === y.platformId) return true;
  return x.versionId !== undefined && JSON.stringify(x.versionId) === JSON.stringify(y.versionId);
}

/**
 * Throws RepoError INVALID_SETTING (data `{ problems: [{ field, expected, found }] }`) unless `list` is a
 * catalogue: ids of `^[a-z0-9][a-z0-9.-]*$`, each once; a name; a known family with its format; a
 * non-empty list of architectures from the family's vocabulary; the family's layout (rpm: exactly two
 * segments, no `..`) naming a location no other target uses; os-release values no other target has; and
 * install facts that fit the family (manager, key format, dnf generation only for dnf).
 *
 * @example validateCatalogue(CATALOGUE) // the built-in catalogue passes
 */
export function validateCatalogue(list: unknown): asserts list is readonly CatalogueTarget[] {
  const p = new Problems();
  if (!Array.isArray(list)) p.add("catalogue", "a list of targets", list);
  const entries: readonly unknown[] = Array.isArray(list) ? list : [];
  const ids = new Map<string, number>();
  const locations = new Map<string, string>();
  const good: CatalogueTarget[] = [];
  entries.forEach((t, i) => {
    const field = `catalogue[${i}]`;
    if (!isRecord(t)) {
      p.add(field, "a target object", t);
      return;
    }
    const before = p.list.length;
    const at = typeof t.id === "string" ? `${field} (${t.id})` : field;
    p.onlyKeys(at, t, TARGET_KEYS);
    if (p.string(`${at}.id`, t.id, TARGET_ID, "an id matching ^[a-z0-9][a-z0-9.-]*$")) {
      const first = ids.get(t.id);
      if (first !== undefined) p.add(`${at}.id`, `an id not already used by catalogue[${first}]`, t.id);
      else ids.set(t.id, i);
    }
    p.string(`${at}.name`, t.name, undefined, "a human name");
    if (t.deprecated !== undefined) p.string(`${at}.deprecated`, t.deprecated, undefined, "a reason");
    const family = FAMILIES.find((f) => f === t.family);
    if (family === undefined) {
      p.add(`${at}.family`, `one of ${FAMILIES.join(", ")}`, t.family);
      return;
    }
    if (t.format !== FAMILY_FORMAT[family])
      p.add(`${at}.format`, `${FAMILY_FORMAT[family]} (the ${family} family's format)`, t.format);
    const vocabulary = FAMILY_ARCHITECTURES[family];
    p.nonEmptyList(
      `${at}.architectures`,
      t.architectures,
      (a) => vocabulary.includes(a),
      `${family} architecture names (${vocabulary.join(", ")})`,
    );
    const location = checkLayout(p, `${at}.layout`, family, t.layout);
    if (location !== undefined) {
      const owner = locations.get(location);
      if (owner !== undefined)
        p.add(`${at}.layout`, `a location no other target uses (${owner} has it)`, t.layout);
      else locations.set(location, String(t.id));
    }
    checkOsRelease(p, `${at}.osRelease`, t.osRelease);
    checkInstall(p, `${at}.install`, family, t.install);
    if (p.list.length === before) {
      const target = t as unknown as CatalogueTarget;
      const twin = good.find((g) => sameRelease(g, target));
      if (twin !== undefined)
        p.add(`${at}.osRelease`, `os-release values that tell it apart from ${twin.id}`, target.osRelease);
      good.push(target);
    }
  });
  if (p.list.length > 0) {
    const lines = p.list.map((x) => `${x.field}: expected ${x.expected}, found ${show(x.found)}`);
    throw new RepoError(
      "INVALID_SETTING",
      `distro catalogue: ${lines.length} problem${lines.length === 1 ? "" : "s"}:\n  ${lines.join("\n  ")}`,
      { field: p.list[0]!.field, problems: p.list },
    );
  }
}
