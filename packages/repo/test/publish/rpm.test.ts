// The publish engine's RPM-MD roots on the memory driver: routing to targets and architectures (noarch in
// every root, stored once), signing at publish (kept, signed, foreign, --resign), identity and conflicts,
// remove and keep, settings, the .repo file, retention of old metadata, and bad input — each failure
// typed, and the repository unchanged by it.
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { before, describe, test } from "node:test";
import { type ByteSource, bytesSource, type OpenPGPSigner, readPackage } from "@packyard/formats";
import { signRpm } from "@packyard/formats/rpm";
import {
  memoryStorage,
  publish,
  readObject,
  readRepository,
  refreshRepository,
  type Storage,
  verifyRepository,
} from "@packyard/repo";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { listAll } from "../../src/publish/state-io.ts";
import { clockAt, rejectsWith, text } from "./engine-support.ts";

let signer: OpenPGPSigner;
let other: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
  other = (await openpgpTestKey({ name: "Someone Else", email: "else@packyard.invalid" })).signer;
});

/** The primary.xml of a root, uncompressed. */
async function primaryOf(storage: Storage, root: string): Promise<string> {
  const repomd = await text(storage, `${root}/repodata/repomd.xml`);
  const href = /<data type="primary">[\s\S]*?<location href="([^"]+)"/.exec(repomd)![1]!;
  return gunzipSync((await readObject(storage, `${root}/${href}`))!).toString("utf8");
}

async function rootsOf(storage: Storage): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of await readRepository(storage))
    out.set(
      s.root,
      s.packages.map((p) => `${p.name} ${p.version} ${p.arch}`),
    );
  return out;
}

/** The bytes of `input` signed with `key`, as `packyard sign` would make them. */
async function signedWith(input: { source: ByteSource }, key: OpenPGPSigner): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const c of signRpm(input.source, key)) chunks.push(c);
  return Buffer.concat(chunks);
}

const EL9 = { targets: ["el-9"], architectures: ["x86_64", "aarch64"] };

