/**
 * The build side of the distro catalogue. @packyard/repo's CATALOGUE is the one source of targets (ids,
 * families, formats, layouts, deprecation); the server adds here only what building needs, keyed by
 * catalogue id: the build environment a target's packages are written in and the labels an agent must
 * offer to build them. Every target is `native` today (@packyard/formats writes every package anywhere),
 * so the table is empty and each id takes {@link DEFAULT_BUILD_FIELDS}; an entry is added when a target
 * needs a distro container or a particular machine. The table is checked when this module loads: a key
 * that is not a catalogue id fails every import.
 */
import { CATALOGUE, type CatalogueTarget, catalogueTarget } from "@packyard/repo";
import { ServerError } from "../errors.ts";

/** What building a target takes beside the catalogue's facts. */
export interface BuildFields {
  /** Build environment id (`native`: written by @packyard/formats on any machine). */
  readonly environment: string;
  /** Labels an agent must offer to claim the target's jobs. */
  readonly labels: readonly string[];
}

/** The fields of a target without an entry. */
export const DEFAULT_BUILD_FIELDS: BuildFields = Object.freeze({ environment: "native", labels: [] });

/** Build-side fields by catalogue id; ids not listed take {@link DEFAULT_BUILD_FIELDS}. */
const BUILD_FIELDS: Readonly<Record<string, BuildFields>> = {};

const ENVIRONMENT = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,63}$/;

/**
 * Checks a build-field table against the catalogue: every key a catalogue id, environments as the jobs
 * table takes them, labels non-empty words. Throws ServerError INTERNAL naming the entry.
 */
export function checkBuildFields(
  table: Readonly<Record<string, BuildFields>>,
  catalogue: readonly CatalogueTarget[] = CATALOGUE,
): void {
  const ids = new Set(catalogue.map((t) => t.id));
  for (const [id, fields] of Object.entries(table)) {
    const where = `builds/catalogue.ts: ${id}`;
    if (!ids.has(id))
      throw new ServerError(
        "INTERNAL",
        `${where}: expected a catalogue id (${[...ids].join(", ")}), found an unknown one`,
        { field: id },
      );
    if (!ENVIRONMENT.test(fields.environment))
      throw new ServerError(
        "INTERNAL",
        `${where}: expected environment to match ${ENVIRONMENT}, found ${JSON.stringify(fields.environment)}`,
        { field: `${id}.environment` },
      );
    const bad = fields.labels.find((l) => !LABEL.test(l));
    if (bad !== undefined)
      throw new ServerError(
        "INTERNAL",
        `${where}: expected labels to match ${LABEL}, found ${JSON.stringify(bad)}`,
        { field: `${id}.labels` },
      );
  }
}

checkBuildFields(BUILD_FIELDS);

/** The build-side fields of a catalogue id. */
export function buildFieldsOf(id: string): BuildFields {
  return Object.hasOwn(BUILD_FIELDS, id) ? BUILD_FIELDS[id]! : DEFAULT_BUILD_FIELDS;
}

/** A @packyard/formats packager that writes repository packages. */
export type Packager = "deb" | "rpm" | "archlinux" | "apk";

const FAMILY_PACKAGER: Readonly<Record<CatalogueTarget["family"], Packager>> = {
  deb: "deb",
  rpm: "rpm",
  archlinux: "archlinux",
  alpine: "apk",
};

/**
 * The @packyard/formats packager that writes a target's packages (deb → deb, rpm → rpm, archlinux →
 * archlinux, alpine → apk).
 */
export function packagerOf(target: Pick<CatalogueTarget, "family">): Packager {
  return FAMILY_PACKAGER[target.family];
}

/** A target as `GET /api/v1/targets` lists it. */
export interface TargetEntry {
  id: string;
  name: string;
  family: CatalogueTarget["family"];
  format: CatalogueTarget["format"];
  packager: Packager;
  architectures: string[];
  layout: Record<string, string>;
  /** Why the target should no longer be chosen, or null. */
  deprecated: string | null;
  environment: string;
  labels: string[];
}

function entryOf(t: CatalogueTarget): TargetEntry {
  const fields = buildFieldsOf(t.id);
  return {
    id: t.id,
    name: t.name,
    family: t.family,
    format: t.format,
    packager: packagerOf(t),
    architectures: [...t.architectures],
    layout: { ...t.layout },
    deprecated: t.deprecated ?? null,
    environment: fields.environment,
    labels: [...fields.labels],
  };
}

/** Every catalogue target with its build-side fields, in catalogue order. */
export function listTargets(): TargetEntry[] {
  return CATALOGUE.map(entryOf);
}

/** A build warning (stored in builds.warnings). */
export interface BuildWarning {
  code: string;
  message: string;
}

/** Targets a build asked for, resolved. */
export interface ResolvedTargets {
  /** In request order, duplicates dropped. */
  targets: TargetEntry[];
  /** `TARGET_DEPRECATED` per deprecated target, naming the reason. */
  warnings: BuildWarning[];
}

const BY_ID: ReadonlyMap<string, CatalogueTarget> = new Map(CATALOGUE.map((t) => [t.id, t]));

/** Deb catalogue ids by their APT suite (`bookworm` → debian-12, `stable` → deb-any). */
export const CATALOGUE_IDS_BY_SUITE: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const t of CATALOGUE)
    if (t.family === "deb") m.set(t.layout.suite, [...(m.get(t.layout.suite) ?? []), t.id]);
  return m;
})();

/** The catalogue target with this id, or undefined. */
export function findTarget(id: string): CatalogueTarget | undefined {
  return BY_ID.get(id);
}

/**
 * Resolves catalogue ids. Unknown ids are never skipped: throws 422 UNKNOWN_TARGET with `details.unknown`
 * (every unknown id, in request order), `details.known` (every catalogue id) and `details.suggestions`
 * (`{ rocky-9: "el-9" }` where one target fits). Deprecated targets build, with a TARGET_DEPRECATED
 * warning each.
 *
 * @example resolveTargets(["debian-12", "fedora-41"]).warnings[0].code // "TARGET_DEPRECATED"
 */
export function resolveTargets(ids: readonly string[]): ResolvedTargets {
  const unknown = ids.filter((id) => !BY_ID.has(id));
  if (unknown.length > 0) {
    const suggestions: Record<string, string> = {};
    for (const id of unknown) {
      const s = suggestionFor(id);
      if (s !== undefined) suggestions[id] = s;
    }
    const hints = Object.entries(suggestions).map(([id, s]) => `${id} → ${s}?`);
    throw new ServerError(
      "UNKNOWN_TARGET",
      `Expected catalogue target ids, found unknown ${unknown.map((id) => JSON.stringify(id)).join(", ")}` +
        `${hints.length > 0 ? ` (did you mean: ${hints.join(", ")})` : ""}; GET /api/v1/targets lists them`,
      { field: "targets", unknown, known: CATALOGUE.map((t) => t.id), suggestions },
    );
  }
  const targets: TargetEntry[] = [];
  const warnings: BuildWarning[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const t = BY_ID.get(id)!;
    targets.push(entryOf(t));
    if (t.deprecated !== undefined)
      warnings.push({ code: "TARGET_DEPRECATED", message: `Target ${id} is deprecated: ${t.deprecated}` });
  }
  return { targets, warnings };
}

/** The catalogue's "did you mean" for an unknown id (its RepoError data), if it has one. */
function suggestionFor(id: string): string | undefined {
  try {
    catalogueTarget(id);
  } catch (e) {
    const s = (e as { data?: { suggestion?: unknown } }).data?.suggestion;
    return typeof s === "string" ? s : undefined;
  }
  return undefined;
}
