/**
 * What the Debian-style and rpm spec generators share: the neutral relation kinds (each format passes its
 * own relation generator and says which kinds take OR-groups) and the descriptive fields.
 */
import fc from "fast-check";
import type { PackageSpec, Relation, RelationGroup, Relations } from "../../src/spec/types.ts";

/**
 * Relations of every kind, up to three groups each, drawn from `relation`: groups of one to three
 * alternatives for the kinds in `alternatives`, single relations for the others; `provides` unversioned
 * or with "=" only (deb-control(5)); kinds without groups are left out.
 */
export function arbRelationsOf(
  relation: fc.Arbitrary<Relation>,
  alternatives: readonly (keyof Relations)[],
): fc.Arbitrary<Relations> {
  const groups = (kind: keyof Relations): fc.Arbitrary<RelationGroup[]> =>
    fc.array(fc.array(relation, { minLength: 1, maxLength: alternatives.includes(kind) ? 3 : 1 }), {
      maxLength: 3,
    });
  return fc
    .record(
      {
        depends: groups("depends"),
        preDepends: groups("preDepends"),
        recommends: groups("recommends"),
        suggests: groups("suggests"),
        enhances: groups("enhances"),
        conflicts: groups("conflicts"),
        breaks: groups("breaks"),
        replaces: groups("replaces"),
        provides: groups("provides").map((gs) =>
          gs.map((g) => g.map((r) => (r.op ? { ...r, op: "=" as const } : r))),
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v.length > 0)) as Relations);
}

/** One line of description text: printable ASCII words, no leading or trailing blank. */
export const arbDescLine: fc.Arbitrary<string> = fc.stringMatching(
  /^[A-Za-z0-9][A-Za-z0-9 ,.:()'-]{0,40}[A-Za-z0-9.]$/,
);

/** The descriptive fields as fc.record model entries (spread into a spec's model): maintainer to homepage. */
export const ABOUT_FIELDS = {
  maintainer: fc.constantFrom("Jane Doe <jane@example.org>", "Ünïcödé Maintainer <u@example.org>"),
  summary: arbDescLine,
  description: fc.array(fc.oneof(arbDescLine, fc.constant("")), { maxLength: 5 }).map((ls) => ls.join("\n")),
  license: fc.constantFrom("MIT", "Apache-2.0", "GPL-3.0-or-later"),
  homepage: fc.constant("https://example.org/"),
};

/** The spec with its undefined fields deleted (optional record keys), so specs compare by their keys. */
export function withoutUndefined(spec: PackageSpec): PackageSpec {
  for (const k of Object.keys(spec) as (keyof PackageSpec)[]) if (spec[k] === undefined) delete spec[k];
  return spec;
}
