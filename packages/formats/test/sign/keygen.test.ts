import assert from "node:assert/strict";
import { test } from "node:test";
import { SpecError } from "../../src/errors.ts";
import { keygen } from "../../src/sign/keygen.ts";
import { loadOpenPGPSigner } from "../../src/sign/openpgp.ts";
import { loadRSASigner, rsaKeyFingerprint } from "../../src/sign/rsa.ts";

test("openpgp: N.asc (0644) and N.secret.asc (0600); the fingerprint is the loaded key's", async () => {
  const r = await keygen({
    type: "openpgp",
    algorithm: "ecc",
    name: "release",
    email: "rel@example.org",
    passphrase: "pw",
  });
  assert.deepEqual(
    r.files.map((f) => [f.name, f.mode]),
    [
      ["release.asc", 0o644],
      ["release.secret.asc", 0o600],
    ],
  );
  assert.match(r.files[0]?.contents ?? "", /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  const signer = await loadOpenPGPSigner(r.files[1]?.contents ?? "", { passphrase: "pw" });
  assert.equal(signer.primaryFingerprint, r.fingerprint);
  assert.deepEqual(signer.userIds, ["release <rel@example.org>"]);
  assert.equal(signer.algorithm, "eddsa");
});

test("rsa: N.rsa (0600) and N.rsa.pub (0644); fingerprint is SHA-256 of the public key; apk key name offered", async () => {
  const r = await keygen({ type: "rsa", name: "apk", email: "rel@example.org", bits: 2048 });
  assert.deepEqual(
    r.files.map((f) => [f.name, f.mode]),
    [
      ["apk.rsa", 0o600],
      ["apk.rsa.pub", 0o644],
    ],
  );
  const signer = loadRSASigner(r.files[0]?.contents ?? "");
  assert.equal(signer.publicKeyPem(), r.files[1]?.contents);
  assert.equal(r.fingerprint, rsaKeyFingerprint(signer.publicKeyPem()));
  assert.equal(r.apkKeyName, `rel@example.org-${r.fingerprint.slice(0, 8)}.rsa.pub`);
});

test("refuses curve25519, bad names and unknown types", async () => {
  await assert.rejects(
    keygen({ type: "openpgp", algorithm: "curve25519", name: "k", email: "k@example.org" }),
    (e: unknown) =>
      e instanceof SpecError && e.code === "UNSUPPORTED_KEY_TYPE" && /Debian 12/.test(e.message),
  );
  for (const name of ["", "a/b", "..", "a\\b"]) {
    await assert.rejects(
      keygen({ type: "rsa", name, email: "k@example.org" }),
      (e: unknown) => e instanceof SpecError && e.code === "INVALID_FIELD",
    );
  }
  await assert.rejects(
    keygen({ type: "x509" as "rsa", name: "k", email: "k@example.org" }),
    (e: unknown) => e instanceof SpecError && e.code === "UNSUPPORTED_KEY_TYPE",
  );
  await assert.rejects(
    keygen({ type: "rsa", algorithm: "ecc", name: "k", email: "k@example.org" }),
    (e: unknown) => e instanceof SpecError && e.code === "UNSUPPORTED_KEY_TYPE",
  );
});
