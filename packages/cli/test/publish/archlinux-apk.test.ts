/**
 * One `packyard publish` of the example built for every Linux family (`packyard build -f
 * packyard.signed.yml -p deb,rpm,archlinux,apk`, keys made by `packyard keygen`): the APT suite, the
 * RPM-MD root, the pacman repository (the Arch package with the .sig the build wrote) and the Alpine root
 * (its index signed under the name the build gave the apk's signature, the key written under that name);
 * a publish of apks alone needs no OpenPGP key; `repo ls` lists the pacman and Alpine roots and `repo rm`
 * removes from one family's roots. In-process, no external tool: what pacman and apk make of the result
 * is the interop tests' to say.
 */
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { exampleProject } from "@packyard/testkit/example";
import type { ListedRoot } from "../../src/commands/repo.ts";
import type { PublishResult } from "../../src/repo.ts";
import { tempDirs } from "../temp-dirs.ts";
import { cli } from "./support.ts";

const tmp = tempDirs("packyard-archlinux-apk-");

const ARCH = "hello-packyard-1.0.0-1-any.pkg.tar.zst";
const APK = "hello-packyard-1.0.0-r1.apk";
/** The pacman repository: named after the project when nothing else names it. */
const REPO = "hello-packyard";
const PACMAN_ROOT = `archlinux/${REPO}/os/x86_64`;
const ALPINE_ROOT = "alpine/v3.22/main/x86_64";

let dir: string;
/** The key name in the built apk's signature (`.SIGN.RSA256.<name>`): what apk users must install it as. */
let apkKeyName: string;
/** The publish's summary line. */
let summary: string;

/** The name of the first member of a gzip-compressed tar stream (an apk's, or an index's, signature). */
function firstTarName(gz: Uint8Array): string {
  const tar = gunzipSync(gz);
  const field = tar.subarray(0, 100);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? field.subarray(0, end) : field);
}

before(async () => {
  dir = exampleProject(tmp());
  for (const args of [
    ["--type", "openpgp", "--algorithm", "ecc"],
    ["--type", "rsa"],
  ]) {
    const r = await cli(
      ["keygen", ...args, "--name", "signer", "--email", "signer@packyard.invalid", "-o", "keys"],
      dir,
    );
    assert.equal(r.status, 0, r.stderr);
  }
  const built = await cli(["build", "-q", "-f", "packyard.signed.yml", "-p", "deb,rpm,archlinux,apk"], dir);
  assert.equal(built.status, 0, built.stderr);
  const signature = firstTarName(readFileSync(join(dir, "dist", APK)));
  assert.match(signature, /^\.SIGN\.RSA256\./);
  apkKeyName = signature.slice(".SIGN.RSA256.".length);
  const published = await cli(
    [
      "publish",
      "-f",
      "packyard.signed.yml",
      "--to",
      "public",
      "--key",
      "keys/signer.secret.asc",
      "--apk-key",
      "keys/signer.rsa",
      "--rpm-target",
      "el-9",
      "--apk-target",
      "alpine-3.22",
    ],
    dir,
  );
  assert.equal(published.status, 0, published.stderr);
  summary = published.stderr;
});

const pub = (key: string) => join(dir, "public", key);

test("one publish writes the four families' top files and the keys", () => {
  for (const key of [
    "deb/dists/stable/InRelease",
    "rpm/el/9/x86_64/repodata/repomd.xml",
    `${PACMAN_ROOT}/${REPO}.db`,
    `${PACMAN_ROOT}/${REPO}.db.sig`,
    `${ALPINE_ROOT}/APKINDEX.tar.gz`,
    `${ALPINE_ROOT}/${APK}`,
    `keys/${apkKeyName}`,
  ]) {
    assert.ok(existsSync(pub(key)), key);
  }
  assert.match(
    summary,
    /^published to public \(([^)]*)\): \d+ added, 0 unchanged, 0 removed; \d+ files changed\n$/,
  );
  for (const root of ["deb/stable", "rpm/el/9/x86_64", PACMAN_ROOT, ALPINE_ROOT]) {
    assert.ok(summary.includes(root), `${root} in ${summary}`);
  }
});