describe("publish to RPM-MD roots", () => {
  test("an rpm goes to its architecture's root, a noarch rpm to every root of the target, stored once", async () => {
    const s = memoryStorage();
    const r = await publish(s, {
      add: [await testRpm({ name: "hello" }), await testRpm({ name: "docs", arch: "noarch" })],
      rpm: EL9,
      signers: [signer],
      clock: clockAt(),
    });
    assert.deepEqual(r.roots.sort(), ["rpm/el/9/aarch64", "rpm/el/9/x86_64"]);
    assert.deepEqual(
      r.added.map((a) => `${a.root} ${a.name}`).sort(),
      ["rpm/el/9/aarch64 docs", "rpm/el/9/x86_64 docs", "rpm/el/9/x86_64 hello"],
      "a noarch rpm is reported once per root it went to",
    );
    assert.deepEqual(
      Object.fromEntries(await rootsOf(s)),
      {
        "rpm/el/9/aarch64": ["docs 1.0-1 noarch"],
        "rpm/el/9/x86_64": ["docs 1.0-1 noarch", "hello 1.0-1 x86_64"],
      },
      "no APT suite is made by an rpm-only publish",
    );
    const pool = (await listAll(s, "rpm/pool/")).sort();
    assert.deepEqual(pool, [
      "rpm/pool/d/docs/docs-1.0-1.noarch.rpm",
      "rpm/pool/h/hello/hello-1.0-1.x86_64.rpm",
    ]);
    for (const root of r.roots) {
      const primary = await primaryOf(s, root);
      assert.match(primary, /<location href="\.\.\/\.\.\/\.\.\/pool\/d\/docs\/docs-1\.0-1\.noarch\.rpm"\/>/);
    }
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
    assert.ok(await readObject(s, "keys/RPM-GPG-KEY-repository"));
    assert.equal(
      await text(s, "rpm/el/9/x86_64/repodata/repomd.xml.key"),
      signer.publicKeyArmored(),
      "repomd.xml.key is the repository key",
    );
  });

  test("an unsigned rpm is stored signed by the repository key; the same header is one package, signed or not", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const input = await testRpm({ name: "hello" });
    assert.equal(input.info.signatures.length, 0);
    await publish(s, { add: [input], rpm: { targets: ["el-9"] }, signers: [signer], clock });
    const [state] = await readRepository(s);
    const record = state!.packages[0]!;
    const stored = (await readObject(s, record.key))!;
    const info = await readPackage(bytesSource(stored), "stored.rpm");
    assert.equal(info.raw.format === "rpm" && info.raw.headerSha256, record.identity);
    assert.equal(info.artifact.digests.sha256, record.digests.sha256, "primary names the stored bytes");
    assert.ok(
      info.signatures.some((x) => x.fingerprint?.toUpperCase() === signer.fingerprint),
      `signed by the repository key: ${JSON.stringify(info.signatures)}`,
    );
    assert.equal(record.rpm!.headerRange.start, info.raw.format === "rpm" ? info.raw.headerStart : -1);
    // The same package, now signed by our key, is a no-op; so is the unsigned original again.
    const signed = { info, source: bytesSource(stored), name: "signed.rpm" };
    const again = await publish(s, {
      add: [signed, input],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    assert.deepEqual(again.written, []);
    assert.equal(again.unchanged.length, 2);
  });

  test("an rpm signed by the repository key is stored byte for byte", async () => {
    const s = memoryStorage();
    const input = await testRpm({ name: "hello" });
    const bytes = await signedWith(input, signer);
    const info = await readPackage(bytesSource(bytes), "signed.rpm");
    await publish(s, {
      add: [{ info, source: bytesSource(bytes), name: "signed.rpm" }],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock: clockAt(),
    });
    const [state] = await readRepository(s);
    assert.deepEqual(Buffer.from((await readObject(s, state!.packages[0]!.key))!), bytes);
  });

  test("an rpm signed by another key is REPO_FOREIGN_SIGNATURE, and with resign it is re-signed", async () => {
    const s = memoryStorage();
    const input = await testRpm({ name: "hello" });
    const bytes = await signedWith(input, other);
    const foreign = {
      info: await readPackage(bytesSource(bytes), "x.rpm"),
      source: bytesSource(bytes),
      name: "x.rpm",
    };
    await rejectsWith(s, "REPO_FOREIGN_SIGNATURE", () =>
      publish(s, { add: [foreign], rpm: { targets: ["el-9"] }, signers: [signer], clock: clockAt() }),
    );
    await publish(s, {
      add: [foreign],
      rpm: { targets: ["el-9"], resign: true },
      signers: [signer],
      clock: clockAt(),
    });
    const [state] = await readRepository(s);
    const info = await readPackage(bytesSource((await readObject(s, state!.packages[0]!.key))!), "y.rpm");
    const fingerprints = info.signatures.map((x) => x.fingerprint?.toUpperCase());
    assert.ok(fingerprints.includes(signer.fingerprint), JSON.stringify(info.signatures));
    assert.ok(!fingerprints.includes(other.fingerprint));
  });

  test("the same name-version-arch with another header is REPO_CONFLICT; replace uses a content-qualified path", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    const rebuilt = await testRpm({ name: "hello", payload: "rebuilt" });
    await rejectsWith(s, "REPO_CONFLICT", () =>
      publish(s, { add: [rebuilt], rpm: { targets: ["el-9"] }, signers: [signer], clock }),
    );
    const r = await publish(s, {
      add: [rebuilt],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
      replace: true,
    });
    assert.equal(r.added.length, 1);
    const [state] = await readRepository(s);
    assert.match(state!.packages[0]!.key, /^rpm\/pool\/h\/hello\/[0-9a-f]{16}\/hello-1\.0-1\.x86_64\.rpm$/);
    assert.deepEqual(await verifyRepository(s), []);
  });

  test("other targets get their own roots; a later architecture starts with the target's noarch packages", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "docs", arch: "noarch" })],
      rpm: { targets: ["el-9", "fedora-43"] },
      signers: [signer],
      clock,
    });
    assert.deepEqual([...(await rootsOf(s)).keys()].sort(), ["rpm/el/9/x86_64", "rpm/fedora/43/x86_64"]);
    const r = await publish(s, {
      add: [await testRpm({ name: "tool", arch: "aarch64" })],
      rpm: { targets: ["el-9"], architectures: ["aarch64"] },
      signers: [signer],
      clock,
    });
    assert.deepEqual(r.roots, ["rpm/el/9/aarch64"]);
    assert.deepEqual((await rootsOf(s)).get("rpm/el/9/aarch64"), ["docs 1.0-1 noarch", "tool 1.0-1 aarch64"]);
    // Without targets, the repository's own are used.
    const r2 = await publish(s, {
      add: [await testRpm({ name: "more", arch: "noarch" })],
      signers: [signer],
      clock,
    });
    assert.deepEqual(r2.roots.sort(), ["rpm/el/9/aarch64", "rpm/el/9/x86_64", "rpm/fedora/43/x86_64"]);
    assert.deepEqual(await verifyRepository(s), []);
  });

  test("debs and rpms in one publish commit both families", async () => {
    const s = memoryStorage();
    const r = await publish(s, {
      add: [await testDeb({ name: "hello" }), await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock: clockAt(),
    });
    assert.deepEqual(r.roots.sort(), ["deb/stable", "rpm/el/9/x86_64"]);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("remove and keep apply per root; old metadata stays until its grace period ends", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const o = { rpm: { targets: ["el-9"] }, signers: [signer], clock, graceMs: 3600_000 };
    await publish(s, { add: [await testRpm({ name: "a", version: "1.0-1" })], ...o });
    const firstMeta = (await listAll(s, "rpm/el/9/x86_64/repodata/")).filter((k) => /-primary\./.test(k));
    await publish(s, { add: [await testRpm({ name: "a", version: "1.1-1" })], keep: 1, ...o });
    assert.deepEqual((await rootsOf(s)).get("rpm/el/9/x86_64"), ["a 1.1-1 x86_64"]);
    assert.ok(await readObject(s, firstMeta[0]!), "the previous primary is kept for the grace period");
    assert.ok(await readObject(s, "rpm/pool/a/a/a-1.0-1.x86_64.rpm"), "so is the removed package");
    clock.jump(2 * 3600_000);
    await publish(s, { remove: [{ name: "a", target: "el-9" }], ...o });
    assert.deepEqual((await rootsOf(s)).get("rpm/el/9/x86_64"), []);
    clock.jump(2 * 3600_000);
    await publish(s, { ...o });
    assert.equal(await readObject(s, firstMeta[0]!), undefined, "deleted once due");
    assert.equal(await readObject(s, "rpm/pool/a/a/a-1.0-1.x86_64.rpm"), undefined);
    assert.deepEqual(await verifyRepository(s), []);
  });

  test("a base URL writes the target's .repo file; zstd, changelog limit and name are root settings", async () => {
    const s = memoryStorage();
    await publish(s, {
      add: [await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"], baseUrl: "https://packages.example.org/repo/", zstd: true, name: "acme" },
      signers: [signer],
      clock: clockAt(),
    });
    const repo = await text(s, "rpm/el/9/acme.repo");
    assert.match(repo, /^\[acme\]\n/);
    assert.match(repo, /\nbaseurl=https:\/\/packages\.example\.org\/repo\/rpm\/el\/9\/\$basearch\/\n/);
    assert.match(
      repo,
      /\ngpgcheck=1\nrepo_gpgcheck=1\ngpgkey=https:\/\/packages\.example\.org\/repo\/keys\/RPM-GPG-KEY-acme\n/,
    );
    assert.ok(await readObject(s, "keys/RPM-GPG-KEY-acme"));
    const repomd = await text(s, "rpm/el/9/x86_64/repodata/repomd.xml");
    assert.match(repomd, /-primary\.xml\.zst"/);
    assert.deepEqual(await verifyRepository(s), []);
  });

  test("refresh re-signs RPM-MD roots too", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    const before = await text(s, "rpm/el/9/x86_64/repodata/repomd.xml.asc");
    const r = await refreshRepository(s, { signers: [signer], clock });
    assert.deepEqual(r.roots, ["rpm/el/9/x86_64"]);
    assert.notEqual(await text(s, "rpm/el/9/x86_64/repodata/repomd.xml.asc"), before);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("refresh leaves the roots in `except` as they are and re-signs the others", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "hello" }), await testDeb({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    const rpmBefore = await text(s, "rpm/el/9/x86_64/repodata/repomd.xml.asc");
    const debBefore = await text(s, "deb/dists/stable/InRelease");
    const r = await refreshRepository(s, { signers: [signer], clock, except: ["deb/stable"] });
    assert.deepEqual(r.roots, ["rpm/el/9/x86_64"]);
    assert.notEqual(await text(s, "rpm/el/9/x86_64/repodata/repomd.xml.asc"), rpmBefore);
    assert.equal(await text(s, "deb/dists/stable/InRelease"), debBefore);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("a key that no longer signs the repository while its rpms are held is a warning", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const r = await publish(s, {
      add: [await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    assert.equal(r.warnings, undefined);
    const [state] = await readRepository(s);
    assert.equal(state!.packages[0]!.signedBy, signer.primaryFingerprint);
    // Rotating with both keys: the old key still signs, nothing to warn about.
    const both = await refreshRepository(s, { signers: [other, signer], clock });
    assert.equal(both.warnings, undefined);
    const only = await refreshRepository(s, { signers: [other], clock });
    assert.deepEqual(
      only.warnings?.map((w) => [w.code, w.root]),
      [["RPM_KEY_NOT_SIGNING", "rpm/el/9/x86_64"]],
    );
    assert.match(only.warnings![0]!.message, new RegExp(`signed by ${signer.primaryFingerprint}`));
    assert.match(only.warnings![0]!.message, /hello-1\.0-1\.x86_64/);
  });

  test("keys rpm cannot use are refused: ECDSA (not deterministic), EdDSA for an rpm 4.14 target", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    const ecdsa = { ...signer, algorithm: "ecdsa" } as OpenPGPSigner;
    await rejectsWith(s, "BAD_KEY", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["el-9"] },
        signers: [ecdsa],
        clock,
      }),
    );
    assert.equal(signer.algorithm, "eddsa");
    await rejectsWith(s, "BAD_KEY", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["el-8"] },
        signers: [signer],
        clock,
      }),
    );
  });

  test("an rpm-only publish leaves the APT suite alone; a root left midway is finished by any publish", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, { add: [await testDeb({ name: "dd" })], signers: [signer], clock });
    const r = await publish(s, {
      add: [await testRpm({ name: "r" })],
      rpm: { targets: ["el-9"] },
      keep: 1,
      signers: [signer],
      clock,
    });
    assert.deepEqual(r.roots, ["rpm/el/9/x86_64"]);
    // A publish stopped after repomd.xml, before its signature: the next publish of anything repairs it.
    const asc = "rpm/el/9/x86_64/repodata/repomd.xml.asc";
    await s.put(asc, new TextEncoder().encode("stale"));
    assert.notDeepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
    const d = await publish(s, { add: [await testDeb({ name: "dd2" })], signers: [signer], clock });
    assert.deepEqual(d.roots.sort(), ["deb/stable", "rpm/el/9/x86_64"]);
    assert.deepEqual(await verifyRepository(s, { publicKeys: [signer.publicKeyArmored()] }), []);
  });

  test("a new architecture of a target takes the target's settings; epoch 0 and no epoch are one version", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "a", version: "1.0-1" })],
      rpm: {
        targets: ["el-9"],
        name: "acme",
        zstd: true,
        changelogLimit: 3,
        baseUrl: "https://example.org/r",
      },
      signers: [signer],
      clock,
    });
    await publish(s, {
      add: [await testRpm({ name: "b", arch: "aarch64" })],
      rpm: { targets: ["el-9"], architectures: ["aarch64"] },
      signers: [signer],
      clock,
    });
    const settings = (await readRepository(s)).map((x) => x.rpm);
    assert.deepEqual(settings[0], { ...settings[1], arch: "aarch64" });
    await rejectsWith(s, "REPO_CONFLICT", async () =>
      publish(s, {
        add: [await testRpm({ name: "a", version: "0:1.0-1", payload: "other" })],
        signers: [signer],
        clock,
      }),
    );
  });

  test("an rpm naming the repository key whose signature does not verify is CORRUPT_PACKAGE", async () => {
    const s = memoryStorage();
    const bytes = Buffer.from(await signedWith(await testRpm({ name: "hello" }), signer));
    // The last byte of the header signature (DSAHEADER 267 or RSAHEADER 268 in the signature header, after
    // the 96-byte lead): the signature still parses, but no longer verifies.
    const count = bytes.readUInt32BE(96 + 8);
    const store = 96 + 16 + count * 16;
    let end = -1;
    for (let i = 0; i < count; i++) {
      const at = 96 + 16 + i * 16;
      const tag = bytes.readUInt32BE(at);
      if (tag === 267 || tag === 268)
        end = store + bytes.readUInt32BE(at + 8) + bytes.readUInt32BE(at + 12) - 1;
    }
    assert.ok(end > 0, "the signed rpm has a header signature");
    bytes[end]! ^= 0x01;
    const info = await readPackage(bytesSource(bytes), "signed.rpm");
    await rejectsWith(s, "CORRUPT_PACKAGE", () =>
      publish(s, {
        add: [{ info, source: bytesSource(bytes), name: "signed.rpm" }],
        rpm: { targets: ["el-9"] },
        signers: [signer],
        clock: clockAt(),
      }),
    );
  });

  test("a signed rpm whose bytes changed after its PackageInfo was read is CHECKSUM_MISMATCH", async () => {
    const s = memoryStorage();
    const bytes = await signedWith(await testRpm({ name: "hello" }), signer);
    const info = await readPackage(bytesSource(bytes), "signed.rpm");
    // A payload byte: the header (and so its signature) is unchanged, only the bytes differ from the info.
    const changed = Buffer.from(bytes);
    changed[changed.length - 20]! ^= 0x01;
    await rejectsWith(s, "CHECKSUM_MISMATCH", () =>
      publish(s, {
        add: [{ info, source: bytesSource(changed), name: "signed.rpm" }],
        rpm: { targets: ["el-9"] },
        signers: [signer],
        clock: clockAt(),
      }),
    );
  });

  test("bad input is a typed error and leaves the repository unchanged", async () => {
    const s = memoryStorage();
    const clock = clockAt();
    await publish(s, {
      add: [await testRpm({ name: "hello" })],
      rpm: { targets: ["el-9"] },
      signers: [signer],
      clock,
    });
    await rejectsWith(s, "UNKNOWN_TARGET", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["el-99"] },
        signers: [signer],
        clock,
      }),
    );
    await rejectsWith(s, "UNKNOWN_TARGET", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["debian-12"] },
        signers: [signer],
        clock,
      }),
    );
    await rejectsWith(s, "ARCH_NOT_IN_REPO", async () =>
      publish(s, { add: [await testRpm({ name: "x", arch: "aarch64" })], signers: [signer], clock }),
    );
    await rejectsWith(s, "ARCH_NOT_IN_REPO", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["el-9"], architectures: ["sparc64"] },
        signers: [signer],
        clock,
      }),
    );
    await rejectsWith(s, "INVALID_SETTING", async () =>
      publish(s, {
        add: [await testRpm({ name: "x" })],
        rpm: { targets: ["el-9"], baseUrl: "ftp://example.org" },
        signers: [signer],
        clock,
      }),
    );
    for (const baseUrl of ["https://h.example/my repo", "https://h.example/a,b", "https://u:t@h.example/r"]) {
      await rejectsWith(s, "INVALID_SETTING", async () =>
        publish(s, {
          add: [await testRpm({ name: "x" })],
          rpm: { targets: ["el-9"], baseUrl },
          signers: [signer],
          clock,
        }),
      );
    }
    // A source rpm (no SOURCERPM tag) is not a binary package for these roots.
    const binary = await testRpm({ name: "src" });
    const { sourcerpm: _, ...raw } = binary.info.raw as Extract<typeof binary.info.raw, { format: "rpm" }>;
    await rejectsWith(s, "UNSUPPORTED_PACKAGE", () =>
      publish(s, {
        add: [{ ...binary, info: { ...binary.info, raw } }],
        rpm: { targets: ["el-9"] },
        signers: [signer],
        clock,
      }),
    );
    // A header that does not match what was read of the file: refused before a signed copy is planned.
    const good = await testRpm({ name: "broken" });
    const bytes = Buffer.from(good.bytes);
    bytes[good.info.raw.format === "rpm" ? good.info.raw.headerStart + 40 : 0]! ^= 0xff;
    await rejectsWith(s, "CHECKSUM_MISMATCH", () =>
      publish(s, {
        add: [{ ...good, source: bytesSource(bytes) }],
        rpm: { targets: ["el-9"] },
        signers: [signer],
        clock,
      }),
    );
    const fresh = memoryStorage();
    await rejectsWith(fresh, "INVALID_SETTING", async () =>
      publish(fresh, { add: [await testRpm({ name: "x" })], signers: [signer], clock }),
    );
  });
});
