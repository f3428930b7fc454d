/**
 * fast-check generators of apk-representable PackageSpecs: apk names, semver versions whose pre-release
 * has an apk form, Alpine arches, files (empty, binary, multi-block), directories, symlinks (long
 * targets), hardlinks, deep and long paths, owners, setuid modes, relations apk can express, scripts.
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
import type { Arch, Entry, PackageSpec, Principal, RelationGroup, Version } from "../../src/spec/types.ts";

export const arbApkName: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"),
    fc.stringMatching(/^[a-z0-9+._-]{0,16}$/),
  )
  .map(([a, b]) => a + b);

const num = fc.integer({ min: 0, max: 40 }).map(String);

export const arbApkVersion: fc.Arbitrary<Version> = fc
  .record({
    upstream: fc.tuple(num, num, num).map((p) => p.join(".")),
    prerelease: fc.option(
      fc.oneof(
        fc.constantFrom("alpha", "beta", "pre", "rc"),
        fc.tuple(fc.constantFrom("alpha", "beta", "pre", "rc"), num).map(([w, n]) => `${w}.${n}`),
      ),
      { nil: undefined },
    ),
    release: fc.option(num, { nil: undefined }),
  })
  .map((v) => ({
    upstream: v.upstream,
    ...(v.prerelease !== undefined ? { prerelease: v.prerelease } : {}),
    ...(v.release !== undefined ? { release: v.release } : {}),
  }));

const arbArch: fc.Arbitrary<Arch> = fc.constantFrom(
  "amd64",
  "arm64",
  "armv7",
  "armv6",
  "i386",
  "ppc64le",
  "s390x",
  "riscv64",
  "loong64",
  "all",
);
const arbOwner: fc.Arbitrary<Principal> = fc.oneof(
  fc.constant({ name: "root", id: 0 }),
  fc.record({ name: fc.constantFrom("daemon", "nobody", "app"), id: fc.integer({ min: 1, max: 70000 }) }),
);

/** Entries under /opt: deep and long paths, owners and groups apart, files empty, small or multi-block. */
const arbApkEntries: fc.Arbitrary<Entry[]> = arbEntries({
  roots: ["/opt"],
  segment: fc.oneof(
    fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
    fc.constantFrom("überlong-ñame", "a".repeat(90), "with space"),
  ),
  depth: { min: 1, max: 5 },
  fileMode: fc.constantFrom(0o644, 0o755, 0o4755, 0o600),
  dirMode: fc.constantFrom(0o755, 0o700, 0o1777),
  owner: arbOwner,
  group: arbOwner,
  content: fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ minLength: 500, maxLength: 3000 }),
    fc.constant(new Uint8Array(0)),
  ),
  target: fc.oneof(fc.stringMatching(/^[a-z./]{1,20}$/), fc.constant(`../${"t".repeat(150)}`)),
  flags: fc.constant(undefined),
});

const relation = fc
  .record({
    name: arbApkName,
    ver: fc.option(
      fc.tuple(
        fc.constantFrom("<", "<=", "=", ">=", ">" as const),
        fc.tuple(num, num).map((p) => p.join(".")),
      ),
      { nil: undefined },
    ),
  })
  .map(
    (r): RelationGroup => [
      r.ver === undefined ? { name: r.name } : { name: r.name, op: r.ver[0], version: r.ver[1] },
    ],
  );

/** An apk-representable spec. */
export const arbApkSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: arbApkName,
    version: arbApkVersion,
    arch: arbArch,
    date: fc.integer({ min: 0, max: 2 ** 33 }),
    summary: fc.option(
      fc.stringMatching(/^[ -~]{1,60}$/).filter((s) => s.trim() !== ""),
      { nil: undefined },
    ),
    entries: arbApkEntries,
    depends: fc.array(relation, { maxLength: 3 }),
    conflicts: fc.array(relation, { maxLength: 2 }),
    postinstall: fc.option(fc.stringMatching(/^[ -~\n]{0,80}$/), { nil: undefined }),
  })
  .map((r) => ({
    name: r.name,
    version: r.version,
    arch: r.arch,
    date: r.date,
    ...(r.summary !== undefined ? { summary: r.summary.trim() } : {}),
    relations: {
      ...(r.depends.length > 0 ? { depends: r.depends } : {}),
      ...(r.conflicts.length > 0 ? { conflicts: r.conflicts } : {}),
    },
    entries: r.entries,
    scripts:
      r.postinstall !== undefined && !r.postinstall.startsWith("#!")
        ? { postinstall: { body: r.postinstall } }
        : {},
    changelog: [],
  }));
