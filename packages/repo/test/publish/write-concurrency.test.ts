// Blobs are written a few at a time (and packages read ahead while a publish plans: prefetch) (EngineOptions.writeConcurrency): the repository is byte-identical
// whatever the number, never more than that many puts are under way, every state is written before any
// other blob and every index after the last blob, and a bad setting is refused before anything is written.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { mapLimited, memoryStorage, publish, type PublishInput, type Storage } from "@packyard/repo";
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

/** `inner` whose puts take `delayMs` and are recorded: the order they began and ended, and the most at once. */
function slowPuts(inner: Storage, delayMs: number) {
  const events: { what: "begin" | "end"; key: string }[] = [];
  let running = 0;
  let most = 0;
  const storage: Storage = {
    description: inner.description,
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
        await new Promise((r) => setTimeout(r, delayMs));
        await inner.put(key, body, options);
      } finally {
        running--;
        events.push({ what: "end", key });
      }
    },
  };
  return { storage, events, most: () => most };
}

async function publishWith(storage: Storage, writeConcurrency: number | undefined) {
  return publish(storage, {
    add: inputs,
    signers: [signer],
    apt: { architectures: ["amd64"] },
    rpm: { targets: ["el-9"], architectures: ["x86_64"] },
    clock: clockAt(),
    ...(writeConcurrency === undefined ? {} : { writeConcurrency }),
  });
}

test("one, eight and the default number of writes at once give byte-identical repositories and results", async () => {
  const results = [];
  const snapshots = [];
  for (const n of [1, 8, undefined]) {
    const storage = memoryStorage();
    const result = await publishWith(storage, n);
    results.push({ written: result.written, added: result.added.length });
    snapshots.push(await snapshot(storage));
  }
  assert.equal(results[0]!.added, inputs.length);
  assert.deepEqual(results[1], results[0]);
  assert.deepEqual(results[2], results[0]);
  assert.deepEqual(snapshots[1], snapshots[0]);
  assert.deepEqual(snapshots[2], snapshots[0]);
});

test("at most writeConcurrency puts are under way; states come before every other blob, indexes after the last", async () => {
  for (const n of [1, 3]) {
    const slow = slowPuts(memoryStorage(), 5);
    await publishWith(slow.storage, n);
    assert.equal(slow.most(), n, `the most puts under way at once with writeConcurrency ${n}`);
    const begins = slow.events.filter((e) => e.what === "begin").map((e) => e.key);
    const isState = (k: string) => k.startsWith(".packyard/states/");
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
  }
});

test("a writeConcurrency that is not a whole number from 1 to 256 is INVALID_SETTING, nothing written", async () => {
  const storage = memoryStorage();
  for (const n of [0, -1, 1.5, 257, Number.NaN])
    await rejectsWith(storage, "INVALID_SETTING", () => publishWith(storage, n));
});

test("mapLimited keeps the items' order, runs at most `limit` at once, and after a failure starts nothing more", async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const out = await mapLimited([5, 1, 4, 2, 3], 2, async (ms, i) => {
    started.push(i);
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, ms * 3));
    running--;
    return ms * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  // Items 1 and 3 fail; 3 fails first in time, but 1 is the earlier item: its error is thrown. Item 4 never starts.
  const begun: number[] = [];
  await assert.rejects(
    mapLimited([30, 40, 0, 5, 0], 2, async (ms, i) => {
      begun.push(i);
      await new Promise((r) => setTimeout(r, ms));
      if (i === 1 || i === 3) throw new Error(`item ${i}`);
      return i;
    }),
    /^Error: item 1$/,
  );
  assert.deepEqual(begun, [0, 1, 2, 3]);
});

test("prefetch runs ahead at most `limit` at a time, once per key, and its errors reach the loop where it asks", async () => {
  let running = 0;
  let most = 0;
  const started: string[] = [];
  const items = ["a", "b", "a", "skip", "c", "bad", "d", "e"];
  const ahead = prefetch(
    items,
    (i) => {
      if (i === "skip") throw new Error("not a key");
      return i;
    },
    2,
    async (i) => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === "bad") throw new Error(`bad item ${i}`);
      return i.toUpperCase();
    },
  );
  assert.equal(ahead.get("skip"), undefined, "a key that threw is not prefetched");
  const seen: string[] = [];
  try {
    for (const i of items) {
      if (i === "skip") continue;
      seen.push(await ahead.get(i)!);
    }
    assert.fail("the loop should have stopped at the bad item");
  } catch (e) {
    assert.match(String(e), /bad item bad/);
  } finally {
    ahead.stop();
  }
  assert.deepEqual(seen, ["A", "B", "A", "C"]);
  assert.equal(most, 2);
  // Ran in order, each key once; after stop() nothing more starts (at most the two lanes' items after "bad").
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(started.slice(0, 4), ["a", "b", "c", "bad"]);
  assert.ok(started.length <= 6, started.join(" "));
  const before = started.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(started.length, before, "nothing starts after stop()");
});
