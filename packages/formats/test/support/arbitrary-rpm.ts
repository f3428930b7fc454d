/**
 * fast-check generators of PackageSpecs shaped for rpm: rpm-valid names and versions (epochs, `~`
 * prereleases, `+` metadata, releases), every relation kind incl. OR-groups (rich dependencies), files
 * with config/noreplace/missingok/doc/license/ghost flags and %lang, hardlinks, symlinks, explicit
 * directories, all seven scriptlets (some with a `#!` interpreter) and changelogs.
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
import type { Entry, EntryFlags, PackageSpec, Relation, Relations, Version } from "../../src/spec/types.ts";
import { ABOUT_FIELDS, arbDescLine, arbRelationsOf, withoutUndefined } from "./arbitrary-neutral.ts";

/** rpm package names: letters, digits, `_ + . -`, not starting with `-`. */
export const arbRpmName: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"), fc.stringMatching(/^[a-z0-9_+.-]{1,16}$/))
  .map(([a, b]) => a + b);

const numeric = fc.integer({ min: 0, max: 30 }).map(String);
const alphaNum = fc
  .tuple(fc.constantFrom("alpha", "beta", "rc", "pre"), fc.option(numeric, { nil: undefined }))
  .map(([a, n]) => (n === undefined ? a : `${a}.${n}`));

/** Versions rpm can represent: numeric upstream, alphabetic-led prereleases, metadata, epoch, release. */
export const arbRpmVersion: fc.Arbitrary<Version> = fc
  .record(
    {
      upstream: fc.array(numeric, { minLength: 1, maxLength: 4 }).map((p) => p.join(".")),
      prerelease: alphaNum,
      metadata: fc.stringMatching(/^[a-z0-9]{1,6}(\.[a-z0-9]{1,4})?$/),
      epoch: fc.integer({ min: 0, max: 5 }),
      release: fc.stringMatching(/^[0-9][a-z0-9.]{0,4}$/),
    },
    { requiredKeys: ["upstream"] },
  )
  .map((v) => {
    const out: Version = { upstream: v.upstream };
    for (const k of ["prerelease", "metadata", "epoch", "release"] as const)
      if (v[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = v[k];
    return out;
  });

const arbRelation: fc.Arbitrary<Relation> = fc
  .record(
    {
      name: arbRpmName,
      cmp: fc.tuple(
        fc.constantFrom("<", "<=", "=", ">=", ">" as const),
        fc.stringMatching(/^[0-9][a-z0-9.]{0,5}$/),
      ),
    },
    { requiredKeys: ["name"] },
  )
  .map((r) =>
    r.cmp === undefined
      ? { name: r.name }
      : { name: r.name, op: r.cmp[0] as Relation["op"] & string, version: r.cmp[1] },
  );

/** Relations of every kind rpm writes (no Debian arch qualifiers); OR-groups (rich deps) in depends and recommends. */
export const arbRpmRelations: fc.Arbitrary<Relations> = arbRelationsOf(arbRelation, [
  "depends",
  "recommends",
]);

const arbFlags: fc.Arbitrary<EntryFlags | undefined> = fc.constantFrom<EntryFlags | undefined>(
  undefined,
  undefined,
  undefined,
  { config: true },
  { config: true, noreplace: true },
  { config: true, missingok: true },
  { doc: true },
  { license: true },
  { ghost: true },
);

const rpmModes = [0o644, 0o755, 0o600, 0o4755, 0o2755, 0o444];

/**
 * Entries rooted under `root` with rpm's file flags and `%lang`; mtimes fit rpm's 32-bit field; a hardlink
 * may point at any file that is shipped (not a ghost).
 */
export function arbRpmEntries(root: string): fc.Arbitrary<Entry[]> {
  return arbEntries({
    roots: [root],
    fileMode: fc.constantFrom(...rpmModes),
    dirMode: fc.constantFrom(...rpmModes).map((m) => m | 0o700),
    flags: arbFlags,
    lang: fc.constantFrom(undefined, undefined, "de", "fr"),
    target: fc.oneof(fc.constant("../x"), fc.stringMatching(/^[a-z/]{1,200}$/), fc.constant("/usr/bin/env")),
    mtime: fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined }),
    linkable: (f) => !f.flags?.ghost,
  });
}

/** A complete spec for rpm. */
export const arbRpmSpec: fc.Arbitrary<PackageSpec> = arbRpmName.chain((name) =>
  fc
    .record(
      {
        version: arbRpmVersion,
        arch: fc.constantFrom("amd64", "arm64", "armv7", "i386", "ppc64le", "all" as const),
        date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        ...ABOUT_FIELDS,
        vendor: fc.constant("Example Corp"),
        section: fc.constantFrom("Applications/System", "Development/Tools"),
        relations: arbRpmRelations,
        entries: arbRpmEntries(`/opt/${name}`),
        scripts: fc.record(
          {
            pretrans: fc.constant({ body: "echo pretrans\n" }),
            preinstall: fc.constant({ body: "echo pre $1\n" }),
            postinstall: fc.constant({ body: "#!/bin/bash\necho post $1\n" }),
            preremove: fc.constant({ interpreter: "/bin/sh", body: "echo preun $1\n" }),
            postremove: fc.constant({ body: "echo postun $1\n" }),
            posttrans: fc.constant({ body: "echo posttrans\n" }),
            verify: fc.constant({ body: "exit 0\n" }),
          },
          { requiredKeys: [] },
        ),
        changelog: fc.array(
          fc.record({
            version: fc.constantFrom("1.0.0", "0.9.0"),
            date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            author: fc.constant("Jane Doe <jane@example.org>"),
            changes: fc.array(arbDescLine, { minLength: 1, maxLength: 3 }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ["version", "arch", "date", "relations", "entries", "scripts", "changelog"] },
    )
    .map((r) => withoutUndefined({ name, ...r } as PackageSpec)),
);
