/**
 * Relations in apk syntax (apk-package(5), apk-world(5)): one `depend =` line per dependency, `!name` for a
 * conflict, `provides = name=ver`, `replaces = name`. apk has no alternatives and no weak dependencies.
 */
import { FormatError, SpecError } from "../errors.ts";
import type { Warning } from "../format.ts";
import { refuseRichRelation } from "../spec/relation.ts";
import { parseVersion } from "../spec/version.ts";
import type { Relation, RelationOp, Relations } from "../spec/types.ts";
import { isValidApkVersion, toApkVersion } from "./version.ts";

/** What `.PKGINFO` gets from a spec's relations. */
export interface ApkRelationLines {
  depend: string[];
  provides: string[];
  replaces: string[];
}

const NAME = /^[^\s<>=~!]+$/;
const FUZZY_OPS: Readonly<Record<string, RelationOp>> = { "~": "=", "<~": "<=", ">~": ">=" };

function invalid(field: string, what: string, found: unknown): SpecError {
  return new SpecError("INVALID_RELATION", `${field}: ${what}`, { field, found });
}

/** A relation's version in apk syntax: verbatim when apk parses it, else translated from semver without `-rN`. */
function relationVersion(v: string, field: string): string {
  if (isValidApkVersion(v)) return v;
  const parsed = parseVersion(v, { field });
  const apk = toApkVersion({ ...parsed, release: "0" }, field);
  return apk.slice(0, apk.lastIndexOf("-r"));
}

/** `name`, `name>=1.0`: apk writes operator and version glued to the name. */
export function formatApkRelation(r: Relation, field: string): string {
  if (!NAME.test(r.name)) throw invalid(field, `expected an apk package name, found "${r.name}"`, r.name);
  if (r.op === undefined || r.version === undefined) return r.name;
  return `${r.name}${r.op}${relationVersion(r.version, field)}`;
}

const RELATION_SYNTAX = "a package name, optionally followed by <, <=, =, >=, >, ~, <~ or >~ and a version";

/**
 * Parses one apk dependency (`!foo>=1.0`, `so:libc.musl-x86_64.so.1`, `bar~1.2`) back into a Relation.
 * `field` is the `.PKGINFO` key it came from, for the error.
 * @throws FormatError INVALID_VALUE when there is no name (empty, `!` alone, or starting with `<>=~`) or an
 * operator has no version after it.
 */
export function parseApkRelation(text: string, field = "depend"): { relation: Relation; conflict: boolean } {
  const conflict = text.startsWith("!");
  const body = conflict ? text.slice(1) : text;
  const m = /^([^<>=~]+)(<=|>=|<~|>~|=|<|>|~)?(.*)$/.exec(body);
  if (m === null || (m[2] !== undefined && m[3] === "")) {
    const what =
      m !== null
        ? "has an operator but no version"
        : body === ""
          ? "has no package name"
          : "starts with an operator, not a package name";
    throw new FormatError(
      "INVALID_VALUE",
      `apk: .PKGINFO ${field} ${JSON.stringify(text)} ${what}; expected ${RELATION_SYNTAX}`,
      { path: ".PKGINFO", field, expected: RELATION_SYNTAX, found: text },
    );
  }
  const relation: Relation = { name: m[1]! };
  if (m[2] !== undefined) {
    // apk's fuzzy forms have no neutral operator: `~` (prefix match) reads as `=`, `<~`/`>~` as `<=`/`>=`.
    relation.op = FUZZY_OPS[m[2]] ?? (m[2] as RelationOp);
    relation.version = m[3]!;
  }
  return { relation, conflict };
}

/**
 * Renders the spec's relations. depends and preDepends → `depend`; conflicts and breaks → `depend = !name`;
 * provides → `provides` (only `=` versions); replaces → `replaces` (names only). recommends, suggests and
 * enhances have no apk form: each dropped one is reported through `warn`.
 * @throws SpecError INVALID_RELATION for alternatives (`a | b`), versioned replaces, or provides with `<`/`>`.
 */
export function apkRelations(relations: Relations, warn: (w: Warning) => void): ApkRelationLines {
  const out: ApkRelationLines = { depend: [], provides: [], replaces: [] };
  // apk has no boolean dependencies: an rpm rich dependency among the kinds apk writes is refused.
  for (const kind of ["preDepends", "depends", "conflicts", "breaks", "provides", "replaces"] as const) {
    relations[kind]?.forEach((g, i) => {
      for (const r of g) refuseRichRelation(r, kind, `relations.${kind}[${i}]`, "apk");
    });
  }
  const single = (kind: string, i: number, group: Relation[]): Relation => {
    if (group.length !== 1) {
      throw invalid(
        `relations.${kind}[${i}]`,
        `apk has no alternatives; found ${group.map((r) => r.name).join(" | ")}`,
        group,
      );
    }
    return group[0]!;
  };
  for (const kind of ["preDepends", "depends"] as const) {
    relations[kind]?.forEach((g, i) => {
      out.depend.push(formatApkRelation(single(kind, i, g), `relations.${kind}[${i}]`));
    });
  }
  for (const kind of ["conflicts", "breaks"] as const) {
    relations[kind]?.forEach((g, i) => {
      for (const r of g) out.depend.push(`!${formatApkRelation(r, `relations.${kind}[${i}]`)}`);
    });
  }
  relations.provides?.forEach((g, i) => {
    const r = single("provides", i, g);
    if (r.op !== undefined && r.op !== "=") {
      throw invalid(
        `relations.provides[${i}]`,
        `apk provides carry an exact version (name=1.0); found "${r.op}"`,
        r,
      );
    }
    out.provides.push(formatApkRelation(r, `relations.provides[${i}]`));
  });
  relations.replaces?.forEach((g, i) => {
    const r = single("replaces", i, g);
    if (r.op !== undefined)
      throw invalid(
        `relations.replaces[${i}]`,
        `apk replaces name packages without versions; found "${r.name}${r.op}${r.version}"`,
        r,
      );
    out.replaces.push(formatApkRelation(r, `relations.replaces[${i}]`));
  });
  for (const kind of ["recommends", "suggests", "enhances"] as const) {
    const groups = relations[kind];
    if (groups !== undefined && groups.length > 0) {
      warn({
        code: "APK_RELATION_DROPPED",
        message: `apk has no ${kind}: ${groups.map((g) => g.map((r) => r.name).join(" | ")).join(", ")} not written`,
      });
    }
  }
  // A repeated line is harmless to apk but noisy; keep the first of each.
  out.depend = [...new Set(out.depend)];
  return out;
}
