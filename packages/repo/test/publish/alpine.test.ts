// The publish engine's Alpine roots on the memory driver: alpine/<branch>/<repo>/<arch>/ with the signed
// APKINDEX.tar.gz (its two gzip members cut apart with node:zlib, the RSA signature checked with
// node:crypto over the second), keys/<key name>, <P>-<V>.apk in every folder that lists it (noarch in
// each), apks signed at publish (kept when ours), settings, keep, conflicts, and bad input — each failure
// typed, and the repository unchanged by it. Index fields are checked against the stored files as
// @packyard/formats reads them, not against what the engine recorded.
import assert from "node:assert/strict";
import { verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import {
  bytesSource,
  FormatError,
  loadRSASigner,
  type OpenPGPSigner,
  type PackageInfo,
  readPackage,
  type RSASigner,
} from "@packyard/formats";
import {
  isRepoError,
  memoryStorage,
  publish,
  readObject,
  readRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { KEYS_DIR, openpgpTestKey } from "@packyard/testkit/keyrings";
import { listAll } from "../../src/publish/state-io.ts";
import {
  apkIndexEntries,
  apkIndexParts,
  gzipMembers,
  inputOf,
  rsaSigner,
  type TestPackage,
  testApk,
} from "./arch-apk-support.ts";
import { clockAt, rejectsWith, text } from "./engine-support.ts";
import { snapshot } from "./storage-snapshot.ts";

const KEY_NAME = "test@packyard.invalid-5f3a1b2c.rsa.pub";
const X86 = "alpine/v3.22/main/x86_64";
const ARM = "alpine/v3.22/main/aarch64";
const V322 = { targets: ["alpine-3.22"] };

let apkSigner: RSASigner;
/** Another RSA key, as a package builder's own (fixtures/keys, made by openssl). */
let foreign: RSASigner;
let openpgp: OpenPGPSigner;
before(async () => {
  apkSigner = rsaSigner(KEY_NAME);
  foreign = loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8"), {
    keyName: "packages@example.org-1.rsa.pub",
  });
  openpgp = (await openpgpTestKey()).signer;
});

function o(extra: Record<string, unknown> = {}) {
  return { signers: [], apkSigner, alpine: V322, ...extra };
}

async function bytesAt(s: Storage, key: string): Promise<Uint8Array> {
  const b = await readObject(s, key);
  assert.ok(b !== undefined, `${key} exists`);
  return b;
}

/** A root's index taken apart: signature entries, signed member, and its package records. */
async function indexOf(s: Storage, root: string) {
  const parts = await apkIndexParts(await bytesAt(s, `${root}/APKINDEX.tar.gz`));
  return { ...parts, records: apkIndexEntries(parts.text) };
}

/** `P V` of every record of a root's index, in index order. */
async function listed(s: Storage, root: string): Promise<string[]> {
  return (await indexOf(s, root)).records.map((r) => `${r.get("P")} ${r.get("V")}`);
}

/** The stored file read back, checking signatures with the repository key. */
async function storedInfo(s: Storage, key: string): Promise<PackageInfo> {
  return readPackage(bytesSource(await bytesAt(s, key)), key, { publicKeys: [apkSigner.publicKeyPem()] });
}

function controlSha1(info: PackageInfo): string {
  assert.equal(info.raw.format, "apk");
  return (info.raw as { controlSha1: string }).controlSha1;
}

const apkKeys = () => [{ name: KEY_NAME, pem: apkSigner.publicKeyPem() }];

