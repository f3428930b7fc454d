// prefixStorage: the whole Storage contract through a view, on memory, folder and S3, with neighbours
// outside the view's prefix that it must neither show nor touch; prefix validation; the storage lock
// and a publish through a view land exactly under the prefix and match a publish into a store of its own.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { type S3Server, startS3 } from "@packyard/testkit/s3";
import { publish } from "../../src/publish/publish.ts";
import { storageLock } from "../../src/publish/lock.ts";
import { folderStorage } from "../../src/storage/fs.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { prefixStorage } from "../../src/storage/prefix.ts";
import { readObject } from "../../src/storage/read.ts";
import { s3Storage } from "../../src/storage/s3.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { clockAt } from "../publish/engine-support.ts";
import { fakeDeb } from "../publish/fake-debs.ts";
import { snapshot } from "../publish/storage-snapshot.ts";
import { listAllKeys, rejectsWith, type Subject, storageContract } from "./contract.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const VIEW = "repos/acme/main";

/**
 * Objects around the view's prefix: a sibling whose name extends the prefix's last segment (a plain string
 * prefix without the `/` would take it in), keys sorting before and after it, and the prefix folder's parent.
 */
const NEIGHBOURS = [
  "repos/acme/main-old/deb/InRelease",
  "repos/acme/mainx",
  "repos/acme/ma",
  "repos/acme/other/deb/InRelease",
  "repos/acme/state.json",
  "repos/a",
  "zzz/last",
  ".packyard/lock/000000000001",
];

async function withNeighbours(storage: Storage): Promise<Storage> {
  for (const key of NEIGHBOURS) await storage.put(key, text(`neighbour ${key}`));
  return storage;
}

/** The neighbours are all still there, byte for byte. */
async function neighboursIntact(storage: Storage): Promise<void> {
  for (const key of NEIGHBOURS)
    assert.deepEqual(await readObject(storage, key), text(`neighbour ${key}`), key);
}

const made: string[] = [];
after(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "packyard-prefix-"));
  made.push(dir);
  return dir;
}

let s3: S3Server;
before(async () => {
  s3 = await startS3();
});
after(() => s3?.stop());

storageContract("prefixStorage over memory", async () => ({
  storage: prefixStorage(await withNeighbours(memoryStorage()), VIEW),
}));

storageContract("prefixStorage over folder", async () => ({
  storage: prefixStorage(await withNeighbours(folderStorage(join(await tempRoot(), "data"))), `${VIEW}/`),
}));

