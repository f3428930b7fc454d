// One repository serving all four families: a publish with a deb, an rpm, an Arch package and an apk
// commits an APT suite, an RPM-MD root, a pacman root and an Alpine root, each signed and verifiable; and
// on a repository of 50 Arch packages and 50 apks (beside a deb and an rpm), adding one more of each reads
// no held package file and changes only the roots that list the new packages.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { OpenPGPSigner, RSASigner } from "@packyard/formats";
import {
  memoryStorage,
  publish,
  type PublishInput,
  readObject,
  readRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { denyingGets, inputOf, PACKAGE_FILE, rsaSigner, testApk, testArch } from "./arch-apk-support.ts";
import { clockAt } from "./engine-support.ts";
import { snapshot } from "./storage-snapshot.ts";

const APK_KEY = "test@packyard.invalid-4f4d1e2a.rsa.pub";
const DEB = "deb/stable";
const RPM = "rpm/el/9/x86_64";
const PAC = "archlinux/repository/os/x86_64";
const PAC_ARM = "archlinux/repository/os/aarch64";
const APK = "alpine/v3.22/main/x86_64";
const APK_ARM = "alpine/v3.22/main/aarch64";

/** The top file of each root, as clients fetch it first. */
const TOPS: Record<string, string> = {
  [DEB]: "deb/dists/stable/InRelease",
  [RPM]: `${RPM}/repodata/repomd.xml`,
  [PAC]: `${PAC}/repository.db`,
  [PAC_ARM]: `${PAC_ARM}/repository.db`,
  [APK]: `${APK}/APKINDEX.tar.gz`,
  [APK_ARM]: `${APK_ARM}/APKINDEX.tar.gz`,
};

let signer: OpenPGPSigner;
let apkSigner: RSASigner;
before(async () => {
  // RSA: what every family's clients verify (rpm 4.14 included).
  signer = (await openpgpTestKey({ type: "rsa", rsaBits: 2048 })).signer;
  apkSigner = rsaSigner(APK_KEY);
});

const verifyOptions = () => ({
  publicKeys: [signer.publicKeyArmored()],
  apkKeys: [{ name: APK_KEY, pem: apkSigner.publicKeyPem() }],
});

/** The root a key belongs to (its files, its state and chunk folders, its pointer), or undefined. */
function rootOfKey(key: string, roots: readonly string[]): string | undefined {
  return roots.find(
    (r) =>
      key.startsWith(`${r}/`) ||
      key.startsWith(`.packyard/states/${r}/`) ||
      key.startsWith(`.packyard/chunks/${r}/`) ||
      key === `.packyard/roots/${r}.json`,
  );
}

/** Keys whose bytes differ between two snapshots (added, changed or removed). */
function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
}

