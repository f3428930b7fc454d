/**
 * Dependencies as rpm stores them: NAME/FLAGS/VERSION triplets per kind, built from the spec's relations,
 * the rpm options, the scriptlet interpreters, the self-provides and the rpmlib() features in use.
 */
import { SpecError } from "../errors.ts";
import { assertRichRelation, isRichRelation } from "../spec/relation.ts";
import type { PackageSpec, Relation, RelationGroup, RelationKind, Relations } from "../spec/types.ts";
import { compareBytes } from "../spec/order.ts";
import { rpmIsa } from "./arch.ts";
import { REQUIRE_PHASES, type RequirePhase, type RpmCompression, type RpmOptions } from "./options.ts";
import { type RichContext, richDependencyError } from "./rich.ts";
import { SCRIPT_SLOTS, scriptInterpreter } from "./scripts.ts";
import { SENSE, senseOf } from "./sense.ts";
import { formatEvr, type RpmEvr } from "./version.ts";

/** One dependency: `name [op version]` with its flags word. */
export interface Dep {
  name: string;
  flags: number;
  version: string;
}

/** Renders one relation as rpm dependency text inside a rich dependency (`a >= 1`). */
function relText(r: Relation): string {
  return r.op ? `${r.name} ${r.op} ${r.version}` : r.name;
}

/**
 * Where each relation kind lands among rpm's tags, for rich dependencies: the requirement-like tags allow
 * `if`, the reverse ones (Conflicts, Supplements, Enhances) `unless`, and Provides/Obsoletes none at all
 * (rpm build/parseReqs.c: "No rich dependencies allowed for this type").
 */
const RICH_CONTEXT: Record<RelationKind, RichContext | "none"> = {
  depends: "requires",
  preDepends: "requires",
  recommends: "requires",
  suggests: "requires",
  enhances: "reverse",
  conflicts: "reverse",
  breaks: "reverse",
  replaces: "none",
  provides: "none",
};

function richError(field: string, name: string, why: string): SpecError {
  return new SpecError(
    "INVALID_RELATION",
    `${field}: rpm cannot use the rich dependency "${name}": ${why} (rpmbuild refuses it the same way)`,
    { field, found: name },
  );
}

function checkRichGroups(
  groups: readonly RelationGroup[] | undefined,
  field: string,
  context: RichContext | "none",
) {
  groups?.forEach((group, i) => {
    // The options' requires and supplements do not pass validateSpec: check the shape here too.
    assertRichRelation(group, `${field}[${i}]`);
    for (const r of group) {
      if (!isRichRelation(r)) continue;
      if (context === "none")
        throw richError(`${field}[${i}]`, r.name, "No rich dependencies allowed for this type");
      const why = richDependencyError(r.name, context);
      if (why !== undefined) throw richError(`${field}[${i}]`, r.name, why);
    }
  });
}

/**
 * Refuses the rich dependencies rpmbuild refuses, where nfpm would write them anyway: bad grammar, an
 * operator in the wrong context, or any in provides/replaces. The context rule matters: measured with rpm
 * 4.18, a requirement `(a unless b)` (meaning "a or b") installs only with a present and b absent.
 * Throws SpecError INVALID_RELATION naming the field and quoting rpm's reason.
 */
export function assertRpmRichRelations(relations: Relations, options: RpmOptions): void {
  for (const kind of Object.keys(RICH_CONTEXT) as RelationKind[])
    checkRichGroups(relations[kind], `relations.${kind}`, RICH_CONTEXT[kind]);
  for (const [phase, groups] of Object.entries(options.requires ?? {}))
    checkRichGroups(groups, `rpm.requires.${phase}`, "requires");
  checkRichGroups(options.supplements, "rpm.supplements", "reverse");
}

/** An OR-group with one member is a plain dep; several become the rich dependency `(a or b >= 2)`. */
export function depOf(group: RelationGroup, extraFlags = 0): Dep {
  if (group.length === 1) {
    const r = group[0]!;
    return { name: r.name, flags: senseOf(r.op) | extraFlags, version: r.version ?? "" };
  }
  return { name: `(${group.map(relText).join(" or ")})`, flags: extraFlags, version: "" };
}

/** Sorts and removes exact duplicates, as rpmbuild's dependency sets do (by name, then flags, then version). */
export function normalizeDeps(deps: Dep[]): Dep[] {
  const sorted = [...deps].sort(
    (a, b) => compareBytes(a.name, b.name) || a.flags - b.flags || compareBytes(a.version, b.version),
  );
  return sorted.filter(
    (d, i) =>
      i === 0 ||
      d.name !== sorted[i - 1]!.name ||
      d.flags !== sorted[i - 1]!.flags ||
      d.version !== sorted[i - 1]!.version,
  );
}

/** The rpmlib() features a package relies on (flags RPMLIB|LESS|EQUAL). */
export const RPMLIB_FEATURES = {
  CompressedFileNames: "3.0.4-1",
  FileDigests: "4.6.0-1",
  PayloadFilesHavePrefix: "4.0-1",
  PayloadIsXz: "5.2-1",
  PayloadIsZstd: "5.4.18-1",
  PayloadIsLzma: "4.4.6-1",
  LargeFiles: "4.12.0-1",
  RichDependencies: "4.12.0-1",
  TildeInVersions: "4.10.0-1",
  CaretInVersions: "4.15.0-1",
} as const;

