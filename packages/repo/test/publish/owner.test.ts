// A repository hosted by the packyard server: the server's first operation (owner: { kind: "server", url })
// records .packyard/owner.json; from then on publish, refresh, copy, prune and updateInstallFiles without
// that marker are refused with REPO_OWNED_BY_SERVER naming the server's URL, before anything is written
// (not even a lock record); with it they work, and a new URL is recorded.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import {
  copyPackages,
  isRepoError,
  memoryStorage,
  OWNER_KEY,
  pruneRepository,
  publish,
  readOwner,
  readRepository,
  refreshRepository,
  type Storage,
  updateInstallFiles,
} from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { clockAt } from "./engine-support.ts";
import { fakeDeb } from "./fake-debs.ts";
import { snapshot } from "./storage-snapshot.ts";

let signer: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
});

const SERVER = { kind: "server", url: "https://packyard.example.com" } as const;

/** `run` is REPO_OWNED_BY_SERVER naming the URL, and no object (lock records included) changed. */
async function refused(s: Storage, run: () => Promise<unknown>): Promise<void> {
  const before = await snapshot(s, { withLock: true });
  await assert.rejects(run, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, "REPO_OWNED_BY_SERVER", e.message);
    assert.match(e.message, /hosted by the packyard server at https:\/\/packyard\.example\.com/);
    assert.equal(e.data.found, SERVER.url);
    return true;
  });
  assert.deepEqual(await snapshot(s, { withLock: true }), before, "nothing written");
}

describe("owner: a repository hosted by the server", () => {
  test("marked by the server's publish; every writing operation without the marker is refused", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock, owner: SERVER });
    assert.deepEqual(await readOwner(s), SERVER);
    const before = await snapshot(s);

    await refused(s, () => publish(s, { add: [fakeDeb("b")], signers: [signer], clock }));
    await refused(s, () => publish(s, { add: [fakeDeb("b")], signers: [signer], clock, lock: false }));
    await refused(s, () => refreshRepository(s, { signers: [signer], clock }));
    await refused(s, () =>
      copyPackages(s, { fromSuite: "stable", apt: { suite: "testing" }, signers: [signer], clock }),
    );
    await refused(s, () => pruneRepository(s, { clock }));
    await refused(s, () =>
      updateInstallFiles(s, { install: { baseUrl: "https://example.com/repo" }, clock }),
    );
    assert.deepEqual(await snapshot(s), before);

    // The server itself goes on; a new public URL is recorded.
    await publish(s, { add: [fakeDeb("b")], signers: [signer], clock, owner: SERVER });
    await refreshRepository(s, {
      signers: [signer],
      clock,
      owner: { kind: "server", url: "https://new.example" },
    });
    assert.deepEqual(await readOwner(s), { kind: "server", url: "https://new.example" });
    assert.deepEqual(
      (await readRepository(s))[0]!.packages.map((p) => p.name),
      ["a", "b"],
    );
  });

  test("a repository without the marker takes the server's on its first server operation; a marker without url is refused by its own words", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [fakeDeb("a")], signers: [signer], clock });
    assert.equal(await readOwner(s), undefined, "the CLI's publish records no owner");
    await publish(s, { add: [fakeDeb("b")], signers: [signer], clock, owner: { kind: "server" } });
    assert.deepEqual(await readOwner(s), { kind: "server" });
    await assert.rejects(
      publish(s, { add: [fakeDeb("c")], signers: [signer], clock }),
      (e: unknown) =>
        isRepoError(e) && e.code === "REPO_OWNED_BY_SERVER" && /its packyard server/.test(e.message),
    );
  });

  test("a bad owner option is INVALID_SETTING; an unreadable marker is CORRUPT_STATE", async () => {
    const s = memoryStorage();
    for (const owner of [{ kind: "cli" }, { kind: "server", url: 7 }, { kind: "server", extra: 1 }, null])
      await assert.rejects(
        publish(s, { add: [fakeDeb("a")], signers: [signer], owner: owner as never }),
        (e: unknown) => isRepoError(e) && e.code === "INVALID_SETTING" && /owner/.test(e.message),
      );
    await s.put(OWNER_KEY, new TextEncoder().encode('{"kind":"server"}'));
    await assert.rejects(
      publish(s, { add: [fakeDeb("a")], signers: [signer], owner: SERVER }),
      (e: unknown) => isRepoError(e) && e.code === "CORRUPT_STATE",
    );
  });
});
