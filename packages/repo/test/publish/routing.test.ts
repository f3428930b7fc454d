// Which roots a publish touches and what it may rely on: selectors by family and target, an APT suite a
// loose selector must not create, the OpenPGP key files an Alpine-only publish leaves alone, and files of
// a publish that stopped before its index (never named by a client-visible index) are written again when
// the package is published again.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { OpenPGPSigner, RSASigner } from "@packyard/formats";
import {
  memoryStorage,
  publish,
  readObject,
  readRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { testDeb } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { inputOf, rsaSigner, testApk, testArch } from "./arch-apk-support.ts";
import { clockAt, rejectsWith } from "./engine-support.ts";

const APK_KEY = "test@packyard.invalid-0a1b2c3d.rsa.pub";
let signer: OpenPGPSigner;
let other: OpenPGPSigner;
let apkSigner: RSASigner;
before(async () => {
  signer = (await openpgpTestKey({ type: "rsa", rsaBits: 2048 })).signer;
  other = (await openpgpTestKey()).signer;
  apkSigner = rsaSigner(APK_KEY);
});

/** `inner`, except that the first put of a key matching `fail` throws (a publisher stopped there). */
function failingOnce(inner: Storage, fail: RegExp): Storage {
  let armed = true;
  return {
    ...inner,
    description: inner.description,
    get: (k, o) => inner.get(k, o),
    head: (k) => inner.head(k),
    list: (p, o) => inner.list(p, o),
    delete: (k) => inner.delete(k),
    put: async (key, body, options) => {
      if (armed && fail.test(key)) {
        armed = false;
        throw new Error(`stopped before writing ${key}`);
      }
      return inner.put(key, body, options);
    },
  } as Storage;
}

describe("routing and repair across families", () => {
  test("selectors by family and by the pacman target remove from that family only", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const arch = await testArch({ name: "hello" });
    await publish(s, { add: [inputOf(arch), await testDeb({ name: "hello" })], signers: [signer], clock });
    const r = await publish(s, { remove: [{ name: "hello", target: "arch" }], signers: [signer], clock });
    assert.deepEqual(
      r.removed.map((x) => x.root),
      ["archlinux/repository/os/x86_64"],
    );
    const states = await readRepository(s);
    assert.equal(states.find((x) => x.family === "deb")?.packages.length, 1, "the deb stays");
    assert.equal(states.find((x) => x.family === "archlinux")?.packages.length, 0);
  });

  test("a selector naming no family does not create an APT suite in a repository without one", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [inputOf(await testApk({ name: "hello" }))],
      signers: [],
      apkSigner,
      alpine: { targets: ["alpine-3.22"] },
      clock,
    });
    const r = await publish(s, {
      remove: [{ name: "hello" }],
      signers: [],
      apkSigner,
      alpine: {},
      clock,
    });
    assert.deepEqual(r.roots, ["alpine/v3.22/main/x86_64"]);
    assert.deepEqual(
      (await readRepository(s)).map((x) => x.root),
      ["alpine/v3.22/main/x86_64"],
    );
    // An OpenPGP key given to an Alpine-only publish writes no OpenPGP key file.
    await publish(s, {
      add: [inputOf(await testApk({ name: "two" }))],
      signers: [other],
      apkSigner,
      alpine: {},
      clock,
    });
    assert.equal(await readObject(s, "keys/repository.asc"), undefined);
    // Where an APT suite exists, the same selector reaches it, and needs the OpenPGP key.
    await publish(s, { add: [await testDeb({ name: "hello" })], signers: [signer], clock });
    await rejectsWith(s, "MISSING_KEY", () =>
      publish(s, { remove: [{ name: "hello" }], signers: [], apkSigner, alpine: {}, clock }),
    );
  });

  test("a package whose publish stopped before its file was written is written when it is published again", async () => {
    const inner = memoryStorage();
    const clock = clockAt();
    const v1 = await testArch({ name: "hello", version: "1.0-1" });
    await publish(inner, { add: [inputOf(v1)], signers: [signer], clock });
    const v2 = await testArch({ name: "hello", version: "2.0-1" });
    const s = failingOnce(inner, /hello-2\.0-1-x86_64\.pkg\.tar\.zst$/);
    await assert.rejects(
      () => publish(s, { add: [inputOf(v2)], signers: [signer], clock }),
      /stopped before/,
    );
    // The state of the stopped publish was written first; its package file never was.
    assert.equal(
      await readObject(inner, "archlinux/repository/os/x86_64/hello-2.0-1-x86_64.pkg.tar.zst"),
      undefined,
    );
    // A publish of something else settles the abandoned state (its files tombstoned, without a hash).
    await publish(inner, { add: [inputOf(await testArch({ name: "other" }))], signers: [signer], clock });
    const r = await publish(inner, { add: [inputOf(v2)], signers: [signer], clock });
    assert.ok(
      r.written.includes("archlinux/repository/os/x86_64/hello-2.0-1-x86_64.pkg.tar.zst"),
      r.written.join("\n"),
    );
    assert.deepEqual(await verifyRepository(inner, { publicKeys: [signer.publicKeyArmored()] }), []);
  });
});
