// Project signing keys (issue 19 item 7) on PGlite and PostgreSQL: generation at project creation through the
// injected KeyGenerator (fixture pool; one test generates for real), storage (sealed secret, binary public key,
// no armor or PEM in the table), projectSigners for publishing, uploads with each refusal, public downloads,
// the audited owner-only backup, rotation over the clock.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { gunzipSync } from "node:zlib";
import { apkKeyName, loadOpenPGPSigner, verifyDetached, verifyRSA } from "@packyard/formats";
import { readTar } from "@packyard/formats/container/tar";
import { rsaKeyFingerprint } from "@packyard/formats/sign";
import { FIXTURE_PASSPHRASE, KEYS_DIR } from "@packyard/testkit/keyrings";
import { isServerError } from "../src/index.ts";
import { type KeyGenerator, realKeyGenerator } from "../src/keys/generate.ts";
import { keyPackets } from "../src/keys/openpgp-packets.ts";
import { projectPublicKeys, projectSigners } from "../src/keys/project-keys.ts";
import {
  bearer,
  errorOf,
  type Harness,
  harness,
  secret,
  secretsNeverLeak,
  TEST_MASTER_KEY,
} from "./app-harness.ts";
import { eachDb } from "./dbs.ts";
import { keyPool, POOL_APK, POOL_OPENPGP } from "./key-pool.ts";

const FIXTURES = new URL("./fixtures/keys/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
/** A key file of the repository's shared fixtures (fixtures/keys, made by gpg and openssl). */
const sharedFixture = (name: string) => readFileSync(`${KEYS_DIR}${name}`, "utf8");

/** Passphrase of the locked fixture keys, recorded as a secret. */
const PASSPHRASE = secret(FIXTURE_PASSPHRASE);
const WRONG_PASSPHRASE = secret("not-the-passphrase-42");

/** Records every base64 line of a secret key as a secret (none may reach a log line or an error body). */
function secretLines(text: string): string {
  for (const line of text.split("\n")) if (/^[A-Za-z0-9+/]{60,}$/.test(line)) secret(line);
  return text;
}
for (const text of [...POOL_OPENPGP, ...POOL_APK]) secretLines(text);

/** The binary packets of an armored block, decoded here by hand (not by the server's code). */
function dearmorByHand(armored: string): Buffer {
  const lines = armored.split("\n");
  const start = lines.findIndex((l) => l.trim() === "") + 1;
  const body = lines.slice(start).filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l.trim()) && !l.startsWith("="));
  return Buffer.from(body.join(""), "base64");
}

async function* oneChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A time after every fixture key was made (the revoked key's revocation is from the fixtures' day). */
const AFTER_FIXTURES = Date.parse("2027-01-04T10:00:00Z");

/** gpg's view of the subkey fixtures (PROVENANCE-subkeys.txt, written by make-subkeys.sh): key lines by key id. */
const GPG_LINES = fixture("PROVENANCE-subkeys.txt");
function gpgKey(keyId: string): { bits: number; expires: number | null; fingerprint: string } {
  const m = new RegExp(`^ {2}(?:pub|sub) (\\d+) ${keyId} \\S+ \\d+ (\\d+|-) ([0-9A-F]{40})$`, "m").exec(
    GPG_LINES,
  );
  assert.ok(m !== null, `no key ${keyId} in PROVENANCE-subkeys.txt`);
  return {
    bits: Number(m[1]),
    expires: m[2] === "-" ? null : Number(m[2]),
    fingerprint: m[3]!.toLowerCase(),
  };
}
/** The key id gpg signs with for fixture `who` at `time` (20270104T100000 or 20270301T000000). */
function gpgSignsWith(who: string, time: string): string {
  const block = GPG_LINES.slice(GPG_LINES.indexOf(`\n${who}\n`));
  const m = new RegExp(`^ {2}signs ${time} ([0-9A-F]{16})$`, "m").exec(block);
  assert.ok(m !== null, `gpg's signing key of ${who} at ${time}`);
  return m[1]!;
}

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

