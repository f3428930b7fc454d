import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import { SignError, SpecError } from "../../src/errors.ts";
import {
  type GeneratedOpenPGPKey,
  generateOpenPGPKey,
  loadOpenPGPSigner,
  verifyDetached,
} from "../../src/sign/openpgp.ts";
import { readSignatureInfo } from "../../src/sign/signature-info.ts";
import { FIXTURE_PASSPHRASE, KEYS_DIR } from "@packyard/testkit/keyrings";

const data = new TextEncoder().encode("some package bytes\n");
const date = new Date("2031-05-06T07:08:09Z");
const keyDate = new Date("2030-01-01T00:00:00Z");
let ecc: GeneratedOpenPGPKey;
let rsa: GeneratedOpenPGPKey;

before(async () => {
  ecc = await generateOpenPGPKey({
    type: "ecc",
    name: "Ed Signer",
    email: "ed@example.org",
    passphrase: "pw",
    date: keyDate,
  });
  rsa = await generateOpenPGPKey({
    type: "rsa",
    rsaBits: 2048,
    name: "Rsa Signer",
    email: "rsa@example.org",
    date: keyDate,
  });
});

function rejectsWith<E extends Error & { code: string }>(
  cls: new (...a: never[]) => E,
  code: string,
  pattern?: RegExp,
): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as E).code, code);
    if (pattern) assert.match((e as E).message, pattern);
    return true;
  };
}

describe("generateOpenPGPKey", () => {
  test("refuses curve25519 (RFC 9580) with a SpecError that says why", async () => {
    await assert.rejects(
      generateOpenPGPKey({ type: "curve25519", name: "X", email: "x@example.org" }),
      rejectsWith(SpecError, "UNSUPPORTED_KEY_TYPE", /Debian 12.*pacman.*rpm 4\.18/s),
    );
  });

  test("ecc gives a v4 legacy EdDSA (algo 22) primary, armored without Version/Comment, no expiry", async () => {
    const key = await openpgp.readKey({ armoredKey: ecc.publicKeyArmored });
    assert.equal(key.keyPacket.version, 4);
    assert.equal(key.keyPacket.algorithm, openpgp.enums.publicKey.eddsaLegacy);
    assert.equal(key.getFingerprint().toUpperCase(), ecc.fingerprint);
    assert.equal(ecc.keyId, ecc.fingerprint.slice(-16));
    assert.equal(await key.getExpirationTime(), Infinity);
    assert.equal(key.getCreationTime().getTime(), keyDate.getTime());
    assert.deepEqual(key.getUserIDs(), ["Ed Signer <ed@example.org>"]);
    for (const armored of [ecc.publicKeyArmored, ecc.secretKeyArmored]) {
      assert.doesNotMatch(armored, /^(Version|Comment):/m);
      assert.match(armored, /^=[A-Za-z0-9+/]{4}$/m, "CRC24 line present (rpm's armor parser wants it)");
    }
  });

  test("rsa gives a v4 RSA primary whose self-signatures use SHA-512 and carry no salt notation", async () => {
    const key = await openpgp.readKey({ armoredKey: rsa.publicKeyArmored });
    assert.equal(key.keyPacket.algorithm, openpgp.enums.publicKey.rsaEncryptSign);
    assert.equal(key.getAlgorithmInfo().bits, 2048);
    const selfSigs = [
      ...key.users.flatMap((u) => u.selfCertifications),
      ...key.subkeys.flatMap((k) => k.bindingSignatures),
    ];
    assert.ok(selfSigs.length >= 2);
    for (const sig of selfSigs) {
      assert.equal(sig.hashAlgorithm, openpgp.enums.hash.sha512);
      assert.deepEqual(sig.rawNotations, []);
    }
  });

  test("a passphrase encrypts the secret key", async () => {
    const secret = await openpgp.readPrivateKey({ armoredKey: ecc.secretKeyArmored });
    assert.equal(secret.isDecrypted(), false);
    const plain = await openpgp.readPrivateKey({ armoredKey: rsa.secretKeyArmored });
    assert.equal(plain.isDecrypted(), true);
  });

  test("rejects an unsupported RSA size", async () => {
    await assert.rejects(
      generateOpenPGPKey({ name: "X", email: "x@example.org", rsaBits: 1024 as 2048 }),
      rejectsWith(SpecError, "INVALID_FIELD"),
    );
  });
});

