// Project signing keys without a database: the OpenPGP packet reader (RSA size counted from the modulus,
// fingerprints of every v4 key, how a secret packet is protected, the expiry its signatures declare, a key
// without its subkeys), checkKey's choice of signing (sub)key and its expiry rules, compared with what gpg
// itself reported for the fixture keys (fixtures/keys/PROVENANCE-subkeys.txt, written by make-subkeys.sh),
// and the process-wide bound on concurrent key generations.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadOpenPGPSigner } from "@packyard/formats";
import { FIXTURE_PASSPHRASE, KEYS_DIR } from "@packyard/testkit/keyrings";
import { isServerError, type ServerError } from "../src/index.ts";
import { type KeyGenerator, pkcs8Der } from "../src/keys/generate.ts";
import { MAX_KEY_GENERATIONS, newProjectKeys } from "../src/keys/new-keys.ts";
import { dearmor, keyPackets, signingKeyExpiry, TAG, withoutSubkeys } from "../src/keys/openpgp-packets.ts";
import { type CheckKeyInput, checkKey, MIN_VALID_DAYS } from "../src/keys/project-keys.ts";
import { POOL_APK, POOL_OPENPGP } from "./key-pool.ts";

const FIXTURES = new URL("./fixtures/keys/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const sharedFixture = (name: string) => readFileSync(`${KEYS_DIR}${name}`, "utf8");

/** The tests' upload clock: after every fixture key was made, before signing-subkeys' third subkey. */
const UPLOAD = new Date("2027-01-04T10:00:00Z");
const DAY = 86_400_000;

/** One key packet as gpg listed it. */
interface GpgKey {
  type: "pub" | "sub";
  bits: number;
  keyId: string;
  usage: string;
  created: number;
  expires: number | null;
  fingerprint: string;
}

/** PROVENANCE-subkeys.txt read back: per fixture (by e-mail local part) gpg's keys and which key it signs with. */
function gpgReport(): Map<string, { keys: GpgKey[]; signs: Map<string, string> }> {
  const out = new Map<string, { keys: GpgKey[]; signs: Map<string, string> }>();
  let current: { keys: GpgKey[]; signs: Map<string, string> } | undefined;
  for (const line of fixture("PROVENANCE-subkeys.txt").split("\n")) {
    const name = /^([a-z-]+)$/.exec(line)?.[1];
    if (name !== undefined) {
      current = { keys: [], signs: new Map() };
      out.set(name, current);
      continue;
    }
    const key = /^ {2}(pub|sub) (\d+) ([0-9A-F]{16}) (\S+) (\d+) (\d+|-) ([0-9A-F]{40})$/.exec(line);
    if (key !== null)
      current!.keys.push({
        type: key[1] as "pub" | "sub",
        bits: Number(key[2]),
        keyId: key[3]!,
        usage: key[4]!,
        created: Number(key[5]),
        expires: key[6] === "-" ? null : Number(key[6]),
        fingerprint: key[7]!.toLowerCase(),
      });
    const signs = /^ {2}signs (\d{8}T\d{6}) ([0-9A-F]{16})$/.exec(line);
    if (signs !== null) current!.signs.set(signs[1]!, signs[2]!);
  }
  return out;
}
const GPG = gpgReport();
const gpgKeys = (who: string) => GPG.get(who)!.keys;
/** The fingerprint of the key gpg signs with at `time` (20270104T100000…). */
function gpgSigns(who: string, time: string): GpgKey {
  const id = GPG.get(who)!.signs.get(time)!;
  return gpgKeys(who).find((k) => k.keyId === id)!;
}

/** The binary packets of an armored block, decoded here by hand (not by the server's code). */
function dearmorByHand(armored: string): Buffer {
  const lines = armored.split("\n");
  const start = lines.findIndex((l) => l.trim() === "") + 1;
  const body = lines.slice(start).filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l.trim()) && !l.startsWith("="));
  return Buffer.from(body.join(""), "base64");
}

