/**
 * The one contract every Storage driver keeps, as a suite run against memory, folder and S3 (memory.test.ts,
 * folder.test.ts, s3.test.ts). Each case opens a fresh, empty subject, so cases share nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { isRepoError } from "../../src/errors.ts";
import { collectBytes, readObject } from "../../src/storage/read.ts";
import { IMMUTABLE_CACHE, MUTABLE_CACHE, type Storage } from "../../src/storage/storage.ts";

/** A driver under test: a fresh, empty storage and what the driver can show of itself. */
export interface Subject {
  storage: Storage;
  /** The number of parts `key`'s last upload was sent in, for a driver that uploads in parts (S3). */
  partsUploaded?(key: string): Promise<number>;
  /** The Content-Type and Cache-Control `key` is served with over HTTP, for a driver whose store serves HTTP. */
  served?(key: string): Promise<{ contentType: string | null; cacheControl: string | null }>;
}

/** Opens a fresh, empty subject (a new temporary folder, a new S3 prefix...). */
export type SubjectFactory = () => Promise<Subject>;

const MiB = 1024 * 1024;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** `bytes` as a stream of unknown length, in chunks of `size`, throwing `failure` after `failAfter` bytes. */
export async function* streamOf(
  bytes: Uint8Array,
  size: number,
  failAt?: { after: number; error: Error },
): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < bytes.length; pos += size) {
    if (failAt !== undefined && pos >= failAt.after) throw failAt.error;
    yield bytes.slice(pos, pos + size);
  }
  if (failAt !== undefined) throw failAt.error;
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function eachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every key `storage` lists under `prefix`, page by page with `limit`; also returns the page sizes. */
export async function listAllKeys(
  storage: Storage,
  prefix: string,
  limit?: number,
): Promise<{ keys: string[]; pages: number[] }> {
  const keys: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(prefix, {
      ...(cursor === undefined ? {} : { cursor }),
      ...(limit === undefined ? {} : { limit }),
    });
    pages.push(page.objects.length);
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
    assert.ok(pages.length < 10_000, "listing does not end");
  } while (cursor !== undefined);
  return { keys, pages };
}

