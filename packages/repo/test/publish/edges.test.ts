// Edge cases of the engine: pool paths keep one content for the life of the repository (across suites,
// replace and pruning), a publish stopped after rewriting canonical indexes is repaired by whatever
// publish comes next, by-hash copies appear when SHA512 is turned on, a key tombstoned by two suites goes
// after the later grace period, a package added and dropped in one publish is not written, and a clock
// far behind the last Date is refused.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import {
  copyPackages,
  isRepoError,
  memoryStorage,
  pruneRepository,
  publish,
  readObject,
  readRepository,
  refreshRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { clockAt } from "./engine-support.ts";
import { fakeDeb } from "./fake-debs.ts";

let signer: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
});

const DAY = 24 * 3600_000;

async function sha(storage: Storage, key: string): Promise<string | undefined> {
  const bytes = await readObject(storage, key);
  return bytes === undefined ? undefined : createHash("sha256").update(bytes).digest("hex");
}

const K = "deb/pool/main/h/hello/hello_1.0-1_amd64.deb";

test("a pool path keeps its first content: --replace in one suite, then the new build in another", async () => {
  const s = memoryStorage();
  const clock = clockAt();
  const a = fakeDeb("hello");
  const b = fakeDeb("hello", "1.0-1", "amd64", "rebuilt");
  await publish(s, { add: [a], signers: [signer], clock, apt: { suite: "stable" } });
  await publish(s, { add: [b], signers: [signer], clock, apt: { suite: "stable" }, replace: true });
  await publish(s, { add: [b], signers: [signer], clock, apt: { suite: "testing" } });
  const [stable, testing] = await readRepository(s);
  assert.equal(stable!.packages[0]!.key, testing!.packages[0]!.key, "both suites share the rebuilt file");
  assert.notEqual(testing!.packages[0]!.key, K);
  assert.equal(await sha(s, K), a.info.artifact.digests.sha256, "the first build's path still holds it");
});

test("a pool path keeps its first content after the package was removed and pruned", async () => {
  const s = memoryStorage();
  const clock = clockAt();
  await publish(s, { add: [fakeDeb("hello")], signers: [signer], clock });
  await publish(s, { remove: [{ name: "hello" }], signers: [signer], clock });
  clock.jump(3 * DAY);
  assert.ok((await pruneRepository(s, { clock })).deleted.includes(K));
  await publish(s, { add: [fakeDeb("other")], signers: [signer], clock }); // the tombstone leaves the state
  const rebuilt = fakeDeb("hello", "1.0-1", "amd64", "rebuilt");
  await publish(s, { add: [rebuilt], signers: [signer], clock });
  const [state] = await readRepository(s);
  const hello = state!.packages.find((p) => p.name === "hello")!;
  assert.notEqual(hello.key, K, "a rebuilt 1.0-1 never reuses the path the first build was served at");
  assert.equal(await s.head(K), undefined);
  assert.deepEqual(await verifyRepository(s, { strict: true }), []);
});

test("a publish that stopped after rewriting a canonical index is repaired by the next, different publish", async () => {
  for (const next of ["publish", "refresh", "copy"] as const) {
    const s = memoryStorage();
    const clock = clockAt();
    const apt = { architectures: ["amd64", "arm64"] };
    await publish(s, { add: [fakeDeb("base")], signers: [signer], clock, apt });
    // A publisher that stops right after writing binary-amd64/Packages (its state already written).
    let stopped = false;
    const stopping: Storage = {
      ...s,
      description: s.description,
      async put(key, body, options) {
        if (stopped) throw new Error("the publisher stopped");
        await s.put(key, body, options);
        if (key.endsWith("binary-amd64/Packages")) stopped = true;
      },
    };
    await assert.rejects(
      publish(stopping, { add: [fakeDeb("lost")], signers: [signer], clock, apt, lock: false }),
    );
    if (next === "publish")
      await publish(s, { add: [fakeDeb("armonly", "1.0-1", "arm64")], signers: [signer], clock, apt });
    if (next === "refresh") await refreshRepository(s, { signers: [signer], clock });
    if (next === "copy")
      await copyPackages(s, { fromSuite: "stable", apt: { suite: "other" }, signers: [signer], clock });
    if (next === "copy")
      await publish(s, { add: [fakeDeb("armonly", "1.0-1", "arm64")], signers: [signer], clock, apt });
    assert.deepEqual(await verifyRepository(s, { strict: true }), [], `after ${next}`);
    const [state] = await readRepository(s);
    assert.ok(!state!.packages.some((p) => p.name === "lost"), "the stopped publish's package is not listed");
  }
});

test("turning SHA512 on writes by-hash/SHA512 copies of unchanged indexes too", async () => {
  const s = memoryStorage();
  const clock = clockAt();
  await publish(s, {
    add: [fakeDeb("a")],
    signers: [signer],
    clock,
    apt: { architectures: ["amd64", "arm64"], contents: true },
  });
  await publish(s, { signers: [signer], clock, apt: { sha512: true } });
  assert.deepEqual(await verifyRepository(s, { strict: true }), []);
});

test("a pool file tombstoned by two suites goes only after the later grace period", async () => {
  const s = memoryStorage();
  const clock = clockAt();
  await publish(s, { add: [fakeDeb("hello")], signers: [signer], clock, apt: { suite: "a" } });
  await publish(s, { add: [fakeDeb("hello")], signers: [signer], clock, apt: { suite: "b" } });
  await publish(s, { remove: [{ name: "hello" }], signers: [signer], clock, apt: { suite: "a" } });
  clock.jump(DAY);
  await publish(s, { remove: [{ name: "hello" }], signers: [signer], clock, apt: { suite: "b" } });
  clock.jump(1.5 * DAY); // a's grace is over, b's is not
  await pruneRepository(s, { clock });
  assert.ok((await s.head(K)) !== undefined, "deleted inside suite b's grace period");
  clock.jump(DAY);
  assert.ok((await pruneRepository(s, { clock })).deleted.includes(K));
});

test("a package added and dropped by keep in the same publish is neither written nor reported as added", async () => {
  const s = memoryStorage();
  const clock = clockAt();
  await publish(s, { add: [fakeDeb("a", "2.0-1")], signers: [signer], clock });
  const r = await publish(s, { add: [fakeDeb("a", "1.0-1")], keep: 1, signers: [signer], clock });
  assert.deepEqual(r.added, []);
  assert.ok(!r.written.some((k) => k.includes("a_1.0-1")), r.written.join("\n"));
  assert.equal(await s.head("deb/pool/main/a/a/a_1.0-1_amd64.deb"), undefined);
});

test("a clock far behind the suite's last Date is refused with CLOCK_BEHIND, not waited for", async () => {
  const s = memoryStorage();
  let now = Date.parse("2026-12-01T00:00:00Z");
  const clock = () => new Date(now);
  await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
  now -= 3600_000;
  await assert.rejects(
    publish(s, { add: [fakeDeb("b")], signers: [signer], clock, sleep: async () => assert.fail("waited") }),
    (e: unknown) => {
      assert.ok(isRepoError(e));
      assert.equal(e.code, "CLOCK_BEHIND", e.message);
      return true;
    },
  );
});