/** Packets split by hand (old and new headers, no partial lengths): tag and body. */
function packetsByHand(bytes: Buffer): { tag: number; body: Buffer }[] {
  const out: { tag: number; body: Buffer }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const b = bytes[at]!;
    let tag: number;
    let len: number;
    let head: number;
    if ((b & 0x40) !== 0) {
      tag = b & 0x3f;
      const o1 = bytes[at + 1]!;
      if (o1 < 192) [len, head] = [o1, 2];
      else if (o1 < 224) [len, head] = [((o1 - 192) << 8) + bytes[at + 2]! + 192, 3];
      else [len, head] = [bytes.readUInt32BE(at + 2), 6];
    } else {
      tag = (b >> 2) & 0x0f;
      const size = 1 << (b & 3);
      len =
        size === 1 ? bytes[at + 1]! : size === 2 ? bytes.readUInt16BE(at + 1) : bytes.readUInt32BE(at + 1);
      head = 1 + size;
    }
    out.push({ tag, body: bytes.subarray(at + head, at + head + len) });
    at += head + len;
  }
  return out;
}

/** A packet with a new-format header of 5-octet length. */
function packet(tag: number, body: Uint8Array): Buffer {
  const head = Buffer.alloc(6);
  head[0] = 0xc0 | tag;
  head[1] = 0xff;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** Rejects with ServerError `code` whose message matches `message`. */
function refused(code: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isServerError(e, code as ServerError["code"]), `expected ${code}, found ${String(e)}`);
    if (message !== undefined) assert.match((e as Error).message, message);
    return true;
  };
}

const openpgp = (key: string, extra: Partial<CheckKeyInput> = {}): CheckKeyInput => ({
  purpose: "openpgp",
  key,
  project: "units",
  now: UPLOAD,
  ...extra,
});

test("an RSA modulus padded with zero octets counts its real bits (a 1024-bit key declared as 4096)", async () => {
  const weak = dearmorByHand(fixture("reject-weak-rsa1024.secret.asc"));
  const parts = packetsByHand(weak);
  const primary = parts[0]!;
  assert.equal(primary.tag, TAG.secretKey);
  // v4: version, 4 octets of time, algorithm, then the MPI n: its 2-octet bit count and the value.
  const declared = primary.body.readUInt16BE(6);
  assert.equal(declared, 1024, "gpg made it rsa1024 (make-rejects.sh)");
  const n = primary.body.subarray(8, 8 + 128);
  const padded = Buffer.concat([
    primary.body.subarray(0, 6),
    Buffer.from([0x10, 0x00]), // 4096 bits declared
    Buffer.alloc(512 - 128), // leading zero octets
    n,
    primary.body.subarray(8 + 128),
  ]);
  const crafted = Buffer.concat([
    packet(TAG.secretKey, padded),
    ...parts.slice(1).map((p) => packet(p.tag, p.body)),
  ]);
  const read = keyPackets(crafted);
  assert.equal(read[0]!.bits, 1024);
  assert.equal(keyPackets(weak)[0]!.bits, 1024);
  assert.equal(keyPackets(dearmor(POOL_OPENPGP[0]!).bytes)[0]!.bits, 4096);
  await assert.rejects(
    checkKey(openpgp(crafted.toString("base64"))),
    refused("KEY_TOO_WEAK", /at least 2048 bits, found 1024/),
  );
});

test("every v4 key packet's fingerprint is gpg's, EdDSA and subkeys included", () => {
  const subkeys = keyPackets(dearmor(fixture("signing-subkeys.secret.asc")).bytes);
  assert.deepEqual(
    subkeys.map((k) => [k.tag, k.fingerprint, k.bits]),
    gpgKeys("signing-subkeys").map((g) => [
      g.type === "pub" ? TAG.secretKey : TAG.secretSubkey,
      g.fingerprint,
      g.bits,
    ]),
  );
  // The shared fixture: an Ed25519 (legacy EdDSA, algo 22) primary and an RSA-3072 subkey; gpg-subkey.ids
  // holds gpg's fingerprints.
  const ids = sharedFixture("gpg-subkey.ids")
    .trim()
    .split("\n")
    .map((l) => l.split(" ")[2]!.toLowerCase());
  const stub = keyPackets(dearmor(sharedFixture("gpg-subkey-stub.secret.asc")).bytes);
  assert.deepEqual(
    stub.map((k) => [k.algorithmName, k.fingerprint]),
    [
      ["eddsa", ids[0]],
      ["rsa", ids[1]],
    ],
  );
});

