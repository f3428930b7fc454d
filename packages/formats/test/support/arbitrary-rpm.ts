/**
 * fast-check generators of PackageSpecs shaped for rpm: rpm-valid names and versions (epochs, `~`
 * prereleases, `+` metadata, releases), every relation kind incl. OR-groups (rich dependencies), files
 * with config/noreplace/missingok/doc/license/ghost flags and %lang, hardlinks, symlinks, explicit
 * directories, all seven scriptlets (some with a `#!` interpreter) and changelogs.
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type {
  Entry,
  EntryFlags,
  PackageSpec,
  Principal,
  Relation,
  RelationGroup,
  Relations,
  Version,
} from "../../src/spec/types.ts";

const encoder = new TextEncoder();

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

const arbGroups = (alternatives: boolean): fc.Arbitrary<RelationGroup[]> =>
  fc.array(fc.array(arbRelation, { minLength: 1, maxLength: alternatives ? 3 : 1 }), { maxLength: 3 });

/** Relations of every kind rpm writes (no Debian arch qualifiers). */
export const arbRpmRelations: fc.Arbitrary<Relations> = fc
  .record(
    {
      depends: arbGroups(true),
      preDepends: arbGroups(false),
      recommends: arbGroups(true),
      suggests: arbGroups(false),
      enhances: arbGroups(false),
      conflicts: arbGroups(false),
      breaks: arbGroups(false),
      replaces: arbGroups(false),
      provides: arbGroups(false).map((gs) =>
        gs.map((g) => g.map((r) => (r.op ? { ...r, op: "=" as const } : r))),
      ),
    },
    { requiredKeys: [] },
  )
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v.length > 0)) as Relations);

const arbSegment = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/) },
  { weight: 1, arbitrary: fc.constantFrom("héllo", "日本語", "naïve file", "emoji-🎉") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{60,120}$/) },
);

const principals: Principal[] = [
  { name: "root", id: 0 },
  { name: "daemon", id: 1 },
  { name: "nobody", id: 65534 },
];

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

/** Entries rooted under `root`; parents of other entries become directories. */
export function arbRpmEntries(root: string): fc.Arbitrary<Entry[]> {
  return fc
    .uniqueArray(
      fc.array(arbSegment, { minLength: 1, maxLength: 4 }).map((segs) => `${root}/${segs.join("/")}`),
      { maxLength: 10 },
    )
    .chain((paths) => {
      const n = paths.length;
      const each = <T>(a: fc.Arbitrary<T>) => fc.array(a, { minLength: n, maxLength: n });
      return fc.record({
        paths: fc.constant(paths),
        kinds: each(fc.constantFrom("file", "file", "dir", "symlink", "hardlink" as const)),
        modes: each(fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o2755, 0o444)),
        sizes: each(fc.constantFrom(0, 1, 100, 1023, 4097)),
        owners: each(fc.constantFrom(...principals)),
        flags: each(arbFlags),
        langs: each(fc.constantFrom(undefined, undefined, "de", "fr")),
        targets: each(
          fc.oneof(fc.constant("../x"), fc.stringMatching(/^[a-z/]{1,200}$/), fc.constant("/usr/bin/env")),
        ),
        mtimes: each(fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined })),
      });
    })
    .map((g) => {
      const parents = new Set<string>();
      for (const p of g.paths) {
        const parts = p.split("/");
        for (let i = 2; i < parts.length; i++) parents.add(parts.slice(0, i).join("/"));
      }
      const entries: Entry[] = [];
      const files: string[] = [];
      g.paths.forEach((path, i) => {
        const kind = parents.has(path) ? "dir" : g.kinds[i]!;
        const base = {
          path,
          owner: g.owners[i]!,
          group: g.owners[i]!,
          ...(g.mtimes[i] !== undefined ? { mtime: g.mtimes[i] } : {}),
          ...(g.langs[i] !== undefined ? { lang: g.langs[i] } : {}),
        };
        if (kind === "file") {
          const flags = g.flags[i];
          const content = encoder.encode("x".repeat(g.sizes[i]!) + path).subarray(0, g.sizes[i]!);
          entries.push({
            ...base,
            type: "file",
            mode: g.modes[i]!,
            content: bytesSource(content),
            ...(flags ? { flags } : {}),
          });
          if (!flags?.ghost) files.push(path);
        } else if (kind === "dir") {
          entries.push({ ...base, type: "dir", mode: g.modes[i]! | 0o700 });
        } else if (kind === "symlink") {
          entries.push({ ...base, type: "symlink", mode: 0o777, target: g.targets[i]! });
        } else {
          entries.push({ ...base, type: "hardlink", mode: g.modes[i]!, target: "" });
        }
      });
      return entries.map((e, i): Entry => {
        if (e.type !== "hardlink") return e;
        const target = files[i % Math.max(files.length, 1)];
        if (target === undefined) return { ...e, type: "file", content: bytesSource(new Uint8Array(0)) };
        return { ...e, target };
      });
    });
}

const descLine = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.:()'-]{0,40}[A-Za-z0-9.]$/);

/** A complete spec for rpm. */
export const arbRpmSpec: fc.Arbitrary<PackageSpec> = arbRpmName.chain((name) =>
  fc
    .record(
      {
        version: arbRpmVersion,
        arch: fc.constantFrom("amd64", "arm64", "armv7", "i386", "ppc64le", "all" as const),
        date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        maintainer: fc.constantFrom("Jane Doe <jane@example.org>", "Ünïcödé Maintainer <u@example.org>"),
        summary: descLine,
        description: fc
          .array(fc.oneof(descLine, fc.constant("")), { maxLength: 5 })
          .map((ls) => ls.join("\n")),
        license: fc.constantFrom("MIT", "Apache-2.0", "GPL-3.0-or-later"),
        homepage: fc.constant("https://example.org/"),
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
            changes: fc.array(descLine, { minLength: 1, maxLength: 3 }),
          }),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ["version", "arch", "date", "relations", "entries", "scripts", "changelog"] },
    )
    .map((r) => {
      const spec: PackageSpec = { name, ...r } as PackageSpec;
      for (const k of Object.keys(spec) as (keyof PackageSpec)[]) if (spec[k] === undefined) delete spec[k];
      return spec;
    }),
);