describe("loadOpenPGPSigner", () => {
  test("missing passphrase → KEY_LOCKED, wrong → BAD_PASSPHRASE", async () => {
    await assert.rejects(loadOpenPGPSigner(ecc.secretKeyArmored), rejectsWith(SignError, "KEY_LOCKED"));
    await assert.rejects(
      loadOpenPGPSigner(ecc.secretKeyArmored, { passphrase: "nope" }),
      rejectsWith(SignError, "BAD_PASSPHRASE"),
    );
    const gpgLocked = readFileSync(join(KEYS_DIR, "gpg-locked.secret.asc"), "utf8");
    await assert.rejects(
      loadOpenPGPSigner(gpgLocked, { passphrase: "nope" }),
      rejectsWith(SignError, "BAD_PASSPHRASE"),
    );
    await assert.rejects(loadOpenPGPSigner(gpgLocked), rejectsWith(SignError, "KEY_LOCKED"));
  });

  test("a public key or garbage → KEY_READ", async () => {
    await assert.rejects(
      loadOpenPGPSigner(ecc.publicKeyArmored),
      rejectsWith(SignError, "KEY_READ", /public key/),
    );
    await assert.rejects(
      loadOpenPGPSigner(new Uint8Array([0x99, 0x01, 0x02])),
      rejectsWith(SignError, "KEY_READ"),
    );
    await assert.rejects(loadOpenPGPSigner("not a key"), rejectsWith(SignError, "KEY_READ"));
  });

  test("accepts armored text given as bytes and binary keys", async () => {
    const fromBytes = await loadOpenPGPSigner(new TextEncoder().encode(rsa.secretKeyArmored));
    const binary = (await openpgp.readPrivateKey({ armoredKey: rsa.secretKeyArmored })).write();
    const fromBinary = await loadOpenPGPSigner(binary);
    assert.equal(fromBytes.fingerprint, rsa.fingerprint);
    assert.equal(fromBinary.fingerprint, rsa.fingerprint);
  });

  test("keyId picks the primary or a signing subkey; fingerprint, 16-hex id, 0x and spaces accepted", async () => {
    const secret = readFileSync(join(KEYS_DIR, "gpg-subkey.secret.gpg"));
    // ids recorded by make.sh from gpg's own listing: "<keyid> <usage> <fingerprint>".
    const ids = readFileSync(join(KEYS_DIR, "gpg-subkey.ids"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    const primary = ids.find((l) => l[1]?.includes("C"));
    const signing = ids.find((l) => l[1] === "s");
    assert.ok(primary && signing);
    const opts = { passphrase: FIXTURE_PASSPHRASE };
    for (const ref of [
      primary[2],
      primary[0],
      `0x${primary[0]}`,
      primary[2]?.replace(/(.{4})/g, "$1 "),
      signing[2],
      signing[0]?.toLowerCase(),
    ]) {
      const signer = await loadOpenPGPSigner(new Uint8Array(secret), { ...opts, keyId: ref ?? "" });
      assert.equal(signer.keyId, signing[0], `ref ${ref}`);
      assert.equal(signer.fingerprint, signing[2]);
      assert.equal(signer.primaryFingerprint, primary[2]);
      assert.equal(signer.algorithm, "rsa");
    }
    await assert.rejects(
      loadOpenPGPSigner(new Uint8Array(secret), { ...opts, keyId: "0123456789ABCDEF" }),
      rejectsWith(SignError, "KEY_NOT_FOUND", new RegExp(signing[2] ?? "")),
    );
    await assert.rejects(
      loadOpenPGPSigner(new Uint8Array(secret), { ...opts, keyId: "ABCD" }),
      rejectsWith(SpecError, "INVALID_FIELD"),
    );
  });

  test("a keyId naming a subkey that cannot sign → NO_SIGNING_KEY", async () => {
    const key = await openpgp.readPrivateKey({ armoredKey: rsa.secretKeyArmored });
    const encryptionSubkey = key.subkeys[0]?.getKeyID().toHex() ?? "";
    await assert.rejects(
      loadOpenPGPSigner(rsa.secretKeyArmored, { keyId: encryptionSubkey }),
      rejectsWith(SignError, "NO_SIGNING_KEY"),
    );
  });

  test("refuses RFC 9580 keys (algo 27 in a v4 key, and v6 keys) with KEY_UNSUPPORTED", async () => {
    const v4ed25519 = await openpgp.generateKey({
      type: "curve25519",
      userIDs: [{ email: "x@example.org" }],
      format: "armored",
    });
    await assert.rejects(
      loadOpenPGPSigner(v4ed25519.privateKey),
      rejectsWith(SignError, "KEY_UNSUPPORTED", /algorithm 27.*Debian 12/s),
    );
    const v6 = await openpgp.generateKey({
      type: "curve25519",
      userIDs: [{ email: "x@example.org" }],
      format: "armored",
      config: { v6Keys: true },
    });
    await assert.rejects(loadOpenPGPSigner(v6.privateKey), rejectsWith(SignError, "KEY_UNSUPPORTED", /v6/));
  });

  test("a file holding two secret keys needs keyId", async () => {
    const a = await openpgp.readPrivateKey({ armoredKey: rsa.secretKeyArmored });
    const b = await openpgp.readPrivateKey({
      armoredKey: readFileSync(join(KEYS_DIR, "gpg-plain.secret.asc"), "utf8"),
    });
    const both = new Uint8Array([...a.write(), ...b.write()]);
    await assert.rejects(loadOpenPGPSigner(both), rejectsWith(SignError, "KEY_NOT_FOUND", /2 secret keys/));
    assert.equal(
      (await loadOpenPGPSigner(both, { keyId: b.getFingerprint() })).fingerprint,
      b.getFingerprint().toUpperCase(),
    );
  });

  test("the public key it hands out is the certificate without secret material", async () => {
    const signer = await loadOpenPGPSigner(rsa.secretKeyArmored);
    const pub = await openpgp.readKey({ armoredKey: signer.publicKeyArmored() });
    assert.equal(pub.isPrivate(), false);
    assert.equal(pub.getFingerprint().toUpperCase(), rsa.fingerprint);
    const bin = signer.publicKeyBinary();
    assert.equal(bin[0], 0xc6, "new-format public key packet, accepted by sqv's first-byte check");
    assert.equal((await openpgp.readKey({ binaryKey: bin })).getFingerprint().toUpperCase(), rsa.fingerprint);
  });
});

describe("signing", () => {
  for (const which of ["ecc", "rsa"] as const) {
    test(`${which}: detached signatures honour the hash, carry issuer subpackets, and verify`, async () => {
      const key = which === "ecc" ? ecc : rsa;
      const signer = await loadOpenPGPSigner(key.secretKeyArmored, { passphrase: "pw" });
      for (const hash of ["sha256", "sha512"] as const) {
        const sig = await signer.detached(data, { hash, date });
        const info = readSignatureInfo(sig);
        assert.equal(info.hash, hash);
        assert.equal(info.version, 4);
        assert.equal(info.signatureType, 0);
        assert.equal(info.algorithm, which === "ecc" ? "eddsa" : "rsa");
        assert.equal(info.keyId, signer.keyId);
        assert.equal(info.fingerprint, signer.fingerprint);
        assert.equal(info.created.getTime(), date.getTime());
        // openpgp.js parses the packet the same way, and finds no salt notation.
        const parsed = await openpgp.readSignature({ binarySignature: sig });
        assert.equal(
          parsed.packets[0]?.hashAlgorithm,
          hash === "sha256" ? openpgp.enums.hash.sha256 : openpgp.enums.hash.sha512,
        );
        assert.deepEqual(parsed.packets[0]?.rawNotations, []);
        assert.deepEqual(await verifyDetached(data, sig, key.publicKeyArmored, { date }), {
          valid: true,
          keyId: signer.keyId,
          fingerprint: signer.fingerprint,
        });
        const tampered = await verifyDetached(new TextEncoder().encode("other"), sig, key.publicKeyArmored, {
          date,
        });
        assert.equal(tampered.valid, false);
      }
    });

    test(`${which}: with a fixed date, signatures are byte-for-byte reproducible`, async () => {
      const key = which === "ecc" ? ecc : rsa;
      const a = await loadOpenPGPSigner(key.secretKeyArmored, { passphrase: "pw" });
      const b = await loadOpenPGPSigner(key.secretKeyArmored, { passphrase: "pw" });
      assert.deepEqual(await a.detached(data, { date }), await b.detached(data, { date }));
      assert.equal(
        await a.detached(data, { date, armor: true }),
        await b.detached(data, { date, armor: true }),
      );
      assert.equal(
        await a.cleartext("Suite: stable\n", { date }),
        await b.cleartext("Suite: stable\n", { date }),
      );
      assert.notDeepEqual(
        await a.detached(data, { date }),
        await a.detached(data, { date: new Date(date.getTime() + 1000) }),
      );
    });
  }

  test("the default hash is SHA-256 and can be set at load time", async () => {
    const dflt = await loadOpenPGPSigner(rsa.secretKeyArmored);
    assert.equal(readSignatureInfo(await dflt.detached(data, { date })).hash, "sha256");
    const s512 = await loadOpenPGPSigner(rsa.secretKeyArmored, { hash: "sha512" });
    assert.equal(readSignatureInfo(await s512.detached(data, { date })).hash, "sha512");
    assert.match(
      await s512.cleartext("x\n", { date }),
      /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nx\n-----BEGIN PGP SIGNATURE-----\n/,
    );
    await assert.rejects(
      loadOpenPGPSigner(rsa.secretKeyArmored, { hash: "sha1" as "sha256" }),
      rejectsWith(SpecError, "INVALID_FIELD"),
    );
  });

  test("a date before the key's creation is raised to it: same bytes for any older date, and valid", async () => {
    const signer = await loadOpenPGPSigner(rsa.secretKeyArmored);
    const early = await signer.detached(data, { date: new Date("2029-12-31T00:00:00Z") });
    assert.equal(readSignatureInfo(early).created.getTime(), keyDate.getTime());
    assert.deepEqual(early, await signer.detached(data, { date: new Date(0) }));
    assert.deepEqual(early, await signer.detached(data, { date: keyDate }));
    const text = await signer.cleartext("x\n", { date: new Date("2020-01-01T00:00:00Z") });
    assert.equal(text, await signer.cleartext("x\n", { date: keyDate }));
    assert.equal((await verifyDetached(data, early, rsa.publicKeyArmored, { date: keyDate })).valid, true);
  });

  test("cleartext: signs the canonical text (type 0x01) and dash-escapes", async () => {
    const signer = await loadOpenPGPSigner(rsa.secretKeyArmored);
    const out = await signer.cleartext("- starts with dash\r\nplain  \n", { date });
    assert.match(
      out,
      /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n- - starts with dash\nplain {2}\n-----BEGIN PGP SIGNATURE-----\n/,
    );
    assert.doesNotMatch(out, /\r/);
    // "x" and "x\n" sign the same text: the last line break belongs to the armor (RFC 4880 §7).
    assert.equal(await signer.cleartext("x", { date }), await signer.cleartext("x\n", { date }));
    assert.equal(readSignatureInfo(out).signatureType, 1);
    const msg = await openpgp.readCleartextMessage({ cleartextMessage: out });
    const res = await openpgp.verify({
      message: msg,
      verificationKeys: await openpgp.readKey({ armoredKey: rsa.publicKeyArmored }),
      date,
    });
    assert.equal(await res.signatures[0]?.verified, true);
    assert.equal(msg.getText(), "- starts with dash\nplain");
  });
});

describe("verifyDetached", () => {
  test("reports an unknown signer as invalid with its key id; unreadable input is a typed error", async () => {
    const signer = await loadOpenPGPSigner(rsa.secretKeyArmored);
    const sig = await signer.detached(data, { date, armor: true });
    const other = await verifyDetached(data, sig, readFileSync(join(KEYS_DIR, "gpg-plain.asc"), "utf8"), {
      date,
    });
    assert.equal(other.valid, false);
    assert.equal(other.keyId, signer.keyId);
    await assert.rejects(verifyDetached(data, sig, "garbage"), rejectsWith(SignError, "KEY_READ"));
    await assert.rejects(
      verifyDetached(data, new Uint8Array([0xc2, 0x05, 0, 0]), rsa.publicKeyArmored),
      rejectsWith(SignError, "VERIFY_FAILED"),
    );
  });
});

describe("streamed input", () => {
  /** `bytes` in chunks of `size` bytes, as a ByteSource's open() yields them. */
  async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
  }
  const big = new Uint8Array(200_003).map((_, i) => (i * 31 + (i >> 9)) & 255);

  for (const which of ["ecc", "rsa"] as const) {
    test(`${which}: a streamed detached signature equals the one over the same bytes in memory`, async () => {
      const key = which === "ecc" ? ecc : rsa;
      const signer = await loadOpenPGPSigner(key.secretKeyArmored, { passphrase: "pw" });
      const whole = await signer.detached(big, { date });
      for (const size of [1_000, 7, 65_536]) {
        const part = big.subarray(0, size === 7 ? 5_000 : big.length);
        const want = size === 7 ? await signer.detached(part, { date }) : whole;
        assert.deepEqual(await signer.detached(chunks(part, size), { date }), want, `chunks of ${size}`);
      }
      assert.equal(
        await signer.detached(chunks(big, 4096), { date, armor: true }),
        await signer.detached(big, { date, armor: true }),
      );
      const ok = await verifyDetached(chunks(big, 321), whole, key.publicKeyArmored, { date: null });
      assert.equal(ok.valid, true);
      const flipped = big.slice();
      flipped[100_000]! ^= 1;
      const bad = await verifyDetached(chunks(flipped, 321), whole, key.publicKeyArmored, { date: null });
      assert.equal(bad.valid, false);
    });
  }

  test("a failing stream keeps its own typed error, when signing and when verifying", async () => {
    const signer = await loadOpenPGPSigner(rsa.secretKeyArmored);
    const sig = await signer.detached(data, { date });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield data;
      throw new SpecError("MISSING_SOURCE", "source vanished", { path: "x" });
    }
    await assert.rejects(signer.detached(broken(), { date }), rejectsWith(SpecError, "MISSING_SOURCE"));
    await assert.rejects(
      verifyDetached(broken(), sig, rsa.publicKeyArmored, { date: null }),
      rejectsWith(SpecError, "MISSING_SOURCE"),
    );
  });
});
