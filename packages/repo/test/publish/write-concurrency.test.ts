// Blobs are written a few at a time (and packages read ahead while a publish plans: prefetch) (EngineOptions.writeConcurrency): the repository is byte-identical
// whatever the number, never more than that many puts are under way, every state is written before any
// other blob and every index after the last blob, and a bad setting is refused before anything is written.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import {
  folderStorage,
  mapLimited,
  memoryStorage,
  prefixStorage,
  type PublishInput,
  type PublishLock,
  publish,
  type Storage,
} from "@packyard/repo";
import { prefetch } from "../../src/limit.ts";
import { testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { clockAt, rejectsWith } from "./engine-support.ts";
import { fakeDeb } from "./fake-debs.ts";
import { snapshot } from "./storage-snapshot.ts";

let signer: OpenPGPSigner;
const inputs: PublishInput[] = [];
before(async () => {
  ({ signer } = await openpgpTestKey());
  for (let i = 0; i < 12; i++) inputs.push(fakeDeb(`deb${i}`, "1.0-1", i % 2 === 0 ? "amd64" : "all"));
  for (let i = 0; i < 6; i++)
    inputs.push(await testRpm({ name: `rpm${i}`, arch: i % 3 === 0 ? "noarch" : "x86_64" }));
});

/**
 * `inner` whose puts take `delayMs` (or a random 0 to `delayMs` with `random`) and are recorded: the order
 * they began and ended, and the most at once.
 */
function slowPuts(inner: Storage, delayMs: number, random = false, writeConcurrency?: number) {
  const events: { what: "begin" | "end"; key: string }[] = [];
  let running = 0;
  let most = 0;
  const storage: Storage = {
    description: inner.description,
    ...(writeConcurrency === undefined ? {} : { writeConcurrency }),
    get: (k, o) => inner.get(k, o),
    head: (k) => inner.head(k),
    list: (p, o) => inner.list(p, o),
    create: (k, b, o) => inner.create(k, b, o),
    delete: (k) => inner.delete(k),
    async put(key, body, options) {
      running++;
      most = Math.max(most, running);
      events.push({ what: "begin", key });
      try {
        await new Promise((r) => setTimeout(r, random ? Math.random() * delayMs : delayMs));
        await inner.put(key, body, options);
      } finally {
        running--;
        events.push({ what: "end", key });
      }
    },
  };
  return { storage, events, most: () => most };
}

async function publishWith(storage: Storage, writeConcurrency: number | undefined, lock?: PublishLock) {
  return publish(storage, {
    add: inputs,
    signers: [signer],
    apt: { architectures: ["amd64"] },
    rpm: { targets: ["el-9"], architectures: ["x86_64"] },
    clock: clockAt(),
    ...(writeConcurrency === undefined ? {} : { writeConcurrency }),
    ...(lock === undefined ? {} : { lock }),
  });
}

test("one write at a time and eight with puts finishing in random order give byte-identical repositories and results", async () => {
  const one = memoryStorage();
  const first = await publishWith(one, 1);
  assert.equal(first.added.length, inputs.length);
  for (const n of [8, undefined]) {
    const slow = slowPuts(memoryStorage(), 8, true);
    const result = await publishWith(slow.storage, n);
    // The result lists the writes in the plan's order, not the order they finished in.
    assert.deepEqual(result.written, first.written, `written, writeConcurrency ${n}`);
    assert.deepEqual(result.added, first.added);
    assert.deepEqual(await snapshot(slow.storage), await snapshot(one));
    const ends = slow.events.filter((e) => e.what === "end").map((e) => e.key);
    const begins = slow.events.filter((e) => e.what === "begin").map((e) => e.key);
    assert.notDeepEqual(ends, begins, "some puts finished out of order (else this proves nothing)");
  }
});

test("at most writeConcurrency puts are under way; states come before every other blob, keys and indexes after the last", async () => {
  for (const n of [1, 3]) {
    const slow = slowPuts(memoryStorage(), 5);
    await publishWith(slow.storage, n);
    assert.equal(slow.most(), n, `the most puts under way at once with writeConcurrency ${n}`);
    const begins = slow.events.filter((e) => e.what === "begin").map((e) => e.key);
    // A state and the chunks of its records.
    const isState = (k: string) => k.startsWith(".packyard/states/") || k.startsWith(".packyard/chunks/");
    const isBlob = (k: string) =>
      /\.(deb|rpm)$/.test(k) ||
      k.includes("/by-hash/") ||
      /\/repodata\/[0-9a-f]{64}-/.test(k) ||
      k.startsWith("keys/");
    const lastState = begins.findLastIndex(isState);
    const firstBlob = begins.findIndex(isBlob);
    assert.ok(
      lastState >= 0 && firstBlob > lastState,
      `every state before the first blob: ${begins.join(" ")}`,
    );
    // Each index, top file and pointer begins after every blob has ended.
    const lastBlobEnd = slow.events.findLastIndex((e) => e.what === "end" && isBlob(e.key));
    const firstLater = slow.events.findIndex(
      (e) => e.what === "begin" && !isState(e.key) && !isBlob(e.key) && !e.key.startsWith(".packyard/lock/"),
    );
    assert.ok(firstLater > lastBlobEnd, `indexes after the last blob: ${JSON.stringify(slow.events)}`);
    // The public keys (replaced in place) are written one at a time, after every immutable blob.
    const lastImmutableEnd = slow.events.findLastIndex(
      (e) => e.what === "end" && isBlob(e.key) && !e.key.startsWith("keys/"),
    );
    const keyBegins = slow.events.flatMap((e, i) =>
      e.what === "begin" && e.key.startsWith("keys/") ? [i] : [],
    );
    assert.ok(keyBegins.length > 0, "the first publish writes the public keys");
    for (const i of keyBegins) {
      assert.ok(i > lastImmutableEnd, `keys after the immutable blobs: ${JSON.stringify(slow.events)}`);
      assert.equal(slow.events[i + 1]?.what, "end", "a key file is the only put under way");
    }
  }
});

test("without writeConcurrency, as many puts as the storage asks for are under way (8 when it asks none); the folder driver asks 32", async () => {
  for (const [asked, expected] of [
    [2, 2],
    [undefined, 8],
  ] as const) {
    const slow = slowPuts(memoryStorage(), 5, false, asked);
    await publishWith(slow.storage, undefined);
    assert.equal(slow.most(), expected, `the most puts under way at once when the storage asks ${asked}`);
  }
  // The caller's number wins over the storage's.
  const slow = slowPuts(memoryStorage(), 5, false, 2);
  await publishWith(slow.storage, 3);
  assert.equal(slow.most(), 3);
  assert.equal(folderStorage("unused-folder").writeConcurrency, 32);
  assert.equal(prefixStorage(folderStorage("unused-folder"), "a/b").writeConcurrency, 32);
  assert.equal(prefixStorage(memoryStorage(), "a/b").writeConcurrency, undefined);
});

test("the lock is checked before every write, one check at a time however many writes wait for it", async () => {
  let checks = 0;
  let inCheck = 0;
  let mostInCheck = 0;
  const slow = slowPuts(memoryStorage(), 3);
  const puts: number[] = [];
  const lock: PublishLock = {
    async acquire() {},
    async renew() {},
    async assertHeld() {
      checks++;
      inCheck++;
      mostInCheck = Math.max(mostInCheck, inCheck);
      await new Promise((r) => setTimeout(r, 2));
      inCheck--;
    },
    async release() {},
  };
  const counting: Storage = {
    ...slow.storage,
    put: (k, b, o) => {
      puts.push(checks);
      return slow.storage.put(k, b, o);
    },
  };
  await publishWith(counting, undefined, lock);
  assert.equal(mostInCheck, 1, "two checks of the lock at once");
  assert.ok(puts.length > 20 && puts.every((c) => c > 0), "a check before every write");
  // Writes that wait together share one check: fewer checks than writes, but more than the sequential ones.
  assert.ok(checks < puts.length, `${checks} checks for ${puts.length} writes`);
});

test("a writeConcurrency that is not a whole number from 1 to 256 is INVALID_SETTING, nothing written; one a storage asks for is named as the storage's", async () => {
  const storage = memoryStorage();
  for (const n of [0, -1, 1.5, 257, Number.NaN])
    await rejectsWith(storage, "INVALID_SETTING", () => publishWith(storage, n));
  const asking = { ...storage, description: "a custom store", writeConcurrency: 0 };
  await rejectsWith(storage, "INVALID_SETTING", () => publishWith(asking, undefined));
  await assert.rejects(publishWith(asking, undefined), {
    message: /^a custom store: its writeConcurrency: expected a whole number from 1 to 256, found 0$/,
  });
  // The caller's setting wins over the storage's, and is the one named.
  await assert.rejects(publishWith(asking, 300), { message: /^writeConcurrency: expected .* found 300$/ });
});

/** A promise and the functions that settle it, for tests that decide the order things finish in. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

test("mapLimited keeps the items' order, runs at most `limit` at once, and after a failure starts nothing more", async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimited([5, 1, 4, 2, 3], 2, async (ms) => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, ms * 3));
    running--;
    return ms * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
  // Items 1 and 3 fail; 3 fails first, but 1 is the earlier item: its error is thrown. Item 4 never starts.
  const gates = Array.from({ length: 5 }, () => deferred());
  const begun: number[] = [];
  const run = mapLimited([0, 1, 2, 3, 4], 2, async (i) => {
    begun.push(i);
    await gates[i]!.promise;
    if (i === 1 || i === 3) throw new Error(`item ${i}`);
    return i;
  });
  run.catch(() => {});
  await tick();
  assert.deepEqual(begun, [0, 1]);
  gates[0]!.resolve();
  await tick();
  assert.deepEqual(begun, [0, 1, 2]);
  gates[2]!.resolve();
  await tick();
  assert.deepEqual(begun, [0, 1, 2, 3]);
  gates[3]!.resolve(); // item 3 fails now: nothing more starts
  await tick();
  gates[1]!.resolve(); // then item 1 fails
  await assert.rejects(run, /^Error: item 1$/);
  assert.deepEqual(begun, [0, 1, 2, 3]);
});

test("prefetch runs ahead at most `limit` at a time, once per key, and its errors reach the loop where it asks", async () => {
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const items = ["k0", "k1", "k0", "skip", ...keys.slice(2)];
  const bad = "k5";
  const gates = new Map(keys.map((k) => [k, deferred()]));
  let running = 0;
  let most = 0;
  const started: string[] = [];
  const ahead = prefetch(
    items,
    (i) => {
      if (i === "skip") throw new Error("not a key");
      return i;
    },
    3,
    async (i) => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await gates.get(i)!.promise;
      running--;
      // k7 fails too, but the loop stops at k5 and never asks for it: not an unhandled rejection.
      if (i === bad || i === "k7") throw new Error(`bad item ${i}`);
      return i.toUpperCase();
    },
  );
  assert.equal(ahead.get("skip"), undefined, "a key that threw is not prefetched");
  await tick();
  assert.deepEqual(started, ["k0", "k1", "k2"], "three ahead, in order, each key once");
  // Let every item up to k7 finish when started: the lanes run ahead of the loop.
  for (const k of keys.slice(0, 8)) gates.get(k)!.resolve();
  const seen: string[] = [];
  try {
    for (const i of items) {
      if (i === "skip") continue;
      seen.push(await ahead.get(i)!);
    }
    assert.fail("the loop should have stopped at the bad item");
  } catch (e) {
    assert.match(String(e), /bad item k5/);
  } finally {
    ahead.stop();
  }
  assert.deepEqual(seen, ["K0", "K1", "K0", "K2", "K3", "K4"]);
  assert.equal(most, 3);
  const atStop = started.length;
  assert.ok(atStop <= keys.indexOf("k7") + 1 + 3, `started by stop(): ${started.join(" ")}`);
  for (const k of keys.slice(8)) gates.get(k)!.resolve();
  await tick();
  await tick();
  // Only the lanes' items under way at stop() ran on; nothing new started.
  assert.equal(started.length, atStop, `nothing starts after stop(): ${started.join(" ")}`);
});
