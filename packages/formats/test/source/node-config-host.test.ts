import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { nodeConfigHost as fromConfig } from "../../src/config/index.ts";
import { IOError } from "../../src/errors.ts";
import { nodeConfigHost } from "../../src/source/node-config-host.ts";
import { collect } from "../compress/helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-config-host-"));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "b.txt"), "bee");
writeFileSync(join(dir, "B.txt"), "upper");
writeFileSync(join(dir, "a.txt"), "a", { mode: 0o640 });
mkdirSync(join(dir, "sub"));
writeFileSync(join(dir, "sub", "c.txt"), "c");
symlinkSync("a.txt", join(dir, "link"));

test("config/ still exports the same nodeConfigHost", () => {
  assert.equal(fromConfig, nodeConfigHost);
});

test("nodeConfigHost: stat, lstat, readlink, readdir in byte order", async () => {
  assert.deepEqual(await nodeConfigHost.lstat(join(dir, "link")), {
    type: "symlink",
    mode: 0o777,
    size: 5,
  });
  const target = await nodeConfigHost.stat(join(dir, "link"));
  assert.equal(target?.type, "file");
  assert.equal(target?.size, 1);
  assert.equal(await nodeConfigHost.stat(join(dir, "missing")), undefined);
  assert.equal(await nodeConfigHost.lstat(join(dir, "a.txt", "below-a-file")), undefined);
  assert.equal(await nodeConfigHost.readlink(join(dir, "link")), "a.txt");
  // Byte order puts "B" (0x42) before "a" (0x61), unlike a locale sort.
  assert.deepEqual(await nodeConfigHost.readdir(dir), ["B.txt", "a.txt", "b.txt", "link", "sub"]);
});

test("nodeConfigHost: readFile, file sources, typed read errors", async () => {
  assert.equal(new TextDecoder().decode(await nodeConfigHost.readFile(join(dir, "b.txt"))), "bee");
  const src = await nodeConfigHost.file(join(dir, "B.txt"), 5);
  assert.equal(src.size, 5);
  assert.equal(new TextDecoder().decode(await collect(src.open())), "upper");
  await assert.rejects(
    nodeConfigHost.readFile(join(dir, "missing")),
    (e: unknown) => e instanceof IOError && e.code === "READ_FAILED" && e.data.path === join(dir, "missing"),
  );
});

test("nodeConfigHost: glob gives absolute paths without trailing slashes, dot files included", async () => {
  writeFileSync(join(dir, ".hidden"), "h");
  const found = (await nodeConfigHost.glob("*", dir)).sort();
  assert.ok(found.includes(join(dir, "sub")), found.join(" "));
  assert.ok(found.includes(join(dir, ".hidden")));
  assert.deepEqual(await nodeConfigHost.glob("sub/*.txt", dir), [join(dir, "sub", "c.txt")]);
  assert.equal(nodeConfigHost.isGlob("sub/*.txt"), true);
  assert.equal(nodeConfigHost.isGlob("sub/c.txt"), false);
});
