/**
 * fast-check generators of PackageSpecs for format round trips: names, unicode and very long paths
 * (over 100 and 255 bytes), empty files and directories, symlinks with long targets, hardlinks,
 * setuid/setgid/sticky modes, config files, every relation shape, scripts and changelogs.
 * General-purpose: the deb tests use it; other formats may copy it.
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type {
  Entry,
  PackageSpec,
  Principal,
  Relation,
  RelationGroup,
  Relations,
  Version,
} from "../../src/spec/types.ts";

const encoder = new TextEncoder();

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

const arbGroups = (alternatives: boolean): fc.Arbitrary<RelationGroup[]> =>
  fc.array(fc.array(arbRelation, { minLength: 1, maxLength: alternatives ? 3 : 1 }), { maxLength: 3 });

/** Relations of every kind; `provides` only with "=" (deb-control(5)). */
export const arbRelations: fc.Arbitrary<Relations> = fc
  .record(
    {
      depends: arbGroups(true),
      preDepends: arbGroups(true),
      recommends: arbGroups(true),
      suggests: arbGroups(true),
      enhances: arbGroups(true),
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

/** Path segments: ASCII, unicode, and long ones so full paths pass 100 and 255 bytes. */
const arbSegment = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/) },
  { weight: 2, arbitrary: fc.constantFrom("héllo", "日本語", "naïve file", "emoji-🎉", "Ünïcödé") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{60,120}$/) },
);

const principals: Principal[] = [
  { name: "root", id: 0 },
  { name: "daemon", id: 1 },
  { name: "nobody", id: 65534 },
];

interface Shape {
  paths: string[];
  kinds: ("file" | "dir" | "symlink" | "hardlink")[];
}

/** Data entries (without implicit parents), rooted under /opt/<pkg> so they never collide with generated docs. */
export function arbEntries(root: string): fc.Arbitrary<Entry[]> {
  return fc
    .uniqueArray(
      fc.array(arbSegment, { minLength: 1, maxLength: 4 }).map((segs) => `${root}/${segs.join("/")}`),
      { maxLength: 10 },
    )
    .chain((paths) =>
      fc.record({
        paths: fc.constant(paths),
        kinds: fc.array(fc.constantFrom("file", "file", "dir", "symlink", "hardlink" as const), {
          minLength: paths.length,
          maxLength: paths.length,
        }),
        modes: fc.array(fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o2755, 0o1777, 0o444), {
          minLength: paths.length,
          maxLength: paths.length,
        }),
        sizes: fc.array(fc.constantFrom(0, 1, 100, 1023, 1024, 1025, 5000), {
          minLength: paths.length,
          maxLength: paths.length,
        }),
        owners: fc.array(fc.constantFrom(...principals), {
          minLength: paths.length,
          maxLength: paths.length,
        }),
        config: fc.array(fc.boolean(), { minLength: paths.length, maxLength: paths.length }),
        targets: fc.array(
          fc.oneof(fc.constant("../x"), fc.stringMatching(/^[a-z/]{120,300}$/), fc.constant("/usr/bin/env")),
          {
            minLength: paths.length,
            maxLength: paths.length,
          },
        ),
        mtimes: fc.array(fc.option(fc.integer({ min: 0, max: 2 ** 32 }), { nil: undefined }), {
          minLength: paths.length,
          maxLength: paths.length,
        }),
      }),
    )
    .map((g) => {
      const shape: Shape = { paths: g.paths, kinds: g.kinds };
      // a path that is the parent of another must be a directory
      const parents = new Set<string>();
      for (const p of shape.paths) {
        const parts = p.split("/");
        for (let i = 2; i < parts.length; i++) parents.add(parts.slice(0, i).join("/"));
      }
      const entries: Entry[] = [];
      const files: string[] = [];
      shape.paths.forEach((path, i) => {
        const kind = parents.has(path) ? "dir" : shape.kinds[i]!;
        const base = {
          path,
          owner: g.owners[i]!,
          group: g.owners[i]!,
          ...(g.mtimes[i] !== undefined ? { mtime: g.mtimes[i] } : {}),
        };
        if (kind === "file") {
          const content = encoder
            .encode("x".repeat(g.sizes[i]!).slice(0, g.sizes[i]!) + path)
            .subarray(0, g.sizes[i]!);
          entries.push({
            ...base,
            type: "file",
            mode: g.modes[i]!,
            content: bytesSource(content),
            ...(g.config[i] ? { flags: { config: true } } : {}),
          });
          // dpkg loses an admin's edit to a hardlinked conffile, so validateDeb refuses that: link plain files only
          if (!g.config[i]) files.push(path);
        } else if (kind === "dir") {
          entries.push({ ...base, type: "dir", mode: g.modes[i]! | 0o700 });
        } else if (kind === "symlink") {
          entries.push({ ...base, type: "symlink", mode: 0o777, target: g.targets[i]! });
        } else {
          entries.push({ ...base, type: "hardlink", mode: g.modes[i]!, target: "" });
        }
      });
      // hardlinks point at a plain (non-config) file of the package; without one they become empty files
      return entries.map((e, i): Entry => {
        if (e.type !== "hardlink") return e;
        const target = files[i % Math.max(files.length, 1)];
        if (target === undefined) return { ...e, type: "file", content: bytesSource(new Uint8Array(0)) };
        return { ...e, target };
      });
    });
}

const descLine = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ,.:()'-]{0,40}[A-Za-z0-9.]$/);

/** A complete spec for Debian-style formats. */
export const arbDebSpec: fc.Arbitrary<PackageSpec> = arbDebName.chain((name) =>
  fc
    .record(
      {
        version: arbVersion,
        arch: fc.constantFrom("amd64", "arm64", "armv7", "i386", "all" as const),
        date: fc.integer({ min: 0, max: 2 ** 31 }),
        maintainer: fc.constantFrom("Jane Doe <jane@example.org>", "Ünïcödé Maintainer <u@example.org>"),
        summary: descLine,
        description: fc
          .array(fc.oneof(descLine, fc.constant("")), { maxLength: 5 })
          .map((ls) => ls.join("\n")),
        license: fc.constantFrom("MIT", "Apache-2.0", "GPL-3.0-or-later"),
        homepage: fc.constant("https://example.org/"),
        section: fc.constantFrom("utils", "net", "devel"),
        priority: fc.constantFrom("optional", "extra"),
        relations: arbRelations,
        entries: arbEntries(`/opt/${name}`),
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
    .map((r) => {
      const spec: PackageSpec = { name, changelog: [], ...r } as PackageSpec;
      for (const k of Object.keys(spec) as (keyof PackageSpec)[]) if (spec[k] === undefined) delete spec[k];
      return spec;
    }),
);
