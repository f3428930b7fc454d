/**
 * fast-check generator of PackageSpecs the macOS writer accepts: entries under /usr/local, /Applications
 * and /Library (never SIP-protected paths), files, dirs, symlinks, hard links, owners root/wheel or
 * root/admin (gid 80), pre/postinstall scripts, arch amd64/arm64/all.
 */
import fc from "fast-check";
import { bytesSource } from "../../src/bytes/bytes.ts";
import type { Arch, Entry, PackageSpec, Principal } from "../../src/spec/types.ts";

const ROOT: Principal = { name: "root", id: 0 };
const ADMIN: Principal = { name: "admin", id: 80 };
const TOPS = ["/usr/local/share/x", "/usr/local/bin", "/Applications/X.app/Contents", "/Library/X"];

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/) },
  { weight: 1, arbitrary: fc.constantFrom("with space", "café", "Info.plist") },
);

interface RawEntry {
  kind: "file" | "dir" | "symlink";
  top: number;
  path: string[];
  content: Uint8Array;
  mode: number;
  admin: boolean;
  mtime: number | undefined;
}

const rawEntry: fc.Arbitrary<RawEntry> = fc.record({
  kind: fc.constantFrom("file", "file", "dir", "symlink"),
  top: fc.nat(TOPS.length - 1),
  path: fc.array(segment, { minLength: 1, maxLength: 3 }),
  content: fc.uint8Array({ maxLength: 3000 }),
  mode: fc.constantFrom(0o644, 0o755, 0o600, 0o700),
  admin: fc.boolean(),
  mtime: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
});

function toEntries(raws: RawEntry[], hardlinks: number): Entry[] {
  const out: Entry[] = [];
  const seen = new Set<string>();
  for (const r of raws) {
    const path = `${TOPS[r.top]}/${r.path.join("/")}`;
    if ([...seen].some((p) => p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`))) continue;
    seen.add(path);
    const group = r.admin ? ADMIN : ROOT;
    const base = { path, owner: ROOT, group, ...(r.mtime !== undefined ? { mtime: r.mtime } : {}) };
    if (r.kind === "dir") out.push({ ...base, type: "dir", mode: 0o755 });
    else if (r.kind === "symlink")
      out.push({ ...base, type: "symlink", mode: 0o755, target: r.path.join("-") });
    else out.push({ ...base, type: "file", mode: r.mode, content: bytesSource(r.content) });
  }
  const files = out.filter((e) => e.type === "file");
  for (let i = 0; i < hardlinks && files.length > 0; i++) {
    out.push({
      type: "hardlink",
      path: `/usr/local/lib/hl-${i}`,
      mode: 0o644,
      owner: ROOT,
      group: ROOT,
      target: files[i % files.length]!.path,
    });
  }
  return out;
}

/** Specs for the macOS writer. */
export const macosSpec: fc.Arbitrary<PackageSpec> = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
    upstream: fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)).map((p) => p.join(".")),
    prerelease: fc.option(fc.constantFrom("rc.1", "beta.2"), { nil: undefined }),
    arch: fc.constantFrom<Arch>("amd64", "arm64", "all"),
    date: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    homepage: fc.option(fc.constantFrom("https://example.org/p", "https://www.acme.io"), { nil: undefined }),
    raws: fc.array(rawEntry, { maxLength: 12 }),
    hardlinks: fc.nat(2),
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
      entries: toEntries(r.raws, r.hardlinks),
    };
    if (r.homepage) spec.homepage = r.homepage;
    if (r.pre) spec.scripts.preinstall = { body: r.pre };
    if (r.post) spec.scripts.postinstall = { body: r.post };
    return spec;
  });
