/**
 * fast-check generator of PackageSpecs for release archives: files (some empty, some compressible), dirs,
 * symlinks, hard links, modes with setuid/sticky bits, non-root owners, UTF-8 and long names, mtimes
 * before 1980 and after 2038 (the DOS and UT limits of zip).
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
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

/**
 * Entries from the top of the archive down: files (some empty, some compressible), dirs, symlinks, hard
 * links, modes with setuid/sticky bits, non-root owners, mtimes before 1980 and after 2038.
 */
const tarballEntries: fc.Arbitrary<Entry[]> = arbEntries({
  roots: [""],
  segment,
  depth: { min: 1, max: 3 },
  kinds: ["file", "file", "file", "file", "dir", "symlink", "hardlink"],
  fileMode: fc.constantFrom(0o644, 0o755, 0o600, 0o4755, 0o640),
  dirMode: fc.constantFrom(0o755, 0o700, 0o1777),
  owner,
  content: fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 40 }).map((s) => new TextEncoder().encode(s.repeat(50))),
  ),
  target: fc.constantFrom("../x", "target", "/usr/bin/env", "a b"),
  mtime: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 4_300_000_000 }) },
  ),
  flags: fc.constant(undefined),
});

/** A spec accepted by the tarball writer. */
export const tarballSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    version: fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)).map((p) => ({ upstream: p.join(".") })),
    arch: fc.constantFrom(...ARCHES),
    date: fc.integer({ min: 315_532_800, max: 2_000_000_000 }),
    entries: tarballEntries,
  })
  .map((r): PackageSpec => ({ ...r, relations: {}, scripts: {}, changelog: [] }));
