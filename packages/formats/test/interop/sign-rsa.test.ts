/**
 * RSA PKCS#1 v1.5 signatures for apk, judged by `openssl dgst -verify`, for keys we generate and keys made
 * by `openssl genrsa` (PKCS#1) and `openssl genpkey` (PKCS#8), plain and passphrase-protected.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generateRSAKey, loadRSASigner, verifyRSA } from "../../src/sign/rsa.ts";
import type { RSASigner } from "../../src/sign/signer.ts";
import { FIXTURE_PASSPHRASE, KEYS_DIR, type Scratch, scratch } from "@packyard/testkit/keyrings";
import { needTool, run, tryRun } from "@packyard/testkit/tools";

const data = new TextEncoder().encode("control.tar.gz member bytes, as apk signs them\n");
let s: Scratch;
let generated: { pem: string; pub: string };

before(async () => {
  s = scratch();
  const key = await generateRSAKey({ bits: 4096 });
  generated = { pem: key.privateKeyPem, pub: key.publicKeyPem };
});
after(() => s.dispose());

function opensslVerify(
  hash: string,
  pubPem: string,
  sig: Uint8Array,
  name: string,
): { status: number; out: string } {
  const r = tryRun("openssl", [
    "dgst",
    `-${hash}`,
    "-verify",
    s.file(`${name}.pub.pem`, pubPem),
    "-signature",
    s.file(`${name}.${hash}.sig`, sig),
    s.file(`${name}.data`, data),
  ]);
  return { status: r.status, out: r.stdout + r.stderr };
}

const fixtureKeys = [
  { name: "openssl-pkcs1", header: "-----BEGIN RSA PRIVATE KEY-----", passphrase: undefined },
  { name: "openssl-pkcs1-locked", header: "-----BEGIN RSA PRIVATE KEY-----", passphrase: FIXTURE_PASSPHRASE },
  { name: "openssl-pkcs8", header: "-----BEGIN PRIVATE KEY-----", passphrase: undefined },
  {
    name: "openssl-pkcs8-locked",
    header: "-----BEGIN ENCRYPTED PRIVATE KEY-----",
    passphrase: FIXTURE_PASSPHRASE,
  },
];

describe("openssl dgst -verify accepts our PKCS#1 v1.5 signatures", () => {
  const cases: { what: string; load: () => { signer: RSASigner; pub: string } }[] = [
    {
      what: "key from generateRSAKey (PKCS#8, 4096)",
      load: () => ({
        signer: loadRSASigner(generated.pem, { email: "dev@example.org" }),
        pub: generated.pub,
      }),
    },
    ...fixtureKeys.map((k) => ({
      what: `${k.name} (${k.header})`,
      load: () => {
        const pem = readFileSync(join(KEYS_DIR, `${k.name}.rsa`), "utf8");
        assert.ok(pem.startsWith(k.header), `fixture is ${k.header}`);
        return {
          signer: loadRSASigner(pem, k.passphrase === undefined ? {} : { passphrase: k.passphrase }),
          // The public key as openssl itself derived it (make.sh), not as we export it.
          pub: readFileSync(join(KEYS_DIR, `${k.name}.rsa.pub`), "utf8"),
        };
      },
    })),
  ];
  for (const c of cases) {
    test(c.what, async (t) => {
      if (!needTool(t, "openssl")) return;
      const { signer, pub } = c.load();
      assert.equal(signer.publicKeyPem(), pub, "our SPKI export equals openssl's");
      for (const hash of ["sha1", "sha256", "sha512"] as const) {
        const sig = await signer.sign(data, hash);
        assert.equal(sig.length, signer.bits / 8, "signature is modulus-length bytes");
        const ok = opensslVerify(hash, pub, sig, `${c.what.split(" ")[0]}-ok`);
        assert.equal(ok.status, 0, ok.out);
        assert.match(ok.out, /Verified OK/);
        // The same signature under another digest must fail: the hash really is the one asked for.
        const other = hash === "sha1" ? "sha256" : "sha1";
        const wrong = opensslVerify(other, pub, sig, `${c.what.split(" ")[0]}-wrong`);
        assert.notEqual(wrong.status, 0);
      }
    });
  }
});

test("verifyRSA accepts signatures made by openssl dgst -sign and rejects tampered data", (t) => {
  if (!needTool(t, "openssl")) return;
  const keyFile = join(KEYS_DIR, "openssl-pkcs1.rsa");
  const pub = readFileSync(join(KEYS_DIR, "openssl-pkcs1.rsa.pub"), "utf8");
  const dataFile = s.file("openssl-made.data", data);
  for (const hash of ["sha1", "sha256"] as const) {
    const sigFile = join(s.dir, `openssl-made.${hash}.sig`);
    run("openssl", ["dgst", `-${hash}`, "-sign", keyFile, "-out", sigFile, dataFile]);
    const sig = new Uint8Array(readFileSync(sigFile));
    assert.equal(verifyRSA(data, sig, pub, hash), true);
    assert.equal(verifyRSA(new TextEncoder().encode("tampered"), sig, pub, hash), false);
    assert.equal(verifyRSA(data, sig, pub, hash === "sha1" ? "sha256" : "sha1"), false);
  }
});

test("signatures are byte-identical to openssl dgst -sign (PKCS#1 v1.5 is deterministic)", async (t) => {
  if (!needTool(t, "openssl")) return;
  const keyFile = join(KEYS_DIR, "openssl-pkcs8.rsa");
  const signer = loadRSASigner(readFileSync(keyFile, "utf8"));
  const dataFile = s.file("same.data", data);
  const sigFile = join(s.dir, "same.sig");
  run("openssl", ["dgst", "-sha256", "-sign", keyFile, "-out", sigFile, dataFile]);
  assert.deepEqual(await signer.sign(data, "sha256"), new Uint8Array(readFileSync(sigFile)));
});
