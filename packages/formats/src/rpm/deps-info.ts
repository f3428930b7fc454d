/**
 * Dependencies as a reader reports them: every NAME/FLAGS/VERSION triplet verbatim (what RPM-MD
 * indexes filter for themselves), and the format-neutral relations derived from them.
 */
import { FormatError } from "../errors.ts";
import type { InfoRelations, RpmDependencies, RpmDependency } from "../info/types.ts";
import type { Relation, RelationGroup } from "../spec/types.ts";
import { type DecodedHeader, headerNumbers, headerStrings } from "./header.ts";
import { opOf, phasesOf, SENSE } from "./sense.ts";
import { TAG } from "./tags.ts";

/** NAME, FLAGS and VERSION tags of each dependency list (rpmtag.h). */
const DEPENDENCY_TAGS: Record<keyof RpmDependencies, readonly [number, number, number]> = {
  requires: [TAG.REQUIRENAME, TAG.REQUIREFLAGS, TAG.REQUIREVERSION],
  provides: [TAG.PROVIDENAME, TAG.PROVIDEFLAGS, TAG.PROVIDEVERSION],
  conflicts: [TAG.CONFLICTNAME, TAG.CONFLICTFLAGS, TAG.CONFLICTVERSION],
  obsoletes: [TAG.OBSOLETENAME, TAG.OBSOLETEFLAGS, TAG.OBSOLETEVERSION],
  recommends: [TAG.RECOMMENDNAME, TAG.RECOMMENDFLAGS, TAG.RECOMMENDVERSION],
  suggests: [TAG.SUGGESTNAME, TAG.SUGGESTFLAGS, TAG.SUGGESTVERSION],
  supplements: [TAG.SUPPLEMENTNAME, TAG.SUPPLEMENTFLAGS, TAG.SUPPLEMENTVERSION],
  enhances: [TAG.ENHANCENAME, TAG.ENHANCEFLAGS, TAG.ENHANCEVERSION],
};

/**
 * One dependency list in header order. FLAGS and VERSION may be absent (old packages: unversioned
 * provides), but when present they must have one element per name; rpm drops the whole list otherwise
 * (lib/rpmds.c rpmdsNewPool), which would silently lose dependencies, so it is an error here.
 */
function dependencyList(h: DecodedHeader, kind: keyof RpmDependencies): RpmDependency[] {
  const [nameTag, flagsTag, versionTag] = DEPENDENCY_TAGS[kind];
  const names = headerStrings(h, nameTag) ?? [];
  const flags = headerNumbers(h, flagsTag);
  const versions = headerStrings(h, versionTag);
  for (const [what, arr] of [
    ["FLAGS", flags],
    ["VERSION", versions],
  ] as const) {
    if (arr !== undefined && arr.length !== names.length)
      throw new FormatError(
        "BAD_HEADER",
        `rpm header: ${kind} has ${names.length} names but ${arr.length} ${what} elements`,
        { expected: names.length, found: arr.length },
      );
  }
  return names.map((name, i) => {
    const f = flags?.[i] ?? 0;
    return { name, flags: f, version: versions?.[i] ?? "", phases: phasesOf(f) };
  });
}

/** Every dependency list of the main header, verbatim: rpmlib(), config(), interpreters and self-provides kept. */
export function readDependencies(h: DecodedHeader): RpmDependencies {
  return {
    requires: dependencyList(h, "requires"),
    provides: dependencyList(h, "provides"),
    conflicts: dependencyList(h, "conflicts"),
    obsoletes: dependencyList(h, "obsoletes"),
    recommends: dependencyList(h, "recommends"),
    suggests: dependencyList(h, "suggests"),
    supplements: dependencyList(h, "supplements"),
    enhances: dependencyList(h, "enhances"),
  };
}

/** Parses a rich dependency `(a or b >= 2)` back into an OR-group; other rich forms stay one name. */
function groupOf(d: RpmDependency): RelationGroup {
  const m = /^\((.*)\)$/.exec(d.name);
  if (m && !m[1]!.includes("(") && / or /.test(m[1]!) && !/ (and|if|unless|with|without|else) /.test(m[1]!)) {
    return m[1]!.split(" or ").map((alt) => {
      const p = /^(\S+)(?: (<=|>=|=|<|>) (\S+))?$/.exec(alt.trim());
      if (!p) return { name: alt.trim() };
      const r: Relation = { name: p[1]! };
      if (p[2] !== undefined) {
        r.op = p[2] as Relation["op"] & string;
        r.version = p[3]!;
      }
      return r;
    });
  }
  const r: Relation = { name: d.name };
  const op = opOf(d.flags);
  if (op !== undefined && d.version !== "") {
    r.op = op;
    r.version = d.version;
  }
  return [r];
}

/**
 * The format-neutral relations of package `name`: SCRIPT_PRE requires are preDepends, other requires
 * depends (rpmlib(), interpreter and config() requires left out); provides without config() and the
 * `name = EVR` / `name(isa) = EVR` self-provides; obsoletes are replaces; the weak lists as they are.
 */
export function relationsOf(deps: RpmDependencies, name: string): InfoRelations {
  const out: InfoRelations = {};
  const put = (kind: keyof InfoRelations, g: RelationGroup) => {
    (out[kind] ??= []).push(g);
  };
  for (const d of deps.requires) {
    if (d.flags & (SENSE.RPMLIB | SENSE.INTERP | SENSE.CONFIG) || d.name.startsWith("rpmlib(")) continue;
    put(d.flags & SENSE.SCRIPT_PRE ? "preDepends" : "depends", groupOf(d));
  }
  const isSelf = (n: string) =>
    n === name ||
    (n.startsWith(`${name}(`) && n.endsWith(")") && !n.slice(name.length + 1, -1).includes("("));
  for (const d of deps.provides) {
    if (d.flags & SENSE.CONFIG || (isSelf(d.name) && (d.flags & 0xf) === SENSE.EQUAL)) continue;
    put("provides", groupOf(d));
  }
  const simple: [keyof InfoRelations, RpmDependency[]][] = [
    ["conflicts", deps.conflicts],
    ["replaces", deps.obsoletes],
    ["recommends", deps.recommends],
    ["suggests", deps.suggests],
    ["supplements", deps.supplements],
    ["enhances", deps.enhances],
  ];
  for (const [kind, list] of simple) for (const d of list) put(kind, groupOf(d));
  return out;
}