test("secret packets: in the clear, passphrase-protected, or a GNU dummy stub (read from the S2K usage octet)", () => {
  const protection = (text: string) => keyPackets(dearmor(text).bytes).map((k) => k.protection);
  assert.deepEqual(protection(POOL_OPENPGP[0]!), ["none", "none"]);
  assert.deepEqual(protection(fixture("reject-locked-rsa.secret.asc")), ["passphrase"]);
  // gpg --export-secret-subkeys: the primary's secret is left out (stub), the subkey's is locked.
  assert.deepEqual(protection(sharedFixture("gpg-subkey-stub.secret.asc")), ["stub", "passphrase"]);
  assert.deepEqual(protection(fixture("reject-public-only.asc")), [undefined]);
});

test("signingKeyExpiry: the dates gpg lists, a subkey bounded by its primary", () => {
  for (const who of ["primary-signs", "signing-subkeys", "expiring"]) {
    const bytes = dearmor(fixture(`${who === "primary-signs" ? "subkey-expired" : who}.secret.asc`)).bytes;
    const keys = gpgKeys(who);
    const primary = keys[0]!;
    for (const k of keys) {
      const own = k.expires ?? Number.POSITIVE_INFINITY;
      const bound = k.type === "sub" ? Math.min(own, primary.expires ?? Number.POSITIVE_INFINITY) : own;
      const want = bound === Number.POSITIVE_INFINITY ? null : new Date(bound * 1000);
      assert.deepEqual(signingKeyExpiry(bytes, k.fingerprint), want, `${who} ${k.keyId}`);
    }
    assert.equal(signingKeyExpiry(bytes, "0".repeat(40)), undefined);
  }
});

test("withoutSubkeys keeps the primary, its user IDs and self-signatures only", async () => {
  const text = fixture("signing-subkeys.secret.asc");
  const cut = withoutSubkeys(dearmor(text).bytes);
  assert.deepEqual(
    keyPackets(cut).map((k) => k.fingerprint),
    [gpgKeys("signing-subkeys")[0]!.fingerprint],
  );
  assert.deepEqual(
    packetsByHand(Buffer.from(cut)).map((p) => p.tag),
    [TAG.secretKey, TAG.userId, TAG.signature],
  );
  // openpgp.js reads the cut key as the same certificate (it cannot sign: its primary certifies only).
  await assert.rejects(loadOpenPGPSigner(cut), (e) => (e as { code?: string }).code === "NO_SIGNING_KEY");
});

test("the primary signs when the newer signing subkey has expired (as gpg does)", async () => {
  const key = await checkKey(openpgp(fixture("subkey-expired.secret.asc")));
  const gpg = gpgSigns("primary-signs", "20270104T100000");
  assert.equal(gpg.type, "pub");
  assert.equal(key.signingKeyId, gpg.fingerprint);
  assert.equal(key.fingerprint, gpg.fingerprint);
  assert.equal(key.algorithm, `rsa${gpg.bits}`);
  assert.equal(key.expiresAt, null);
});

test("a certify-only primary: the signing subkey valid now signs, its size and expiry are listed", async () => {
  const key = await checkKey(openpgp(fixture("signing-subkeys.secret.asc")));
  const gpg = gpgSigns("signing-subkeys", "20270104T100000");
  const primary = gpgKeys("signing-subkeys")[0]!;
  assert.equal(gpg.type, "sub");
  assert.equal(key.signingKeyId, gpg.fingerprint);
  assert.equal(key.fingerprint, primary.fingerprint, "the fingerprint stays the primary's");
  assert.equal(key.algorithm, `rsa${gpg.bits}`);
  assert.notEqual(gpg.bits, primary.bits, "the fixture's signing subkey and primary differ in size");
  assert.equal(key.expiresAt?.getTime(), Math.min(gpg.expires!, primary.expires!) * 1000);
  // After the third subkey exists gpg would take it; a key checked then does too.
  const later = await checkKey(
    openpgp(fixture("signing-subkeys.secret.asc"), { now: new Date("2027-03-01") }),
  );
  assert.equal(later.signingKeyId, gpgSigns("signing-subkeys", "20270301T000000").fingerprint);
});

