/**
 * verify/apt: a suite written by the builders verifies clean, and each way a crash or a bad publish can
 * break what apt sees is reported against the right key.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { buildAptIndexes } from "../../src/apt/indexes.ts";
import { releaseText } from "../../src/apt/release.ts";
import { signRelease } from "../../src/apt/sign.ts";
import { isRepoError } from "../../src/errors.ts";
import type { AptSettings } from "../../src/publish/state.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { readObject } from "../../src/storage/read.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { verifyAptSuite, type VerifyProblem } from "../../src/verify/apt.ts";
import { listAptSuites, verifyRepository } from "../../src/verify/repository.ts";
import {
  DATE,
  hex,
  publishToMemory,
  type TestPackage,
  testPackage,
  testSettings,
  testState,
  text,
  threePackages,
  utf8,
} from "./support.ts";

const D = "deb/dists/stable/";
const PGZ = `${D}main/binary-amd64/Packages.gz`;
const HELLO = "deb/pool/main/h/hello/hello_1.0-1_amd64.deb";
const DOC = "deb/pool/main/h/hello-doc/hello-doc_1.0-1_all.deb";

let signer: OpenPGPSigner;
let other: OpenPGPSigner;
let publicKeys: string[];

before(async () => {
  signer = (await openpgpTestKey()).signer;
  other = (await openpgpTestKey()).signer;
  publicKeys = [signer.publicKeyArmored()];
});

async function published(
  overrides: Partial<AptSettings> = {},
  packages: TestPackage[] = threePackages(),
): Promise<Storage> {
  return (await publishToMemory(testState(testSettings(overrides), packages), packages, [signer])).storage;
}

async function get(storage: Storage, key: string): Promise<Uint8Array> {
  const bytes = await readObject(storage, key);
  assert.ok(bytes, key);
  return bytes;
}

async function byHashKey(
  storage: Storage,
  key: string,
  algo: "SHA256" | "SHA512" = "SHA256",
): Promise<string> {
  const bytes = await get(storage, key);
  const dir = key.slice(0, key.lastIndexOf("/") + 1);
  return `${dir}by-hash/${algo}/${hex(bytes, algo === "SHA256" ? "sha256" : "sha512")}`;
}

function keysOf(problems: VerifyProblem[]): string[] {
  return problems.map((p) => p.key);
}

/** Asserts exactly one problem, on `key`, whose text matches `pattern`. */
function one(problems: VerifyProblem[], key: string, pattern: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
  assert.equal(problems[0]?.key, key);
  assert.match(problems[0]?.problem ?? "", pattern);
}

test("a freshly written suite verifies clean, in every setting combination", async () => {
  const variants: Partial<AptSettings>[] = [
    {},
    { byHash: false },
    { hashes: ["SHA256", "SHA512"], compressions: ["gz", "xz"], contents: true },
    { byHash: false, hashes: ["SHA256", "SHA512"], compressions: ["gz", "xz"], validFor: 86400 },
  ];
  for (const v of variants) {
    const storage = await published(v);
    assert.deepEqual(
      await verifyAptSuite(storage, "stable", { strict: true, publicKeys, now: DATE }),
      [],
      JSON.stringify(v),
    );
  }
  assert.deepEqual(await verifyAptSuite(await published({}, []), "stable", { publicKeys }), []);
});

test("a deleted canonical index is reported, with or without by-hash", async () => {
  for (const byHash of [true, false]) {
    const storage = await published({ byHash });
    await storage.delete(PGZ);
    one(await verifyAptSuite(storage, "stable", { strict: true }), PGZ, /missing/);
  }
});

test("a deleted by-hash copy is reported (SHA256, and SHA512 when listed)", async () => {
  const storage = await published();
  const copy = await byHashKey(storage, PGZ);
  await storage.delete(copy);
  one(await verifyAptSuite(storage, "stable", { strict: true }), copy, /missing.*Acquire-By-Hash/);

  const strong = await published({ hashes: ["SHA256", "SHA512"] });
  const copy512 = await byHashKey(strong, PGZ, "SHA512");
  await strong.delete(copy512);
  one(await verifyAptSuite(strong, "stable", { strict: true }), copy512, /missing.*SHA512/);
});

test("a stale or wrong by-hash copy is reported", async () => {
  const storage = await published();
  const copy = await byHashKey(storage, PGZ);
  // Another generation's bytes under this hash's name.
  await storage.put(copy, await get(storage, `${D}main/binary-arm64/Packages.gz`));
  one(
    await verifyAptSuite(storage, "stable", { strict: true }),
    copy,
    /by-hash copy of main\/binary-amd64\/Packages\.gz: (size|SHA256)/,
  );
});

