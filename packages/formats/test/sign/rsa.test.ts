import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { SignError, SpecError } from "../../src/errors.ts";
import {
  apkKeyName,
  type GeneratedRSAKey,
  generateRSAKey,
  loadRSASigner,
  rsaKeyFingerprint,
  verifyRSA,
} from "../../src/sign/rsa.ts";
import { FIXTURE_PASSPHRASE, KEYS_DIR } from "@packyard/testkit/keyrings";

const data = new TextEncoder().encode("APKINDEX.tar.gz bytes");
let key: GeneratedRSAKey;
before(async () => {
  key = await generateRSAKey({ bits: 2048 });
});

const fixture = (name: string) => readFileSync(join(KEYS_DIR, name), "utf8");
function code(cls: typeof SignError | typeof SpecError, c: string) {
  return (e: unknown) => e instanceof cls && e.code === c;
}

test("generateRSAKey: PKCS#8 private and SPKI public PEM of the requested size", async () => {
  assert.match(key.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.match(key.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
  assert.equal(createPublicKey(key.publicKeyPem).asymmetricKeyDetails?.modulusLength, 2048);
  const locked = await generateRSAKey({ bits: 2048, passphrase: "pw" });
  assert.match(locked.privateKeyPem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  assert.equal(loadRSASigner(locked.privateKeyPem, { passphrase: "pw" }).publicKeyPem(), locked.publicKeyPem);
  await assert.rejects(generateRSAKey({ bits: 1024 as 2048 }), code(SpecError, "INVALID_FIELD"));
});

test("sign/verifyRSA round trip for SHA-1, SHA-256 and SHA-512; wrong data, hash or key fails", async () => {
  const signer = loadRSASigner(key.privateKeyPem);
  assert.equal(signer.bits, 2048);
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
  for (const hash of ["sha1", "sha256", "sha512"] as const) {
    const sig = await signer.sign(data, hash);
    assert.equal(sig.length, 256);
    assert.equal(verifyRSA(data, sig, key.publicKeyPem, hash), true);
    assert.equal(verifyRSA(data.subarray(1), sig, key.publicKeyPem, hash), false);
    assert.equal(verifyRSA(data, sig, key.publicKeyPem, hash === "sha1" ? "sha256" : "sha1"), false);
    assert.equal(verifyRSA(data, sig, other, hash), false);
  }
  await assert.rejects(signer.sign(data, "md5" as "sha1"), code(SpecError, "INVALID_FIELD"));
  assert.throws(() => verifyRSA(data, new Uint8Array(256), "nope", "sha256"), code(SignError, "KEY_READ"));
});

test("loads PKCS#1 and PKCS#8 PEM, plain and encrypted; missing/wrong passphrase are typed", () => {
  for (const name of ["openssl-pkcs1", "openssl-pkcs8"]) {
    assert.equal(loadRSASigner(fixture(`${name}.rsa`)).publicKeyPem(), fixture(`${name}.rsa.pub`));
    const locked = fixture(`${name}-locked.rsa`);
    assert.equal(
      loadRSASigner(locked, { passphrase: FIXTURE_PASSPHRASE }).publicKeyPem(),
      fixture(`${name}-locked.rsa.pub`),
    );
    assert.throws(() => loadRSASigner(locked), code(SignError, "KEY_LOCKED"));
    assert.throws(() => loadRSASigner(locked, { passphrase: "wrong" }), code(SignError, "BAD_PASSPHRASE"));
  }
});

test("refuses public keys, non-RSA keys and garbage", () => {
  assert.throws(() => loadRSASigner(key.publicKeyPem), code(SignError, "KEY_READ"));
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  assert.throws(() => loadRSASigner(ec), code(SignError, "KEY_UNSUPPORTED"));
  assert.throws(() => loadRSASigner("hello"), code(SignError, "KEY_READ"));
  assert.throws(
    () => loadRSASigner("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
    code(SignError, "KEY_READ"),
  );
});

test("key names: explicit (nfpm key_name gets .rsa.pub), from the e-mail, or a default", () => {
  const fpr8 = rsaKeyFingerprint(key.publicKeyPem).slice(0, 8);
  assert.match(fpr8, /^[0-9a-f]{8}$/);
  assert.equal(
    loadRSASigner(key.privateKeyPem, { keyName: "me@example.org" }).keyName,
    "me@example.org.rsa.pub",
  );
  assert.equal(
    loadRSASigner(key.privateKeyPem, { keyName: "me@example.org-61a2b3c4.rsa.pub" }).keyName,
    "me@example.org-61a2b3c4.rsa.pub",
  );
  assert.equal(
    loadRSASigner(key.privateKeyPem, { email: "me@example.org" }).keyName,
    `me@example.org-${fpr8}.rsa.pub`,
  );
  assert.equal(loadRSASigner(key.privateKeyPem).keyName, `packyard-${fpr8}.rsa.pub`);
  assert.throws(
    () => loadRSASigner(key.privateKeyPem, { keyName: "../etc/x" }),
    code(SpecError, "INVALID_FIELD"),
  );
});

test("apkKeyName: <email>-<8 hex>.rsa.pub, stable per key, distinct across keys", async () => {
  const a = apkKeyName("dev@example.org", key.publicKeyPem);
  assert.match(a, /^dev@example\.org-[0-9a-f]{8}\.rsa\.pub$/);
  assert.equal(apkKeyName("dev@example.org", key.publicKeyPem), a);
  // The same key in PKCS#1 public form names the same file.
  const pkcs1 = createPublicKey(key.publicKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
  assert.equal(apkKeyName("dev@example.org", pkcs1), a);
  assert.notEqual(apkKeyName("dev@example.org", fixture("openssl-pkcs1.rsa.pub")), a);
  assert.throws(() => apkKeyName("", key.publicKeyPem), code(SpecError, "INVALID_FIELD"));
  assert.throws(() => apkKeyName("a/b@example.org", key.publicKeyPem), code(SpecError, "INVALID_FIELD"));
});
