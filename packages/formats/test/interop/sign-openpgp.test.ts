/**
 * OpenPGP signatures made by our Signer, judged by GnuPG (gpgv as apt runs it, gpg --verify), and keys
 * exported by gpg loaded by our Signer.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadOpenPGPSigner, verifyDetached } from "../../src/sign/openpgp.ts";
import { readSignatureInfo } from "../../src/sign/signature-info.ts";
import type { OpenPGPHash, OpenPGPSigner } from "../../src/sign/signer.ts";
import {
  FIXTURE_PASSPHRASE,
  gpgHome,
  gpgv,
  gpgvKeyring,
  KEYS_DIR,
  openpgpTestKey,
  scratch,
  scratchGnupgHome,
  type Scratch,
  validSig,
} from "@packyard/testkit/keyrings";
import { needTool, run } from "@packyard/testkit/tools";

const HASH_ALGO_ID: Record<OpenPGPHash, number> = { sha256: 8, sha512: 10 };
const data = new TextEncoder().encode("Origin: packyard\nLabel: test\nSuite: stable\n");
/** Signature date; earlier than a key made during the test, so the signer raises it to the key's creation. */
const date = new Date("2024-01-01T00:00:00Z");

let s: Scratch;
const signers: Record<"rsa" | "ecc", OpenPGPSigner> = {} as Record<"rsa" | "ecc", OpenPGPSigner>;
const publicKeys: Record<"rsa" | "ecc", string> = { rsa: "", ecc: "" };

before(async () => {
  s = scratch();
  // One RSA-4096 key per file (about a second with native RSA keygen) and one legacy EdDSA key.
  for (const type of ["rsa", "ecc"] as const) {
    const { key, signer } = await openpgpTestKey({
      type,
      name: `Packyard ${type}`,
      email: `${type}@example.org`,
      passphrase: "pw",
    });
    signers[type] = signer;
    publicKeys[type] = key.publicKeyArmored;
    assert.equal(signers[type].fingerprint, key.fingerprint);
  }
});
after(() => s.dispose());

/** Lines of `gpg --list-packets` for the first signature packet. */
function listPackets(file: string): string {
  return run("gpg", ["--homedir", scratchGnupgHome(s), "--batch", "--list-packets", file]);
}

