/**
 * fast-check generator of PackageSpecs the macOS writer accepts: entries under /usr/local, /Applications
 * and /Library (never SIP-protected paths), files, dirs, symlinks, hard links, owners root/wheel or
 * root/admin (gid 80), pre/postinstall scripts, arch amd64/arm64/all.
 */
import { arbEntries } from "@packyard/testkit/entries";
import fc from "fast-check";
import type { Arch, Entry, PackageSpec, Principal } from "../../src/spec/types.ts";

const ROOT: Principal = { name: "root", id: 0 };
const ADMIN: Principal = { name: "admin", id: 80 };
const TOPS = ["/usr/local/share/x", "/usr/local/bin", "/Applications/X.app/Contents", "/Library/X"];

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
  { weight: 1, arbitrary: fc.constantFrom("with space", "café", "Info.plist") },
);

/** Entries under TOPS, owned by root, in group wheel (root) or admin. */
const macosEntries: fc.Arbitrary<Entry[]> = arbEntries({
  roots: TOPS,
  segment,
  depth: { min: 1, max: 3 },
  maxEntries: 14,
  fileMode: fc.constantFrom(0o644, 0o755, 0o600, 0o700),
  dirMode: fc.constant(0o755),
  symlinkMode: 0o755,
  owner: fc.constant(ROOT),
  group: fc.constantFrom(ROOT, ADMIN),
  content: fc.uint8Array({ maxLength: 3000 }),
  target: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join("-")),
  mtime: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
  flags: fc.constant(undefined),
});

/** Specs for the macOS writer. */
export const macosSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
    upstream: fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)).map((p) => p.join(".")),
    prerelease: fc.option(fc.constantFrom("rc.1", "beta.2"), { nil: undefined }),
    arch: fc.constantFrom<Arch>("amd64", "arm64", "all"),
    date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    homepage: fc.option(fc.constantFrom("https://example.org/p", "https://www.acme.io"), { nil: undefined }),
    entries: macosEntries,
    pre: fc.option(fc.constantFrom("echo pre\n", "#!/bin/bash\nexit 0\n"), { nil: undefined }),
    post: fc.option(fc.constantFrom("echo post\n", "true"), { nil: undefined }),
  })
  .map((r) => {
    const spec: PackageSpec = {
      name: r.name,
      version: r.prerelease ? { upstream: r.upstream, prerelease: r.prerelease } : { upstream: r.upstream },
      arch: r.arch,
      date: r.date,
      relations: {},
      changelog: [],
      scripts: {},
      entries: r.entries,
    };
    if (r.homepage) spec.homepage = r.homepage;
    if (r.pre) spec.scripts.preinstall = { body: r.pre };
    if (r.post) spec.scripts.postinstall = { body: r.post };
    return spec;
  });
