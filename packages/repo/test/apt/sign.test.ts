/** apt/sign: InRelease and Release.gpg with one key, with two (rotation), and the refusals. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadOpenPGPSigner, type OpenPGPSigner, verifyDetached } from "@packyard/formats";
import { KEYS_DIR, openpgpTestKey } from "@packyard/testkit/keyrings";
import { signRelease } from "../../src/apt/sign.ts";
import { isRepoError } from "../../src/errors.ts";
import { parseCleartext } from "../../src/verify/cleartext.ts";
import { DATE, utf8 } from "./support.ts";

const RELEASE = "Origin: Test\nSuite: stable\n-Dash: escaped\nSHA256:\n " + "a".repeat(64) + " 1 main/x\n";

async function verifies(
  signed: { inRelease: string; releaseGpg: string },
  signer: OpenPGPSigner,
): Promise<void> {
  const key = signer.publicKeyArmored();
  const clear = parseCleartext(signed.inRelease, "InRelease");
  assert.equal(clear.text, RELEASE);
  const a = await verifyDetached(clear.signed, clear.signature, key, { date: null });
  assert.ok(a.valid, `InRelease with ${signer.keyId}: ${a.reason}`);
  const b = await verifyDetached(utf8(RELEASE), signed.releaseGpg, key, { date: null });
  assert.ok(b.valid, `Release.gpg with ${signer.keyId}: ${b.reason}`);
}

test("one key: a cleartext InRelease and an armored detached Release.gpg", async () => {
  const { signer } = await openpgpTestKey();
  const signed = await signRelease(RELEASE, [signer], DATE);
  assert.match(signed.inRelease, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Test\n/);
  assert.match(signed.inRelease, /\n- -Dash: escaped\n/);
  assert.match(signed.releaseGpg, /^-----BEGIN PGP SIGNATURE-----\n/);
  await verifies(signed, signer);
  const other = await openpgpTestKey();
  const r = await verifyDetached(utf8(RELEASE), signed.releaseGpg, other.signer.publicKeyArmored(), {
    date: null,
  });
  assert.equal(r.valid, false);
});

test("two keys: both files carry both signatures, each key alone verifies them, one Hash header", async () => {
  // An RSA key whose default hash is SHA-512 first, an EdDSA one with SHA-256 second: both sign with SHA-512.
  const rsa = await loadOpenPGPSigner(readFileSync(`${KEYS_DIR}gpg-plain.secret.asc`, "utf8"), {
    hash: "sha512",
  });
  const { signer: ecc } = await openpgpTestKey();
  const signed = await signRelease(RELEASE, [rsa, ecc], DATE);
  assert.equal(signed.inRelease.match(/^Hash: /gm)?.length, 1);
  assert.match(signed.inRelease, /^Hash: SHA512$/m);
  assert.equal(signed.inRelease.match(/-----BEGIN PGP SIGNATURE-----/g)?.length, 1);
  assert.equal(signed.releaseGpg.match(/-----BEGIN PGP SIGNATURE-----/g)?.length, 1);
  await verifies(signed, rsa);
  await verifies(signed, ecc);
  // Deterministic for fixed keys and date (RSA PKCS#1 v1.5 and EdDSA, no salt notation).
  assert.deepEqual(await signRelease(RELEASE, [rsa, ecc], DATE), signed);
});

test("no signer is MISSING_KEY; three, or one key twice, INVALID_SETTING; a non-OpenPGP signer BAD_KEY", async () => {
  const { signer } = await openpgpTestKey();
  const other = await openpgpTestKey();
  await assert.rejects(signRelease(RELEASE, [], DATE), (e) => isRepoError(e) && e.code === "MISSING_KEY");
  await assert.rejects(
    signRelease(RELEASE, [signer, other.signer, signer], DATE),
    (e) => isRepoError(e) && e.code === "INVALID_SETTING",
  );
  await assert.rejects(
    signRelease(RELEASE, [signer, signer], DATE),
    (e) => isRepoError(e) && e.code === "INVALID_SETTING",
  );
  const rsa = { kind: "rsa", keyName: "x.rsa.pub" } as unknown as OpenPGPSigner;
  await assert.rejects(signRelease(RELEASE, [rsa], DATE), (e) => isRepoError(e) && e.code === "BAD_KEY");
});

test("a signer that fails is BAD_KEY naming the key", async () => {
  const { signer } = await openpgpTestKey();
  const failing: OpenPGPSigner = {
    ...signer,
    publicKeyArmored: () => signer.publicKeyArmored(),
    publicKeyBinary: () => signer.publicKeyBinary(),
    detached: signer.detached.bind(signer),
    cleartext: async () => {
      const { SignError } = await import("@packyard/formats");
      throw new SignError("SIGN_FAILED", "boom", {});
    },
  };
  await assert.rejects(
    signRelease(RELEASE, [failing], DATE),
    (e) => isRepoError(e) && e.code === "BAD_KEY" && e.message.includes(signer.primaryFingerprint),
  );
});