describe("publish to Alpine roots", () => {
  test("x86_64 and noarch apks: a signed APKINDEX per folder, the public key, every listed file in its folder", async () => {
    const s = memoryStorage();
    const hi = await testApk({ name: "hi" });
    const doc = await testApk({ name: "hi-doc", arch: "noarch" });
    const r = await publish(s, {
      add: [hi, doc].map(inputOf),
      ...o({ alpine: { ...V322, architectures: ["x86_64", "aarch64"] }, clock: clockAt() }),
    });
    assert.deepEqual(r.roots.sort(), [ARM, X86]);
    assert.deepEqual(r.added.map((a) => `${a.root} ${a.name} ${a.target}`).sort(), [
      `${ARM} hi-doc alpine-3.22`,
      `${X86} hi alpine-3.22`,
      `${X86} hi-doc alpine-3.22`,
    ]);
    assert.equal(await text(s, `keys/${KEY_NAME}`), apkSigner.publicKeyPem());
    assert.deepEqual(await listAll(s, "keys/"), [`keys/${KEY_NAME}`], "no OpenPGP key files without one");
    for (const [root, arch, names] of [
      [X86, "x86_64", ["hi", "hi-doc"]],
      [ARM, "aarch64", ["hi-doc"]],
    ] as const) {
      const index = await indexOf(s, root);
      assert.deepEqual([...index.signatures.keys()], [`.SIGN.RSA256.${KEY_NAME}`]);
      assert.ok(
        verify(
          "sha256",
          index.signed,
          apkSigner.publicKeyPem(),
          index.signatures.get(`.SIGN.RSA256.${KEY_NAME}`)!,
        ),
        `${root}: the signature verifies over the second gzip member`,
      );
      assert.deepEqual([...index.entries.keys()], ["DESCRIPTION", "APKINDEX"]);
      assert.equal(new TextDecoder().decode(index.entries.get("DESCRIPTION")), "main v3.22");
      assert.deepEqual(
        index.records.map((x) => x.get("P")),
        names,
      );
      for (const record of index.records) {
        const key = `${root}/${record.get("P")}-${record.get("V")}.apk`;
        const stored = await bytesAt(s, key);
        assert.equal(record.get("A"), arch, `${key}: A: is the folder's architecture`);
        assert.equal(record.get("S"), String(stored.length), `${key}: S: is the stored size`);
        assert.equal(
          record.get("C"),
          controlSha1(await storedInfo(s, key)),
          `${key}: C: is the stored control`,
        );
      }
      assert.deepEqual(
        (await listAll(s, `${root}/`)).sort(),
        [...names.map((n) => `${root}/${n}-1.0-r0.apk`), `${root}/APKINDEX.tar.gz`].sort(),
      );
    }
    assert.deepEqual(
      await bytesAt(s, `${X86}/hi-doc-1.0-r0.apk`),
      await bytesAt(s, `${ARM}/hi-doc-1.0-r0.apk`),
      "one noarch file, copied into each folder",
    );
    assert.deepEqual(await verifyRepository(s, { apkKeys: apkKeys() }), []);
  });

  test("an unsigned apk is stored signed by the repository key with C: unchanged; one signed by it is stored byte for byte", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const hi = await testApk({ name: "hi" });
    assert.equal(hi.info.signatures.length, 0);
    await publish(s, { add: [inputOf(hi)], ...o({ clock }) });
    const stored = await storedInfo(s, `${X86}/hi-1.0-r0.apk`);
    assert.deepEqual(
      stored.signatures.map((x) => [x.location, x.verified]),
      [[`.SIGN.RSA256.${KEY_NAME}`, true]],
    );
    assert.equal(controlSha1(stored), controlSha1(hi.info), "signing does not change the control member");
    assert.equal((await indexOf(s, X86)).records[0]!.get("C"), controlSha1(hi.info));
    // The same package, now signed, is the same identity: a no-op.
    const signed = {
      info: stored,
      source: bytesSource(await bytesAt(s, `${X86}/hi-1.0-r0.apk`)),
      name: "hi.apk",
    };
    const again = await publish(s, { add: [signed, inputOf(hi)], ...o({ clock }) });
    assert.deepEqual(again.written, []);
    assert.equal(again.unchanged.length, 2);

    const ours = await testApk({ name: "ours", signer: apkSigner });
    await publish(s, { add: [inputOf(ours)], ...o({ clock }) });
    assert.deepEqual(await bytesAt(s, `${X86}/ours-1.0-r0.apk`), ours.bytes);

    // Signed by another key only: the repository's signature goes in front, the builder's stays.
    const theirs = await testApk({ name: "theirs", signer: foreign });
    await publish(s, { add: [inputOf(theirs)], ...o({ clock }) });
    const both = await readPackage(bytesSource(await bytesAt(s, `${X86}/theirs-1.0-r0.apk`)), "theirs.apk", {
      publicKeys: [apkSigner.publicKeyPem(), foreign.publicKeyPem()],
    });
    assert.deepEqual(
      both.signatures.map((x) => [x.location, x.verified]),
      [
        [`.SIGN.RSA256.${KEY_NAME}`, true],
        [`.SIGN.RSA256.${foreign.keyName}`, true],
      ],
    );
    assert.deepEqual(await verifyRepository(s, { apkKeys: apkKeys() }), []);
  });

  test("targets, keys and settings: typed refusals, and an Alpine-only publish needs no OpenPGP key", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const hi = inputOf(await testApk({ name: "hi" }));
    await rejectsWith(s, "INVALID_SETTING", () => publish(s, { add: [hi], ...o({ alpine: {}, clock }) }));
    await assert.rejects(
      () => publish(s, { add: [hi], ...o({ alpine: undefined, clock }) }),
      (e: unknown) =>
        isRepoError(e) &&
        e.code === "INVALID_SETTING" &&
        /alpine-3\.22/.test(e.message) &&
        Array.isArray(e.data.expected) &&
        e.data.expected.includes("alpine-3.22") &&
        e.data.expected.every((id: string) => id.startsWith("alpine-")),
      "the known Alpine targets are listed",
    );
    await rejectsWith(s, "UNKNOWN_TARGET", () =>
      publish(s, { add: [hi], ...o({ alpine: { targets: ["el-9"] }, clock }) }),
    );
    await rejectsWith(s, "UNKNOWN_TARGET", () =>
      publish(s, { add: [hi], ...o({ alpine: { targets: ["alpine-9.99"] }, clock }) }),
    );
    await rejectsWith(s, "MISSING_KEY", () =>
      publish(s, { add: [hi], ...o({ apkSigner: undefined, clock }) }),
    );
    await rejectsWith(s, "BAD_KEY", () =>
      publish(s, { add: [hi], ...o({ apkSigner: rsaSigner("short.rsa.pub", 1024), clock }) }),
    );
    await rejectsWith(s, "BAD_KEY", () =>
      publish(s, { add: [hi], ...o({ apkSigner: openpgp as unknown as RSASigner, clock }) }),
    );
    await rejectsWith(s, "INVALID_SETTING", () =>
      publish(s, { add: [hi], ...o({ apkSigner: { ...apkSigner, keyName: "no-suffix" }, clock }) }),
    );
    for (const alpine of [
      { ...V322, repo: "a/b" },
      { ...V322, architectures: ["noarch"] },
      { ...V322, description: "two\nlines" },
    ]) {
      await rejectsWith(s, "INVALID_SETTING", () => publish(s, { add: [hi], ...o({ alpine, clock }) }));
    }
    await rejectsWith(s, "ARCH_NOT_IN_REPO", () =>
      publish(s, { add: [hi], ...o({ alpine: { ...V322, architectures: ["sparc64"] }, clock }) }),
    );

    const r = await publish(s, { add: [hi], signers: [], apkSigner, alpine: V322, clock });
    assert.deepEqual(r.roots, [X86]);
    assert.deepEqual(await listed(s, X86), ["hi 1.0-r0"]);
    // Later publishes use the repository's targets; another repository folder and description are settings.
    await publish(s, { add: [inputOf(await testApk({ name: "two" }))], signers: [], apkSigner, clock });
    assert.deepEqual(await listed(s, X86), ["hi 1.0-r0", "two 1.0-r0"]);
    await publish(s, {
      add: [inputOf(await testApk({ name: "three" }))],
      ...o({ alpine: { ...V322, repo: "community", description: "Community packages" }, clock }),
    });
    const community = await indexOf(s, "alpine/v3.22/community/x86_64");
    assert.equal(new TextDecoder().decode(community.entries.get("DESCRIPTION")), "Community packages");
    assert.deepEqual(await listed(s, "alpine/v3.22/community/x86_64"), ["three 1.0-r0"]);
    await rejectsWith(s, "INVALID_SETTING", async () =>
      publish(s, { add: [inputOf(await testApk({ name: "four" }))], signers: [], apkSigner, clock }),
    );
    assert.deepEqual(await verifyRepository(s, { apkKeys: apkKeys() }), []);
  });

  test("legacySha1 adds a .SIGN.RSA. signature after the RSA256 one; the setting stays until changed", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [inputOf(await testApk({ name: "hi" }))],
      ...o({ alpine: { ...V322, legacySha1: true }, clock }),
    });
    const index = await indexOf(s, X86);
    assert.deepEqual([...index.signatures.keys()], [`.SIGN.RSA256.${KEY_NAME}`, `.SIGN.RSA.${KEY_NAME}`]);
    const pem = apkSigner.publicKeyPem();
    assert.ok(verify("sha256", index.signed, pem, index.signatures.get(`.SIGN.RSA256.${KEY_NAME}`)!));
    assert.ok(verify("sha1", index.signed, pem, index.signatures.get(`.SIGN.RSA.${KEY_NAME}`)!));
    await publish(s, { add: [inputOf(await testApk({ name: "two" }))], ...o({ clock }) });
    assert.equal((await indexOf(s, X86)).signatures.size, 2, "kept without being given again");
    await publish(s, { ...o({ alpine: { ...V322, legacySha1: false }, clock }) });
    assert.deepEqual([...(await indexOf(s, X86)).signatures.keys()], [`.SIGN.RSA256.${KEY_NAME}`]);
  });

  test("several versions of a name are listed until keep drops the older ones; remove and new architectures", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [inputOf(await testApk({ name: "hi", version: "1.0-r0" }))], ...o({ clock }) });
    await publish(s, { add: [inputOf(await testApk({ name: "hi", version: "1.10-r0" }))], ...o({ clock }) });
    assert.deepEqual(await listed(s, X86), ["hi 1.0-r0", "hi 1.10-r0"]);
    const r = await publish(s, {
      add: [inputOf(await testApk({ name: "hi", version: "1.2-r0" }))],
      keep: 1,
      ...o({ clock }),
    });
    assert.deepEqual(await listed(s, X86), ["hi 1.10-r0"], "1.10 is newer than 1.2 by apk's order");
    assert.deepEqual(
      r.removed.map((x) => x.version),
      ["1.0-r0"],
    );
    assert.deepEqual(r.added, [], "1.2-r0 was older than what keep kept");
    assert.ok(await readObject(s, `${X86}/hi-1.0-r0.apk`), "a dropped file stays for the grace period");

    // A later architecture starts with the target's noarch packages.
    const doc = await testApk({ name: "doc", arch: "noarch" });
    await publish(s, { add: [inputOf(doc)], ...o({ clock }) });
    const added = await publish(s, { ...o({ alpine: { ...V322, architectures: ["aarch64"] }, clock }) });
    assert.deepEqual(added.roots, [ARM]);
    assert.deepEqual(await listed(s, ARM), ["doc 1.0-r0"]);
    assert.deepEqual(await bytesAt(s, `${ARM}/doc-1.0-r0.apk`), await bytesAt(s, `${X86}/doc-1.0-r0.apk`));
    const removed = await publish(s, { remove: [{ name: "doc", family: "alpine" }], ...o({ clock }) });
    assert.deepEqual(removed.roots.sort(), [ARM, X86]);
    assert.deepEqual(await listed(s, ARM), []);
    assert.deepEqual(await listed(s, X86), ["hi 1.10-r0"]);
    assert.deepEqual(await verifyRepository(s, { apkKeys: apkKeys() }), []);
  });

  test("a key never holds other bytes: another build of a held or removed version is REPO_CONFLICT, even with replace", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const first = await testApk({ name: "hi" });
    await publish(s, { add: [inputOf(first)], ...o({ clock }) });
    const rebuilt = await testApk({ name: "hi", payload: "rebuilt" });
    assert.notEqual(controlSha1(rebuilt.info), controlSha1(first.info));
    const before = await snapshot(s);
    await rejectsWith(s, "REPO_CONFLICT", () => publish(s, { add: [inputOf(rebuilt)], ...o({ clock }) }));
    await rejectsWith(s, "REPO_CONFLICT", () =>
      publish(s, { add: [inputOf(rebuilt)], replace: true, ...o({ clock }) }),
    );
    assert.deepEqual(await snapshot(s), before);
    // Removed, the key is still the old file's for the life of the repository (caches may hold it).
    const removed = await publish(s, { remove: [{ name: "hi", family: "alpine" }], ...o({ clock }) });
    assert.deepEqual(
      removed.removed.map((x) => x.version),
      ["1.0-r0"],
    );
    await rejectsWith(s, "REPO_CONFLICT", () => publish(s, { add: [inputOf(rebuilt)], ...o({ clock }) }));
    // The same build again is fine, and the stored file is the first one.
    await publish(s, { add: [inputOf(first)], ...o({ clock }) });
    const stored = await storedInfo(s, `${X86}/hi-1.0-r0.apk`);
    assert.equal(controlSha1(stored), controlSha1(first.info));
    assert.deepEqual(await verifyRepository(s, { apkKeys: apkKeys() }), []);
    const settled = await snapshot(s);
    const again = await publish(s, { add: [inputOf(first)], ...o({ clock }) });
    assert.deepEqual(again.written, []);
    assert.deepEqual(await snapshot(s), settled);
  });

  test("another Alpine key (or key name) is BAD_KEY unless the publish says it changes the key, which re-signs every Alpine root", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const hi = await testApk({ name: "hi" });
    await publish(s, { add: [inputOf(hi)], ...o({ clock }) });
    // A second target, which the key change below does not publish to.
    await publish(s, { add: [inputOf(hi)], ...o({ clock }), alpine: { targets: ["alpine-3.23"] } });
    const pem = readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8");
    // Another key under the repository key's name, and another key under another name.
    const other = loadRSASigner(pem, { keyName: KEY_NAME });
    const renamed = loadRSASigner(pem, { keyName: "other@example.org-00000000.rsa.pub" });
    const two = await testApk({ name: "two" });
    const before = await snapshot(s);
    for (const key of [other, renamed]) {
      await rejectsWith(s, "BAD_KEY", () =>
        publish(s, { add: [inputOf(two)], ...o({ clock }), apkSigner: key }),
      );
    }
    assert.deepEqual(await snapshot(s), before);
    await publish(s, {
      add: [inputOf(two)],
      ...o({ clock }),
      apkSigner: renamed,
      alpine: { targets: ["alpine-3.22"], changeKey: true },
    });
    assert.deepEqual(
      await verifyRepository(s, { apkKeys: [{ name: renamed.keyName, pem: renamed.publicKeyPem() }] }),
      [],
    );
    const v323 = await indexOf(s, "alpine/v3.23/main/x86_64");
    assert.deepEqual(
      [...v323.signatures.keys()],
      [`.SIGN.RSA256.${renamed.keyName}`],
      "the other target's root is signed with the new key too",
    );
  });

  test("an apk whose control member is corrupt is refused by the reader and by publish, and nothing changes", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [inputOf(await testApk({ name: "base" }))], ...o({ clock }) });
    for (const signer of [apkSigner, undefined]) {
      const good = await testApk({ name: "hi", ...(signer !== undefined ? { signer } : {}) });
      const members = gzipMembers(good.bytes);
      // The control member: second of a signed apk, first of an unsigned one.
      const control = signer !== undefined ? 1 : 0;
      const start = members.slice(0, control).reduce((n, m) => n + m.length, 0);
      const bad = Buffer.from(good.bytes);
      bad[start + Math.floor(members[control]!.length / 2)]! ^= 0xff;
      await assert.rejects(
        () => readPackage(bytesSource(bad), "hi.apk"),
        (e: unknown) => e instanceof FormatError,
      );
      // The bytes are not those the PackageInfo was read from: caught before the signature is checked or a
      // signed copy is planned (the copy's own digests would not notice).
      await rejectsWith(s, "CHECKSUM_MISMATCH", () =>
        publish(s, { add: [{ ...inputOf(good), source: bytesSource(bad) }], ...o({ clock }) }),
      );
    }
    // Signed under the repository key's name by another key: read as it is, its signature does not verify.
    const impostor = loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8"), {
      keyName: KEY_NAME,
    });
    await rejectsWith(s, "CORRUPT_PACKAGE", async () =>
      publish(s, { add: [inputOf(await testApk({ name: "hi", signer: impostor }))], ...o({ clock }) }),
    );
    // A PackageInfo of another format, and a name apk could not fetch.
    const apk = await testApk({ name: "hi" });
    await rejectsWith(s, "CHECKSUM_MISMATCH", () =>
      publish(s, { add: [{ ...inputOf(apk), source: bytesSource(apk.bytes.subarray(1)) }], ...o({ clock }) }),
    );
    await rejectsWith(s, "UNSUPPORTED_PACKAGE", () =>
      publish(s, { add: [{ ...inputOf(apk), info: { ...apk.info, name: "hi/../x" } }], ...o({ clock }) }),
    );
  });

  test("an unsigned apk whose bytes changed after it was read (same size) is refused, and no index names it", async () => {
    const s = memoryStorage();
    const hi: TestPackage = await testApk({ name: "hi" });
    const members = gzipMembers(hi.bytes);
    // A flipped byte inside the data member: the control member (and so C:) is unchanged, but the data no
    // longer hashes to the datahash the control member records.
    const changed = Buffer.from(hi.bytes);
    changed[members[0]!.length + Math.floor(members[1]!.length / 2)]! ^= 0xff;
    await assert.rejects(
      () => readPackage(bytesSource(changed), "hi.apk"),
      (e: unknown) => e instanceof FormatError,
    );
    await assert.rejects(
      () =>
        publish(s, { add: [{ ...inputOf(hi), source: bytesSource(changed) }], ...o({ clock: clockAt() }) }),
      (e: unknown) => isRepoError(e) && ["CHECKSUM_MISMATCH", "CORRUPT_PACKAGE"].includes(e.code),
    );
    assert.equal(await readObject(s, `${X86}/APKINDEX.tar.gz`), undefined);
    assert.deepEqual(await readRepository(s), []);
  });
});