/** Asserts that `promise` rejects with RepoError `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(isRepoError(e), `expected a RepoError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  });
}

const sorted = (keys: string[]): string[] => [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Registers the contract suite for the driver `name`; `servesHttp` adds the cases on served headers. */
export function storageContract(
  name: string,
  open: SubjectFactory,
  options: { servesHttp?: boolean } = {},
): void {
  describe(`Storage contract: ${name}`, () => {
    it("put then get returns the bytes; head reports the size and an etag", async () => {
      const { storage } = await open();
      const bytes = text("Package: hello\nVersion: 1.0\n");
      await storage.put("deb/dists/stable/main/binary-amd64/Packages", bytes);
      assert.deepEqual(await readObject(storage, "deb/dists/stable/main/binary-amd64/Packages"), bytes);
      const info = await storage.head("deb/dists/stable/main/binary-amd64/Packages");
      assert.equal(info?.key, "deb/dists/stable/main/binary-amd64/Packages");
      assert.equal(info?.size, bytes.length);
      assert.ok(typeof info?.etag === "string" && info.etag.length > 0, "an etag");
      assert.ok(storage.description.length > 0);
    });

    it("get and head of a missing key return undefined", async () => {
      const { storage } = await open();
      await storage.put("a/present", text("x"));
      assert.equal(await storage.get("a/missing"), undefined);
      assert.equal(await storage.head("a/missing"), undefined);
      assert.equal(await storage.get("b/missing", { range: { start: 0, end: 1 } }), undefined);
      // A key that is only a folder-like prefix of other keys is not an object either.
      assert.equal(await storage.get("a"), undefined);
      assert.equal(await storage.head("a"), undefined);
    });

    it("an empty object is stored and read back empty", async () => {
      const { storage } = await open();
      await storage.put("empty", new Uint8Array(0));
      assert.equal((await storage.head("empty"))?.size, 0);
      assert.deepEqual(await readObject(storage, "empty"), new Uint8Array(0));
    });

    it("get with a range returns that slice, clamped to the object", async () => {
      const { storage } = await open();
      const bytes = pseudoRandomBytes(1000, 7);
      await storage.put("r", bytes);
      const range = async (start: number, end?: number): Promise<Uint8Array> => {
        const body = await storage.get("r", { range: end === undefined ? { start } : { start, end } });
        assert.ok(body !== undefined);
        return collectBytes(body);
      };
      assert.deepEqual(await range(0, 10), bytes.slice(0, 10));
      assert.deepEqual(await range(990), bytes.slice(990));
      assert.deepEqual(await range(100, 600), bytes.slice(100, 600));
      assert.deepEqual(await range(0), bytes);
      assert.deepEqual(await range(995, 2000), bytes.slice(995));
      assert.deepEqual(await range(500, 500), new Uint8Array(0));
      assert.deepEqual(await range(1000), new Uint8Array(0));
      assert.deepEqual(await range(5000, 6000), new Uint8Array(0));
    });

    it("refuses invalid ranges", async () => {
      const { storage } = await open();
      await storage.put("r", text("0123456789"));
      await rejectsWith(storage.get("r", { range: { start: -1 } }), "INVALID_SETTING");
      await rejectsWith(storage.get("r", { range: { start: 5, end: 4 } }), "INVALID_SETTING");
      await rejectsWith(storage.get("r", { range: { start: 1.5 } }), "INVALID_SETTING");
    });

    it("put from a stream of unknown length stores 11 MiB whole (S3: in parts)", async (t) => {
      const subject = await open();
      const bytes = pseudoRandomBytes(11 * MiB, 11);
      // An odd chunk size, so no part boundary falls on a chunk boundary.
      await subject.storage.put("pool/big.deb", streamOf(bytes, 65_537), { cacheControl: IMMUTABLE_CACHE });
      assert.equal((await subject.storage.head("pool/big.deb"))?.size, bytes.length);
      const back = await readObject(subject.storage, "pool/big.deb");
      assert.equal(back?.length, bytes.length);
      assert.equal(sha256(back!), sha256(bytes));
      if (subject.partsUploaded) {
        const parts = await subject.partsUploaded("pool/big.deb");
        t.diagnostic(`uploaded in ${parts} parts`);
        assert.ok(parts >= 2, `expected a multipart upload, got ${parts} part(s)`);
      }
      if (subject.served) assert.equal((await subject.served("pool/big.deb")).cacheControl, IMMUTABLE_CACHE);
    });

    it("put from a short stream stores it", async () => {
      const { storage } = await open();
      await storage.put("s", streamOf(text("hello, world"), 5));
      assert.deepEqual(await readObject(storage, "s"), text("hello, world"));
      await storage.put("none", streamOf(new Uint8Array(0), 5));
      assert.equal((await storage.head("none"))?.size, 0);
    });

    it("a put whose stream fails throws the stream's error and leaves the old object", async () => {
      const { storage } = await open();
      const old = text("the old bytes");
      await storage.put("k", old);
      const bytes = pseudoRandomBytes(7 * MiB, 3);
      // Early (before any part could be sent) and late (after a first S3 part went up).
      for (const after of [100_000, 6 * MiB]) {
        const error = new Error(`source broke after ${after}`);
        await assert.rejects(storage.put("k", streamOf(bytes, 65_536, { after, error })), (e) => e === error);
        assert.deepEqual(await readObject(storage, "k"), old, `after ${after}`);
        await assert.rejects(
          storage.put("new", streamOf(bytes, 65_536, { after, error })),
          (e) => e === error,
        );
        assert.equal(await storage.head("new"), undefined);
      }
    });

    it("put overwrites, and the etag follows the content", async () => {
      const { storage } = await open();
      await storage.put("o", text("one"));
      const first = await storage.head("o");
      await storage.put("o", text("two, longer"));
      assert.deepEqual(await readObject(storage, "o"), text("two, longer"));
      const second = await storage.head("o");
      assert.equal(second?.size, 11);
      assert.notEqual(second?.etag, first?.etag);
    });

    it("put and create write exactly the bytes of a view into a larger buffer", async () => {
      const { storage } = await open();
      const whole = text("0123456789abcdef");
      await storage.put("view", whole.subarray(4, 10));
      assert.deepEqual(await readObject(storage, "view"), text("456789"));
      assert.equal(await storage.create("view2", whole.subarray(10)), true);
      assert.deepEqual(await readObject(storage, "view2"), text("abcdef"));
    });

    it("put keeps its own copy of the bytes", async () => {
      const { storage } = await open();
      const bytes = text("abc");
      await storage.put("c", bytes);
      bytes[0] = 0x7a;
      assert.deepEqual(await readObject(storage, "c"), text("abc"));
    });

    it("create writes only when the key is absent", async () => {
      const { storage } = await open();
      assert.equal(await storage.create(".packyard/lock/000000000001", text("first")), true);
      assert.equal(await storage.create(".packyard/lock/000000000001", text("second")), false);
      assert.deepEqual(await readObject(storage, ".packyard/lock/000000000001"), text("first"));
      await storage.put("p", text("put"));
      assert.equal(await storage.create("p", text("create")), false);
      assert.deepEqual(await readObject(storage, "p"), text("put"));
      await storage.delete("p");
      assert.equal(await storage.create("p", text("again")), true);
      assert.deepEqual(await readObject(storage, "p"), text("again"));
    });

    it("of concurrent creates of one key exactly one wins, and its bytes are stored", async () => {
      const { storage } = await open();
      for (const round of [1, 2, 3]) {
        const key = `.packyard/lock/${round}`;
        const bodies = Array.from({ length: 8 }, (_, i) => text(`writer ${i} of round ${round}`));
        const results = await Promise.all(bodies.map((b) => storage.create(key, b)));
        assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
        assert.deepEqual(await readObject(storage, key), bodies[results.indexOf(true)]);
      }
    });

    it("list pages through 1,003 keys of a prefix, ascending, each once", async () => {
      const { storage } = await open();
      const keys = Array.from({ length: 1003 }, (_, i) => `many/k${String(i).padStart(4, "0")}`);
      const shuffled = [...keys].sort((a, b) => sha256(text(a)).localeCompare(sha256(text(b))));
      await eachLimit(shuffled, 32, (key) => storage.put(key, text(key)));
      for (const decoy of ["man", "manz/x", "other/many/k0001"]) await storage.put(decoy, text(decoy));

      const byDefault = await listAllKeys(storage, "many/");
      assert.deepEqual(byDefault.keys, keys);
      assert.ok(byDefault.pages.length >= 2, `one page held everything: ${byDefault.pages}`);
      assert.ok(
        byDefault.pages.every((n) => n <= 1000),
        `pages: ${byDefault.pages}`,
      );

      const small = await listAllKeys(storage, "many/", 250);
      assert.deepEqual(small.keys, keys);
      assert.deepEqual(small.pages, [250, 250, 250, 250, 3]);

      const first = await storage.list("many/k100", { limit: 2 });
      assert.deepEqual(
        first.objects.map((o) => [o.key, o.size]),
        [
          ["many/k1000", 10],
          ["many/k1001", 10],
        ],
      );
      assert.ok(first.cursor !== undefined);
      const rest = await storage.list("many/k100", { limit: 2, cursor: first.cursor });
      assert.deepEqual(
        rest.objects.map((o) => o.key),
        ["many/k1002"],
      );
      assert.equal(rest.cursor, undefined);
    });

    it("list takes a plain string prefix and returns keys in string order", async () => {
      const { storage } = await open();
      const keys = [
        "deb/p",
        "deb/po",
        "deb/pool-x",
        "deb/pool/a",
        "deb/pool/b/c",
        "deb/pox",
        "deb/q",
        "debx",
        ".packyard/state/deb.json",
      ];
      for (const key of keys) await storage.put(key, text(key));
      const list = async (prefix: string) => (await storage.list(prefix)).objects.map((o) => o.key);
      assert.deepEqual(await list("deb/po"), [
        "deb/po",
        "deb/pool-x",
        "deb/pool/a",
        "deb/pool/b/c",
        "deb/pox",
      ]);
      assert.deepEqual(await list("deb/pool/"), ["deb/pool/a", "deb/pool/b/c"]);
      assert.deepEqual(await list(".p"), [".packyard/state/deb.json"]);
      assert.deepEqual(await list(""), sorted(keys));
      const none = await storage.list("nothing/");
      assert.deepEqual(none.objects, []);
      assert.equal(none.cursor, undefined);
      const page = await storage.list("deb/pool/b/");
      assert.equal(page.objects[0]?.size, "deb/pool/b/c".length);
      assert.ok(page.objects[0]?.etag);
    });

    it("delete removes the object; deleting a missing key is no error", async () => {
      const { storage } = await open();
      await storage.put("deb/pool/main/h/hello/hello_1.0_amd64.deb", text("deb"));
      await storage.put("deb/pool/main/h/hello/hello_1.1_amd64.deb", text("deb"));
      await storage.delete("deb/pool/main/h/hello/hello_1.0_amd64.deb");
      assert.equal(await storage.get("deb/pool/main/h/hello/hello_1.0_amd64.deb"), undefined);
      assert.equal(await storage.head("deb/pool/main/h/hello/hello_1.0_amd64.deb"), undefined);
      assert.deepEqual(
        (await storage.list("deb/")).objects.map((o) => o.key),
        ["deb/pool/main/h/hello/hello_1.1_amd64.deb"],
      );
      await storage.delete("deb/pool/main/h/hello/hello_1.0_amd64.deb");
      await storage.delete("never/was/here");
      await storage.delete("deb/pool/main/h/hello/hello_1.1_amd64.deb");
      assert.deepEqual((await storage.list("")).objects, []);
    });

    it("refuses invalid keys and prefixes before touching the store", async () => {
      const { storage } = await open();
      const bad = ["", "/abs", "a//b", "a/./b", "a/../b", "..", ".", "a/", "../etc/passwd", "a\\b", "a\0b"];
      for (const key of [...bad, "pool/.packyard-tmp-1"]) {
        await rejectsWith(storage.get(key), "INVALID_SETTING");
        await rejectsWith(storage.head(key), "INVALID_SETTING");
        await rejectsWith(storage.put(key, text("x")), "INVALID_SETTING");
        await rejectsWith(storage.put(key, streamOf(text("x"), 1)), "INVALID_SETTING");
        await rejectsWith(storage.create(key, text("x")), "INVALID_SETTING");
        await rejectsWith(storage.delete(key), "INVALID_SETTING");
      }
      for (const prefix of ["/a", "../a", "a/../", "a//b", "a\\b"])
        await rejectsWith(storage.list(prefix), "INVALID_SETTING");
      await rejectsWith(storage.list("", { limit: 0 }), "INVALID_SETTING");
      assert.deepEqual((await storage.list("")).objects, []);
    });

    if (options.servesHttp)
      it("Content-Type and Cache-Control are served as put", async () => {
        const { storage, served } = await open();
        assert.ok(served !== undefined, "a subject that serves HTTP tells what it serves");
        await storage.put("deb/dists/stable/InRelease", text("signed"), {
          contentType: "text/plain; charset=utf-8",
          cacheControl: MUTABLE_CACHE,
        });
        assert.deepEqual(await served("deb/dists/stable/InRelease"), {
          contentType: "text/plain; charset=utf-8",
          cacheControl: MUTABLE_CACHE,
        });
        // Without a contentType, the one contentTypeFor gives.
        await storage.put("keys/repository.gpg", text("key"));
        assert.equal((await served("keys/repository.gpg")).contentType, "application/pgp-keys");
        await storage.put("pool/a.deb", streamOf(text("deb"), 1), { cacheControl: IMMUTABLE_CACHE });
        assert.deepEqual(await served("pool/a.deb"), {
          contentType: "application/vnd.debian.binary-package",
          cacheControl: IMMUTABLE_CACHE,
        });
        await storage.create("state.json", text("{}"), { cacheControl: "no-store" });
        assert.deepEqual(await served("state.json"), {
          contentType: "application/json",
          cacheControl: "no-store",
        });
      });
  });
}
