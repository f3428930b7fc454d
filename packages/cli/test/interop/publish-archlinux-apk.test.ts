/**
 * `packyard build -p archlinux,apk` and `packyard publish` of the example project, as the README's pacman
 * and Alpine sections run them: pacman installs the package from the published repository with
 * `SigLevel = Required DatabaseRequired` and the key the repository hands out, and the Alpine index
 * verifies with openssl against the key file the repository publishes under the signature's name. The
 * gzip members are split here with node:zlib alone (not the project's readers).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { constants, inflateRawSync } from "node:zlib";
import { loadOpenPGPSigner } from "@packyard/formats";
import { makeRepoRoot } from "@packyard/testkit/pacman-repo";
import { makeKeyring } from "@packyard/testkit/pacman-root";
import { needRoot, needTool, tryRun } from "@packyard/testkit/tools";
import { spawnCli } from "../run-cli.ts";
import { buildJson, exampleCopy, tmp } from "./support.ts";

let dir: string;
let apkKeyName: string;

before(() => {
  dir = exampleCopy();
  const built = buildJson(dir, ["-p", "archlinux,apk"]);
  assert.equal(built.result.status, 0, built.result.stderr);
  for (const type of ["openpgp", "rsa"]) {
    const r = spawnCli(
      ["keygen", "--type", type, "--name", "repo", "--email", "repo@example.invalid", "-o", "keys"],
      dir,
    );
    assert.equal(r.status, 0, r.stderr);
  }
  const published = spawnCli(
    [
      "publish",
      "--to",
      "public",
      "--key",
      "keys/repo.secret.asc",
      "--apk-key",
      "keys/repo.rsa",
      "--apk-target",
      "alpine-3.22",
    ],
    dir,
    { SOURCE_DATE_EPOCH: "1700000000" },
  );
  assert.equal(published.status, 0, published.stderr);
  const keys = readdirSync(join(dir, "public/keys")).filter((f) => f.endsWith(".rsa.pub"));
  assert.equal(keys.length, 1, keys.join(", "));
  apkKeyName = keys[0]!;
});

test("pacman installs the example from the published repository, trusting the key it hands out", async (t) => {
  if (!needTool(t, "pacman", "pacman-key", "busybox")) return;
  if (!needRoot(t, "pacman syncs and installs only as root")) return;
  const key = readFileSync(join(dir, "public/keys/repository.asc"), "utf8");
  const signer = await loadOpenPGPSigner(readFileSync(join(dir, "keys/repo.secret.asc"), "utf8"));
  const gpgdir = makeKeyring(tmp("packyard-pacman-keyring-"), key, signer.primaryFingerprint);
  t.after(() => void tryRun("gpgconf", ["--homedir", gpgdir, "--kill", "all"]));
  // The repository is named after the project (the README's [hello-packyard] section).
  const root = makeRepoRoot(gpgdir, [
    { repo: "hello-packyard", servers: [`file://${join(dir, "public")}/archlinux/$repo/os/$arch`] },
  ]);
  t.after(() => rmSync(root.root, { recursive: true, force: true }));
  const sync = await root.pacman(["-Sy"]);
  assert.equal(sync.status, 0, sync.stdout + sync.stderr);
  assert.doesNotMatch(sync.stdout + sync.stderr, /error|warning/i);
  const install = await root.pacman(["-S", "hello-packyard"]);
  assert.equal(install.status, 0, install.stdout + install.stderr);
  const q = await root.pacman(["-Q", "hello-packyard"]);
  assert.equal(q.stdout.trim(), "hello-packyard 1.0.0-1");
});

/** The members of a concatenation of gzip streams, each as its compressed bytes (RFC 1952 headers parsed here). */
function gzipMembers(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    assert.equal(bytes[at], 0x1f);
    assert.equal(bytes[at + 1], 0x8b);
    const flags = bytes[at + 3]!;
    let p = at + 10;
    if (flags & 4) p += 2 + bytes.readUInt16LE(p);
    if (flags & 8) p = bytes.indexOf(0, p) + 1;
    if (flags & 16) p = bytes.indexOf(0, p) + 1;
    if (flags & 2) p += 2;
    // inflateRawSync stops at the end of the deflate stream; how much it read tells where the trailer is.
    const r = inflateRawSync(bytes.subarray(p), {
      info: true,
      finishFlush: constants.Z_SYNC_FLUSH,
    }) as unknown as {
      engine: { bytesWritten: number };
    };
    const end = p + r.engine.bytesWritten + 8;
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

test("the Alpine index verifies with openssl against keys/<the signature's name>", (t) => {
  if (!needTool(t, "openssl")) return;
  const index = readFileSync(join(dir, "public/alpine/v3.22/main/x86_64/APKINDEX.tar.gz"));
  const [sig, signed, ...rest] = gzipMembers(index);
  assert.equal(rest.length, 0);
  const sigTar = execFileSync("gzip", ["-dc"], { input: sig });
  const name = sigTar.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "");
  assert.equal(name, `.SIGN.RSA256.${apkKeyName}`);
  const size = Number.parseInt(sigTar.subarray(124, 136).toString("latin1").trim(), 8);
  // Cut: one header and the padded signature, no end-of-archive blocks.
  assert.equal(sigTar.length, 512 + Math.ceil(size / 512) * 512);
  const work = tmp("packyard-apk-judge-");
  writeFileSync(join(work, "sig"), sigTar.subarray(512, 512 + size));
  writeFileSync(join(work, "index.gz"), signed!);
  const out = execFileSync(
    "openssl",
    [
      "dgst",
      "-sha256",
      "-verify",
      join(dir, "public/keys", apkKeyName),
      "-signature",
      join(work, "sig"),
      join(work, "index.gz"),
    ],
    { encoding: "utf8" },
  );
  assert.match(out, /Verified OK/);
  const apks = readdirSync(join(dir, "public/alpine/v3.22/main/x86_64")).filter((f) => f.endsWith(".apk"));
  assert.deepEqual(apks, ["hello-packyard-1.0.0-r1.apk"]);
});