test("with by-hash the canonical name may lag; without, a wrong size or hash is reported", async () => {
  const lagging = await published();
  await lagging.put(PGZ, await get(lagging, `${D}main/binary-arm64/Packages.gz`));
  assert.deepEqual(await verifyAptSuite(lagging, "stable", { strict: true }), []);

  const plain = await published({ byHash: false });
  const packages = `${D}main/binary-amd64/Packages`;
  const bytes = await get(plain, packages);
  await plain.put(packages, bytes.subarray(0, bytes.length - 1));
  one(await verifyAptSuite(plain, "stable", { strict: true }), packages, /^size \d+, .*InRelease lists \d+$/);

  const sameSize = await published({ byHash: false });
  const flipped = (await get(sameSize, packages)).slice();
  flipped[0] = flipped[0]! ^ 0x20;
  await sameSize.put(packages, flipped);
  one(await verifyAptSuite(sameSize, "stable", { strict: true }), packages, /^SHA256 /);
});

test("an absent uncompressed Packages is fine when its compressed variant is there", async () => {
  for (const byHash of [true, false]) {
    const storage = await published({ byHash });
    const packages = `${D}main/binary-amd64/Packages`;
    if (byHash) await storage.delete(await byHashKey(storage, packages));
    await storage.delete(packages);
    assert.deepEqual(await verifyAptSuite(storage, "stable", { strict: true }), [], `byHash ${byHash}`);
  }
});

test("a missing pool file is reported once, whatever the number of Packages naming it", async () => {
  const storage = await published();
  await storage.delete(DOC);
  one(
    await verifyAptSuite(storage, "stable", { strict: true }),
    DOC,
    /missing: .*Packages lists it for hello-doc 1\.0-1 all/,
  );
});

test("a pool file whose bytes disagree with its Packages entry is reported", async () => {
  const storage = await published();
  const bytes = (await get(storage, HELLO)).slice();
  bytes[0] = bytes[0]! ^ 1;
  await storage.put(HELLO, bytes);
  const problems = await verifyAptSuite(storage, "stable", { strict: true });
  assert.deepEqual(keysOf(problems), [HELLO, HELLO]);
  assert.match(problems[0]!.problem, /^SHA256 /);
  assert.match(problems[1]!.problem, /^MD5sum /);

  const grown = await published({ hashes: ["SHA256", "SHA512"] });
  await grown.put(HELLO, utf8(`${text(await get(grown, HELLO))}!`));
  const sizes = await verifyAptSuite(grown, "stable", { strict: true });
  assert.ok(sizes.some((p) => p.key === HELLO && /^size /.test(p.problem)));
  assert.ok(sizes.some((p) => p.key === HELLO && /^SHA512 /.test(p.problem)));
});

test("a Packages entry with a wrong hash (a bad state) is reported on the pool file", async () => {
  const packages = threePackages();
  const wrong: TestPackage = {
    ...packages[0]!,
    record: { ...packages[0]!.record, digests: { ...packages[0]!.record.digests, sha256: "0".repeat(64) } },
  };
  const state = testState(testSettings(), [wrong, ...packages.slice(1)]);
  const { storage } = await publishToMemory(state, [wrong, ...packages.slice(1)], [signer]);
  one(
    await verifyAptSuite(storage, "stable", { strict: true }),
    HELLO,
    /^SHA256 [0-9a-f]{16}…, .*Packages gives 0000000000000000… for hello 1\.0-1 amd64$/,
  );
});

test("Packages stanzas without Filename, Size or SHA256 are reported", async () => {
  const settings = testSettings({ byHash: false });
  const storage = memoryStorage();
  const packages = `${D}main/binary-amd64/Packages`;
  const body = utf8("Package: x\nVersion: 1\nArchitecture: amd64\nFilename: pool/x.deb\n");
  const release = releaseText(settings, {
    date: DATE,
    files: [{ path: "main/binary-amd64/Packages", size: body.length, sha256: hex(body, "sha256") }],
  });
  const signed = await signRelease(release, [signer], DATE);
  await storage.put(packages, body);
  await storage.put(`${D}InRelease`, utf8(signed.inRelease));
  one(
    await verifyAptSuite(storage, "stable", { strict: true }),
    packages,
    /x 1 amd64: no Size, SHA256 field/,
  );
});

