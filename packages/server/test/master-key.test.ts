// The master key: providers (file, environment), sealing secrets with AES-256-GCM, and the check value that
// stops a start with another key. Sealed bytes and check values are verified independently with WebCrypto.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  envKeyProvider,
  fileKeyProvider,
  isServerError,
  keyCheckValue,
  keyProviderFromEnv,
  type MasterKey,
  migrate,
  type SealContext,
  type ServerError,
  seal,
  unseal,
  verifyMasterKey,
} from "../src/index.ts";
import { eachDb } from "./dbs.ts";

const scratch = await mkdtemp(join(tmpdir(), "packyard-master-key-"));
after(() => rm(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(scratch, `d${++n}`);

function code(expected: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(isServerError(e), `expected a ServerError, got ${String(e)}`);
    assert.equal((e as ServerError).code, expected, (e as Error).message);
    return true;
  };
}

const KEY_BYTES = new Uint8Array(randomBytes(32));
const KEY: MasterKey = { version: 1, bytes: KEY_BYTES };
const CONTEXT: SealContext = {
  projectId: 7,
  keyId: "0b8f3c1e-2d4a-4c6b-9e1f-123456789abc",
  purpose: "openpgp-secret",
};

describe("file key provider", () => {
  test("creates 32 random bytes with mode 0600 when asked, then reads the same key back", async () => {
    const dir = fresh();
    await mkdir(dir);
    const path = join(dir, "master.key");
    const created = await fileKeyProvider(path, { create: true }).load();
    const info = await stat(path);
    assert.equal(info.mode & 0o777, 0o600);
    assert.equal(info.size, 32);
    assert.deepStrictEqual(created.bytes, new Uint8Array(await readFile(path)));
    assert.equal(created.version, 1);
    const again = await fileKeyProvider(path).load();
    assert.deepStrictEqual(again.bytes, created.bytes);
    // And a second created key differs (random, not derived).
    const other = await fileKeyProvider(join(dir, "other.key"), { create: true }).load();
    assert.notDeepStrictEqual(other.bytes, created.bytes);
  });

  test("a missing file is MASTER_KEY_MISSING and no file is created", async () => {
    const dir = fresh();
    await mkdir(dir);
    await assert.rejects(fileKeyProvider(join(dir, "master.key")).load(), code("MASTER_KEY_MISSING"));
    assert.deepStrictEqual(await readdir(dir), []);
  });

  test("a file group or others can read (or write) is MASTER_KEY_PERMISSIONS naming the mode", async () => {
    const path = `${fresh()}.key`;
    await writeFile(path, randomBytes(32), { mode: 0o600 });
    for (const mode of [0o640, 0o604, 0o644, 0o620]) {
      await chmod(path, mode);
      await assert.rejects(fileKeyProvider(path).load(), (e: unknown) => {
        code("MASTER_KEY_PERMISSIONS")(e);
        assert.match((e as Error).message, new RegExp(`0${mode.toString(8)}`));
        return true;
      });
    }
    await chmod(path, 0o400);
    assert.equal((await fileKeyProvider(path).load()).bytes.length, 32);
  });

  test("a file of another size is MASTER_KEY_INVALID", async () => {
    for (const size of [0, 31, 33, 64]) {
      const path = `${fresh()}.key`;
      await writeFile(path, randomBytes(size), { mode: 0o600 });
      await assert.rejects(fileKeyProvider(path).load(), code("MASTER_KEY_INVALID"));
    }
  });
});

describe("environment key provider", () => {
  test("hex, base64 and base64url of the same bytes give the same key", async () => {
    const raw = Buffer.from(KEY_BYTES);
    for (const text of [
      raw.toString("hex"),
      raw.toString("hex").toUpperCase(),
      raw.toString("base64"),
      raw.toString("base64url"),
      ` ${raw.toString("hex")}\n`,
    ])
      assert.deepStrictEqual((await envKeyProvider(text).load()).bytes, KEY_BYTES, text);
  });

  test("a value of another length or alphabet is MASTER_KEY_INVALID and is not echoed", async () => {
    const raw = Buffer.from(KEY_BYTES);
    for (const text of [
      raw.toString("hex").slice(2),
      `${raw.toString("hex")}00`,
      Buffer.concat([raw, raw]).toString("base64"),
      "not a key at all, not a key at all, not a key!",
    ])
      await assert.rejects(envKeyProvider(text).load(), (e: unknown) => {
        code("MASTER_KEY_INVALID")(e);
        assert.ok(!(e as Error).message.includes(text.trim()), "the value must stay out of the message");
        return true;
      });
    await assert.rejects(envKeyProvider("  ").load(), code("MASTER_KEY_MISSING"));
  });

  test("keyProviderFromEnv: the variable, else the file variable, else the data folder; both variables refused", async () => {
    const dir = fresh();
    await mkdir(dir);
    const hex = Buffer.from(KEY_BYTES).toString("hex");
    const file = join(dir, "elsewhere.key");
    await writeFile(file, KEY_BYTES, { mode: 0o600 });
    assert.equal(
      keyProviderFromEnv({ PACKYARD_MASTER_KEY: hex }, { dataDir: dir }).source,
      "environment variable PACKYARD_MASTER_KEY",
    );
    assert.deepStrictEqual(
      (await keyProviderFromEnv({ PACKYARD_MASTER_KEY_FILE: file }, { dataDir: dir }).load()).bytes,
      KEY_BYTES,
    );
    assert.throws(
      () => keyProviderFromEnv({ PACKYARD_MASTER_KEY: hex, PACKYARD_MASTER_KEY_FILE: file }),
      code("MASTER_KEY_INVALID"),
    );
    assert.throws(() => keyProviderFromEnv({}), code("MASTER_KEY_MISSING"));
    const inData = keyProviderFromEnv({}, { dataDir: dir });
    assert.equal(inData.source, `file ${join(dir, "master.key")}`);
    await assert.rejects(inData.load(), code("MASTER_KEY_MISSING")); // an existing data folder: never a new key
    await keyProviderFromEnv({}, { dataDir: dir, createInDataDir: true }).load();
    assert.equal((await stat(join(dir, "master.key"))).mode & 0o777, 0o600);
  });
});

describe("seal / unseal", () => {
  test("round trip; every seal draws a new nonce; the ciphertext is the plaintext's length plus a 16-byte tag", () => {
    const secret = new TextEncoder().encode("-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret material\n");
    const a = seal(KEY, secret, CONTEXT);
    const b = seal(KEY, secret, CONTEXT);
    assert.equal(a.ciphertext.length, secret.length + 16);
    assert.equal(a.nonce.length, 12);
    assert.equal(a.masterKeyVersion, 1);
    assert.notDeepStrictEqual(a.nonce, b.nonce);
    assert.notDeepStrictEqual(a.ciphertext, b.ciphertext);
    assert.deepStrictEqual(unseal(KEY, a, CONTEXT), secret);
    // No trace of the plaintext in the sealed bytes.
    assert.ok(!Buffer.from(a.ciphertext).toString("latin1").includes("PRIVATE KEY"));
  });

  test("WebCrypto's AES-GCM opens what seal made with the documented associated data", async () => {
    const secret = randomBytes(100);
    const sealed = seal(KEY, secret, CONTEXT);
    const key = await crypto.subtle.importKey("raw", KEY_BYTES, "AES-GCM", false, ["decrypt"]);
    const aad = new TextEncoder().encode(
      `packyard-seal-v1\n${JSON.stringify(["7", CONTEXT.keyId, CONTEXT.purpose, 1])}`,
    );
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: sealed.nonce as BufferSource, additionalData: aad, tagLength: 128 },
      key,
      sealed.ciphertext as BufferSource,
    );
    assert.deepStrictEqual(new Uint8Array(plain), new Uint8Array(secret));
  });

  test("a flipped byte anywhere (ciphertext, tag, nonce) is KEY_DECRYPT_FAILED", () => {
    const sealed = seal(KEY, randomBytes(64), CONTEXT);
    for (const i of [0, 31, 63, 64, 79]) {
      const ciphertext = Uint8Array.from(sealed.ciphertext);
      ciphertext[i]! ^= 0x01;
      assert.throws(
        () => unseal(KEY, { ...sealed, ciphertext }, CONTEXT),
        code("KEY_DECRYPT_FAILED"),
        `byte ${i}`,
      );
    }
    const nonce = Uint8Array.from(sealed.nonce);
    nonce[11]! ^= 0x80;
    assert.throws(() => unseal(KEY, { ...sealed, nonce }, CONTEXT), code("KEY_DECRYPT_FAILED"));
    assert.throws(
      () => unseal(KEY, { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 10) }, CONTEXT),
      code("KEY_DECRYPT_FAILED"),
    );
  });

  test("another project, key id, purpose, master key or version does not open it", () => {
    const sealed = seal(KEY, randomBytes(32), CONTEXT);
    for (const other of [
      { ...CONTEXT, projectId: 8 },
      { ...CONTEXT, keyId: "0b8f3c1e-2d4a-4c6b-9e1f-123456789abd" },
      { ...CONTEXT, purpose: "openpgp-passphrase" },
    ])
      assert.throws(() => unseal(KEY, sealed, other), code("KEY_DECRYPT_FAILED"), JSON.stringify(other));
    assert.throws(
      () => unseal({ version: 1, bytes: new Uint8Array(randomBytes(32)) }, sealed, CONTEXT),
      code("KEY_DECRYPT_FAILED"),
    );
    assert.throws(
      () => unseal({ version: 2, bytes: KEY_BYTES }, sealed, CONTEXT),
      code("KEY_DECRYPT_FAILED"),
    );
    assert.throws(() => unseal(KEY, { ...sealed, masterKeyVersion: 2 }, CONTEXT), code("KEY_DECRYPT_FAILED"));
  });
});

