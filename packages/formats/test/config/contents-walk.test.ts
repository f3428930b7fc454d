// A `type: tree` content item walks its folder depth first, sorted per folder, however large: lstat calls
// go out a batch at a time (bounded), and a folder of 150,000 entries does not overflow the stack.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource } from "../../src/bytes/bytes.ts";
import { resolveContents } from "../../src/config/contents.ts";
import type { ConfigHost, HostStat } from "../../src/source/host.ts";

/** An in-memory host: `/src` holds `files` files and a subfolder `sub/` with two files; counts lstats in flight. */
function fakeHost(files: number) {
  const names = Array.from({ length: files }, (_, i) => `f${String(i).padStart(6, "0")}`);
  const dirs = new Map<string, string[]>([
    ["/src", [...names, "sub"].sort()],
    ["/src/sub", ["a", "b"]],
  ]);
  let inFlight = 0;
  let maxInFlight = 0;
  const file: HostStat = { type: "file", mode: 0o644, size: 1 };
  const dir: HostStat = { type: "dir", mode: 0o755, size: 0 };
  const host: ConfigHost = {
    async lstat(p) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Promise.resolve();
      inFlight--;
      return dirs.has(p) ? dir : file;
    },
    stat: async (p) => (dirs.has(p) ? dir : file),
    readdir: async (p) => dirs.get(p) ?? [],
    readlink: async () => "",
    readFile: async () => new Uint8Array(1),
    file: async () => bytesSource(new Uint8Array(1)),
    glob: async () => [],
    isGlob: () => false,
  };
  return { host, maxInFlight: () => maxInFlight };
}

test("a tree of 150,000 entries resolves in order with at most 64 lstats in flight", async () => {
  const { host, maxInFlight } = fakeHost(150_000);
  const entries = await resolveContents(
    [{ field: "contents[0]", src: "/src", dst: "/opt/t", type: "tree", fileInfo: {} }],
    { packagers: ["deb"], rpm: false, umask: 0o022, disableGlobbing: false, baseDir: "/", host },
  );
  assert.equal(entries.length, 1 + 150_000 + 1 + 2);
  assert.deepEqual(
    entries.slice(0, 3).map((e) => e.path),
    ["/opt/t", "/opt/t/f000000", "/opt/t/f000001"],
  );
  assert.deepEqual(
    entries.slice(-3).map((e) => [e.path, e.type]),
    [
      ["/opt/t/sub", "dir"],
      ["/opt/t/sub/a", "file"],
      ["/opt/t/sub/b", "file"],
    ],
  );
  assert.ok(maxInFlight() > 1 && maxInFlight() <= 64, `lstats in flight: ${maxInFlight()}`);
});
