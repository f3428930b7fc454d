// Rotating the Alpine key with apkSigners: during the overlap every Alpine index (targets the publish does
// not address included) carries a .SIGN.RSA256 entry per key, each verifying over the index member with
// its own key (node:crypto), so an apk holding only the old key and one holding only the new key both
// trust it (verifyRepository models apk's choice of the first signature whose key it holds); keys/ holds
// both, the install document lists both; after the overlap the new key alone signs. A key sharing nothing
// with the recorded ones is still BAD_KEY, and the repository is unchanged by it.
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { before, describe, test } from "node:test";
import { bytesSource, type RSASigner, readPackage } from "@packyard/formats";
import {
  installDocument,
  isRepoError,
  memoryStorage,
  publish,
  readObject,
  readRepository,
  refreshRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { listAll } from "../../src/publish/state-io.ts";
import { apkIndexParts, inputOf, rsaSigner, testApk } from "./arch-apk-support.ts";
import { clockAt, rejectsWith } from "./engine-support.ts";

const OLD = "old@packyard.invalid-11111111.rsa.pub";
const NEW = "new@packyard.invalid-22222222.rsa.pub";
const ROOTS = ["alpine/v3.22/main/x86_64", "alpine/v3.23/main/x86_64"];

let oldKey: RSASigner;
let newKey: RSASigner;
let unrelated: RSASigner;
before(() => {
  oldKey = rsaSigner(OLD);
  newKey = rsaSigner(NEW);
  unrelated = rsaSigner("someone@example.org-33333333.rsa.pub");
});

/** The `.SIGN.*` entry names of a root's index, in order, each checked against its own key over the index member. */
async function signedBy(s: Storage, root: string, keys: readonly RSASigner[]): Promise<string[]> {
  const bytes = await readObject(s, `${root}/APKINDEX.tar.gz`);
  assert.ok(bytes !== undefined, `${root} has an index`);
  const { signatures, signed } = await apkIndexParts(bytes);
  for (const [name, signature] of signatures) {
    const key = keys.find((k) => name === `.SIGN.RSA256.${k.keyName}`);
    assert.ok(key !== undefined, `${name} names a key given`);
    assert.ok(verify("sha256", signed, createPublicKey(key.publicKeyPem()), signature), `${name} verifies`);
    for (const other of keys.filter((k) => k !== key))
      assert.ok(
        !verify("sha256", signed, createPublicKey(other.publicKeyPem()), signature),
        `${name}, other key`,
      );
  }
  return [...signatures.keys()];
}

const only = (k: RSASigner) => ({ apkKeys: [{ name: k.keyName, pem: k.publicKeyPem() }] });

describe("Alpine key rotation (apkSigners)", () => {
  test("old, then new and old together, then new alone: each step trusted by the keys users hold", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const hi = await testApk({ name: "hi" });
    for (const target of ["alpine-3.22", "alpine-3.23"])
      await publish(s, {
        add: [inputOf(hi)],
        signers: [],
        apkSigner: oldKey,
        alpine: { targets: [target] },
        clock,
      });

    // The overlap starts with a publish to one target, without changeKey: the old key is among those given.
    const two = await testApk({ name: "two" });
    await publish(s, {
      add: [inputOf(two)],
      signers: [],
      apkSigners: [newKey, oldKey],
      alpine: { targets: ["alpine-3.22"] },
      clock,
    });
    for (const root of ROOTS)
      assert.deepEqual(
        await signedBy(s, root, [newKey, oldKey]),
        [`.SIGN.RSA256.${NEW}`, `.SIGN.RSA256.${OLD}`],
        root,
      );
    assert.deepEqual(await verifyRepository(s, only(oldKey)), [], "an apk holding only the old key");
    assert.deepEqual(await verifyRepository(s, only(newKey)), [], "an apk holding only the new key");
    assert.deepEqual(await listAll(s, "keys/"), [`keys/${NEW}`, `keys/${OLD}`]);
    assert.equal(new TextDecoder().decode(await readObject(s, `keys/${NEW}`)), newKey.publicKeyPem());
    for (const state of (await readRepository(s)).filter((x) => x.family === "alpine"))
      assert.deepEqual(
        [state.alpine?.keyName, state.alpine?.rotationKeys?.map((k) => k.keyName)],
        [NEW, [OLD]],
        state.root,
      );
    // The package signed at this publish carries the first key's signature.
    const added = await readObject(s, `${ROOTS[0]}/two-1.0-r0.apk`);
    assert.ok(added !== undefined);
    const info = await readPackage(bytesSource(added), "two-1.0-r0.apk", {
      publicKeys: [newKey.publicKeyPem()],
    });
    assert.deepEqual(
      info.signatures.map((x) => [x.location.endsWith(`.${NEW}`), x.verified]),
      [[true, true]],
    );
    const doc = await installDocument(s, { baseUrl: "https://example.com/repo" });
    assert.equal(doc.keys.apk?.name, NEW);
    assert.deepEqual(
      doc.keys.apkRotation?.map((k) => [k.name, k.url]),
      [[OLD, `https://example.com/repo/keys/${OLD}`]],
    );
    const steps = doc.targets.find((t) => t.id === "alpine-3.22")!.steps;
    assert.deepEqual(
      steps.filter((x) => x.url !== undefined).map((x) => x.command),
      [
        `wget -qO /etc/apk/keys/${NEW} https://example.com/repo/keys/${NEW}`,
        `wget -qO /etc/apk/keys/${OLD} https://example.com/repo/keys/${OLD}`,
      ],
    );

    // A key sharing nothing with the recorded pair is refused, the repository unchanged.
    await rejectsWith(s, "BAD_KEY", () =>
      publish(s, {
        add: [inputOf(two)],
        signers: [],
        apkSigner: unrelated,
        alpine: { targets: ["alpine-3.22"] },
        clock,
      }),
    );

    // The overlap ends: the new key alone, still without changeKey.
    await refreshRepository(s, { signers: [], apkSigners: [newKey], clock });
    for (const root of ROOTS)
      assert.deepEqual(await signedBy(s, root, [newKey]), [`.SIGN.RSA256.${NEW}`], root);
    assert.deepEqual(await verifyRepository(s, only(newKey)), []);
    const stale = await verifyRepository(s, only(oldKey));
    assert.ok(
      stale.some((p) => /none of the keys given/.test(p.problem)),
      `an apk holding only the old key no longer trusts it: ${JSON.stringify(stale)}`,
    );
    for (const state of (await readRepository(s)).filter((x) => x.family === "alpine"))
      assert.deepEqual([state.alpine?.keyName, state.alpine?.rotationKeys], [NEW, undefined], state.root);
    const after = await installDocument(s, { baseUrl: "https://example.com/repo" });
    assert.equal(after.keys.apk?.name, NEW);
    assert.equal(after.keys.apkRotation, undefined);
  });

  test("apkSigner and apkSigners together, three keys, or two keys of one name are INVALID_SETTING", async () => {
    const s = memoryStorage();
    const input = inputOf(await testApk({ name: "hi" }));
    const twin = rsaSigner(NEW);
    for (const bad of [
      { apkSigner: newKey, apkSigners: [newKey] },
      { apkSigners: [newKey, oldKey, unrelated] },
      { apkSigners: [newKey, twin] },
    ]) {
      await assert.rejects(
        publish(s, { add: [input], signers: [], alpine: { targets: ["alpine-3.22"] }, ...bad }),
        (e: unknown) => isRepoError(e) && e.code === "INVALID_SETTING" && /apkSigner/.test(e.message),
      );
    }
    assert.deepEqual(await listAll(s, ""), []);
  });
});