for (const type of ["rsa", "ecc"] as const) {
  for (const hash of ["sha256", "sha512"] as const) {
    describe(`${type} key, ${hash}`, () => {
      test("detached binary signature: gpgv accepts it; list-packets shows the digest algo and non-critical issuer subpackets", async (t) => {
        if (!needTool(t, "gpg", "gpgv")) return;
        const signer = signers[type];
        const sig = await signer.detached(data, { hash, date });
        const keyring = gpgvKeyring(s, `${type}-${hash}-bin`, publicKeys[type]);
        const dataFile = s.file(`${type}-${hash}.data`, data);
        const sigFile = s.file(`${type}-${hash}.sig`, sig);
        const r = gpgv(keyring, sigFile, dataFile);
        assert.equal(r.status, 0, r.stderr);
        const valid = validSig(r.statusLines);
        assert.equal(valid?.fingerprint, signer.fingerprint);
        assert.equal(valid?.hashAlgo, HASH_ALGO_ID[hash]);
        assert.equal(valid?.version, 4);
        assert.equal(valid?.pubkeyAlgo, type === "rsa" ? 1 : 22);

        const packets = listPackets(sigFile);
        assert.match(packets, new RegExp(`digest algo ${HASH_ALGO_ID[hash]},`));
        assert.match(packets, /version 4, created/);
        // rpm <= 4.16 fails on a critical issuer subpacket (its own parser, rpmio/rpmpgp.c; rpm-rs
        // commit 0793e0c): both must be present and non-critical.
        assert.match(
          packets,
          new RegExp(`^\\s*hashed subpkt 33 len 21 \\(issuer fpr v4 ${signer.fingerprint}\\)`, "m"),
        );
        assert.match(
          packets,
          new RegExp(`^\\s*(hashed )?subpkt 16 len 8 \\(issuer key ID ${signer.keyId}\\)`, "m"),
        );
        assert.doesNotMatch(packets, /critical (hashed )?subpkt (16|33)/);
        // No openpgp.js salt notation: the signature is reproducible.
        assert.doesNotMatch(packets, /notation|subpkt 20/);
        // Tampered data must fail.
        const bad = gpgv(
          keyring,
          sigFile,
          s.file(`${type}-${hash}.bad`, new TextEncoder().encode("Origin: packyard\nLabel: tampered\n")),
        );
        assert.notEqual(bad.status, 0);
        assert.match(bad.statusLines, /BADSIG/);
      });

      test("armored detached signature: gpgv and gpg --verify accept it", async (t) => {
        if (!needTool(t, "gpg", "gpgv")) return;
        const signer = signers[type];
        const sig = await signer.detached(data, { armor: true, hash, date });
        assert.match(sig, /^-----BEGIN PGP SIGNATURE-----\n\n/);
        assert.doesNotMatch(sig, /^(Version|Comment):/m);
        const keyring = gpgvKeyring(s, `${type}-${hash}-arm`, publicKeys[type]);
        const dataFile = s.file(`${type}-${hash}-arm.data`, data);
        const sigFile = s.file(`${type}-${hash}.asc`, sig);
        const r = gpgv(keyring, sigFile, dataFile);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(validSig(r.statusLines)?.hashAlgo, HASH_ALGO_ID[hash]);
        const gpg = gpgHome(s, [publicKeys[type]]);
        const v = gpg(["--status-fd", "1", "--verify", sigFile, dataFile]);
        assert.equal(v.status, 0, v.stderr);
        assert.equal(validSig(v.stdout)?.fingerprint, signer.fingerprint);
        // Our own verifier agrees with gpg.
        assert.deepEqual(await verifyDetached(data, sig, publicKeys[type]), {
          valid: true,
          keyId: signer.keyId,
          fingerprint: signer.fingerprint,
        });
      });

      test("cleartext signature (InRelease): gpgv and gpg --verify accept it", async (t) => {
        if (!needTool(t, "gpg", "gpgv")) return;
        const signer = signers[type];
        const text = "Origin: packyard\nLabel: test\n-dash line\nTrailing: spaces   \n";
        const signed = await signer.cleartext(text, { hash, date });
        assert.match(
          signed,
          new RegExp(`^-----BEGIN PGP SIGNED MESSAGE-----\nHash: ${hash.toUpperCase()}\n\n`),
        );
        const keyring = gpgvKeyring(s, `${type}-${hash}-clear`, publicKeys[type]);
        const file = s.file(`${type}-${hash}-InRelease`, signed);
        const r = gpgv(keyring, file);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(validSig(r.statusLines)?.hashAlgo, HASH_ALGO_ID[hash]);
        const gpg = gpgHome(s, [publicKeys[type]]);
        const v = gpg(["--status-fd", "1", "--output", "-", "--verify", file]);
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stdout, /\[GNUPG:\] GOODSIG/);
        // gpg recovers the signed text (dash-escaping undone).
        const out = gpg(["--output", "-", "--decrypt", file]);
        assert.equal(out.status, 0, out.stderr);
        // gpg outputs the signed text: the input with LF line ends, no CR, minus the unsigned trailing blanks.
        assert.equal(out.stdout, text.replace(/ +\n/g, "\n"));
      });
    });
  }
}