test("the Arch package keeps the .sig the build wrote beside it", () => {
  assert.deepEqual(
    readFileSync(pub(`${PACMAN_ROOT}/${ARCH}.sig`)),
    readFileSync(join(dir, "dist", `${ARCH}.sig`)),
  );
});

test("the Alpine index is signed under the name packyard build gave the apk, and keys/<name> is the --apk-key's public key", () => {
  assert.match(apkKeyName, /^example@packyard\.invalid-[0-9a-f]{8}\.rsa\.pub$/, "the maintainer's e-mail");
  assert.equal(
    firstTarName(readFileSync(pub(`${ALPINE_ROOT}/APKINDEX.tar.gz`))),
    `.SIGN.RSA256.${apkKeyName}`,
  );
  const der = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "der" });
  const fromPrivate = createPublicKey(
    createPrivateKey(readFileSync(join(dir, "keys/signer.rsa"), "utf8")),
  ).export({ type: "spki", format: "der" });
  assert.deepEqual(der(readFileSync(pub(`keys/${apkKeyName}`), "utf8")), fromPrivate);
});

test("apks alone: --apk-key without --key publishes the Alpine root only", async () => {
  const r = await cli(
    [
      "publish",
      `dist/${APK}`,
      "--to",
      "apk-only",
      "--apk-key",
      "keys/signer.rsa",
      "--apk-target",
      "alpine-3.22",
    ],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, "apk-only", ALPINE_ROOT, "APKINDEX.tar.gz")));
  assert.ok(existsSync(join(dir, "apk-only/keys", apkKeyName)));
  for (const other of ["deb", "rpm", "archlinux"])
    assert.ok(!existsSync(join(dir, "apk-only", other)), other);
});

test("repo ls lists the pacman and Alpine roots; repo rm removes from one family's roots only", async () => {
  const ls = async (): Promise<ListedRoot[]> => {
    const r = await cli(["repo", "ls", "--to", "public", "--json"], dir);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as ListedRoot[];
  };
  const count = (roots: ListedRoot[]) => Object.fromEntries(roots.map((r) => [r.root, r.packages.length]));
  const roots = await ls();
  const pacman = roots.find((r) => r.root === PACMAN_ROOT);
  const alpine = roots.find((r) => r.root === ALPINE_ROOT);
  assert.deepEqual([pacman?.family, pacman?.repo, pacman?.architectures], ["archlinux", REPO, ["x86_64"]]);
  assert.deepEqual(
    [alpine?.family, alpine?.target, alpine?.repo, alpine?.architectures],
    ["alpine", "alpine-3.22", "main", ["x86_64"]],
  );
  assert.deepEqual(
    pacman?.packages.map((p) => [p.name, p.version, p.arch]),
    [["hello-packyard", "1.0.0-1", "any"]],
  );
  assert.deepEqual(
    alpine?.packages.map((p) => [p.name, p.version, p.arch]),
    [["hello-packyard", "1.0.0-r1", "noarch"]],
  );
  const text = await cli(["repo", "ls", "--to", "public"], dir);
  assert.match(
    text.stdout,
    new RegExp(`^${PACMAN_ROOT}: repository ${REPO}, architectures x86_64, 1 package, `, "m"),
  );
  assert.match(
    text.stdout,
    new RegExp(
      `^${ALPINE_ROOT}: target alpine-3.22, repository main, architectures x86_64, 1 package, `,
      "m",
    ),
  );

  const rmApk = await cli(
    [
      "repo",
      "rm",
      "--to",
      "public",
      "--apk-target",
      "alpine-3.22",
      "--apk-key",
      "keys/signer.rsa",
      "hello-packyard",
      "--json",
    ],
    dir,
  );
  assert.equal(rmApk.status, 0, rmApk.stderr);
  assert.deepEqual((JSON.parse(rmApk.stdout) as PublishResult).roots, [ALPINE_ROOT]);
  const rmArch = await cli(
    [
      "repo",
      "rm",
      "--to",
      "public",
      "--family",
      "archlinux",
      "--key",
      "keys/signer.secret.asc",
      "hello-packyard",
    ],
    dir,
  );
  assert.equal(rmArch.status, 0, rmArch.stderr);
  assert.deepEqual(count(await ls()), {
    "deb/stable": 1,
    "rpm/el/9/x86_64": 1,
    [PACMAN_ROOT]: 0,
    [ALPINE_ROOT]: 0,
  });
});
