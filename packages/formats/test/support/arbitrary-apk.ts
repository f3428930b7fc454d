/**
 * fast-check generators of apk-representable PackageSpecs: apk names, semver versions whose pre-release
 * has an apk form, Alpine arches, files (empty, binary, multi-block), directories, symlinks (long
 * targets), hardlinks, deep and long paths, owners, setuid modes, relations apk can express, scripts.
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
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
const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9_-]{1,12}$/),
  fc.constantFrom("überlong-ñame", "a".repeat(90), "with space"),
);
const arbPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/opt/${s.join("/")}`);
const arbOwner: fc.Arbitrary<Principal> = fc.oneof(
  fc.constant({ name: "root", id: 0 }),
  fc.record({ name: fc.constantFrom("daemon", "nobody", "app"), id: fc.integer({ min: 1, max: 70000 }) }),
);
const arbContent = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ minLength: 500, maxLength: 3000 }),
  fc.constant(new Uint8Array(0)),
);

const arbEntry: fc.Arbitrary<Entry> = fc.oneof(
  fc
    .record({
      path: arbPath,
      mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o600),
      owner: arbOwner,
      group: arbOwner,
      content: arbContent,
    })
    .map((e) => ({
      type: "file" as const,
      path: e.path,
      mode: e.mode,
      owner: e.owner,
      group: e.group,
      content: bytesSource(e.content),
    })),
  fc
    .record({ path: arbPath, mode: fc.constantFrom(0o755, 0o700, 0o1777), owner: arbOwner })
    .map((e) => ({ type: "dir" as const, path: e.path, mode: e.mode, owner: e.owner, group: e.owner })),
  fc
    .record({
      path: arbPath,
      target: fc.oneof(fc.stringMatching(/^[a-z./]{1,20}$/), fc.constant(`../${"t".repeat(150)}`)),
    })
    .map((e) => ({
      type: "symlink" as const,
      path: e.path,
      target: e.target,
      mode: 0o777,
      owner: { name: "root", id: 0 },
      group: { name: "root", id: 0 },
    })),
);

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

/** Removes entries that clash (same path, or a path under a non-directory) and adds hardlinks to files. */
function tidy(entries: Entry[], linkTo: number[]): Entry[] {
  const out = new Map<string, Entry>();
  for (const e of entries) {
    const clash = [...out.values()].some(
      (o) =>
        o.path === e.path ||
        (e.path.startsWith(`${o.path}/`) && o.type !== "dir") ||
        (o.path.startsWith(`${e.path}/`) && e.type !== "dir"),
    );
    if (!clash) out.set(e.path, e);
  }
  const files = [...out.values()].filter((e) => e.type === "file");
  for (const i of linkTo) {
    const t = files[i % Math.max(files.length, 1)];
    if (t === undefined) break;
    const path = `/usr/lib/links/l${i}`;
    if (!out.has(path))
      out.set(path, { type: "hardlink", path, target: t.path, mode: t.mode, owner: t.owner, group: t.group });
  }
  return [...out.values()];
}

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
    entries: fc.array(arbEntry, { maxLength: 8 }),
    links: fc.array(fc.nat(10), { maxLength: 2 }),
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
    entries: tidy(r.entries, r.links),
    scripts:
      r.postinstall !== undefined && !r.postinstall.startsWith("#!")
        ? { postinstall: { body: r.postinstall } }
        : {},
    changelog: [],
  }));
