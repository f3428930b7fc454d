/**
 * The entry generator keeps its promises for any domains: unique paths, parents are directories, every
 * hardlink points at a linkable file of the same package, symlinks get the asked mode.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Entry } from "@packyard/formats";
import fc from "fast-check";
import { arbEntries } from "../src/entries.ts";

function check(entries: Entry[], linkable: (e: Entry) => boolean, symlinkMode: number): void {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  assert.equal(byPath.size, entries.length, "unique paths");
  for (const e of entries) {
    const parent = e.path.slice(0, e.path.lastIndexOf("/"));
    const p = byPath.get(parent);
    if (p !== undefined) assert.equal(p.type, "dir", `${parent} is the parent of ${e.path}`);
    if (e.type === "hardlink") {
      const t = byPath.get(e.target);
      assert.ok(t?.type === "file" && linkable(t), `${e.path} -> ${e.target}`);
    }
    if (e.type === "symlink") assert.equal(e.mode, symlinkMode);
    if (e.type !== "file") assert.equal(e.flags, undefined, `${e.path}: flags only on files`);
  }
}

test("default domains: parents become directories, hardlinks never point at config files", () => {
  fc.assert(
    fc.property(arbEntries({ roots: ["/opt/x"], depth: { min: 1, max: 3 }, maxEntries: 20 }), (entries) =>
      check(entries, (t) => !t.flags?.config && !t.flags?.ghost, 0o777),
    ),
    { numRuns: 300 },
  );
});

test("a format's domains: its roots, owners and groups apart, its linkable rule, its symlink mode", () => {
  const admin = { name: "admin", id: 80 };
  const root = { name: "root", id: 0 };
  fc.assert(
    fc.property(
      arbEntries({
        roots: ["/usr/local", ""],
        segment: fc.constantFrom("a", "b", "c"),
        depth: { min: 1, max: 3 },
        owner: fc.constant(root),
        group: fc.constant(admin),
        symlinkMode: 0o755,
        flags: fc.constantFrom(undefined, { ghost: true }),
        linkable: (f) => !f.flags?.ghost,
      }),
      (entries) => {
        check(entries, (t) => !t.flags?.ghost, 0o755);
        for (const e of entries) {
          assert.ok(e.path.startsWith("/usr/local/") || /^\/[abc]/.test(e.path), e.path);
          assert.deepEqual([e.owner, e.group], [root, admin]);
        }
      },
    ),
    { numRuns: 300 },
  );
});
