/** Dependency strings as pacman spells them: `name`, `name>=1.2`, optdepends `name: why` (alpm_dep_from_string). */
import { SpecError } from "../errors.ts";
import { refuseRichRelation } from "../spec/relation.ts";
import type { Relation, RelationGroup, RelationKind, RelationOp, Relations } from "../spec/types.ts";

/** The .PKGINFO keys that carry relations. */
export interface ArchlinuxRelations {
  depend: string[];
  optdepend: string[];
  conflict: string[];
  provides: string[];
  replaces: string[];
}

/** packyard relation kind → .PKGINFO key. `enhances` has no pacman equivalent and is dropped with a warning. */
const KEY: Partial<Record<RelationKind, keyof ArchlinuxRelations>> = {
  depends: "depend",
  preDepends: "depend",
  recommends: "optdepend",
  suggests: "optdepend",
  conflicts: "conflict",
  breaks: "conflict",
  provides: "provides",
  replaces: "replaces",
};

const ORDER: readonly RelationKind[] = [
  "preDepends",
  "depends",
  "recommends",
  "suggests",
  "conflicts",
  "breaks",
  "provides",
  "replaces",
];

function one(r: Relation, kind: RelationKind, field: string): string {
  if (/[<>=:]/.test(r.name)) {
    throw new SpecError(
      "INVALID_RELATION",
      `${field}: pacman package names cannot contain <, >, = or ":", found "${r.name}"`,
      { field, found: r.name },
    );
  }
  if (kind === "provides" && r.op !== undefined && r.op !== "=") {
    throw new SpecError("INVALID_RELATION", `${field}: pacman provides may only use "=", found "${r.op}"`, {
      field,
      found: r.op,
    });
  }
  let s = r.name;
  if (r.op !== undefined) {
    if (r.version === undefined || /[\s]/.test(r.version)) {
      throw new SpecError("INVALID_RELATION", `${field}: expected a version without spaces after ${r.op}`, {
        field,
        found: r.version,
      });
    }
    s += `${r.op}${r.version}`;
  }
  if (kind === "recommends" || kind === "suggests") {
    const why = r.description?.trim();
    if (why !== undefined && /[\r\n]/.test(why)) {
      throw new SpecError("INVALID_RELATION", `${field}: an optdepend description must be one line`, {
        field,
        found: why,
      });
    }
    if (why) s += `: ${why}`;
  }
  return s;
}

/**
 * Translates relations into .PKGINFO lists. pacman has no alternatives: a group of more than one package is
 * SpecError INVALID_RELATION naming the field. Returns the kinds that were dropped (for warnings).
 */
export function toArchlinuxRelations(relations: Relations): {
  out: ArchlinuxRelations;
  dropped: RelationKind[];
} {
  const out: ArchlinuxRelations = { depend: [], optdepend: [], conflict: [], provides: [], replaces: [] };
  const dropped: RelationKind[] = [];
  for (const kind of Object.keys(relations) as RelationKind[]) {
    if (KEY[kind] === undefined && (relations[kind]?.length ?? 0) > 0) dropped.push(kind);
  }
  for (const kind of ORDER) {
    const key = KEY[kind]!;
    (relations[kind] ?? []).forEach((group: RelationGroup, i) => {
      const field = `relations.${kind}[${i}]`;
      for (const r of group) refuseRichRelation(r, kind, field, "archlinux (pacman)");
      if (group.length !== 1) {
        throw new SpecError(
          "INVALID_RELATION",
          `${field}: pacman has no alternatives ("a | b"); found ${group.length} packages`,
          {
            field,
            found: group.map((r) => r.name),
          },
        );
      }
      out[key].push(one(group[0]!, kind, field));
    });
  }
  return { out, dropped };
}

const DEP = /^([^<>=]+?)(<=|>=|<|>|=)(.+)$/;

/** Parses one pacman dependency string (`name`, `name>=1.0`, optdepend `name: why`) into a Relation. */
export function parseArchlinuxDependency(s: string, optional = false): Relation {
  let text = s;
  let description: string | undefined;
  if (optional) {
    const c = s.indexOf(": ");
    if (c >= 0) {
      text = s.slice(0, c);
      description = s.slice(c + 2);
    } else if (s.endsWith(":")) text = s.slice(0, -1);
  }
  const m = DEP.exec(text);
  const r: Relation = m ? { name: m[1]!, op: m[2] as RelationOp, version: m[3]! } : { name: text };
  if (description !== undefined) r.description = description;
  return r;
}
