// The install document of a published repository: which catalogue targets it serves (an APT `stable`
// suite serves every Debian and Ubuntu release through deb-any's suite), the key fingerprints read from
// the published key files (checked against the signers' own), the Alpine key name the index is signed
// with, the newest versions, and the install files publish writes (rewritten only when they change).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, test } from "node:test";
import type { OpenPGPSigner, RSASigner } from "@packyard/formats";
import {
  CATALOGUE,
  certificateFingerprints,
  INSTALL_FILES,
  installDocument,
  memoryStorage,
  publish,
  readObject,
  readRepository,
  type Storage,
  writeInstallFiles,
} from "@packyard/repo";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { inputOf, rsaSigner, testApk, testArch } from "../publish/arch-apk-support.ts";
import { clockAt } from "../publish/engine-support.ts";

const APK_KEY = "test@packyard.invalid-4f4d1e2a.rsa.pub";
const BASE = "https://example.com/repo";

let signer: OpenPGPSigner;
let second: OpenPGPSigner;
let apkSigner: RSASigner;
before(async () => {
  signer = (await openpgpTestKey({ type: "rsa", rsaBits: 2048 })).signer;
  second = (await openpgpTestKey({ type: "ecc" })).signer;
  apkSigner = rsaSigner(APK_KEY);
});

async function fourFamilies(signers: OpenPGPSigner[] = [signer]): Promise<Storage> {
  const s = memoryStorage();
  await publish(s, {
    add: [
      await testDeb({ name: "hello", version: "1.0.0-1" }),
      await testDeb({ name: "hello", version: "1.2.0-1" }),
      await testRpm({ name: "hello" }),
      inputOf(await testArch({ name: "hello" })),
      inputOf(await testApk({ name: "hello" })),
    ],
    rpm: { targets: ["el-9", "opensuse-15.6"], baseUrl: BASE, name: "hello" },
    alpine: { targets: ["alpine-3.22"] },
    keyName: "hello",
    signers,
    apkSigner,
    clock: clockAt(),
  });
  return s;
}

describe("installDocument", () => {
  test("targets: the stable suite serves every Debian/Ubuntu release, rpm/pacman/Alpine their own", async () => {
    const s = await fourFamilies();
    const doc = await installDocument(s, { baseUrl: `${BASE}/`, name: "hello" });
    assert.equal(doc.schema, "packyard-install/1");
    assert.equal(doc.baseUrl, BASE);
    assert.equal(doc.public, true);
    const debIds = CATALOGUE.filter((t) => t.family === "deb").map((t) => t.id);
    assert.deepEqual(
      doc.targets.map((t) => t.id),
      [...debIds, "el-9", "opensuse-15.6", "arch", "alpine-3.22"],
    );
    const d12 = doc.targets.find((t) => t.id === "debian-12")!;
    assert.equal(d12.root, "deb/dists/stable");
    assert.equal(d12.package, "hello");
    assert.ok(d12.steps.some((step) => step.command.includes("Suites: stable")));
    assert.ok(doc.targets.find((t) => t.id === "debian-11")?.deprecated);
    const el9 = doc.targets.find((t) => t.id === "el-9")!;
    assert.deepEqual(el9.architectures, ["x86_64"]);
    assert.ok(
      el9.steps.some((step) => step.command.includes(`${BASE}/rpm/el/9/hello.repo`)),
      "dnf fetches the published .repo file",
    );
    const apk = doc.targets.find((t) => t.id === "alpine-3.22")!;
    assert.equal(apk.root, "alpine/v3.22/main");
    assert.ok(apk.steps.some((step) => step.command.includes(`/etc/apk/keys/${APK_KEY}`)));
  });

  test("keys: fingerprints are the signers' own (both while rotating), the Alpine key by its signature name", async () => {
    const one = await installDocument(await fourFamilies(), { baseUrl: BASE });
    assert.deepEqual(one.keys.openpgp?.fingerprints, [signer.primaryFingerprint.toUpperCase()]);
    assert.equal(one.keys.openpgp?.asc, `${BASE}/keys/hello.asc`);
    const pem = new TextEncoder().encode(apkSigner.publicKeyPem());
    assert.deepEqual(one.keys.apk, {
      name: APK_KEY,
      url: `${BASE}/keys/${APK_KEY}`,
      sha256: createHash("sha256").update(pem).digest("hex"),
    });
    const two = await installDocument(await fourFamilies([signer, second]), { baseUrl: BASE });
    assert.deepEqual(two.keys.openpgp?.fingerprints, [
      signer.primaryFingerprint.toUpperCase(),
      second.primaryFingerprint.toUpperCase(),
    ]);
  });

  test("latest: the newest version per family by the family's own order", async () => {
    const doc = await installDocument(await fourFamilies(), { baseUrl: BASE });
    const deb = doc.latest.find((l) => l.family === "deb" && l.name === "hello");
    assert.equal(deb?.version, "1.2.0-1");
    assert.deepEqual(
      doc.latest.map((l) => l.family),
      ["deb", "rpm", "archlinux", "alpine"],
    );
  });

  test("latest: each package's summary from its record, kept apart from its index fields, which stay unread", async () => {
    const storage = await fourFamilies();
    const states = await readRepository(storage);
    const doc = await installDocument(storage, { baseUrl: BASE }, states);
    assert.deepEqual(
      doc.latest.map((l) => [l.family, l.summary]),
      [
        ["deb", "Test package hello"],
        ["rpm", "Test package hello"],
        ["archlinux", "Test package hello"],
        ["alpine", "Test package hello"],
      ],
    );
    for (const state of states) {
      for (const p of state.packages) {
        assert.equal(typeof p.summary, "string", `${state.root} ${p.name}: summary recorded`);
        const field = Object.getOwnPropertyDescriptor(p, state.family);
        assert.equal(typeof field?.get, "function", `${state.root} ${p.name}: index fields not parsed`);
      }
    }
    // Records written before the summary was kept: taken from their index fields, the same.
    const older = states.map((s) => ({
      ...s,
      packages: s.packages.map(({ summary: _, ...p }) => p),
    }));
    assert.deepEqual((await installDocument(storage, { baseUrl: BASE }, older)).latest, doc.latest);
  });

  test("no public URL: the location is used and the document says it is not public; neither is refused", async () => {
    const s = await fourFamilies();
    const doc = await installDocument(s, { location: "file:///srv/repo" });
    assert.equal(doc.public, false);
    assert.equal(doc.baseUrl, "file:///srv/repo");
    await assert.rejects(installDocument(s, {}), { code: "INVALID_SETTING" });
    await assert.rejects(installDocument(s, { baseUrl: "https://u:p@example.com/" }), {
      code: "INVALID_SETTING",
    });
    await assert.rejects(installDocument(s, { baseUrl: "not a url" }), { code: "INVALID_SETTING" });
  });

  test("certificateFingerprints refuses what is not a certificate, naming the file", () => {
    assert.throws(() => certificateFingerprints(Uint8Array.of(1, 2, 3), "keys/x.gpg"), {
      code: "BAD_KEY",
      message: /keys\/x\.gpg: at byte 0/,
    });
    assert.throws(() => certificateFingerprints(second.publicKeyBinary().subarray(0, 20), "keys/y.gpg"), {
      code: "BAD_KEY",
    });
  });
});

