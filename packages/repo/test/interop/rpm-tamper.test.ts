/**
 * dnf 4 refuses tampered or mis-keyed copies of a published RPM-MD repository (gpgcheck=1,
 * repo_gpgcheck=1): a primary.xml.gz changed behind the signed repomd.xml fails its checksum; a
 * repomd.xml.asc that is a valid signature by another key is a "Bad GPG signature"; packages signed by
 * key B in a repository whose repomd and `gpgkey=` are key A (published with B, refreshed with A) are
 * refused at install because their key is not installed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import type { OpenPGPSigner } from "@packyard/formats";
import { folderStorage, publish, refreshRepository } from "@packyard/repo";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { relatedRpm, type ScratchDnf, scratchDnf } from "@packyard/testkit/rpms";
import { needRoot, needTool } from "@packyard/testkit/tools";

const ROOT = "rpm/el/9/x86_64";
const REPO_FILE = "rpm/el/9/repository.repo";
const BASE_URL = "https://packages.example.invalid";

/**
 * One repository for every test: yard-tool signed by B at publish, then `refreshRepository` with A, so
 * repomd.xml.asc, repomd.xml.key, keys/RPM-GPG-KEY-repository and the .repo's gpgkey= are A's.
 */
interface Shared {
  dir: string;
  /** The repository key after the refresh. */
  a: OpenPGPSigner;
  /** The key the packages are signed with. */
  b: OpenPGPSigner;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-tamper-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const [{ signer: a }, { signer: b }] = await Promise.all([
    openpgpTestKey({ type: "rsa", rsaBits: 2048 }),
    openpgpTestKey({ type: "rsa", rsaBits: 2048 }),
  ]);
  const tool = await relatedRpm({ name: "yard-tool", version: "2:1.5-3", arch: "x86_64" });
  const storage = folderStorage(join(dir, "repo"));
  await publish(storage, {
    add: [{ info: tool.info, source: tool.source, name: tool.name }],
    signers: [b],
    rpm: { targets: ["el-9"], architectures: ["x86_64"], baseUrl: BASE_URL },
  });
  await refreshRepository(storage, { signers: [a] });
  return { dir, a, b };
}

async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "dnf", "rpm")) return undefined;
  shared ??= setup();
  return shared;
}

/** A fresh copy of the repository to break, removed with the shared folder. */
function copyOfRepo(s: Shared, name: string): string {
  const copy = join(s.dir, name);
  cpSync(join(s.dir, "repo"), copy, { recursive: true });
  return copy;
}

/** A scratch dnf over the folder `repo`, reading its published .repo with the URLs pointed at the folder. */
function dnfOver(t: { after(fn: () => void): void }, repo: string): ScratchDnf {
  const text = readFileSync(join(repo, REPO_FILE), "utf8");
  assert.match(text, /^repo_gpgcheck=1$/m, text);
  assert.match(text, /^gpgcheck=1$/m, text);
  const local = text.replaceAll(BASE_URL, `file://${repo}`);
  assert.doesNotMatch(local, /https?:/, local);
  const dnf = scratchDnf(undefined, local);
  t.after(() => dnf.dispose());
  return dnf;
}