/** `rpmlib(Feature) <= version` requirement. */
export function rpmlibDep(feature: keyof typeof RPMLIB_FEATURES): Dep {
  return {
    name: `rpmlib(${feature})`,
    flags: SENSE.RPMLIB | SENSE.LESS | SENSE.EQUAL,
    version: RPMLIB_FEATURES[feature],
  };
}

/** True when a rich (boolean) dependency is among `deps`. */
export function hasRich(deps: readonly Dep[]): boolean {
  return deps.some((d) => d.name.startsWith("("));
}

/** All dependency sets of the package, rpmlib() features included. */
export function buildDeps(
  spec: PackageSpec,
  options: RpmOptions,
  ctx: { evr: RpmEvr; arch: string; compression: RpmCompression; large: boolean; hasConfig: boolean },
): Record<
  | "requires"
  | "provides"
  | "conflicts"
  | "obsoletes"
  | "recommends"
  | "suggests"
  | "supplements"
  | "enhances",
  Dep[]
> {
  const r = spec.relations;
  const evrText = formatEvr(ctx.evr);
  const requires: Dep[] = (r.depends ?? []).map((g) => depOf(g));
  for (const g of r.preDepends ?? []) requires.push(depOf(g, SENSE.SCRIPT_PRE));
  const phaseSense: Record<RequirePhase, number> = {
    pre: SENSE.SCRIPT_PRE,
    post: SENSE.SCRIPT_POST,
    preun: SENSE.SCRIPT_PREUN,
    postun: SENSE.SCRIPT_POSTUN,
    pretrans: SENSE.PRETRANS,
    posttrans: SENSE.POSTTRANS,
  };
  // A fixed phase order, not the options object's key order, so nothing depends on how it was built.
  for (const phase of REQUIRE_PHASES) {
    for (const g of options.requires?.[phase] ?? []) requires.push(depOf(g, phaseSense[phase]));
  }
  for (const slot of SCRIPT_SLOTS) {
    const s = spec.scripts[slot.kind];
    if (s === undefined) continue;
    const prog = scriptInterpreter(s)[0]!;
    if (prog.startsWith("/")) requires.push({ name: prog, flags: SENSE.INTERP | slot.sense, version: "" });
  }
  const provides: Dep[] = (r.provides ?? []).map((g) => depOf(g));
  provides.push({ name: spec.name, flags: SENSE.EQUAL, version: evrText });
  const isa = rpmIsa(ctx.arch);
  if (isa !== undefined)
    provides.push({ name: `${spec.name}(${isa})`, flags: SENSE.EQUAL, version: evrText });
  if (ctx.hasConfig) {
    const config = { name: `config(${spec.name})`, flags: SENSE.CONFIG | SENSE.EQUAL, version: evrText };
    provides.push(config);
    requires.push(config);
  }
  const conflicts = [...(r.conflicts ?? []), ...(r.breaks ?? [])].map((g) => depOf(g));
  const obsoletes = (r.replaces ?? []).map((g) => depOf(g));
  const recommends = (r.recommends ?? []).map((g) => depOf(g));
  const suggests = (r.suggests ?? []).map((g) => depOf(g));
  const supplements = (options.supplements ?? []).map((g) => depOf(g));
  const enhances = (r.enhances ?? []).map((g) => depOf(g));
  const all = [
    ...requires,
    ...provides,
    ...conflicts,
    ...obsoletes,
    ...recommends,
    ...suggests,
    ...supplements,
    ...enhances,
  ];
  requires.push(
    rpmlibDep("CompressedFileNames"),
    rpmlibDep("FileDigests"),
    rpmlibDep("PayloadFilesHavePrefix"),
  );
  if (ctx.compression.algo === "xz") requires.push(rpmlibDep("PayloadIsXz"));
  if (ctx.compression.algo === "zstd") requires.push(rpmlibDep("PayloadIsZstd"));
  if (ctx.compression.algo === "lzma") requires.push(rpmlibDep("PayloadIsLzma"));
  if (ctx.large) requires.push(rpmlibDep("LargeFiles"));
  if (hasRich(all)) requires.push(rpmlibDep("RichDependencies"));
  const versions = [
    ctx.evr.version,
    ctx.evr.release,
    ...all.map((d) => d.version),
    ...all.filter((d) => d.name.startsWith("(")).map((d) => d.name),
  ];
  if (versions.some((v) => v.includes("~"))) requires.push(rpmlibDep("TildeInVersions"));
  if (versions.some((v) => v.includes("^"))) requires.push(rpmlibDep("CaretInVersions"));
  return {
    requires: normalizeDeps(requires),
    provides: normalizeDeps(provides),
    conflicts: normalizeDeps(conflicts),
    obsoletes: normalizeDeps(obsoletes),
    recommends: normalizeDeps(recommends),
    suggests: normalizeDeps(suggests),
    supplements: normalizeDeps(supplements),
    enhances: normalizeDeps(enhances),
  };
}