describe("writeInstallFiles", () => {
  test("writes the four files once, remembers the URL, and rewrites nothing unchanged", async () => {
    const s = await fourFamilies();
    const first = await writeInstallFiles(s, { baseUrl: BASE, name: "hello" });
    assert.deepEqual(first.written, [...INSTALL_FILES]);
    const json = JSON.parse(new TextDecoder().decode(await readObject(s, "install.json")));
    assert.deepEqual(json, JSON.parse(JSON.stringify(first.document)));
    const again = await writeInstallFiles(s, {});
    assert.deepEqual(again.written, [], "the remembered settings give the same bytes");
    assert.equal(again.document.baseUrl, BASE);
    const moved = await writeInstallFiles(s, { baseUrl: "https://mirror.example.org/r" });
    // The badge shows the version only: the URL changes the other three.
    assert.deepEqual(moved.written.sort(), ["index.html", "install.json", "install.sh"]);
  });

  test("publish makes the install files from the states it committed: no state is read twice, the files are those a fresh read makes", async () => {
    const base = memoryStorage();
    let stateReads = 0;
    const counting: Storage = {
      ...base,
      description: base.description,
      get: (key, options) => {
        if (key.startsWith(".packyard/states/")) stateReads++;
        return base.get(key, options);
      },
    };
    const install = { baseUrl: BASE, name: "hello" };
    const rounds: { add: Awaited<ReturnType<typeof testDeb>>[]; changed: boolean }[] = [
      {
        add: [await testDeb({ name: "hello", version: "1.0.0-1" }), await testRpm({ name: "hello" })],
        changed: true,
      },
      // one root changes, the other is carried over as loaded
      { add: [await testDeb({ name: "hello", version: "1.2.0-1" })], changed: true },
      // nothing changes: no commit, the loaded states stand
      { add: [await testDeb({ name: "hello", version: "1.2.0-1" })], changed: false },
    ];
    for (const [i, round] of rounds.entries()) {
      const run = (withInstall: boolean, storage: Storage) =>
        publish(storage, {
          add: round.add,
          rpm: { targets: ["el-9"], baseUrl: BASE, name: "hello" },
          keyName: "hello",
          signers: [signer],
          clock: clockAt(),
          ...(withInstall ? { install } : {}),
        });
      // The same publish without install files, on a copy, reads the states as often.
      const copy = memoryStorage();
      for (const o of (await base.list("")).objects) await copy.put(o.key, (await readObject(base, o.key))!);
      const before = stateReads;
      const withFiles = await run(true, counting);
      const reads = stateReads - before;
      let copyReads = 0;
      await run(false, {
        ...copy,
        description: copy.description,
        get: (key, options) => {
          if (key.startsWith(".packyard/states/")) copyReads++;
          return copy.get(key, options);
        },
      });
      assert.equal(reads, copyReads, `round ${i}: states read for the install files`);
      assert.equal(withFiles.roots.length > 0, round.changed, `round ${i}: committed`);
      // What a separate, fresh read of the repository makes is what publish wrote.
      const again = await writeInstallFiles(base, install);
      assert.deepEqual(again.written, [], `round ${i}: install files rewritten from a fresh read`);
      const doc = JSON.parse(new TextDecoder().decode(await readObject(base, "install.json")));
      assert.deepEqual(
        doc.latest.map((p: { family: string; version: string }) => `${p.family} ${p.version}`).sort(),
        [`deb ${i === 0 ? "1.0.0-1" : "1.2.0-1"}`, "rpm 1.0-1"],
        `round ${i}: install.json lists the newest packages`,
      );
    }
  });

  test("publish with `install` writes them after the indexes and lists them as changed", async () => {
    const s = memoryStorage();
    const r = await publish(s, {
      add: [await testDeb({ name: "hello" })],
      keyName: "hello",
      signers: [signer],
      clock: clockAt(),
      install: { baseUrl: BASE, name: "hello" },
    });
    for (const key of INSTALL_FILES) {
      assert.ok(r.changedKeys.includes(key), `${key} changed`);
      assert.ok(
        r.written.indexOf(key) > r.written.indexOf("deb/dists/stable/InRelease"),
        `${key} after InRelease`,
      );
    }
  });
});
