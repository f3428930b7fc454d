// The publish engine on the memory driver: identity and conflicts, replace, remove and keep, persistent
// identity fields, architectures, dates, several suites over one pool, copy, refresh, prune, and bad
// input — each failure typed, and the repository unchanged by it.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import {
  copyPackages,
  memoryStorage,
  pruneRepository,
  publish,
  readRepository,
  refreshRepository,
  type Storage,
} from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { listAll } from "../../src/publish/state-io.ts";
import { fakeDeb } from "./fake-debs.ts";
import { clockAt, rejectsWith, text } from "./engine-support.ts";

let signer: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
});

describe("publish", () => {
  test("re-publishing a held package writes nothing; the same version with other content is REPO_CONFLICT", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    const again = await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    assert.deepEqual(again.written, []);
    assert.deepEqual(
      again.unchanged.map((u) => u.name),
      ["a"],
    );
    await rejectsWith(s, "REPO_CONFLICT", () =>
      publish(s, { add: [fakeDeb("a", "1.0-1", "amd64", "rebuilt")], signers: [signer], clock }),
    );
  });

  test("--replace puts the new build under a content-qualified pool path and tombstones the old one", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    const r = await publish(s, {
      add: [fakeDeb("a", "1.0-1", "amd64", "rebuilt")],
      signers: [signer],
      clock,
      replace: true,
    });
    assert.deepEqual(
      r.added.map((x) => x.name),
      ["a"],
    );
    const [state] = await readRepository(s);
    assert.equal(state!.packages.length, 1);
    assert.match(state!.packages[0]!.key, /^deb\/pool\/main\/a\/a\/[0-9a-f]{16}\/a_1\.0-1_amd64\.deb$/);
    assert.ok(state!.tombstones.some((t) => t.key === "deb/pool/main/a/a/a_1.0-1_amd64.deb"));
    // The old file stays until its grace period ends: a client holding the old index can still fetch it.
    assert.ok((await s.head("deb/pool/main/a/a/a_1.0-1_amd64.deb")) !== undefined);
  });

  test("remove and keep drop versions; the blobs go only after the grace period, by publish or prune", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const versions = ["1.0-1", "1.1-1", "1.10-1", "1.2-1"];
    await publish(s, { add: versions.map((v) => fakeDeb("a", v)), signers: [signer], clock });
    const r = await publish(s, { keep: 2, signers: [signer], clock });
    assert.deepEqual(r.removed.map((x) => x.version).sort(), ["1.0-1", "1.1-1"]);
    const [state] = await readRepository(s);
    assert.deepEqual(
      state!.packages.map((p) => p.version),
      ["1.2-1", "1.10-1"],
    );
    await publish(s, { remove: [{ name: "a", version: "1.2-1" }], signers: [signer], clock });
    assert.ok((await s.head("deb/pool/main/a/a/a_1.0-1_amd64.deb")) !== undefined);
    assert.deepEqual((await pruneRepository(s, { clock })).deleted, []);
    clock.jump(2 * 24 * 3600_000 + 1000);
    const pruned = await pruneRepository(s, { clock });
    assert.ok(pruned.deleted.includes("deb/pool/main/a/a/a_1.0-1_amd64.deb"), pruned.deleted.join("\n"));
    assert.ok(pruned.deleted.includes("deb/pool/main/a/a/a_1.2-1_amd64.deb"));
    assert.equal(await s.head("deb/pool/main/a/a/a_1.0-1_amd64.deb"), undefined);
    assert.ok(
      (await s.head("deb/pool/main/a/a/a_1.10-1_amd64.deb")) !== undefined,
      "a held package was deleted",
    );
    assert.ok(
      pruned.deleted.some((k) => k.includes("/by-hash/SHA256/")),
      "old by-hash copies are pruned too",
    );
  });

  test("Origin, Label and Codename persist; changing one needs changeIdentity", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [fakeDeb("a")],
      signers: [signer],
      clock,
      apt: { origin: "Acme", label: "Acme tools" },
    });
    await publish(s, { add: [fakeDeb("b")], signers: [signer], clock });
    assert.match(await text(s, "deb/dists/stable/Release"), /^Origin: Acme\nLabel: Acme tools\n/);
    await rejectsWith(s, "IDENTITY_CHANGE", () =>
      publish(s, { add: [fakeDeb("c")], signers: [signer], clock, apt: { origin: "Other" } }),
    );
    await publish(s, { signers: [signer], clock, apt: { origin: "Other", changeIdentity: true } });
    assert.match(await text(s, "deb/dists/stable/Release"), /^Origin: Other\n/);
  });

  test("a package for an architecture outside the suite's list is ARCH_NOT_IN_REPO until --arch adds it", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    await rejectsWith(s, "ARCH_NOT_IN_REPO", () =>
      publish(s, { add: [fakeDeb("b", "1.0-1", "arm64")], signers: [signer], clock }),
    );
    await publish(s, {
      add: [fakeDeb("b", "1.0-1", "arm64")],
      signers: [signer],
      clock,
      apt: { architectures: ["arm64"] },
    });
    assert.match(await text(s, "deb/dists/stable/Release"), /^Architectures: amd64 arm64$/m);
  });

  test("Date never runs ahead of the clock and always moves forward, waiting when the clock is behind", async () => {
    const s = memoryStorage();
    let now = Date.parse("2026-12-01T00:00:10.500Z");
    const waits: number[] = [];
    const clock = () => new Date(now);
    const sleep = async (ms: number) => {
      waits.push(ms);
      now += ms;
    };
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock, sleep });
    const first = (await readRepository(s))[0]!.date;
    now -= 60_000; // a build host whose clock is a minute behind
    await publish(s, { add: [fakeDeb("b")], signers: [signer], clock, sleep });
    const second = (await readRepository(s))[0]!.date;
    assert.equal(first, "2026-12-01T00:00:10.000Z");
    assert.equal(second, "2026-12-01T00:00:11.000Z");
    assert.ok(waits.length > 0, "the publisher waited for its clock");
    assert.ok(Date.parse(second) <= now, "the Date is not ahead of the clock");
    assert.match(await text(s, "deb/dists/stable/Release"), /^Date: Tue, 01 Dec 2026 00:00:11 UTC$/m);
  });

  test("suites share one pool: a package in two suites is stored once and stays while one suite lists it", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock, apt: { suite: "testing" } });
    const copied = await copyPackages(s, {
      fromSuite: "testing",
      apt: { suite: "stable" },
      signers: [signer],
      clock,
    });
    assert.deepEqual(
      copied.added.map((a) => a.name),
      ["a"],
    );
    assert.ok(
      copied.written.every((k) => !k.startsWith("deb/pool/")),
      "copy writes no package",
    );
    const states = await readRepository(s);
    assert.deepEqual(
      states.map((st) => st.root),
      ["deb/stable", "deb/testing"],
    );
    assert.equal(states[0]!.packages[0]!.key, states[1]!.packages[0]!.key);
    await publish(s, { remove: [{ name: "a" }], signers: [signer], clock, apt: { suite: "testing" } });
    clock.jump(3 * 24 * 3600_000);
    await pruneRepository(s, { clock });
    assert.ok((await s.head(states[0]!.packages[0]!.key)) !== undefined, "stable still lists it");
    await rejectsWith(s, "REPO_CONFLICT", () =>
      publish(s, {
        add: [fakeDeb("a", "1.0-1", "amd64", "other")],
        signers: [signer],
        clock,
        apt: { suite: "unstable" },
      }),
    );
  });

  test("refresh re-signs the top files with a new Date and rewrites no index", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock, apt: { validFor: 7 * 86400 } });
    const before = await text(s, "deb/dists/stable/Release");
    const r = await refreshRepository(s, { signers: [signer], clock });
    assert.deepEqual(
      r.written.map((k) => k.replace(/[0-9a-f]{64}/g, "<sha>")),
      [
        ".packyard/states/deb/stable/0000000002.<sha>.<sha>.json",
        "deb/dists/stable/InRelease",
        "deb/dists/stable/Release",
        "deb/dists/stable/Release.gpg",
        ".packyard/roots/deb/stable.json",
      ],
    );
    const after = await text(s, "deb/dists/stable/Release");
    assert.notEqual(after.match(/^Date: .*$/m)![0], before.match(/^Date: .*$/m)![0]);
    assert.match(after, /^Valid-Until: /m);
  });

  test("bad input: a non-deb package, no key, a key that cannot sign, a corrupt state, a store without conditional creates", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    const rpm = fakeDeb("r");
    (rpm.info as { format: string }).format = "rpm";
    await rejectsWith(s, "UNSUPPORTED_PACKAGE", () => publish(s, { add: [rpm], signers: [signer], clock }));
    await rejectsWith(s, "MISSING_KEY", () => publish(s, { add: [fakeDeb("b")], signers: [], clock }));
    const rsa = { kind: "rsa" } as unknown as OpenPGPSigner;
    await rejectsWith(s, "BAD_KEY", () => publish(s, { add: [fakeDeb("b")], signers: [rsa], clock }));
    const [stateKey] = (await listAll(s, ".packyard/states/")).filter((k) => k.endsWith(".json"));
    await s.put(stateKey!, new TextEncoder().encode("{ not json"));
    await rejectsWith(s, "CORRUPT_STATE", () =>
      publish(s, { add: [fakeDeb("b")], signers: [signer], clock }),
    );

    const lax = memoryStorage();
    const ignoring: Storage = {
      ...lax,
      description: lax.description,
      create: async (k, b, o) => {
        await lax.put(k, b, o);
        return true;
      },
    };
    await rejectsWith(ignoring, "LOCK_UNSUPPORTED", () =>
      publish(ignoring, { add: [fakeDeb("a")], signers: [signer], clock }),
    );
    const r = await publish(ignoring, { add: [fakeDeb("a")], signers: [signer], clock, lock: false });
    assert.deepEqual(
      r.added.map((a) => a.name),
      ["a"],
    );
  });
});
