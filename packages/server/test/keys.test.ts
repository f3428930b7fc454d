// Project signing keys (issue 19 item 7) on PGlite and PostgreSQL: generation at project creation through the
// injected KeyGenerator (fixture pool; one test generates for real), storage (sealed secret, binary public key,
// no armor or PEM in the table), projectSigners for publishing, uploads with each refusal, public downloads,
// the audited owner-only backup, rotation over the clock.
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { test } from "node:test";
import { apkKeyName, loadOpenPGPSigner, verifyDetached, verifyRSA } from "@packyard/formats";
import { rsaKeyFingerprint } from "@packyard/formats/sign";
import { isServerError } from "../src/index.ts";
import { projectSigners } from "../src/keys/project-keys.ts";
import {
  bearer,
  type Harness,
  harness,
  secret,
  secretsNeverLeak,
  TEST_MASTER_KEY,
} from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { keyPool, POOL_APK, POOL_OPENPGP } from "./key-pool.ts";

// Every secret key line of the fixture pool: none may reach a log line or an error body.
for (const text of [...POOL_OPENPGP, ...POOL_APK])
  for (const line of text.split("\n")) if (/^[A-Za-z0-9+/]{60,}$/.test(line)) secret(line);

/** The pool keys' own identities, computed from the fixture files (not from the server's code). */
async function poolIdentity(i: number): Promise<{ openpgp: string; apk: string; apkPem: string }> {
  const signer = await loadOpenPGPSigner(POOL_OPENPGP[i]!);
  const apkPem = createPublicKey(POOL_APK[i]!).export({ type: "spki", format: "pem" }).toString();
  return { openpgp: signer.primaryFingerprint.toLowerCase(), apk: rsaKeyFingerprint(apkPem), apkPem };
}

interface Owner {
  h: Harness;
  token: string;
  project: { id: number; slug: string };
}

/** An app, an owner with every member scope, and a project created through the API. */
async function ownerWithProject(h: Harness, slug = "acme"): Promise<Owner> {
  const uid = await h.user("owner");
  const { token } = await h.token(uid, ["read", "write", "publish", "keys"]);
  const r = await h.request({
    method: "POST",
    url: "/api/v1/projects",
    headers: bearer(token),
    payload: { slug },
  });
  assert.equal(r.statusCode, 201, r.body);
  return { h, token, project: { id: r.json().id as number, slug } };
}

interface KeyRowDump {
  id: string;
  purpose: string;
  state: string;
  algorithm: string;
  fingerprint: string;
  public_key: Uint8Array;
  secret_sealed: Uint8Array;
  passphrase_sealed: Uint8Array | null;
  master_key_version: number;
}

async function keyRows(h: Harness, projectId: number): Promise<KeyRowDump[]> {
  const { rows } = await h.db.query<KeyRowDump>(
    `SELECT id::text AS id, purpose, state, algorithm, fingerprint, public_key, secret_sealed, passphrase_sealed,
            master_key_version
       FROM signing_keys WHERE project_id = $1 ORDER BY purpose, created_at`,
    [projectId],
  );
  return rows;
}

/** No row of signing_keys holds armor or PEM text, in any column. */
async function assertNoArmorInTable(h: Harness): Promise<number> {
  const { rows } = await h.db.query<Record<string, unknown>>("SELECT * FROM signing_keys");
  for (const row of rows)
    for (const [column, value] of Object.entries(row)) {
      const text =
        value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : JSON.stringify(value ?? null);
      for (const marker of ["-----BEGIN", "BEGIN PGP", "PRIVATE KEY", "PUBLIC KEY"])
        assert.ok(!text.includes(marker), `signing_keys.${column} holds "${marker}"`);
    }
  return rows.length;
}