describe("one repository, four families", () => {
  test("a deb, an rpm, an Arch package and an apk in one publish: four signed roots that verify", async () => {
    const s = memoryStorage();
    const r = await publish(s, {
      add: [
        await testDeb({ name: "hello" }),
        await testRpm({ name: "hello" }),
        inputOf(await testArch({ name: "hello" })),
        inputOf(await testApk({ name: "hello" })),
      ],
      rpm: { targets: ["el-9"] },
      alpine: { targets: ["alpine-3.22"] },
      signers: [signer],
      apkSigner,
      clock: clockAt(),
    });
    assert.deepEqual(r.roots.sort(), [APK, PAC, DEB, RPM]);
    assert.deepEqual(r.added.map((a) => `${a.root} ${a.name}`).sort(), [
      `${APK} hello`,
      `${PAC} hello`,
      `${DEB} hello`,
      `${RPM} hello`,
    ]);
    for (const key of [
      "deb/dists/stable/InRelease",
      "deb/dists/stable/Release",
      "deb/dists/stable/Release.gpg",
      `${RPM}/repodata/repomd.xml`,
      `${RPM}/repodata/repomd.xml.asc`,
      `${RPM}/repodata/repomd.xml.key`,
      `${PAC}/repository.db`,
      `${PAC}/repository.db.sig`,
      `${PAC}/repository.files`,
      `${PAC}/repository.files.sig`,
      `${APK}/APKINDEX.tar.gz`,
      "keys/repository.asc",
      "keys/repository.gpg",
      "keys/RPM-GPG-KEY-repository",
      `keys/${APK_KEY}`,
    ]) {
      assert.ok(await readObject(s, key), `${key} was written`);
    }
    const states = await readRepository(s);
    assert.deepEqual(
      states.map((x) => `${x.family} ${x.root} ${x.packages.map((p) => p.name).join(",")}`).sort(),
      [`alpine ${APK} hello`, `archlinux ${PAC} hello`, `deb ${DEB} hello`, `rpm ${RPM} hello`],
    );
    assert.deepEqual(await verifyRepository(s, verifyOptions()), []);
  });

  test("adding one Arch package and one apk to 50 of each reads no held package file and rewrites only their roots", async () => {
    const base = memoryStorage();
    const clock = clockAt();
    const many: PublishInput[] = [];
    for (let i = 0; i < 50; i++) {
      const n = String(i).padStart(2, "0");
      many.push(inputOf(await testArch({ name: `pkg${n}`, arch: ["x86_64", "aarch64", "any"][i % 3]! })));
      many.push(inputOf(await testApk({ name: `apk${n}`, arch: ["x86_64", "aarch64", "noarch"][i % 3]! })));
    }
    await publish(base, {
      add: [...many, await testDeb({ name: "hello" }), await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      archlinux: { architectures: ["x86_64", "aarch64"] },
      alpine: { targets: ["alpine-3.22"], architectures: ["x86_64", "aarch64"] },
      signers: [signer],
      apkSigner,
      clock,
    });
    assert.equal((await readRepository(base)).length, 6);

    const cases: { add: PublishInput[]; roots: string[] }[] = [
      {
        add: [
          inputOf(await testArch({ name: "fresh-pac", arch: "x86_64" })),
          inputOf(await testApk({ name: "fresh-apk", arch: "x86_64" })),
        ],
        roots: [APK, PAC],
      },
      {
        add: [
          inputOf(await testArch({ name: "fresh-any", arch: "any" })),
          inputOf(await testApk({ name: "fresh-noarch", arch: "noarch" })),
        ],
        roots: [APK_ARM, APK, PAC_ARM, PAC],
      },
    ];
    const s: Storage = base;
    for (const c of cases) {
      const before = await snapshot(s);
      const reads: string[] = [];
      const guarded = denyingGets(s, (key) => {
        reads.push(key);
        return key.includes("/fresh-");
      });
      const r = await publish(guarded, { add: c.add, signers: [signer], apkSigner, clock });
      assert.deepEqual(r.roots.sort(), c.roots);
      assert.deepEqual(
        reads.filter((k) => PACKAGE_FILE.test(k)),
        [],
        "no package file was read",
      );
      const after = await snapshot(s);
      const diff = changed(before, after);
      assert.deepEqual(
        diff.filter((k) => rootOfKey(k, c.roots) === undefined),
        [],
        "nothing outside the affected roots changed",
      );
      for (const [root, top] of Object.entries(TOPS)) {
        assert.equal(diff.includes(top), c.roots.includes(root), `${top} changed: ${c.roots.includes(root)}`);
      }
      const newFiles = diff.filter((k) => PACKAGE_FILE.test(k) && !k.endsWith(".sig"));
      assert.deepEqual(
        newFiles.map((k) => rootOfKey(k, c.roots)).sort(),
        c.roots,
        "one new package file per affected root",
      );
      assert.ok(newFiles.every((k) => k.includes("/fresh-")));
    }
    assert.deepEqual(await verifyRepository(s, verifyOptions()), []);
  });
});