eachDb((kind, fresh) => {
  // Real generation is declared once, in the PGlite block (it takes seconds and touches no database code
  // that differs between the two).
  if (kind === "pglite")
    test("real key generation (RSA-4096 twice: seconds; PGlite run only)", async (t) => {
      const h = await harness(
        t,
        fresh,
        { publicUrl: "https://packages.example.org:8443/base" },
        {
          keyGenerator: realKeyGenerator,
        },
      );
      if (h === undefined) return;
      const { project } = await ownerWithProject(h, "real-keys");
      const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
      assert.deepEqual(
        s.keys.map((k) => [k.purpose, k.algorithm]),
        [
          ["openpgp", "rsa4096"],
          ["apk", "rsa4096"],
        ],
      );
      assert.deepEqual(s.openpgp[0]!.userIds, ["real-keys <real-keys@packages.example.org>"]);
      assert.equal(s.openpgp[0]!.algorithm, "rsa");
      assert.equal(s.apk[0]!.bits, 4096);
      const data = new TextEncoder().encode("real\n");
      const sig = await s.openpgp[0]!.detached(data, { date: h.clock.now() });
      const v = await verifyDetached(data, sig, s.openpgp[0]!.publicKeyArmored(), { date: h.clock.now() });
      assert.equal(v.valid, true);
      assert.equal(s.keys[0]!.fingerprint, s.openpgp[0]!.primaryFingerprint.toLowerCase());
    });

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

  test("uploads refused with their code leave no row and no audit event", async (t) => {
    const h = await harness(t, fresh);
    if (h === undefined) return;
    h.clock.time = AFTER_FIXTURES;
    const { token, project } = await ownerWithProject(h, "refusals");
    const before = await keyRows(h, project.id);
    const locked = secretLines(fixture("reject-locked-rsa.secret.asc"));
    const cases: [string, object, string][] = [
      ["public key only", { purpose: "openpgp", key: fixture("reject-public-only.asc") }, "KEY_PUBLIC_ONLY"],
      [
        "apk public key only",
        { purpose: "apk", key: sharedFixture("openssl-pkcs8.rsa.pub") },
        "KEY_PUBLIC_ONLY",
      ],
      [
        "legacy EdDSA",
        { purpose: "openpgp", key: secretLines(fixture("reject-eddsa.secret.asc")) },
        "KEY_ALGORITHM_UNSUPPORTED",
      ],
      [
        "Ed25519 (algo 27) v4",
        { purpose: "openpgp", key: secretLines(fixture("reject-curve25519-v4.secret.asc")) },
        "KEY_ALGORITHM_UNSUPPORTED",
      ],
      [
        "v6 key",
        { purpose: "openpgp", key: secretLines(fixture("reject-v6.secret.asc")) },
        "KEY_ALGORITHM_UNSUPPORTED",
      ],
      [
        "apk EC key",
        { purpose: "apk", key: secretLines(fixture("reject-apk-ec.pem")) },
        "KEY_ALGORITHM_UNSUPPORTED",
      ],
      [
        "RSA-1024 OpenPGP",
        { purpose: "openpgp", key: secretLines(fixture("reject-weak-rsa1024.secret.asc")) },
        "KEY_TOO_WEAK",
      ],
      [
        "RSA-1024 apk",
        { purpose: "apk", key: secretLines(fixture("reject-apk-rsa1024.rsa")) },
        "KEY_TOO_WEAK",
      ],
      [
        "expired",
        { purpose: "openpgp", key: secretLines(fixture("reject-expired.secret.asc")) },
        "KEY_EXPIRED",
      ],
      [
        "revoked",
        { purpose: "openpgp", key: secretLines(fixture("reject-revoked.secret.asc")) },
        "KEY_EXPIRED",
      ],
      ["locked, no passphrase", { purpose: "openpgp", key: locked }, "KEY_PASSPHRASE_WRONG"],
      [
        "locked, wrong passphrase",
        { purpose: "openpgp", key: locked, passphrase: WRONG_PASSPHRASE },
        "KEY_PASSPHRASE_WRONG",
      ],
      [
        "apk locked, wrong passphrase",
        {
          purpose: "apk",
          key: secretLines(sharedFixture("openssl-pkcs8-locked.rsa")),
          passphrase: WRONG_PASSPHRASE,
        },
        "KEY_PASSPHRASE_WRONG",
      ],
      [
        "apk locked, no passphrase",
        { purpose: "apk", key: sharedFixture("openssl-pkcs1-locked.rsa") },
        "KEY_PASSPHRASE_WRONG",
      ],
      ["not a key", { purpose: "openpgp", key: "hello, world" }, "KEY_INVALID"],
      [
        "base64 of junk",
        { purpose: "openpgp", key: Buffer.from("junk bytes").toString("base64") },
        "KEY_INVALID",
      ],
      ["apk key as openpgp", { purpose: "openpgp", key: POOL_APK[0]! }, "KEY_INVALID"],
      ["openpgp key as apk", { purpose: "apk", key: POOL_OPENPGP[0]! }, "KEY_INVALID"],
    ];
    const failures: string[] = [];
    for (const [name, payload, code] of cases) {
      const r = await h.request({
        method: "POST",
        url: `/api/v1/projects/${project.slug}/keys`,
        headers: bearer(token),
        payload,
      });
      const found = r.statusCode === 422 ? errorOf(r).code : `${r.statusCode} ${r.body.slice(0, 200)}`;
      if (found !== code) failures.push(`${name}: expected ${code}, found ${found}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(await keyRows(h, project.id), before);
    const { rows } = await h.db.query("SELECT action FROM audit_events WHERE action LIKE 'key.%'");
    assert.deepEqual(rows, []);
  });

  test("an uploaded locked key becomes active, the generated one retires over the overlap", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(0) });
    if (h === undefined) return;
    h.clock.time = AFTER_FIXTURES;
    const { token, project } = await ownerWithProject(h, "uploader");
    const generated = await poolIdentity(0);
    const armored = secretLines(fixture("reject-locked-rsa.secret.asc"));
    const expected = (await loadOpenPGPSigner(armored, { passphrase: PASSPHRASE })).primaryFingerprint;
    const r = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys`,
      headers: bearer(token),
      payload: { purpose: "openpgp", key: armored, passphrase: PASSPHRASE, overlapDays: 7 },
    });
    assert.equal(r.statusCode, 201, r.body);
    const info = r.json();
    assert.equal(info.fingerprint, expected.toLowerCase());
    assert.equal(info.state, "active");
    assert.equal(info.algorithm, "rsa3072");
    assert.equal(info.apkKeyName, null);
    // The passphrase is sealed beside the still-locked secret; neither is readable in the table.
    const rows = await keyRows(h, project.id);
    const uploaded = rows.find((row) => row.fingerprint === info.fingerprint)!;
    assert.notEqual(uploaded.passphrase_sealed, null);
    for (const row of rows)
      for (const v of [row.public_key, row.secret_sealed, row.passphrase_sealed ?? new Uint8Array()])
        assert.equal(Buffer.from(v).includes(PASSPHRASE), false);
    const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.deepEqual(
      s.openpgp.map((x) => x.primaryFingerprint),
      [expected, generated.openpgp.toUpperCase()],
      "the uploaded key first, the generated one while retiring",
    );
    assert.deepEqual(
      s.keys.map((k) => [k.purpose, k.state]),
      [
        ["openpgp", "active"],
        ["openpgp", "retiring"],
        ["apk", "active"],
      ],
    );
    assert.equal(s.keys[1]!.overlapUntil?.getTime(), AFTER_FIXTURES + 7 * 86_400_000);
    // The same key again is refused (it is stored), nothing changes.
    const again = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys`,
      headers: bearer(token),
      payload: { purpose: "openpgp", key: armored, passphrase: PASSPHRASE },
    });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(errorOf(again).code, "ALREADY_EXISTS");
    // apk: a locked PKCS#8 PEM with its passphrase, and base64 of a PKCS#1 DER.
    const pkcs8 = secretLines(sharedFixture("openssl-pkcs8-locked.rsa"));
    const apk = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys`,
      headers: bearer(token),
      payload: { purpose: "apk", key: pkcs8, passphrase: PASSPHRASE, overlapDays: 0 },
    });
    assert.equal(apk.statusCode, 201, apk.body);
    const pub = createPublicKey(sharedFixture("openssl-pkcs8-locked.rsa.pub"))
      .export({ type: "spki", format: "pem" })
      .toString();
    assert.equal(apk.json().fingerprint, rsaKeyFingerprint(pub));
    assert.equal(apk.json().apkKeyName, apkKeyName(project.slug, pub));
    const der = createPrivateKey(sharedFixture("openssl-pkcs1.rsa")).export({ type: "pkcs1", format: "der" });
    const b64 = secret(der.toString("base64"));
    const apk2 = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys`,
      headers: bearer(token),
      payload: { purpose: "apk", key: b64 },
    });
    assert.equal(apk2.statusCode, 201, apk2.body);
    // OpenPGP as base64 of binary packets (the shared plain RSA-3072 fixture, dearmored by hand).
    const plain = secretLines(sharedFixture("gpg-plain.secret.asc"));
    const binary = secret(dearmorByHand(plain).toString("base64"));
    const pgp2 = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys`,
      headers: bearer(token),
      payload: { purpose: "openpgp", key: binary },
    });
    assert.equal(pgp2.statusCode, 201, pgp2.body);
    assert.equal(pgp2.json().fingerprint, (await loadOpenPGPSigner(plain)).primaryFingerprint.toLowerCase());
    const list = (
      await h.request({ method: "GET", url: `/api/v1/projects/${project.slug}/keys`, headers: bearer(token) })
    ).json() as { purpose: string; state: string; fingerprint: string }[];
    assert.deepEqual(
      list.map((k) => [k.purpose, k.state]),
      [
        ["openpgp", "active"],
        ["openpgp", "retiring"],
        ["openpgp", "retired"],
        ["apk", "active"],
        ["apk", "retiring"],
        ["apk", "retired"],
      ],
    );
    const { rows: audits } = await h.db.query<{ action: string }>(
      "SELECT action FROM audit_events WHERE action LIKE 'key.%' ORDER BY id",
    );
    assert.deepEqual(
      audits.map((a) => a.action),
      ["key.upload", "key.upload", "key.upload", "key.upload"],
    );
    assert.equal(await assertNoArmorInTable(h), 6);
  });

  test("rotation: both keys sign during the overlap, only the new one after it", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(0) });
    if (h === undefined) return;
    const { token, project } = await ownerWithProject(h, "rotating");
    const [first, second] = [await poolIdentity(0), await poolIdentity(1)];
    const start = h.clock.time;
    const r = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys/rotate`,
      headers: bearer(token),
      // No body: both purposes, default overlap.
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(
      (r.json() as { purpose: string; fingerprint: string; state: string }[]).map((k) => [
        k.purpose,
        k.fingerprint,
        k.state,
      ]),
      [
        ["openpgp", second.openpgp, "active"],
        ["apk", second.apk, "active"],
      ],
    );
    const during = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.deepEqual(
      during.keys.map((k) => [k.purpose, k.fingerprint, k.state]),
      [
        ["openpgp", second.openpgp, "active"],
        ["openpgp", first.openpgp, "retiring"],
        ["apk", second.apk, "active"],
        ["apk", first.apk, "retiring"],
      ],
    );
    assert.equal(during.openpgp.length, 2);
    assert.equal(during.apk.length, 2);
    assert.equal(during.keys[1]!.overlapUntil?.getTime(), start + 14 * 86_400_000);
    h.clock.advance(14 * 86_400_000 - 1000);
    assert.equal((await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now())).openpgp.length, 2);
    h.clock.advance(1000);
    const after = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.deepEqual(
      after.keys.map((k) => [k.purpose, k.fingerprint]),
      [
        ["openpgp", second.openpgp],
        ["apk", second.apk],
      ],
    );
    const list = (
      await h.request({ method: "GET", url: `/api/v1/projects/${project.slug}/keys`, headers: bearer(token) })
    ).json() as { fingerprint: string; state: string; retiredAt: string | null }[];
    const old = list.find((k) => k.fingerprint === first.openpgp)!;
    assert.equal(old.state, "retired");
    assert.equal(old.retiredAt, new Date(start + 14 * 86_400_000).toISOString());
    // The retired key stays sealed in the table.
    const { rows } = await h.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM signing_keys WHERE project_id = $1 AND octet_length(secret_sealed) > 16",
      [project.id],
    );
    assert.equal(rows[0]!.n, 4);
    // Rotating one purpose with no overlap retires its active key at once; the other purpose is untouched.
    const now = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys/rotate`,
      headers: bearer(token),
      payload: { purpose: "apk", overlapDays: 0 },
    });
    assert.equal(now.statusCode, 200, now.body);
    const third = await poolIdentity(2);
    const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.deepEqual(
      s.keys.map((k) => [k.purpose, k.fingerprint]),
      [
        ["openpgp", second.openpgp],
        ["apk", third.apk],
      ],
    );
    // Two rotations within one overlap: only the latest previous key keeps signing (at most two signers,
    // what signRelease accepts); the one before is retired at once.
    for (let i = 0; i < 2; i++) {
      const again = await h.request({
        method: "POST",
        url: `/api/v1/projects/${project.slug}/keys/rotate`,
        headers: bearer(token),
        payload: { purpose: "openpgp" },
      });
      assert.equal(again.statusCode, 200, again.body);
    }
    const twice = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.deepEqual(
      twice.keys.filter((k) => k.purpose === "openpgp").map((k) => [k.fingerprint, k.state]),
      [
        [(await poolIdentity(3)).openpgp, "active"],
        [third.openpgp, "retiring"],
      ],
    );
    const states = (
      await h.request({ method: "GET", url: `/api/v1/projects/${project.slug}/keys`, headers: bearer(token) })
    ).json() as { purpose: string; fingerprint: string; state: string }[];
    assert.equal(states.find((k) => k.fingerprint === second.openpgp)?.state, "retired");
    // A key without its purpose is refused.
    const bad = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys/rotate`,
      headers: bearer(token),
      payload: { key: POOL_OPENPGP[3]! },
    });
    assert.equal(bad.statusCode, 400, bad.body);
    const { rows: audits } = await h.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE action = 'key.rotate'",
    );
    assert.equal(audits[0]!.n, 5);
  });

  test("concurrent rotations take turns: one active key, one retiring, the first retired", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(0) });
    if (h === undefined) return;
    const { token, project } = await ownerWithProject(h, "racing");
    const rotate = () =>
      h.request({
        method: "POST",
        url: `/api/v1/projects/${project.slug}/keys/rotate`,
        headers: bearer(token),
        payload: { purpose: "openpgp" },
      });
    const answers = await Promise.all([rotate(), rotate()]);
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [200, 200],
      answers.map((r) => r.body).join("\n"),
    );
    const { rows } = await h.db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM signing_keys WHERE project_id = $1 AND purpose = 'openpgp'
        GROUP BY state ORDER BY state`,
      [project.id],
    );
    assert.deepEqual(rows, [
      { state: "active", n: 1 },
      { state: "retired", n: 1 },
      { state: "retiring", n: 1 },
    ]);
  });

  test("public key downloads parse back; unknown project, key or suffix is 404", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(3) });
    if (h === undefined) return;
    const { token, project } = await ownerWithProject(h, "downloads");
    const want = await poolIdentity(3);
    const list = (
      await h.request({ method: "GET", url: `/api/v1/projects/${project.slug}/keys`, headers: bearer(token) })
    ).json() as { id: string; purpose: string; fingerprint: string }[];
    const pgp = list.find((k) => k.purpose === "openpgp")!;
    const apk = list.find((k) => k.purpose === "apk")!;
    const s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    const data = new TextEncoder().encode("Suite: stable\n");
    const sig = await s.openpgp[0]!.detached(data, { date: h.clock.now() });
    const base = `/api/v1/projects/${project.slug}/keys`;
    // Anonymous: public keys are public.
    const asc = await h.request({ method: "GET", url: `${base}/${pgp.id}.asc` });
    assert.equal(asc.statusCode, 200, asc.body);
    assert.match(asc.headers["content-type"] as string, /^application\/pgp-keys/);
    assert.match(asc.body, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n/);
    assert.doesNotMatch(asc.body, /PRIVATE/);
    const gpg = await h.request({ method: "GET", url: `${base}/${pgp.id}.gpg` });
    assert.equal(gpg.statusCode, 200);
    for (const key of [asc.body, new Uint8Array(gpg.rawPayload)]) {
      const v = await verifyDetached(data, sig, key, { date: h.clock.now() });
      assert.equal(v.valid, true, v.reason);
      assert.equal(v.fingerprint?.toLowerCase(), want.openpgp);
    }
    assert.equal(pgp.fingerprint, want.openpgp);
    const rsa = await h.request({ method: "GET", url: `${base}/${apk.id}.rsa.pub` });
    assert.equal(rsa.statusCode, 200);
    assert.equal(rsa.body, want.apkPem);
    // What install text uses: the same public keys, with the apk key name.
    const pub = await projectPublicKeys(h.db, project.id, h.clock.now());
    assert.deepEqual(
      pub.openpgp.map((k) => [k.key.fingerprint, k.text]),
      [[want.openpgp, asc.body]],
    );
    assert.deepEqual(
      pub.apk.map((k) => [k.key.apkKeyName, k.text]),
      [[apkKeyName(project.slug, want.apkPem), want.apkPem]],
    );
    const notFound = [
      `${base}/${apk.id}.asc`,
      `${base}/${pgp.id}.rsa.pub`,
      `${base}/${pgp.id}.txt`,
      `${base}/00000000-0000-4000-8000-000000000000.asc`,
      `${base}/not-a-uuid.asc`,
      `/api/v1/projects/nowhere/keys/${pgp.id}.asc`,
    ];
    for (const url of notFound) {
      const r = await h.request({ method: "GET", url });
      assert.equal(r.statusCode, 404, `${url}: ${r.body}`);
      assert.equal(errorOf(r).code, "NOT_FOUND");
    }
  });

  test("the key backup: owner with the keys scope, audited; maintainer and owner without the scope get 403", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(1) });
    if (h === undefined) return;
    const { token, project } = await ownerWithProject(h, "backed-up");
    const maintainer = await h.user("maint");
    await h.db.query(
      "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'maintainer', $3)",
      [project.id, maintainer, h.clock.now()],
    );
    const ownerId = (await h.db.query<{ id: number }>("SELECT id FROM users WHERE slug = 'owner'")).rows[0]!
      .id;
    const url = `/api/v1/projects/${project.slug}/keys/backup`;
    const refused = [
      (await h.token(maintainer, ["read", "write", "publish", "keys"])).token,
      (await h.token(ownerId, ["read", "write", "publish"])).token,
    ];
    for (const other of refused) {
      const r = await h.request({ method: "GET", url, headers: bearer(other) });
      assert.equal(r.statusCode, 403, r.body);
    }
    const anonymous = await h.request({ method: "GET", url });
    assert.equal(anonymous.statusCode, 401);
    const { rows: none } = await h.db.query("SELECT 1 FROM audit_events WHERE action = 'key.backup'");
    assert.equal(none.length, 0);

    const r = await h.request({ method: "GET", url, headers: bearer(token) });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers["content-type"], "application/gzip");
    const files = new Map<string, { mode: number; text: string }>();
    for await (const e of readTar(oneChunk(gunzipSync(r.rawPayload))))
      if (e.header.type === "file")
        files.set(e.header.name, {
          mode: e.header.mode,
          text: Buffer.from(await e.bytes()).toString("utf8"),
        });
    const want = await poolIdentity(1);
    const apkName = apkKeyName(project.slug, want.apkPem);
    assert.deepEqual(
      [...files.keys()].sort(),
      [
        `backed-up-keys/apk/${apkName}`,
        `backed-up-keys/apk/${apkName.replace(/\.pub$/, "")}`,
        `backed-up-keys/keys.json`,
        `backed-up-keys/openpgp/${want.openpgp}.asc`,
        `backed-up-keys/openpgp/${want.openpgp}.secret.asc`,
      ].sort(),
    );
    const secretAsc = files.get(`backed-up-keys/openpgp/${want.openpgp}.secret.asc`)!;
    assert.equal(secretAsc.mode, 0o600);
    assert.equal(
      (await loadOpenPGPSigner(secretAsc.text)).primaryFingerprint.toLowerCase(),
      want.openpgp,
      "the backed-up secret is the project's key",
    );
    const apkSecret = files.get(`backed-up-keys/apk/${apkName.replace(/\.pub$/, "")}`)!;
    assert.equal(apkSecret.mode, 0o600);
    assert.equal(
      createPublicKey(apkSecret.text).export({ type: "spki", format: "pem" }).toString(),
      want.apkPem,
    );
    assert.equal(files.get(`backed-up-keys/apk/${apkName}`)!.text, want.apkPem);
    const { rows } = await h.db.query<{ actor_user_id: number; details: { keys: number } }>(
      "SELECT actor_user_id, details FROM audit_events WHERE action = 'key.backup'",
    );
    assert.deepEqual(rows, [{ actor_user_id: ownerId, details: { keys: 2 } }]);
  });
  test("a passphrase sent with an unprotected key is not stored; the backup's `locked` is read from the key", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(0) });
    if (h === undefined) return;
    h.clock.time = AFTER_FIXTURES;
    const { token, project } = await ownerWithProject(h, "lockless");
    const upload = (payload: object) =>
      h.request({
        method: "POST",
        url: `/api/v1/projects/${project.slug}/keys`,
        headers: bearer(token),
        payload,
      });
    const unneeded = secret("an unneeded passphrase 9c1d");
    const plain = await upload({
      purpose: "openpgp",
      key: POOL_OPENPGP[2]!,
      passphrase: unneeded,
      overlapDays: 0,
    });
    assert.equal(plain.statusCode, 201, plain.body);
    const locked = secretLines(fixture("reject-locked-rsa.secret.asc"));
    const lockedUp = await upload({
      purpose: "openpgp",
      key: locked,
      passphrase: PASSPHRASE,
      overlapDays: 0,
    });
    assert.equal(lockedUp.statusCode, 201, lockedUp.body);
    const rows = await keyRows(h, project.id);
    const row = (fpr: string) => rows.find((r) => r.fingerprint === fpr)!;
    assert.equal(
      row(plain.json().fingerprint).passphrase_sealed,
      null,
      "no passphrase stored for a clear key",
    );
    assert.notEqual(row(lockedUp.json().fingerprint).passphrase_sealed, null);
    // Both sign (the clear key was loaded without the passphrase it does not need).
    h.clock.advance(1000);
    const r = await h.request({
      method: "GET",
      url: `/api/v1/projects/${project.slug}/keys/backup`,
      headers: bearer(token),
    });
    assert.equal(r.statusCode, 200, r.body);
    const files = new Map<string, string>();
    for await (const e of readTar(oneChunk(gunzipSync(r.rawPayload))))
      if (e.header.type === "file") files.set(e.header.name, Buffer.from(await e.bytes()).toString("utf8"));
    const manifest = JSON.parse(files.get("lockless-keys/keys.json")!) as {
      fingerprint: string;
      purpose: string;
      locked: boolean;
    }[];
    const generated = (await poolIdentity(0)).openpgp;
    const lockedness = Object.fromEntries(
      manifest.filter((k) => k.purpose === "openpgp").map((k) => [k.fingerprint, k.locked]),
    );
    assert.deepEqual(lockedness, {
      [plain.json().fingerprint]: false,
      [lockedUp.json().fingerprint]: true,
      [generated]: false,
    });
    // What keys.json says holds for the files: openpgp.js opens the clear ones without a passphrase only.
    for (const [fpr, isLocked] of Object.entries(lockedness)) {
      const text = files.get(`lockless-keys/openpgp/${fpr}.secret.asc`)!;
      secretLines(text);
      if (isLocked)
        await assert.rejects(loadOpenPGPSigner(text), (e) => (e as { code?: string }).code === "KEY_LOCKED");
      else assert.equal((await loadOpenPGPSigner(text)).primaryFingerprint.toLowerCase(), fpr);
    }
  });

  test("the signing (sub)key: as gpg chooses at upload (the primary past an expired subkey, else the valid subkey), kept for later publishes", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(1) });
    if (h === undefined) return;
    h.clock.time = AFTER_FIXTURES;
    const { token, project } = await ownerWithProject(h, "subkeys");
    const base = `/api/v1/projects/${project.slug}/keys`;
    const upload = (key: string) =>
      h.request({
        method: "POST",
        url: base,
        headers: bearer(token),
        payload: { purpose: "openpgp", key: secretLines(key), overlapDays: 0 },
      });
    const data = new TextEncoder().encode("Origin: subkeys\n");

    // A primary that signs, with a newer signing subkey that has expired: the primary signs.
    const primarySigns = await upload(fixture("subkey-expired.secret.asc"));
    assert.equal(primarySigns.statusCode, 201, primarySigns.body);
    const primaryId = gpgSignsWith("primary-signs", "20270104T100000");
    const primary = gpgKey(primaryId);
    assert.equal(primarySigns.json().signingFingerprint, primary.fingerprint);
    assert.equal(primarySigns.json().fingerprint, primary.fingerprint);
    assert.equal(primarySigns.json().algorithm, `rsa${primary.bits}`);
    assert.equal(primarySigns.json().expiresAt, null);
    let s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    const gpgDownload = await h.request({ method: "GET", url: `${base}/${primarySigns.json().id}.gpg` });
    assert.equal(gpgDownload.statusCode, 200);
    const published = new Uint8Array(gpgDownload.rawPayload);
    const sig = await s.openpgp[0]!.detached(data, { date: h.clock.now() });
    let v = await verifyDetached(data, sig, published, { date: h.clock.now() });
    assert.equal(v.valid, true, v.reason);
    assert.equal(v.keyId, primaryId);
    // The signer hands out the whole certificate (the expired subkey too), as the keys API does.
    assert.deepEqual(s.openpgp[0]!.publicKeyBinary(), published);
    assert.equal(keyPackets(published).length, 2);

    // A certify-only primary with three signing subkeys: the one valid now signs (gpg's choice).
    const subkeySigns = await upload(fixture("signing-subkeys.secret.asc"));
    assert.equal(subkeySigns.statusCode, 201, subkeySigns.body);
    const subId = gpgSignsWith("signing-subkeys", "20270104T100000");
    const sub = gpgKey(subId);
    const certifier = gpgKey(/^signing-subkeys\n {2}pub \d+ ([0-9A-F]{16})/m.exec(GPG_LINES)![1]!);
    const info = subkeySigns.json();
    assert.equal(info.signingFingerprint, sub.fingerprint);
    assert.equal(info.fingerprint, certifier.fingerprint);
    assert.equal(info.algorithm, `rsa${sub.bits}`, "the signing subkey's size, not the primary's");
    assert.notEqual(sub.bits, certifier.bits);
    assert.equal(info.expiresAt, new Date(Math.min(sub.expires!, certifier.expires!) * 1000).toISOString());
    const listed = (await h.request({ method: "GET", url: base, headers: bearer(token) })).json() as {
      id: string;
      signingFingerprint: string | null;
      expiresAt: string | null;
    }[];
    assert.deepEqual(
      listed.find((k) => k.id === info.id),
      { ...info, state: "active" },
    );
    // Weeks later a newer signing subkey exists and gpg would sign with it; publishes keep the chosen one.
    h.clock.time = Date.parse("2027-03-01T00:00:00Z");
    assert.notEqual(gpgSignsWith("signing-subkeys", "20270301T000000"), subId);
    s = await projectSigners(h.db, TEST_MASTER_KEY, project.id, h.clock.now());
    assert.equal(s.openpgp.length, 1);
    assert.equal(s.openpgp[0]!.fingerprint.toLowerCase(), sub.fingerprint);
    const later = await s.openpgp[0]!.detached(data, { date: h.clock.now() });
    v = await verifyDetached(data, later, secretLines(fixture("signing-subkeys.secret.asc")), {
      date: h.clock.now(),
    });
    assert.equal(v.valid, true, v.reason);
    assert.equal(v.keyId, subId);
  });

  test("expiry: refused when it comes within 30 days or the overlap; an expired retiring key stops signing, an expired active one is KEY_EXPIRED", async (t) => {
    const h = await harness(t, fresh, {}, { keyGenerator: keyPool(2) });
    if (h === undefined) return;
    h.clock.time = AFTER_FIXTURES;
    const { token, project } = await ownerWithProject(h, "expiry");
    const key = secretLines(fixture("expiring.secret.asc"));
    const expires = gpgKey(gpgSignsWith("expiring", "20270104T100000")).expires! * 1000;
    const upload = (slug: string, overlapDays: number) =>
      h.request({
        method: "POST",
        url: `/api/v1/projects/${slug}/keys`,
        headers: bearer(token),
        payload: { purpose: "openpgp", key, overlapDays },
      });
    const left = Math.floor((expires - h.clock.time) / 86_400_000);
    assert.ok(left > 30 && left < 60, `the fixture has ${left} days left`);
    const tooLong = await upload(project.slug, left + 1);
    assert.equal(tooLong.statusCode, 422, tooLong.body);
    assert.equal(errorOf(tooLong).code, "KEY_EXPIRED");
    assert.match(errorOf(tooLong).message, new RegExp(`expires at ${new Date(expires).toISOString()}`));
    const ok = await upload(project.slug, 0);
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().expiresAt, new Date(expires).toISOString());
    // Rotated away with an overlap that outlasts it: it signs until it expires, then only the new key does.
    const rotated = await h.request({
      method: "POST",
      url: `/api/v1/projects/${project.slug}/keys/rotate`,
      headers: bearer(token),
      payload: { purpose: "openpgp", overlapDays: 60 },
    });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const before = await projectSigners(h.db, TEST_MASTER_KEY, project.id, new Date(expires - 1000));
    assert.equal(before.openpgp.length, 2);
    const after = await projectSigners(h.db, TEST_MASTER_KEY, project.id, new Date(expires));
    assert.deepEqual(
      after.keys.filter((k) => k.purpose === "openpgp").map((k) => k.fingerprint),
      [rotated.json()[0].fingerprint],
    );
    assert.equal(after.openpgp.length, 1);
    const pub = await projectPublicKeys(h.db, project.id, new Date(expires));
    assert.equal(pub.openpgp.length, 1);
    // Another project whose active key expires: publishing is refused with a clear KEY_EXPIRED.
    const other = await h.request({
      method: "POST",
      url: "/api/v1/projects",
      headers: bearer(token),
      payload: { slug: "expiry-two" },
    });
    assert.equal(other.statusCode, 201, other.body);
    assert.equal((await upload("expiry-two", 0)).statusCode, 201);
    await assert.rejects(
      projectSigners(h.db, TEST_MASTER_KEY, other.json().id, new Date(expires)),
      (e) => isServerError(e, "KEY_EXPIRED") && /expired at .*rotate/.test((e as Error).message),
    );
  });

  test("POST /projects: a taken name is 409 before any key is generated; a simultaneous creation is 409 too", async (t) => {
    const pool = keyPool(3);
    const calls = { openpgp: 0, apk: 0 };
    // From the second OpenPGP generation on, each waits (up to 5 s) until two are under way: the racing
    // creations below then both pass the name check before either inserts.
    let bothStarted: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothStarted = resolve;
      setTimeout(resolve, 5000).unref();
    });
    const counting: KeyGenerator = {
      openpgp: async (user, date) => {
        calls.openpgp++;
        if (calls.openpgp === 3) bothStarted();
        if (calls.openpgp > 1) await barrier;
        return pool.openpgp(user, date);
      },
      apk: () => {
        calls.apk++;
        return pool.apk();
      },
    };
    const h = await harness(t, fresh, {}, { keyGenerator: counting });
    if (h === undefined) return;
    const { token } = await ownerWithProject(h, "taken");
    assert.deepEqual(calls, { openpgp: 1, apk: 1 });
    const other = await h.user("other");
    const { token: otherToken } = await h.token(other, ["read", "write"]);
    for (const tok of [token, otherToken]) {
      const r = await h.request({
        method: "POST",
        url: "/api/v1/projects",
        headers: bearer(tok),
        payload: { slug: "taken" },
      });
      assert.equal(r.statusCode, 409, r.body);
      assert.equal(errorOf(r).code, "ALREADY_EXISTS");
      assert.deepEqual(errorOf(r).details, { field: "slug" });
    }
    assert.deepEqual(calls, { openpgp: 1, apk: 1 }, "no key was generated for a taken name");
    const racing = await Promise.all(
      [token, otherToken].map((tok) =>
        h.request({
          method: "POST",
          url: "/api/v1/projects",
          headers: bearer(tok),
          payload: { slug: "racy" },
        }),
      ),
    );
    assert.deepEqual(
      racing.map((r) => r.statusCode).sort(),
      [201, 409],
      racing.map((r) => r.body).join("\n"),
    );
    assert.equal(errorOf(racing.find((r) => r.statusCode === 409)!).code, "ALREADY_EXISTS");
    assert.deepEqual(calls, { openpgp: 3, apk: 3 }, "both racing creations passed the name check");
    const { rows } = await h.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM signing_keys k JOIN projects p ON p.id = k.project_id WHERE p.slug = 'racy'",
    );
    assert.equal(rows[0]!.n, 2);
  });
});

secretsNeverLeak();