test("the check value is HMAC-SHA256 of the fixed label (checked with WebCrypto)", async () => {
  const key = await crypto.subtle.importKey("raw", KEY_BYTES, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("packyard master key check v1"));
  assert.deepStrictEqual(keyCheckValue(KEY), new Uint8Array(mac));
});

eachDb((_kind, freshDb) => {
  test("verifyMasterKey: records on first start, verifies the same key, refuses another before writing", async (t) => {
    const f = await freshDb(t);
    if (f === undefined) return;
    await migrate(f.db);
    const now = new Date("2026-12-06T12:00:00Z");
    assert.equal(await verifyMasterKey(f.db, KEY, now), "recorded");
    assert.equal(
      await verifyMasterKey(f.db, { version: 1, bytes: Uint8Array.from(KEY_BYTES) }, now),
      "verified",
    );
    const before = (await f.db.query("SELECT version, check_value, created_at FROM master_keys")).rows;
    assert.deepStrictEqual(before, [{ version: 1, check_value: keyCheckValue(KEY), created_at: now }]);
    await assert.rejects(
      verifyMasterKey(f.db, { version: 1, bytes: new Uint8Array(randomBytes(32)) }, now),
      code("MASTER_KEY_MISMATCH"),
    );
    await assert.rejects(
      verifyMasterKey(f.db, { version: 2, bytes: KEY_BYTES }, now),
      code("MASTER_KEY_MISMATCH"),
    );
    assert.deepStrictEqual(
      (await f.db.query("SELECT version, check_value, created_at FROM master_keys")).rows,
      before,
    );
  });

  test("verifyMasterKey with record: false writes nothing: before migrations, before the first record, and on a mismatch", async (t) => {
    const f = await freshDb(t);
    if (f === undefined) return;
    const now = new Date("2026-12-06T12:00:00Z");
    assert.equal(await verifyMasterKey(f.db, KEY, now, { record: false }), "unrecorded"); // no table yet
    await migrate(f.db);
    assert.equal(await verifyMasterKey(f.db, KEY, now, { record: false }), "unrecorded");
    assert.equal((await f.db.query("SELECT * FROM master_keys")).rowCount, 0);
    assert.equal(await verifyMasterKey(f.db, KEY, now), "recorded");
    assert.equal(await verifyMasterKey(f.db, KEY, now, { record: false }), "verified");
    await assert.rejects(
      verifyMasterKey(f.db, { version: 1, bytes: new Uint8Array(randomBytes(32)) }, now, { record: false }),
      code("MASTER_KEY_MISMATCH"),
    );
  });

  test("verifyMasterKey: servers starting at once on an empty database record one check value", async (t) => {
    const f = await freshDb(t);
    if (f === undefined) return;
    await migrate(f.db);
    const dbs = [f.db, await f.open(), await f.open()];
    const results = await Promise.all(dbs.map((db) => verifyMasterKey(db, KEY, new Date())));
    assert.deepStrictEqual(results.sort(), ["recorded", "verified", "verified"]);
    assert.equal((await f.db.query("SELECT * FROM master_keys")).rowCount, 1);
  });
});