let s3Subjects = 0;
storageContract(
  "prefixStorage over s3",
  async (): Promise<Subject> => {
    const bucketPrefix = `prefix-view-${++s3Subjects}`;
    const whole = s3Storage({
      bucket: s3.bucket,
      prefix: bucketPrefix,
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    const objectPath = (key: string) => `${bucketPrefix}/${VIEW}/${key}`;
    return {
      storage: prefixStorage(await withNeighbours(whole), VIEW),
      async partsUploaded(key) {
        let parts = 0;
        for (const r of await s3.requests()) {
          if (r.path !== `/${s3.bucket}/${objectPath(key)}`) continue;
          if (r.method === "POST" && /[?&]uploads(=|&|$)/.test(r.query)) parts = 0;
          if (r.method === "PUT" && /[?&]partNumber=/.test(r.query)) parts++;
        }
        return parts;
      },
      async served(key) {
        const answer = await fetch(s3.url(objectPath(key)), { method: "HEAD" });
        assert.equal(answer.status, 200, `HEAD ${key}`);
        return {
          contentType: answer.headers.get("content-type"),
          cacheControl: answer.headers.get("cache-control"),
        };
      },
    };
  },
  { servesHttp: true },
);

describe("prefixStorage", () => {
  it("stores key k at <prefix>/k, lists without the prefix, and heads name the view's key", async () => {
    const whole = await withNeighbours(memoryStorage());
    const view = prefixStorage(whole, VIEW);
    await view.put("deb/dists/stable/InRelease", text("signed"));
    assert.deepEqual(await readObject(whole, `${VIEW}/deb/dists/stable/InRelease`), text("signed"));
    assert.equal((await view.head("deb/dists/stable/InRelease"))?.key, "deb/dists/stable/InRelease");
    assert.equal(
      (await whole.head(`${VIEW}/deb/dists/stable/InRelease`))?.etag,
      (await view.head("deb/dists/stable/InRelease"))?.etag,
    );
    assert.deepEqual(
      (await view.list("")).objects.map((o) => o.key),
      ["deb/dists/stable/InRelease"],
    );
    // A neighbour is not an object of the view, even under a key that would reach it by string prefix.
    assert.equal(await view.head("x"), undefined);
    assert.deepEqual(
      (await prefixStorage(whole, "repos/acme/main-old").list("")).objects.map((o) => o.key),
      ["deb/InRelease"],
    );
    await view.delete("deb/dists/stable/InRelease");
    assert.deepEqual((await view.list("")).objects, []);
    await neighboursIntact(whole);
  });

  it("a trailing / is optional; every spelling of one prefix is one view", async () => {
    const whole = memoryStorage();
    await prefixStorage(whole, "repos/acme/main").put("k", text("v"));
    assert.deepEqual(await readObject(prefixStorage(whole, "repos/acme/main/"), "k"), text("v"));
    assert.deepEqual(
      (await whole.list("")).objects.map((o) => o.key),
      ["repos/acme/main/k"],
    );
  });

  it("refuses a prefix with a leading /, an empty, . or .. segment, a NUL or a backslash", async () => {
    const bad = [
      "/",
      "/repos",
      "../x",
      "repos/../x",
      "repos/..",
      "repos//x",
      "repos/x//",
      "./x",
      "a/./b",
      "a\\b",
      "a\0b",
      "//",
    ];
    for (const prefix of bad)
      assert.throws(
        () => prefixStorage(memoryStorage(), prefix),
        (e: unknown) => {
          assert.equal((e as { code?: string }).code, "INVALID_SETTING", `${JSON.stringify(prefix)}: ${e}`);
          assert.match((e as Error).message, /storage view prefix/);
          return true;
        },
        JSON.stringify(prefix),
      );
    assert.throws(() => prefixStorage(memoryStorage(), 7 as unknown as string), /expected a string/);
  });

  it("the empty prefix is the whole store", async () => {
    const whole = await withNeighbours(memoryStorage());
    const view = prefixStorage(whole, "");
    assert.equal(view.description, whole.description);
    assert.deepEqual((await listAllKeys(view, "")).keys, (await listAllKeys(whole, "")).keys);
  });

  it("refuses bad keys of the view itself, naming the view's key, before the store is asked", async () => {
    let asked = 0;
    const whole = memoryStorage();
    const counting: Storage = {
      ...whole,
      get(...a) {
        asked++;
        return whole.get(...a);
      },
      put(...a) {
        asked++;
        return whole.put(...a);
      },
      delete(...a) {
        asked++;
        return whole.delete(...a);
      },
    };
    const view = prefixStorage(counting, VIEW);
    // Each of these would be a valid key of the whole store once prefixed (".." steps back out of the view).
    await rejectsWith(view.get("../other/deb/InRelease"), "INVALID_SETTING", /"\.\.\/other\/deb\/InRelease"/);
    await rejectsWith(view.put("", text("x")), "INVALID_SETTING");
    await rejectsWith(view.delete("/abs"), "INVALID_SETTING");
    await rejectsWith(view.list("../"), "INVALID_SETTING");
    assert.equal(asked, 0);
  });

  it("nests: a view of a view is the concatenated prefix", async () => {
    const whole = memoryStorage();
    const inner = prefixStorage(prefixStorage(whole, "repos"), "acme/main/");
    await inner.put("a/b", text("ab"));
    assert.deepEqual(
      (await whole.list("")).objects.map((o) => o.key),
      ["repos/acme/main/a/b"],
    );
    assert.deepEqual(
      (await inner.list("a/")).objects.map((o) => o.key),
      ["a/b"],
    );
    assert.match(inner.description, /^memory, under repos\/, under acme\/main\/$/);
  });

  it("pages through a listing with the store's cursors, neighbours before and after left out", async () => {
    const whole = await withNeighbours(memoryStorage());
    const view = prefixStorage(whole, VIEW);
    const keys = Array.from({ length: 25 }, (_, i) => `pool/k${String(i).padStart(2, "0")}`);
    for (const key of keys) await view.put(key, text(key));
    const paged = await listAllKeys(view, "", 10);
    assert.deepEqual(paged.keys, keys);
    assert.deepEqual(paged.pages, [10, 10, 5]);
    const ranged = await view.get("pool/k03", { range: { start: 5, end: 7 } });
    assert.ok(ranged !== undefined);
    const chunks: Uint8Array[] = [];
    for await (const chunk of ranged) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), "k0");
  });

  it("the storage lock through a view lives under the prefix: one view excludes itself, views apart do not", async () => {
    const whole = await withNeighbours(memoryStorage());
    const a1 = storageLock(prefixStorage(whole, VIEW), { pollMs: 5 });
    const a2 = storageLock(prefixStorage(whole, `${VIEW}/`), { pollMs: 5, pid: process.pid + 1 });
    const b = storageLock(prefixStorage(whole, "repos/acme/other"), { pollMs: 5 });
    assert.equal(await a1.probe(), true);
    await a1.acquire({ timeoutMs: 1000 });
    // The whole store's own lock (a neighbour, generation 1, not released) does not hold the view's.
    assert.equal(a1.generation, 1);
    await rejectsWith(a2.acquire({ timeoutMs: 50 }), "LOCK_TIMEOUT", /under repos\/acme\/main\//);
    await b.acquire({ timeoutMs: 1000 });
    assert.equal(b.generation, 1);
    await a1.assertHeld();
    await a1.release();
    await a2.acquire({ timeoutMs: 1000 });
    assert.equal(a2.generation, 2);
    await a2.release();
    await b.release();
    assert.deepEqual(
      (await whole.list(`${VIEW}/.packyard/lock/`)).objects.map((o) => o.key),
      [`${VIEW}/.packyard/lock/000000000001`, `${VIEW}/.packyard/lock/000000000002`],
    );
    await neighboursIntact(whole);
  });

  it("a publish through a view writes the same objects, under the prefix, as into a store of its own", async () => {
    const signer: OpenPGPSigner = (await openpgpTestKey()).signer;
    const alone = memoryStorage();
    const whole = await withNeighbours(memoryStorage());
    const view = prefixStorage(whole, VIEW);
    for (const storage of [alone, view]) {
      const clock = clockAt();
      await publish(storage, {
        add: [fakeDeb("hello"), fakeDeb("world", "2.0-1")],
        signers: [signer],
        clock,
      });
      await publish(storage, { add: [fakeDeb("hello", "1.1-1")], signers: [signer], clock });
    }
    const expected = await snapshot(alone);
    assert.ok(expected.size > 5, `a publish writes indexes and packages, found ${[...expected.keys()]}`);
    assert.deepEqual(await snapshot(view), expected);
    const outside = new Map(
      [...(await snapshot(whole))].filter(
        ([key]) => !key.startsWith(`${VIEW}/`) && !NEIGHBOURS.includes(key),
      ),
    );
    assert.deepEqual(outside, new Map(), "nothing written outside the prefix");
    await neighboursIntact(whole);
  });
});