eachDb((_kind, fresh) => {
  test("a new project gets an OpenPGP and an apk key from the generator, stored sealed and in binary", async (t) => {
    const pool = keyPool(1);
    const h = await harness(t, fresh, {}, { keyGenerator: pool });
    if (h === undefined) return;
    const { project } = await ownerWithProject(h);
    assert.deepEqual(pool.handedOut, { openpgp: 1, apk: 1 });
    const want = await poolIdentity(1);
    const rows = await keyRows(h, project.id);
    assert.deepEqual(
      rows.map((r) => [r.purpose, r.state, r.algorithm, r.fingerprint, r.master_key_version]),
      [
        ["apk", "active", "rsa4096", want.apk, 1],
        ["openpgp", "active", "rsa4096", want.openpgp, 1],
      ],
    );
    // The public key columns hold binary forms: DER SPKI for apk, OpenPGP packets (tag 6, new format 0xC6
    // or old format 0x99) for OpenPGP.
    const apkRow = rows[0]!;
    const der = createPublicKey(want.apkPem).export({ type: "spki", format: "der" });
    assert.deepEqual(Buffer.from(apkRow.public_key), der);
    assert.ok([0xc6, 0x99].includes(rows[1]!.public_key[0]!), `first byte ${rows[1]!.public_key[0]}`);
    // The sealed secret is not the key in the clear.
    const clear = Buffer.from(POOL_APK[1]!.split("\n")[1]!, "base64");
    assert.equal(Buffer.from(apkRow.secret_sealed).includes(clear.subarray(0, 16)), false);
    assert.equal(apkRow.passphrase_sealed, null);
    assert.equal(await assertNoArmorInTable(h), 2);
  });

  test("projectSigners: the keys sign, verified with the pool keys' own public parts", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(2) });
    if (h === undefined) return;
    const { project } = await ownerWithProject(h, "signers");
    const want = await poolIdentity(2);
    const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.equal(s.openpgp.length, 1);
    assert.equal(s.apk.length, 1);
    assert.deepEqual(
      s.keys.map((k) => [k.purpose, k.state, k.fingerprint]),
      [
        ["openpgp", "active", want.openpgp],
        ["apk", "active", want.apk],
      ],
    );
    const data = new TextEncoder().encode("Origin: signers\n");
    const sig = await s.openpgp[0]!.detached(data, { date: h.clock.now() });
    const independent = (await loadOpenPGPSigner(POOL_OPENPGP[2]!)).publicKeyArmored();
    const v = await verifyDetached(data, sig, independent, { date: h.clock.now() });
    assert.equal(v.valid, true, v.reason);
    const rsaSig = await s.apk[0]!.sign(data, "sha256");
    assert.equal(verifyRSA(data, rsaSig, want.apkPem, "sha256"), true);
    assert.equal(s.apk[0]!.keyName, apkKeyName("signers", want.apkPem));
    assert.equal(s.keys[1]!.apkKeyName, s.apk[0]!.keyName);
  });

  test("a flipped byte of a sealed secret is KEY_DECRYPT_FAILED through projectSigners", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    const { project } = await ownerWithProject(h, "flipped");
    for (const purpose of ["openpgp", "apk"]) {
      const { rows } = await h.db.query<{ id: string; secret_sealed: Uint8Array }>(
        "SELECT id::text AS id, secret_sealed FROM signing_keys WHERE project_id = $1 AND purpose = $2",
        [project.id, purpose],
      );
      const original = rows[0]!.secret_sealed;
      const flipped = Uint8Array.from(original);
      flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
      await h.db.query("UPDATE signing_keys SET secret_sealed = $2 WHERE id = $1", [rows[0]!.id, flipped]);
      await assert.rejects(projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now()), (e) => {
        assert.ok(isServerError(e, "KEY_DECRYPT_FAILED"), String(e));
        return true;
      });
      await h.db.query("UPDATE signing_keys SET secret_sealed = $2 WHERE id = $1", [rows[0]!.id, original]);
      const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
      assert.equal(s.keys.length, 2, "restored bytes open again");
    }
    // Another master key does not open them either.
    const other = { version: 1, bytes: new Uint8Array(32).fill(8) };
    await assert.rejects(projectSigners(h.db, other, project.id, h.clock.now()), (e) =>
      isServerError(e, "KEY_DECRYPT_FAILED"),
    );
  });
});

secretsNeverLeak();
