/**
 * apt 2.6 refuses a tampered copy of a published repository: a Packages index changed behind the signed
 * Release (rewritten in every place apt may fetch it from: canonical, .gz, by-hash) fails with "Hash Sum
 * mismatch" and reaches no list; a Release signed validly but by another key fails with NO_PUBKEY, from
 * InRelease and from the Release.gpg fallback; a pool .deb changed behind Packages fails to download.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { folderStorage, publish, signRelease } from "@packyard/repo";
import { type AptResult, scratchApt } from "@packyard/testkit/apt";
import { needTool } from "@packyard/testkit/tools";
import { DEMO, demoInputs, fixtureSigner, scratchDir } from "./apt-repo.ts";

const signer = await fixtureSigner("plain");
const other = await fixtureSigner("locked");
const repo = scratchDir();
await publish(folderStorage(repo), { add: await demoInputs(), signers: [signer] });
const DIST = "deb/dists/stable";

/** A fresh copy of the published repository to break. */
function copyOfRepo(): string {
  const dir = scratchDir();
  cpSync(repo, dir, { recursive: true });
  return dir;
}

/** apt-get update of a scratch apt trusting only the repository's key; returns the run and the apt. */
async function update(dir: string, t: { after(fn: () => void): void }) {
  const apt = scratchApt({
    sources: { uri: `file:${dir}/deb`, signedBy: join(repo, "keys/repository.asc") },
  });
  t.after(() => apt.dispose());
  return { apt, result: await apt.update() };
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** SHA256 of each file listed in Release, by its path. */
function releaseSha256(dir: string): Map<string, string> {
  const release = readFileSync(join(dir, DIST, "Release"), "utf8");
  const section = release.split(/^SHA256:\n/m)[1] ?? "";
  const out = new Map<string, string>();
  for (const line of section.split("\n")) {
    const m = /^ ([0-9a-f]{64})\s+\d+\s+(\S+)$/.exec(line);
    if (m === null) break;
    out.set(m[2]!, m[1]!);
  }
  return out;
}

function output(r: AptResult): string {
  return `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

test("a Packages index changed behind the signed Release: apt fails with Hash Sum mismatch", async (t) => {
  if (!needTool(t, "apt-get", "apt-cache")) return;
  const dir = copyOfRepo();
  const listed = releaseSha256(dir);
  const index = "main/binary-amd64";
  const original = readFileSync(join(dir, DIST, index, "Packages"), "utf8");
  const originalGz = readFileSync(join(dir, DIST, index, "Packages.gz"));
  // An attacker's edit: yard-tool's SHA256 now names other bytes. Pick the edit whose gzip has the
  // original's size, so that apt's size check passes and the hash check is what catches it.
  const stanzaStart = original.indexOf("Package: yard-tool\n");
  const at = original.indexOf("\nSHA256: ", stanzaStart) + "\nSHA256: ".length;
  let tampered: { text: string; gz: Uint8Array } | undefined;
  for (let i = 0; i < 64 && tampered === undefined; i++) {
    for (const digit of "0123456789abcdef") {
      if (original[at + i] === digit) continue;
      const text = original.slice(0, at + i) + digit + original.slice(at + i + 1);
      const gz = gzipSync(text, { level: 9 });
      if (gz.length === originalGz.length) {
        tampered = { text, gz };
        break;
      }
    }
  }
  assert.ok(tampered !== undefined, "an edit of the same compressed size");
  assert.notEqual(sha256(tampered.gz), sha256(originalGz));
  const byHash = (name: string) => join(dir, DIST, index, "by-hash/SHA256", listed.get(`${index}/${name}`)!);
  for (const path of [join(dir, DIST, index, "Packages"), byHash("Packages")])
    writeFileSync(path, tampered.text);
  for (const path of [join(dir, DIST, index, "Packages.gz"), byHash("Packages.gz")])
    writeFileSync(path, tampered.gz);

  const { apt, result } = await update(dir, t);
  assert.equal(result.code, 100, output(result));
  assert.match(result.stderr, /Hash Sum mismatch/, output(result));
  assert.ok(
    result.errors.some(
      (l) =>
        l.startsWith("E: Failed to fetch ") && l.includes(`${index}/`) && l.endsWith("Hash Sum mismatch"),
    ),
    output(result),
  );
  assert.ok(
    result.errors.includes(
      "E: Some index files failed to download. They have been ignored, or old ones used instead.",
    ),
    output(result),
  );
  // the whole update is rolled back: the tampered index reached no list
  const tool = DEMO.find((p) => p.name === "yard-tool")!;
  assert.equal((await apt.policy(tool.name)).candidate, undefined);
});

/** The Release text re-signed with the other key (a valid signature apt cannot verify with Signed-By). */
async function resignWithOtherKey(dir: string, keepInRelease: boolean): Promise<void> {
  const release = readFileSync(join(dir, DIST, "Release"), "utf8");
  const signed = await signRelease(release, [other], new Date());
  if (keepInRelease) writeFileSync(join(dir, DIST, "InRelease"), signed.inRelease);
  else rmSync(join(dir, DIST, "InRelease"));
  writeFileSync(join(dir, DIST, "Release.gpg"), signed.releaseGpg);
}

for (const keepInRelease of [true, false]) {
  const what = keepInRelease ? "InRelease and Release.gpg" : "Release.gpg (no InRelease)";
  test(`${what} signed by another key: apt fails with NO_PUBKEY and calls the repository unsigned`, async (t) => {
    if (!needTool(t, "apt-get")) return;
    const dir = copyOfRepo();
    await resignWithOtherKey(dir, keepInRelease);
    const { result } = await update(dir, t);
    const keyId = other.primaryFingerprint.slice(-16).toUpperCase();
    assert.equal(result.code, 100, output(result));
    assert.ok(
      result.warnings.some((l) => l.startsWith("W: GPG error: ") && l.endsWith(`NO_PUBKEY ${keyId}`)),
      output(result),
    );
    const file = keepInRelease ? "InRelease" : "Release";
    assert.ok(
      result.errors.includes(`E: The repository 'file:${dir}/deb stable ${file}' is not signed.`),
      output(result),
    );
  });
}

test("a pool .deb changed behind Packages: apt-get download fails with Hash Sum mismatch", async (t) => {
  if (!needTool(t, "apt-get")) return;
  const dir = copyOfRepo();
  const packages = readFileSync(join(dir, DIST, "main/binary-amd64/Packages"), "utf8");
  const filename = /^Package: yard-tool\n(?:.+\n)*?Filename: (\S+)$/m.exec(packages)?.[1];
  assert.ok(filename !== undefined, "yard-tool's Filename");
  const pooled = join(dir, "deb", filename);
  const bytes = readFileSync(pooled);
  bytes[bytes.length - 1]! ^= 0xff; // same size: the hash is what must catch it
  writeFileSync(pooled, bytes);
  const { apt, result } = await update(dir, t);
  assert.equal(result.code, 0, output(result));
  const got = await apt.download("yard-tool");
  assert.equal(got.code, 100, output(got));
  assert.match(got.stderr, /Hash Sum mismatch/, output(got));
  assert.deepEqual(got.files, [], "nothing kept");
});