test("signatures: tampered InRelease, a Release.gpg by another key, binary Release.gpg, junk after the block", async () => {
  const tampered = await published();
  const inRelease = text(await get(tampered, `${D}InRelease`));
  await tampered.put(
    `${D}InRelease`,
    utf8(inRelease.replace("Label: Packyard Test", "Label: Packyard Evil")),
  );
  const problems = await verifyAptSuite(tampered, "stable", { strict: true, publicKeys });
  assert.deepEqual(keysOf(problems), [`${D}InRelease`]);
  assert.match(problems[0]!.problem, /no signature in it verifies/);
  // Without keys the signatures are not checked, only the framing.
  assert.deepEqual(await verifyAptSuite(tampered, "stable", { strict: true }), []);

  const foreign = await published();
  const release = await get(foreign, `${D}Release`);
  await foreign.put(`${D}Release.gpg`, utf8(await other.detached(release, { date: DATE, armor: true })));
  one(
    await verifyAptSuite(foreign, "stable", { strict: true, publicKeys }),
    `${D}Release.gpg`,
    /no signature in it verifies/,
  );
  // The other key alone accepts Release.gpg but not InRelease.
  one(
    await verifyAptSuite(foreign, "stable", { strict: true, publicKeys: [other.publicKeyArmored()] }),
    `${D}InRelease`,
    /no signature in it verifies/,
  );

  const binary = await published();
  await binary.put(
    `${D}Release.gpg`,
    await signer.detached(await get(binary, `${D}Release`), { date: DATE }),
  );
  one(
    await verifyAptSuite(binary, "stable", { strict: true, publicKeys }),
    `${D}Release.gpg`,
    /not an ASCII-armored signature/,
  );

  const junk = await published();
  await junk.put(`${D}InRelease`, utf8(`${text(await get(junk, `${D}InRelease`))}trailing junk\n`));
  one(
    await verifyAptSuite(junk, "stable", { strict: true }),
    `${D}InRelease`,
    /nothing after the signature block/,
  );
});

test("two signers: either key alone verifies the suite", async () => {
  const packages = threePackages();
  const { storage } = await publishToMemory(testState(testSettings(), packages), packages, [signer, other]);
  for (const key of [signer, other])
    assert.deepEqual(
      await verifyAptSuite(storage, "stable", { strict: true, publicKeys: [key.publicKeyArmored()] }),
      [],
    );
  const stranger = await openpgpTestKey();
  const problems = await verifyAptSuite(storage, "stable", {
    strict: true,
    publicKeys: [stranger.key.publicKeyArmored],
  });
  assert.deepEqual(keysOf(problems), [`${D}InRelease`, `${D}Release.gpg`]);
});

test("missing InRelease, Release without Release.gpg, and a Release that differs are all checked", async () => {
  const noTop = await published();
  await noTop.delete(`${D}InRelease`);
  one(await verifyAptSuite(noTop, "stable", { strict: true }), `${D}InRelease`, /missing/);

  const noSig = await published();
  await noSig.delete(`${D}Release.gpg`);
  one(await verifyAptSuite(noSig, "stable", { strict: true }), `${D}Release.gpg`, /missing beside Release/);

  // A Release left from an older generation lists indexes whose by-hash copies are gone.
  const old = await published();
  const stale = releaseText(testSettings(), {
    date: DATE,
    files: [{ path: "main/binary-amd64/Packages.gz", size: 1, sha256: "1".repeat(64) }],
  });
  await old.put(`${D}Release`, utf8(stale));
  await old.put(`${D}Release.gpg`, utf8((await signRelease(stale, [signer], DATE)).releaseGpg));
  one(
    await verifyAptSuite(old, "stable", { strict: true, publicKeys }),
    `${D}main/binary-amd64/by-hash/SHA256/${"1".repeat(64)}`,
    /listed|missing/,
  );
});

test("dates: a Release from the future or past its Valid-Until is reported when `now` is given", async () => {
  const storage = await published({ validFor: 3600 });
  assert.deepEqual(await verifyAptSuite(storage, "stable", { strict: true, now: DATE }), []);
  one(
    await verifyAptSuite(storage, "stable", { strict: true, now: new Date(DATE.getTime() - 60_000) }),
    `${D}InRelease`,
    /in the future/,
  );
  one(
    await verifyAptSuite(storage, "stable", { strict: true, now: new Date(DATE.getTime() + 3600_000) }),
    `${D}InRelease`,
    /Valid-Until .* has passed/,
  );
});

test("an unreadable public key is the caller's error", async () => {
  const storage = await published();
  await assert.rejects(
    verifyAptSuite(storage, "stable", { strict: true, publicKeys: ["not a key"] }),
    (e) => isRepoError(e) && e.code === "INVALID_SETTING",
  );
});

test("verifyRepository finds every suite and reports each one's problems", async () => {
  const storage = await published();
  const packages = [testPackage({ name: "extra", version: "2", arch: "amd64" })];
  const settings = testSettings({
    suite: "bookworm/updates",
    codename: "bookworm-updates",
    architectures: ["amd64"],
  });
  await publishToMemory(testState(settings, packages), packages, [signer], storage);
  assert.deepEqual(await listAptSuites(storage), ["bookworm/updates", "stable"]);
  assert.deepEqual(await verifyRepository(storage, { publicKeys }), []);

  const { indexes } = await buildAptIndexes(testState(settings, packages));
  const lost = indexes.find((i) => i.key.endsWith("Packages.gz"))!.byHash!;
  await storage.delete(lost);
  await storage.delete(HELLO);
  assert.deepEqual(keysOf(await verifyRepository(storage, { publicKeys })), [lost, HELLO]);
  assert.deepEqual(await verifyRepository(memoryStorage()), []);
});