test(`a key that stops signing within ${MIN_VALID_DAYS} days, or within a longer overlap, is KEY_EXPIRED`, async () => {
  const text = fixture("expiring.secret.asc");
  const expires = gpgKeys("expiring")[0]!.expires! * 1000;
  const accepted = await checkKey(openpgp(text));
  assert.equal(accepted.expiresAt?.getTime(), expires);
  assert.ok(expires - UPLOAD.getTime() > MIN_VALID_DAYS * DAY, "the fixture has more than the minimum left");
  const lastDay = new Date(expires - MIN_VALID_DAYS * DAY - 1000);
  assert.equal((await checkKey(openpgp(text, { now: lastDay }))).expiresAt?.getTime(), expires);
  const soon = new RegExp(`at least ${MIN_VALID_DAYS} days.*expires at ${new Date(expires).toISOString()}`);
  await assert.rejects(
    checkKey(openpgp(text, { now: new Date(expires - MIN_VALID_DAYS * DAY) })),
    refused("KEY_EXPIRED", soon),
  );
  // An overlap longer than what is left.
  const left = Math.ceil((expires - UPLOAD.getTime()) / DAY);
  await assert.rejects(
    checkKey(openpgp(text, { overlapDays: left })),
    refused("KEY_EXPIRED", /at least \d+ days/),
  );
  assert.ok(await checkKey(openpgp(text, { overlapDays: left - 1 })));
  // Expired: refused as before.
  await assert.rejects(checkKey(openpgp(text, { now: new Date(expires) })), refused("KEY_EXPIRED"));
});

test("a passphrase is kept only for a key whose packets are protected; a mixed key is refused", async () => {
  const plain = await checkKey(openpgp(POOL_OPENPGP[0]!, { passphrase: "not needed" }));
  assert.equal(plain.passphrase, undefined, "a passphrase an unprotected key does not need is dropped");
  const locked = await checkKey(
    openpgp(fixture("reject-locked-rsa.secret.asc"), { passphrase: FIXTURE_PASSPHRASE }),
  );
  assert.equal(locked.passphrase, FIXTURE_PASSPHRASE);
  await assert.rejects(
    checkKey(openpgp(fixture("reject-locked-rsa.secret.asc"))),
    refused("KEY_PASSPHRASE_WRONG"),
  );
  // The pool key (in the clear) with the locked key's primary packet appended as a subkey.
  const lockedPrimary = packetsByHand(dearmorByHand(fixture("reject-locked-rsa.secret.asc")))[0]!;
  const mixed = Buffer.concat([
    dearmorByHand(POOL_OPENPGP[0]!),
    packet(TAG.secretSubkey, lockedPrimary.body),
  ]);
  await assert.rejects(
    checkKey(openpgp(mixed.toString("base64"), { passphrase: FIXTURE_PASSPHRASE })),
    refused("KEY_INVALID", /1 of 3 protected/),
  );
});

test(`at most ${MAX_KEY_GENERATIONS} key generations run at once; the others wait their turn`, async () => {
  let running = 0;
  let most = 0;
  let started = 0;
  const gates: (() => void)[] = [];
  const generator: KeyGenerator = {
    openpgp: () => Promise.reject(new Error("not asked")),
    async apk() {
      const n = started++;
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return { secret: pkcs8Der(POOL_APK[n % POOL_APK.length]!) };
    },
  };
  const deps = { keyGenerator: generator, config: {} };
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  const calls = Array.from({ length: 4 }, (_, i) => newProjectKeys(deps, `gen-${i}`, UPLOAD, ["apk"]));
  await settle();
  assert.equal(started, MAX_KEY_GENERATIONS);
  gates.shift()!();
  await settle();
  assert.equal(started, MAX_KEY_GENERATIONS + 1, "a finished generation lets the next one start");
  while (gates.length > 0 || started < 4) {
    gates.shift()?.();
    await settle();
  }
  const keys = await Promise.all(calls);
  assert.equal(keys.length, 4);
  assert.equal(most, MAX_KEY_GENERATIONS);
  // A generator that throws frees its slot too.
  const failing: KeyGenerator = { ...generator, apk: () => Promise.reject(new Error("boom")) };
  for (let i = 0; i < 3; i++)
    await assert.rejects(
      newProjectKeys({ keyGenerator: failing, config: {} }, "fails", UPLOAD, ["apk"]),
      /boom/,
    );
  started = 0;
  most = 0;
  const after = newProjectKeys(deps, "after", UPLOAD, ["apk"]);
  await settle();
  assert.equal(started, 1);
  gates.shift()!();
  assert.equal((await after).length, 1);
});
