/**
 * The real verifiers judge the signed suite: gpgv (what apt runs on Debian 12) checks InRelease and
 * Release.gpg made with one key and with two (a rotation, each key alone must be enough), and apt-get
 * update + download, over HTTP on 127.0.0.1, accepts the whole suite: signature, Release fields, by-hash
 * indexes (the canonical names are deleted first, so only by-hash can succeed), SHA512, escaped pool paths.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { loadOpenPGPSigner, type OpenPGPSigner } from "@packyard/formats";
import { gpgv, gpgvKeyring, KEYS_DIR, openpgpTestKey, scratch } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import { aptDistsDir } from "../../src/apt/indexes.ts";
import { readObject } from "../../src/storage/read.ts";
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

/** Serves `storage` over HTTP on 127.0.0.1 (404 for absent keys), as a static host would. */
async function serve(storage: Storage): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    readObject(storage, key).then(
      (bytes) => {
        if (bytes === undefined) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-length": bytes.length }).end(bytes);
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** Runs apt-get with a private configuration (no system sources, state or keys) without blocking the server. */
function aptGet(
  root: string,
  args: string[],
  cwd: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "apt-get",
      args,
      { cwd, env: { ...process.env, APT_CONFIG: join(root, "apt.conf"), LC_ALL: "C" } },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

test("apt-get update and download accept a by-hash, SHA512, two-key suite (canonical indexes deleted)", async (t) => {
  if (!needTool(t, "apt-get", "gpgv")) return;
  const s = scratch("packyard-apt-get-");
  t.after(() => s.dispose());
  const keys = [await rsaSigner(), (await openpgpTestKey()).signer];
  const odd = testPackage({ name: "libodd++", version: "1:2.0+git~1-1", arch: "amd64" });
  const packages = [...threePackages(), odd];
  const settings = testSettings({
    hashes: ["SHA256", "SHA512"],
    compressions: ["gz", "xz"],
    validFor: 10 * 365 * 86400,
  });
  // Dated now: apt refuses a Release dated in the future or past its Valid-Until.
  const { storage, files } = await publishToMemory(
    testState(settings, packages),
    packages,
    keys,
    undefined,
    new Date(),
  );
  for (const f of files) if (f.kind === "index") await storage.delete(f.key);
  // Our verifier flags the deleted canonical names (clients without by-hash need them), nothing else.
  for (const p of await verifyAptSuite(storage, "stable"))
    assert.match(`${p.key} ${p.problem}`, /\/Packages\.(gz|xz) missing: .*without by-hash/);
  const { server, url } = await serve(storage);
  t.after(() => server.close());

  const root = s.dir;
  for (const d of [
    "etc/apt/sources.list.d",
    "etc/apt/apt.conf.d",
    "etc/apt/preferences.d",
    "var/lib/apt/lists/partial",
    "var/cache/apt/archives/partial",
    "var/lib/dpkg",
    "out",
  ])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  // The second key alone: the rotation case that matters (users who already switched to the new key).
  const keyFile = s.file("new-key.asc", keys[1]!.publicKeyArmored());
  writeFileSync(
    join(root, "etc/apt/sources.list.d/packyard.sources"),
    `Types: deb\nURIs: ${url}/deb\nSuites: stable\nComponents: main\nSigned-By: ${keyFile}\n`,
  );
  writeFileSync(
    join(root, "apt.conf"),
    [
      `Dir "${root}/";`,
      `Dir::State::status "${root}/var/lib/dpkg/status";`,
      'Debug::NoLocking "true";',
      'APT::Sandbox::User "root";',
      'APT::Architecture "amd64";',
      'APT::Architectures { "amd64"; };',
      'Acquire::Languages "none";',
      'Acquire::Retries "0";',
      "",
    ].join("\n"),
  );
  const update = await aptGet(root, ["update"], root);
  assert.equal(update.status, 0, `${update.stdout}\n${update.stderr}`);
  assert.doesNotMatch(`${update.stdout}\n${update.stderr}`, /^(W|E|Err):/m, update.stdout + update.stderr);

  const download = await aptGet(root, ["download", "libodd++", "hello-doc"], join(root, "out"));
  assert.equal(download.status, 0, `${download.stdout}\n${download.stderr}`);
  const out = readdirSync(join(root, "out")).sort();
  assert.equal(out.length, 2, out.join(" "));
  assert.deepEqual(
    new Uint8Array(readFileSync(join(root, "out", out.find((n) => n.startsWith("libodd"))!))),
    odd.bytes,
  );
});
