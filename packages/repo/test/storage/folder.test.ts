import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { after, describe, it, mock } from "node:test";
import { folderStorage } from "../../src/storage/fs.ts";
import { readObject } from "../../src/storage/read.ts";
import { pseudoRandomBytes, rejectsWith, storageContract, streamOf } from "./contract.ts";

const made: string[] = [];
after(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "packyard-folder-"));
  made.push(dir);
  return dir;
}

/** Every file and folder under `dir`, relative, folders with a trailing `/`. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => relative(dir, join(e.parentPath, e.name)) + (e.isDirectory() ? "/" : "")).sort();
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

storageContract("folder", async () => ({ storage: folderStorage(join(await tempRoot(), "repo")) }));

describe("folderStorage", () => {
  it("lays keys out as paths under the root and leaves no temporary file", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await storage.put("deb/dists/stable/InRelease", text("signed"));
    await storage.put("deb/pool/a.deb", streamOf(pseudoRandomBytes(300_000), 4096));
    assert.equal(await storage.create(".packyard/lock/1", text("lock")), true);
    assert.equal(await storage.create(".packyard/lock/1", text("lock")), false);
    assert.deepEqual(await tree(root), [
      ".packyard/",
      ".packyard/lock/",
      ".packyard/lock/1",
      "deb/",
      "deb/dists/",
      "deb/dists/stable/",
      "deb/dists/stable/InRelease",
      "deb/pool/",
      "deb/pool/a.deb",
    ]);
    assert.equal(await readFile(join(root, "deb/dists/stable/InRelease"), "utf8"), "signed");
    assert.equal(storage.description, `folder ${root}`);
  });

  it("a put interrupted mid-stream leaves the old file and no temporary file", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await storage.put("pool/x.deb", text("old"));
    const error = new Error("reader failed");
    const stream = streamOf(pseudoRandomBytes(1_000_000), 10_000, { after: 500_000, error });
    await assert.rejects(storage.put("pool/x.deb", stream), (e) => e === error);
    assert.equal(await readFile(join(root, "pool/x.deb"), "utf8"), "old");
    assert.deepEqual(await tree(root), ["pool/", "pool/x.deb"]);
  });

  it("listing skips temporary files left by a crash", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await storage.put("a/b", text("b"));
    await writeFile(join(root, "a/.packyard-tmp-0123456789abcdef"), "half");
    assert.deepEqual(
      (await storage.list("")).objects.map((o) => o.key),
      ["a/b"],
    );
  });

  it("delete removes the folders it empties, never the root", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await storage.put("deb/pool/main/h/hello/hello.deb", text("1"));
    await storage.put("deb/pool/main/z/zed.deb", text("2"));
    await storage.delete("deb/pool/main/h/hello/hello.deb");
    assert.deepEqual(await tree(root), [
      "deb/",
      "deb/pool/",
      "deb/pool/main/",
      "deb/pool/main/z/",
      "deb/pool/main/z/zed.deb",
    ]);
    await storage.delete("deb/pool/main/z/zed.deb");
    assert.deepEqual(await tree(root), []);
    await storage.put("again", text("root still there"));
    assert.deepEqual(await tree(root), ["again"]);
  });

  it("a root that does not exist yet reads as empty and is made by the first write", async () => {
    const root = join(await tempRoot(), "not", "yet");
    const storage = folderStorage(root);
    assert.deepEqual(await storage.list(""), { objects: [] });
    assert.equal(await storage.get("k"), undefined);
    await storage.delete("k");
    await storage.put("k", text("v"));
    assert.deepEqual(await readObject(storage, "k"), text("v"));
  });

  it("a relative root is taken from the working directory", () => {
    assert.equal(folderStorage("some/where").description, `folder ${join(process.cwd(), "some/where")}`);
  });

  it("a read started before an overwrite keeps the bytes it started with", async () => {
    const storage = folderStorage(await tempRoot());
    await storage.put("k", text("first version"));
    const body = await storage.get("k");
    await storage.put("k", text("second"));
    const chunks: Uint8Array[] = [];
    for await (const chunk of body!) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), "first version");
  });

  it("a file where a folder should be is STORAGE_FAILED, naming the key", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await storage.put("a", text("a file"));
    await rejectsWith(storage.put("a/b", text("x")), "STORAGE_FAILED", /a\/b/);
    assert.equal(await storage.get("a/b"), undefined);
    assert.equal(await storage.head("a/b"), undefined);
  });

  it("a folder it may not write is ACCESS_DENIED", async () => {
    const root = await tempRoot();
    const storage = folderStorage(root);
    await chmod(root, 0o755);
    await mkdir(join(root, "locked"));
    await chmod(join(root, "locked"), 0o500);
    // Root writes through file modes, so as root the attempt runs as nobody (seteuid can be undone).
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid!(65534);
    try {
      await rejectsWith(storage.put("locked/k", text("x")), "ACCESS_DENIED", /locked\/k/);
    } finally {
      if (asRoot) process.seteuid!(0);
      await chmod(join(root, "locked"), 0o700);
    }
  });
});

describe("folderStorage when a concurrent delete removes the folder a write is creating", () => {
  it("retries a mkdir that fails with ENOENT (the emptied parent was removed between its steps)", async () => {
    const storage = folderStorage(await tempRoot());
    // The race itself is too narrow to hit on demand: the first mkdir fails as node's recursive mkdir does
    // when a concurrent delete() removes a parent between its steps.
    const real = fsPromises.mkdir;
    let failed = 0;
    const mocked = mock.method(fsPromises, "mkdir", async (...args: Parameters<typeof real>) => {
      if (failed === 0 && String(args[0]).endsWith(join("uploads", "tmp"))) {
        failed++;
        throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${String(args[0])}'`), {
          code: "ENOENT",
        });
      }
      return real(...args);
    });
    syncBuiltinESMExports();
    try {
      await storage.put("uploads/tmp/one", text("one"));
    } finally {
      mocked.mock.restore();
      syncBuiltinESMExports();
    }
    assert.equal(failed, 1);
    assert.deepEqual(await readObject(storage, "uploads/tmp/one"), text("one"));
  });
});
