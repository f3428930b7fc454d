/**
 * fast-check generator of PackageSpecs that the Arch writer accepts: pacman-legal names, versions whose
 * prerelease vercmp keeps in order, unique paths (some long, some with spaces or UTF-8, to exercise pax
 * and mtree escaping), files, dirs, symlinks, hard links, config files, single-package relations and scripts.
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { Arch, Entry, PackageSpec, Principal, Relation, Script } from "../../src/spec/types.ts";

const ROOT: Principal = { name: "root", id: 0 };
const ARCHES: Arch[] = ["amd64", "arm64", "armv7", "armv6", "i386", "riscv64", "all"];

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
  { weight: 1, arbitrary: fc.constantFrom("with space", "café", "x#y", "a=b", "tab\tname", "back\\slash") },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{60,90}$/) },
);

/** A representable Arch version: numeric x.y.z, optional `word(.n)*` prerelease, epoch, pkgrel. */
export const archVersion = fc.record(
  {
    upstream: fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)).map((p) => p.join(".")),
    prerelease: fc
      .tuple(fc.constantFrom("alpha", "beta", "rc", "pre", "RC"), fc.array(fc.nat(20), { maxLength: 2 }))
      .map(([w, ns]) => [w, ...ns].join(".")),
    epoch: fc.nat(3),
    release: fc.integer({ min: 1, max: 30 }).map(String),
  },
  { requiredKeys: ["upstream"] },
);

const owner = fc.oneof(
  { weight: 4, arbitrary: fc.constant(ROOT) },
  { weight: 1, arbitrary: fc.constant<Principal>({ name: "daemon", id: 1 }) },
);

const scriptBody = fc.constantFrom(
  "true",
  "echo hi >/dev/null\n",
  "exit 0\n",
  "x=1\n}\necho not a brace\n",
  ": PACKYARD_SCRIPT\nPACKYARD_SCRIPT\n:",
);
const script: fc.Arbitrary<Script> = scriptBody.map((body) => ({ body }));

const relation = (withDescription: boolean): fc.Arbitrary<Relation[]> =>
  fc
    .record(
      {
        name: fc.stringMatching(/^[a-z][a-z0-9+_.-]{0,10}$/),
        op: fc.constantFrom(">=", "<", "=", ">", "<=") as fc.Arbitrary<Relation["op"]>,
        version: fc.stringMatching(/^[0-9]\.[0-9]{1,2}$/),
        description: withDescription
          ? fc.constantFrom("for extras", "optional: plugins")
          : fc.constant(undefined),
      },
      { requiredKeys: ["name"] },
    )
    .map((r) => {
      const out: Relation = { name: r.name };
      if (r.op !== undefined && r.version !== undefined) {
        out.op = r.op;
        out.version = r.version;
      }
      if (r.description !== undefined) out.description = r.description;
      return [out];
    });

interface RawEntry {
  kind: "file" | "dir" | "symlink" | "config";
  path: string[];
  content: Uint8Array;
  mode: number;
  owner: Principal;
  mtime: number | undefined;
}

const rawEntry: fc.Arbitrary<RawEntry> = fc.record({
  kind: fc.constantFrom("file", "file", "dir", "symlink", "config"),
  path: fc.array(segment, { minLength: 1, maxLength: 3 }),
  content: fc.uint8Array({ maxLength: 3000 }),
  mode: fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o700),
  owner,
  mtime: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
});

function toEntries(raws: RawEntry[], hardlinks: number[]): Entry[] {
  const out: Entry[] = [];
  const seen = new Set<string>();
  for (const r of raws) {
    const top = r.kind === "config" ? "etc" : "usr";
    const path = `/${[top, ...r.path].join("/")}`;
    // a path that is also another entry's parent would need to be a dir: keep it simple, skip prefixes
    if ([...seen].some((p) => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`))) continue;
    seen.add(path);
    const base = {
      path,
      owner: r.owner,
      group: r.owner,
      ...(r.mtime !== undefined ? { mtime: r.mtime } : {}),
    };
    if (r.kind === "dir") out.push({ ...base, type: "dir", mode: 0o755 });
    else if (r.kind === "symlink")
      out.push({ ...base, type: "symlink", mode: 0o777, target: r.path.join("-") });
    else
      out.push({
        ...base,
        type: "file",
        mode: r.mode,
        content: bytesSource(r.content),
        ...(r.kind === "config" ? { flags: { config: true } } : {}),
      });
  }
  const files = out.filter((e) => e.type === "file");
  hardlinks.forEach((k, i) => {
    const t = files[k % Math.max(files.length, 1)];
    if (t === undefined) return;
    out.push({
      type: "hardlink",
      path: `/opt/hardlink-${i}`,
      mode: t.mode,
      owner: ROOT,
      group: ROOT,
      target: t.path,
    });
  });
  return out;
}

/** A spec the Arch writer must accept. */
export const archlinuxSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9+_-]{0,15}$/),
    version: archVersion,
    arch: fc.constantFrom(...ARCHES),
    date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    maintainer: fc.option(fc.constantFrom("Jane Doe <jane@example.org>", "Ünïcode Person <u@example.org>"), {
      nil: undefined,
    }),
    description: fc.option(fc.constantFrom("A tool", "Two lines\nof description", "naïve tool = fast"), {
      nil: undefined,
    }),
    license: fc.option(fc.constantFrom("MIT", "GPL-2.0-or-later", "Apache-2.0 OR MIT"), { nil: undefined }),
    homepage: fc.option(fc.constant("https://example.org/x"), { nil: undefined }),
    section: fc.option(fc.constantFrom("utils", "devel"), { nil: undefined }),
    raws: fc.array(rawEntry, { maxLength: 12 }),
    hardlinks: fc.array(fc.nat(20), { maxLength: 2 }),
    depends: fc.array(relation(false), { maxLength: 3 }),
    recommends: fc.array(relation(true), { maxLength: 2 }),
    conflicts: fc.array(relation(false), { maxLength: 2 }),
    provides: fc.array(
      relation(false).map((g) => g.map((r) => (r.op && r.op !== "=" ? { name: r.name } : r))),
      { maxLength: 2 },
    ),
    replaces: fc.array(relation(false), { maxLength: 1 }),
    scripts: fc.record(
      {
        preinstall: script,
        postinstall: script,
        preupgrade: script,
        postupgrade: script,
        preremove: script,
        postremove: script,
      },
      { requiredKeys: [] },
    ),
  })
  .map((r) => {
    const spec: PackageSpec = {
      name: r.name,
      version: r.version,
      arch: r.arch,
      date: r.date,
      relations: {},
      entries: toEntries(r.raws, r.hardlinks),
      scripts: r.scripts,
      changelog: [],
    };
    for (const k of ["maintainer", "description", "license", "homepage", "section"] as const) {
      if (r[k] !== undefined) spec[k] = r[k];
    }
    for (const k of ["depends", "recommends", "conflicts", "provides", "replaces"] as const) {
      if (r[k].length > 0) spec.relations[k] = r[k];
    }
    return spec;
  });