function output(what: string, r: { code: number; stdout: string; stderr: string }): string {
  return `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("a primary.xml.gz changed behind the signed repomd.xml: dnf fails with a checksum error", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const repo = copyOfRepo(s, "primary");
  const repodata = join(repo, ROOT, "repodata");
  const name = readdirSync(repodata).find((f) => f.endsWith("-primary.xml.gz"));
  assert.ok(name !== undefined, "a primary.xml.gz");
  const path = join(repodata, name);
  const original = readFileSync(path);
  // An attacker's edit: yard-tool offered as a newer version.
  const xml = gunzipSync(original).toString();
  const edited = xml.replace('ver="1.5" rel="3"', 'ver="1.6" rel="3"');
  assert.notEqual(edited, xml);
  const tampered = gzipSync(edited, { level: 9 });
  writeFileSync(path, tampered);
  assert.equal(name, `${sha256(original)}-primary.xml.gz`, "the name (and repomd) still name the original");

  const dnf = dnfOver(t, repo);
  const r = await dnf.dnf(["makecache"]);
  const all = output("dnf makecache", r);
  assert.equal(r.code, 1, all);
  assert.ok(
    r.stderr.includes(
      `Downloading successful, but checksum doesn't match. Calculated: ${sha256(tampered)}(sha256)  Expected: ${sha256(original)}(sha256)`,
    ),
    all,
  );
  assert.match(r.stderr, /^Error: Failed to download metadata for repo 'repository': /m, all);
});

test("repomd.xml.asc replaced by a valid signature from another key: dnf fails with Bad GPG signature", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const repo = copyOfRepo(s, "foreign-asc");
  const repomd = join(repo, ROOT, "repodata/repomd.xml");
  writeFileSync(`${repomd}.asc`, await s.b.detached(readFileSync(repomd), { armor: true, date: new Date() }));

  const dnf = dnfOver(t, repo);
  const r = await dnf.dnf(["-q", "makecache"]);
  const all = output("dnf makecache", r);
  assert.equal(r.code, 1, all);
  assert.match(
    r.stderr,
    /^Error: Failed to download metadata for repo 'repository': repomd\.xml GPG signature verification error: Bad GPG signature$/m,
    all,
  );
});

test("packages signed by B, repomd and gpgkey= by A: dnf install refuses them, the key is not installed", async (t) => {
  const s = await repository(t);
  if (s === undefined || !needRoot(t, "dnf installs into a scratch root")) return;
  const repo = join(s.dir, "repo");
  const key = readFileSync(join(repo, "keys/RPM-GPG-KEY-repository"), "utf8");
  assert.equal(key, s.a.publicKeyArmored(), "the refresh handed out A");

  const dnf = dnfOver(t, repo);
  // the metadata is fine: repomd.xml verifies with A
  const cache = await dnf.dnf(["-q", "makecache"]);
  assert.equal(cache.code, 0, output("dnf makecache", cache));
  const r = await dnf.dnf(["install", "yard-tool"]);
  const all = output("dnf install", r);
  assert.equal(r.code, 1, all);
  assert.match(
    r.stderr,
    /^Public key for yard-tool-1\.5-3\.x86_64\.rpm is not installed\. Failing package is: yard-tool-2:1\.5-3\.x86_64$/m,
    all,
  );
  assert.match(r.stderr, /^Error: GPG check FAILED$/m, all);
  assert.match(r.stdout, /^Import of key\(s\) didn't help, wrong key\(s\)\?$/m, all);
  // dnf imported A as told; rpm names the key it lacks: B's
  const pubkeys = await dnf.rpm(["-q", "--qf", "%{VERSION}\n", "gpg-pubkey"]);
  assert.equal(
    pubkeys.stdout,
    `${s.a.keyId.slice(-8).toLowerCase()}\n`,
    output("rpm -q gpg-pubkey", pubkeys),
  );
  const pool = join(repo, "rpm/pool/y/yard-tool/yard-tool-1.5-3.x86_64.rpm");
  const checked = await dnf.rpm(["-Kv", pool]);
  assert.equal(checked.code, 1, output("rpm -Kv", checked));
  assert.match(
    checked.stdout,
    new RegExp(`Header V4 RSA/SHA256 Signature, key ID ${s.b.keyId.slice(-8).toLowerCase()}: NOKEY`),
    output("rpm -Kv", checked),
  );
  const installed = await dnf.rpm(["-q", "yard-tool"]);
  assert.equal(installed.code, 1, output("rpm -q yard-tool", installed));
  assert.match(installed.stdout, /^package yard-tool is not installed$/m);
});
