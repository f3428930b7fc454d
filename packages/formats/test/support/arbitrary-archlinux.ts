/**
 * fast-check generator of PackageSpecs that the Arch writer accepts: pacman-legal names, versions whose
 * prerelease vercmp keeps in order, unique paths (some long, some with spaces or UTF-8, to exercise pax
 * and mtree escaping), files, dirs, symlinks, hard links, config files, single-package relations and scripts.
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
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

/**
 * Entries under /usr and /etc: some names with spaces, `#`, `=`, tabs and backslashes (mtree escaping),
 * config files, symlinks whose targets are made of such names.
 */
const archEntries: fc.Arbitrary<Entry[]> = arbEntries({
  roots: ["/usr", "/etc"],
  segment,
  depth: { min: 1, max: 3 },
  maxEntries: 14,
  fileMode: fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o700),
  dirMode: fc.constant(0o755),
  owner,
  content: fc.uint8Array({ maxLength: 3000 }),
  target: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join("-")),
  mtime: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
  flags: fc.constantFrom(undefined, undefined, undefined, { config: true }),
});

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
    entries: archEntries,
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
      entries: r.entries,
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
