/**
 * fast-check generators of PackageSpecs for format round trips: dpkg names and versions, every relation
 * shape, scripts and changelogs; the entries (unicode and very long paths, empty files and directories,
 * symlinks with long targets, hardlinks, setuid/setgid/sticky modes, config files) are the test kit's
 * general-purpose ones under /opt/<name>.
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
import type { PackageSpec, Relation, Relations, Version } from "../../src/spec/types.ts";
import { ABOUT_FIELDS, arbRelationsOf, withoutUndefined } from "./arbitrary-neutral.ts";

/** Lowercase package names valid for dpkg (2+ chars, starts alphanumeric). */
export const arbDebName: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), fc.stringMatching(/^[a-z0-9+.-]{1,20}$/))
  .map(([a, b]) => a + b);

const numeric = fc.integer({ min: 0, max: 30 }).map(String);
const alpha = fc.stringMatching(/^[a-z]{1,6}$/);

/** Semver-style versions: MAJOR.MINOR.PATCH, prerelease identifiers numeric or alphabetic, optional metadata. */
export const arbSemverVersion: fc.Arbitrary<Version> = fc
  .record(
    {
      upstream: fc.tuple(numeric, numeric, numeric).map((p) => p.join(".")),
      prerelease: fc.array(fc.oneof(numeric, alpha), { minLength: 1, maxLength: 3 }).map((a) => a.join(".")),
      metadata: fc
        .array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 2 })
        .map((a) => a.join(".")),
    },
    { requiredKeys: ["upstream"] },
  )
  .map((v) => {
    const out: Version = { upstream: v.upstream };
    if (v.prerelease !== undefined) out.prerelease = v.prerelease;
    if (v.metadata !== undefined) out.metadata = v.metadata;
    return out;
  });

/** A full version: semver-style plus optional epoch and release. */
export const arbVersion: fc.Arbitrary<Version> = fc
  .tuple(
    arbSemverVersion,
    fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    fc.option(fc.stringMatching(/^[0-9][a-z0-9.]{0,4}$/), { nil: undefined }),
  )
  .map(([v, epoch, release]) => ({
    ...v,
    ...(epoch !== undefined ? { epoch } : {}),
    ...(release !== undefined ? { release } : {}),
  }));

const arbRelation: fc.Arbitrary<Relation> = fc
  .record(
    {
      name: arbDebName,
      cmp: fc.tuple(
        fc.constantFrom("<", "<=", "=", ">=", ">" as const),
        fc.stringMatching(/^[0-9][a-z0-9.+~]{0,6}$/),
      ),
      archQualifier: fc.constantFrom("any", "native", "amd64"),
    },
    { requiredKeys: ["name"] },
  )
  .map((r) => {
    const out: Relation = { name: r.name };
    if (r.cmp !== undefined) {
      out.op = r.cmp[0] as Relation["op"] & string;
      out.version = r.cmp[1];
    }
    if (r.archQualifier !== undefined) out.archQualifier = r.archQualifier;
    return out;
  });

/** Relations of every kind; OR-groups in the dependency kinds, as dpkg allows (deb-control(5)). */
export const arbRelations: fc.Arbitrary<Relations> = arbRelationsOf(arbRelation, [
  "depends",
  "preDepends",
  "recommends",
  "suggests",
  "enhances",
]);

/** A complete spec for Debian-style formats. */
export const arbDebSpec: fc.Arbitrary<PackageSpec> = arbDebName.chain((name) =>
  fc
    .record(
      {
        version: arbVersion,
        arch: fc.constantFrom("amd64", "arm64", "armv7", "i386", "all" as const),
        date: fc.integer({ min: 0, max: 2 ** 31 }),
        ...ABOUT_FIELDS,
        section: fc.constantFrom("utils", "net", "devel"),
        priority: fc.constantFrom("optional", "extra"),
        relations: arbRelations,
        entries: arbEntries({ roots: [`/opt/${name}`] }),
        scripts: fc.record(
          {
            preinstall: fc.constant({ body: "set -e\necho pre\n" }),
            postinstall: fc.constant({ body: "#!/bin/bash\nset -e\necho post\n" }),
            preremove: fc.constant({ interpreter: "/bin/dash", body: "set -e\n" }),
            postremove: fc.constant({ body: "set -e\nexit 0\n" }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["version", "arch", "date", "relations", "entries", "scripts"] },
    )
    .map((r) => withoutUndefined({ name, changelog: [], ...r } as PackageSpec)),
);