test("generated keys: v4, no expiry, SHA-512 self-signatures, RSA-4096 / EdDSA legacy, as gpg sees them", (t) => {
  if (!needTool(t, "gpg")) return;
  for (const type of ["rsa", "ecc"] as const) {
    const gpg = gpgHome(scratchFor(type), [publicKeys[type]]);
    const colons = gpg(["--with-colons", "--fixed-list-mode", "--list-keys"]).stdout;
    const pub =
      colons
        .split("\n")
        .find((l) => l.startsWith("pub:"))
        ?.split(":") ?? [];
    assert.equal(pub[3], type === "rsa" ? "1" : "22", "public key algorithm");
    if (type === "rsa") assert.equal(pub[2], "4096", "key length");
    assert.equal(pub[6], "", "no expiry");
    const packets = run("gpg", [
      "--homedir",
      scratchGnupgHome(s),
      "--batch",
      "--list-packets",
      s.file(`${type}-pub-list.asc`, publicKeys[type]),
    ]);
    const digests = [...packets.matchAll(/digest algo (\d+),/g)].map((m) => Number(m[1]));
    assert.ok(digests.length >= 2, "self-signature and subkey binding present");
    for (const d of digests) assert.ok(d === 8 || d === 10, `self-signature digest algo ${d} is SHA-256+`);
    assert.match(packets, /version 4, algo/);
  }
});

const homes: Record<string, Scratch> = {};
function scratchFor(name: string): Scratch {
  homes[name] ??= scratch();
  return homes[name];
}
after(() => {
  for (const h of Object.values(homes)) h.dispose();
});

describe("keys exported by gpg --export-secret-keys (fixtures/keys/make.sh)", () => {
  const cases = [
    {
      file: "gpg-plain.secret.asc",
      pub: "gpg-plain.asc",
      passphrase: undefined,
      what: "RSA-3072 primary, no passphrase, armored",
    },
    {
      file: "gpg-locked.secret.asc",
      pub: "gpg-locked.asc",
      passphrase: FIXTURE_PASSPHRASE,
      what: "Ed25519 legacy, passphrase, armored",
    },
    {
      file: "gpg-subkey.secret.gpg",
      pub: "gpg-subkey.asc",
      passphrase: FIXTURE_PASSPHRASE,
      what: "certify-only primary + RSA signing subkey, binary",
    },
    {
      file: "gpg-subkey-stub.secret.asc",
      pub: "gpg-subkey.asc",
      passphrase: FIXTURE_PASSPHRASE,
      what: "--export-secret-subkeys (dummy primary)",
    },
  ];
  for (const c of cases) {
    test(`${c.what}: imports, signs, gpgv checks against gpg's own public key`, async (t) => {
      if (!needTool(t, "gpg", "gpgv")) return;
      const bytes = readFileSync(join(KEYS_DIR, c.file));
      const signer = await loadOpenPGPSigner(
        c.file.endsWith(".gpg") ? new Uint8Array(bytes) : bytes.toString(),
        c.passphrase === undefined ? {} : { passphrase: c.passphrase },
      );
      const pub = readFileSync(join(KEYS_DIR, c.pub), "utf8");
      const keyring = gpgvKeyring(s, c.file, pub);
      const dataFile = s.file(`${c.file}.data`, data);
      for (const armor of [false, true]) {
        const sig = armor
          ? await signer.detached(data, { armor: true, date })
          : await signer.detached(data, { date });
        const r = gpgv(keyring, s.file(`${c.file}.${armor ? "asc" : "sig"}`, sig), dataFile);
        assert.equal(r.status, 0, r.stderr);
        const valid = validSig(r.statusLines);
        assert.equal(valid?.fingerprint, signer.fingerprint);
        assert.equal(valid?.primary, signer.primaryFingerprint);
      }
      const clear = gpgv(
        keyring,
        s.file(`${c.file}.InRelease`, await signer.cleartext("Suite: stable\n", { date })),
      );
      assert.equal(clear.status, 0, clear.stderr);
      if (c.file.startsWith("gpg-subkey")) {
        // The signing subkey signs, not the certify-only primary (ids recorded by make.sh from gpg's listing).
        const ids = readFileSync(join(KEYS_DIR, "gpg-subkey.ids"), "utf8").trim().split("\n");
        const signing = ids.find((l) => l.split(" ")[1] === "s")?.split(" ");
        assert.equal(signer.keyId, signing?.[0]);
        assert.notEqual(signer.fingerprint, signer.primaryFingerprint);
      }
    });
  }
});

