/**
 * The real verifiers judge the signed suite: gpgv (what apt runs on Debian 12) checks InRelease and
 * Release.gpg made with one key and with two (a rotation, each key alone must be enough), and apt-get
 * update + download, over HTTP on 127.0.0.1, accepts the whole suite: signature, Release fields, by-hash
 * indexes (the canonical names are deleted first, so only by-hash can succeed), SHA512, escaped pool paths.
 */
import assert from "node:assert/strict";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadOpenPGPSigner, type OpenPGPSigner } from "@packyard/formats";
import { gpgv, gpgvKeyring, KEYS_DIR, openpgpTestKey, scratch } from "@packyard/testkit/keyrings";
import { scratchApt } from "@packyard/testkit/apt";
import { serveFolder } from "@packyard/testkit/http";
import { needTool } from "@packyard/testkit/tools";
import { aptDistsDir } from "../../src/apt/indexes.ts";
import { readObject } from "../../src/storage/read.ts";
import { folderStorage } from "../../src/storage/fs.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { verifyAptSuite } from "../../src/verify/apt.ts";
import { publishToMemory, testPackage, testSettings, testState, threePackages } from "../apt/support.ts";

async function rsaSigner(): Promise<OpenPGPSigner> {
  return loadOpenPGPSigner(readFileSync(`${KEYS_DIR}gpg-plain.secret.asc`, "utf8"));
}

/** gpgv's verdict on a file: which keys gave a good signature, and whether any signature was bad. */
function gpgvVerdict(keyring: string, ...files: string[]): { good: string[]; bad: boolean; stderr: string } {
  const r = gpgv(keyring, ...files);
  const good = r.statusLines
    .split("\n")
    .filter((l) => l.startsWith("[GNUPG:] VALIDSIG "))
    .map((l) => l.split(" ")[11] ?? "");
  return { good, bad: /\[GNUPG:\] (BADSIG|ERRSIG)/.test(r.statusLines), stderr: r.stderr };
}

test("gpgv verifies InRelease and Release.gpg made with one key", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const s = scratch("packyard-apt-sign-");
  t.after(() => s.dispose());
  for (const signer of [await rsaSigner(), (await openpgpTestKey()).signer]) {
    const packages = threePackages();
    const { storage } = await publishToMemory(testState(testSettings(), packages), packages, [signer]);
    const files = await suiteFiles(storage, s.file.bind(s), signer.keyId);
    const ring = gpgvKeyring(s, `one-${signer.keyId}`, signer.publicKeyArmored());
    for (const args of [[files.inRelease], [files.releaseGpg, files.release]]) {
      const v = gpgvVerdict(ring, ...args);
      assert.deepEqual(v.good, [signer.primaryFingerprint], `${args.join(" ")}: ${v.stderr}`);
      assert.equal(v.bad, false);
      assert.equal(gpgv(ring, ...args).status, 0);
    }
  }
});

test("gpgv: with two signers, each key alone finds its good signature in both files", async (t) => {
  if (!needTool(t, "gpg", "gpgv")) return;
  const s = scratch("packyard-apt-sign-");
  t.after(() => s.dispose());
  const keys = [await rsaSigner(), (await openpgpTestKey()).signer];
  const packages = threePackages();
  const { storage } = await publishToMemory(testState(testSettings(), packages), packages, keys);
  const files = await suiteFiles(storage, s.file.bind(s), "two");
  for (const key of keys) {
    const ring = gpgvKeyring(s, `alone-${key.keyId}`, key.publicKeyArmored());
    for (const args of [[files.inRelease], [files.releaseGpg, files.release]]) {
      const v = gpgvVerdict(ring, ...args);
      // The other signature is "no public key" (ERRSIG with NO_PUBKEY), which apt ignores; none is BAD.
      assert.deepEqual(v.good, [key.primaryFingerprint], `${args.join(" ")}: ${v.stderr}`);
      assert.doesNotMatch(gpgv(ring, ...args).statusLines, /BADSIG/);
    }
  }
  const both = gpgvKeyring(
    s,
    "both",
    keys.map((k) => k.publicKeyArmored()),
  );
  const v = gpgvVerdict(both, files.inRelease);
  assert.deepEqual(v.good.sort(), keys.map((k) => k.primaryFingerprint).sort());
  const stranger = (await openpgpTestKey()).signer;
  const none = gpgvVerdict(gpgvKeyring(s, "stranger", stranger.publicKeyArmored()), files.inRelease);
  assert.deepEqual(none.good, []);
});

/** Writes InRelease, Release and Release.gpg of the `stable` suite into the scratch folder. */
async function suiteFiles(
  storage: Storage,
  file: (name: string, contents: Uint8Array) => string,
  tag: string,
): Promise<{ inRelease: string; release: string; releaseGpg: string }> {
  const dir = aptDistsDir("stable");
  const read = async (name: string) => {
    const bytes = await readObject(storage, dir + name);
    assert.ok(bytes, name);
    return bytes;
  };
  return {
    inRelease: file(`${tag}-InRelease`, await read("InRelease")),
    release: file(`${tag}-Release`, await read("Release")),
    releaseGpg: file(`${tag}-Release.gpg`, await read("Release.gpg")),
  };
}

test("apt-get update and download accept a by-hash, SHA512, two-key suite (canonical indexes deleted)", async (t) => {
  if (!needTool(t, "apt-get", "gpgv")) return;
  const s = scratch("packyard-apt-get-");
  t.after(() => s.dispose());
  // apt's methods run as _apt: the served folder and the key file must be readable by it.
  chmodSync(s.dir, 0o755);
  const keys = [await rsaSigner(), (await openpgpTestKey()).signer];
  const odd = testPackage({ name: "libodd++", version: "1:2.0+git~1-1", arch: "amd64" });
  const packages = [...threePackages(), odd];
  const settings = testSettings({
    hashes: ["SHA256", "SHA512"],
    compressions: ["gz", "xz"],
    validFor: 10 * 365 * 86400,
  });
  const storage = folderStorage(join(s.dir, "repo"));
  // Dated now: apt refuses a Release dated in the future or past its Valid-Until.
  const { files } = await publishToMemory(testState(settings, packages), packages, keys, storage, new Date());
  for (const f of files) if (f.kind === "index") await storage.delete(f.key);
  // Our verifier flags the deleted canonical names (clients without by-hash need them), nothing else.
  for (const p of await verifyAptSuite(storage, "stable"))
    assert.match(`${p.key} ${p.problem}`, /\/Packages\.(gz|xz) missing: .*without by-hash/);

  const server = await serveFolder(join(s.dir, "repo"));
  t.after(() => server.stop());
  // The second key alone: the rotation case that matters (users who already switched to the new key).
  const apt = scratchApt({
    sources: { uri: `${server.url}/deb`, signedBy: s.file("new-key.asc", keys[1]!.publicKeyArmored()) },
  });
  t.after(() => apt.dispose());
  const update = await apt.update();
  assert.equal(update.code, 0, `${update.stdout}\n${update.stderr}`);
  assert.deepEqual([...update.warnings, ...update.errors, ...update.failed, ...update.ignored], []);
  assert.ok(
    server.log.some((r) => /\/by-hash\/SHA512\/[0-9a-f]{128}$/.test(r.path) && r.status === 200),
    "apt fetched an index by its SHA512",
  );

  for (const p of [odd, packages[2]!]) {
    const got = await apt.download(p.record.name);
    assert.equal(got.code, 0, `${got.stdout}\n${got.stderr}`);
    assert.equal(got.files.length, 1);
    assert.deepEqual(new Uint8Array(readFileSync(got.files[0]!)), p.bytes);
  }
});
