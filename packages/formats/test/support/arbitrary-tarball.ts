/**
 * fast-check generator of PackageSpecs for release archives: files (some empty, some compressible), dirs,
 * symlinks, hard links, modes with setuid/sticky bits, non-root owners, UTF-8 and long names, mtimes
 * before 1980 and after 2038 (the DOS and UT limits of zip).
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { Arch, Entry, PackageSpec, Principal } from "../../src/spec/types.ts";

const ROOT: Principal = { name: "root", id: 0 };
const ARCHES: Arch[] = ["amd64", "arm64", "armv7", "i386", "all"];

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
  { weight: 1, arbitrary: fc.constantFrom("with space", "café", "x#y", "日本") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{90,120}$/) },
);

const owner = fc.oneof(
  { weight: 4, arbitrary: fc.constant(ROOT) },
  { weight: 1, arbitrary: fc.constant<Principal>({ name: "daemon", id: 1 }) },
);

const content = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 40 }).map((s) => new TextEncoder().encode(s.repeat(50))),
);

const mtime = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4_300_000_000 }) },
);

type Leaf =
  | { kind: "file"; bytes: Uint8Array; mode: number }
  | { kind: "dir"; mode: number }
  | { kind: "symlink"; target: string };

const leaf: fc.Arbitrary<Leaf> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("file" as const),
      bytes: content,
      mode: fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o640),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("dir" as const), mode: fc.constantFrom(0o755, 0o700, 0o1777) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("symlink" as const),
      target: fc.constantFrom("../x", "target", "/usr/bin/env", "a b"),
    }),
  },
);

/** A spec accepted by the tarball writer: leaves at depth 2 (`/top/leaf`), unique, plus optional hard links. */
export const tarballSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    version: fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)).map((p) => ({ upstream: p.join(".") })),
    arch: fc.constantFrom(...ARCHES),
    date: fc.integer({ min: 315_532_800, max: 2_000_000_000 }),
    tops: fc.uniqueArray(segment, { minLength: 1, maxLength: 3 }),
    leaves: fc.uniqueArray(fc.tuple(segment, leaf, owner, mtime), { maxLength: 8, selector: (t) => t[0] }),
    hardlink: fc.boolean(),
  })
  .map((r) => {
    const entries: Entry[] = [];
    r.leaves.forEach(([name, l, who, time], i) => {
      const path = `/${r.tops[i % r.tops.length]}/${name}`;
      const base = { path, owner: who, group: who, ...(time === undefined ? {} : { mtime: time }) };
      if (l.kind === "file")
        entries.push({ ...base, type: "file", mode: l.mode, content: bytesSource(l.bytes) });
      else if (l.kind === "dir") entries.push({ ...base, type: "dir", mode: l.mode });
      else entries.push({ ...base, type: "symlink", mode: 0o777, target: l.target });
    });
    const file = entries.find((e) => e.type === "file");
    if (r.hardlink && file !== undefined) {
      entries.push({
        type: "hardlink",
        path: `${file.path}.link`,
        mode: file.mode,
        owner: ROOT,
        group: ROOT,
        target: file.path,
      });
    }
    const spec: PackageSpec = {
      name: r.name,
      version: r.version,
      arch: r.arch,
      date: r.date,
      relations: {},
      scripts: {},
      changelog: [],
      entries,
    };
    return spec;
  });