test("a key freshly made by the installed gpg (passphrase + signing subkey) imports, signs, and gpg verifies it", async (t) => {
  if (!needTool(t, "gpg", "gpgconf")) return;
  const home = scratchFor("live");
  const gpg = gpgHome(home, []);
  const loop = ["--pinentry-mode", "loopback", "--passphrase", "s3cret"];
  assert.equal(
    gpg([...loop, "--quick-gen-key", "Live <live@example.org>", "ed25519", "cert", "never"]).status,
    0,
  );
  const colons = gpg(["--with-colons", "--list-keys", "live@example.org"]).stdout;
  const primary = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1] ?? "";
  assert.equal(gpg([...loop, "--quick-add-key", primary, "ed25519", "sign", "never"]).status, 0);
  const exported = gpg([...loop, "--armor", "--export-secret-keys", primary]);
  assert.equal(exported.status, 0, exported.stderr);
  const signer = await loadOpenPGPSigner(exported.stdout, { passphrase: "s3cret", keyId: primary });
  assert.equal(signer.primaryFingerprint, primary);
  assert.notEqual(signer.fingerprint, primary, "the signing subkey signs");
  const sigFile = home.file("live.sig", await signer.detached(data, { hash: "sha512", date }));
  const v = gpg(["--status-fd", "1", "--verify", sigFile, home.file("live.data", data)]);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(validSig(v.stdout)?.fingerprint, signer.fingerprint);
  assert.equal(validSig(v.stdout)?.primary, primary);
});

test("readSignatureInfo and verifyDetached read a signature made by gpg itself", async (t) => {
  if (!needTool(t, "gpg", "gpgconf")) return;
  const home = scratchFor("gpg-made");
  const gpg = gpgHome(home, []);
  const secret = readFileSync(join(KEYS_DIR, "gpg-plain.secret.asc"));
  assert.equal(gpg(["--import", home.file("plain.secret.asc", secret)]).status, 0);
  const dataFile = home.file("gpg-made.data", data);
  for (const [algo, id] of [
    ["SHA256", "sha256"],
    ["SHA512", "sha512"],
  ] as const) {
    const sigFile = join(home.dir, `gpg-made-${id}.sig`);
    const made = gpg(["--digest-algo", algo, "--detach-sign", "--output", sigFile, dataFile]);
    assert.equal(made.status, 0, made.stderr);
    const sig = new Uint8Array(readFileSync(sigFile));
    const packets = listPackets(sigFile);
    const info = readSignatureInfo(sig);
    assert.equal(info.hash, id);
    assert.equal(info.keyId, /keyid ([0-9A-F]{16})/.exec(packets)?.[1]);
    assert.equal(info.created.getTime() / 1000, Number(/created (\d+)/.exec(packets)?.[1]));
    assert.equal(info.fingerprint, /issuer fpr v4 ([0-9A-F]{40})/.exec(packets)?.[1]);
    const pub = readFileSync(join(KEYS_DIR, "gpg-plain.asc"), "utf8");
    const ok = await verifyDetached(data, sig, pub);
    assert.equal(ok.valid, true);
    assert.equal(ok.keyId, info.keyId);
    assert.equal((await verifyDetached(new TextEncoder().encode("other"), sig, pub)).valid, false);
  }
});

test("cleartext layout matches gpg --clearsign for the same key and text (header and body byte-identical)", async (t) => {
  if (!needTool(t, "gpg", "gpgconf")) return;
  const home = scratchFor("clearsign");
  const gpg = gpgHome(home, []);
  const secret = readFileSync(join(KEYS_DIR, "gpg-plain.secret.asc"), "utf8");
  assert.equal(gpg(["--import", home.file("plain.secret.asc", secret)]).status, 0);
  const text = "Origin: packyard\nLabel: x\n-dash\n\nDescription: two\n paragraphs \n";
  const made = gpg(["--digest-algo", "SHA256", "--clearsign", "--output", "-", home.file("Release", text)]);
  assert.equal(made.status, 0, made.stderr);
  const ours = await (await loadOpenPGPSigner(secret)).cleartext(text, { date });
  const head = (s: string) => s.slice(0, s.indexOf("-----BEGIN PGP SIGNATURE-----"));
  assert.equal(head(ours), head(made.stdout));
});
