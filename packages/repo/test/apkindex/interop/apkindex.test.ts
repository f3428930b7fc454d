/**
 * The signed APKINDEX.tar.gz judged by tools that share no code with packyard: Python's zlib splits the
 * file into its gzip members and Python's tarfile reads them, openssl verifies the RSA signatures over
 * the second member as stored, GNU tar lists the index tar and the whole file, and C: is recomputed from
 * each .apk by a Python walk over its gzip members (the control member is the one whose tar holds
 * .PKGINFO). Tampering with the signed bytes, or verifying with another key, must fail.
 * (apk-tools itself is not on the test hosts; reference §5.3 records what it accepted.)
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { loadRSASigner } from "@packyard/formats";
import { KEYS_DIR } from "@packyard/testkit/keyrings";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { apkIndexInfo, buildApkIndex } from "../../../src/apkindex/index.ts";
import type { ApkEntry } from "../../../src/apkindex/types.ts";
import { GOLDEN_APKS, testApk } from "../apks.ts";

const KEY_NAME = "repo@example.org-65000000.rsa.pub";
const PUBLIC = `${KEYS_DIR}openssl-pkcs8.rsa.pub`;
const OTHER_PUBLIC = `${KEYS_DIR}openssl-pkcs1.rsa.pub`;
const signer = (file: string) =>
  loadRSASigner(readFileSync(`${KEYS_DIR}${file}`, "utf8"), { keyName: KEY_NAME });

/**
 * argv: FILE OUTDIR. Writes each gzip member of FILE as OUTDIR/m<i>.gz (raw bytes) and OUTDIR/m<i>.tar
 * (decompressed), and prints JSON: per member its raw length, decompressed length and tar entries
 * (name, size, mode, uid, gid, mtime) read by tarfile; each entry's content goes to OUTDIR/m<i>.<name>.
 */
const SPLIT = `
import io, json, sys, tarfile, zlib
data = open(sys.argv[1], 'rb').read(); out = sys.argv[2]; pos = 0; i = 0; members = []
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tar = d.decompress(data[pos:]) + d.flush()
    assert d.eof, 'truncated gzip member'
    end = len(data) - len(d.unused_data)
    open(f'{out}/m{i}.gz', 'wb').write(data[pos:end]); open(f'{out}/m{i}.tar', 'wb').write(tar)
    entries = []
    with tarfile.open(fileobj=io.BytesIO(tar), mode='r:') as tf:
        for m in tf.getmembers():
            entries.append([m.name, m.size, m.mode, m.uid, m.gid, m.mtime])
            open(f'{out}/m{i}.{m.name}', 'wb').write(tf.extractfile(m).read())
    members.append({'raw': end - pos, 'length': len(tar), 'entries': entries})
    pos = end; i += 1
print(json.dumps(members))
`;

/** argv: APK. Prints "Q1" + base64(SHA-1) of the gzip member whose tar holds .PKGINFO (apk's identity). */
const CONTROL_Q1 = `
import base64, hashlib, io, sys, tarfile, zlib
data = open(sys.argv[1], 'rb').read(); pos = 0; found = []
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tar = d.decompress(data[pos:]) + d.flush()
    end = len(data) - len(d.unused_data)
    names = []
    try:
        with tarfile.open(fileobj=io.BytesIO(tar), mode='r:') as tf:
            names = tf.getnames()
    except tarfile.ReadError:
        pass
    if '.PKGINFO' in names:
        found.append('Q1' + base64.b64encode(hashlib.sha1(data[pos:end]).digest()).decode())
    pos = end
assert len(found) == 1, found
print(found[0])
`;

interface Member {
  raw: number;
  length: number;
  entries: Array<[string, number, number, number, number, number]>;
}

function work(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "packyard-apkindex-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function split(file: string, out: string): Member[] {
  mkdirSync(out, { recursive: true });
  return JSON.parse(run("python3", ["-c", SPLIT, file, out])) as Member[];
}

function opensslVerify(hash: "sha256" | "sha1", pub: string, sig: string, data: string) {
  return tryRun("openssl", ["dgst", `-${hash}`, "-verify", pub, "-signature", sig, data]);
}

/** The golden packages written into `<dir>/x86_64/`, and their index entries. */
async function repository(dir: string): Promise<{ files: Map<string, string>; entries: ApkEntry[] }> {
  mkdirSync(join(dir, "x86_64"));
  const files = new Map<string, string>();
  const entries: ApkEntry[] = [];
  for (const o of GOLDEN_APKS) {
    const apk = await testApk(o);
    const path = join(dir, "x86_64", apk.name);
    writeFileSync(path, apk.bytes);
    files.set(apk.name, path);
    entries.push({ info: apkIndexInfo(apk.info, apk.name), size: apk.bytes.length });
  }
  return { files, entries };
}

test("APKINDEX.tar.gz: two gzip members, a cut signature tar, signatures openssl verifies, C: and S: of every package", async (t) => {
  if (!needTool(t, "python3", "openssl", "tar")) return;
  const dir = work(t);
  const { files, entries } = await repository(dir);
  const index = join(dir, "x86_64", "APKINDEX.tar.gz");
  writeFileSync(
    index,
    await buildApkIndex(entries, {
      arch: "x86_64",
      description: "v3.20/main",
      signer: signer("openssl-pkcs8.rsa"),
      keyName: KEY_NAME,
      legacySha1: true,
      mtime: 1704067200,
    }),
  );

  const out = join(dir, "split");
  const members = split(index, out);
  assert.equal(members.length, 2, "exactly two gzip members");
  const [sig, idx] = members;
  assert.equal(sig!.raw + idx!.raw, statSync(index).size, "nothing after the two members");

  // Member 1: .SIGN.RSA256.<key> then .SIGN.RSA.<key>, and no end-of-archive blocks after them.
  assert.deepEqual(
    sig!.entries.map((e) => e[0]),
    [`.SIGN.RSA256.${KEY_NAME}`, `.SIGN.RSA.${KEY_NAME}`],
  );
  const cutLength = sig!.entries.reduce((n, e) => n + 512 + Math.ceil(e[1] / 512) * 512, 0);
  assert.equal(sig!.length, cutLength, "the signature tar is cut: headers and padded data only");
  for (const e of [...sig!.entries, ...idx!.entries])
    assert.deepEqual(e.slice(2), [0o644, 0, 0, 1704067200], e[0]);

  // openssl: both signatures over member 2 as stored.
  const m2 = join(out, "m1.gz");
  const sha256 = opensslVerify("sha256", PUBLIC, join(out, `m0..SIGN.RSA256.${KEY_NAME}`), m2);
  assert.match(sha256.stdout, /Verified OK/, sha256.stderr);
  const sha1 = opensslVerify("sha1", PUBLIC, join(out, `m0..SIGN.RSA.${KEY_NAME}`), m2);
  assert.match(sha1.stdout, /Verified OK/, sha1.stderr);
  const wrongHash = opensslVerify("sha1", PUBLIC, join(out, `m0..SIGN.RSA256.${KEY_NAME}`), m2);
  assert.notEqual(wrongHash.status, 0, "the RSA256 signature is not a SHA-1 one");

  // Member 2: DESCRIPTION then APKINDEX, for GNU tar and for tarfile; the whole file reads as one tar.
  assert.deepEqual(run("tar", ["-tzf", m2]).trim().split("\n"), ["DESCRIPTION", "APKINDEX"]);
  assert.deepEqual(
    idx!.entries.map((e) => e[0]),
    ["DESCRIPTION", "APKINDEX"],
  );
  assert.deepEqual(run("tar", ["-tzf", index]).trim().split("\n"), [
    `.SIGN.RSA256.${KEY_NAME}`,
    `.SIGN.RSA.${KEY_NAME}`,
    "DESCRIPTION",
    "APKINDEX",
  ]);
  assert.equal(run("tar", ["-xzOf", m2, "DESCRIPTION"]), "v3.20/main");

  // C: and S: of each block against the .apk files, recomputed by Python and the file system.
  const text = run("tar", ["-xzOf", m2, "APKINDEX"]);
  assert.ok(text.endsWith("\n\n"));
  const blocks = text.slice(0, -2).split("\n\n");
  assert.equal(blocks.length, files.size);
  const seen = new Set<string>();
  for (const b of blocks) {
    const field = (k: string) =>
      b
        .split("\n")
        .find((l) => l.startsWith(`${k}:`))
        ?.slice(2);
    const name = `${field("P")}-${field("V")}.apk`;
    const path = files.get(name);
    assert.ok(path, `a block for a package that was indexed: ${name}`);
    seen.add(name);
    assert.equal(field("C"), run("python3", ["-c", CONTROL_Q1, path]).trim(), `C: of ${name}`);
    assert.equal(field("S"), String(statSync(path).size), `S: of ${name}`);
    assert.notEqual(field("A"), "noarch", `A: of ${name}`);
  }
  assert.equal(seen.size, files.size);
});

test("tampering with the signed member, or another key, fails openssl's verification", async (t) => {
  if (!needTool(t, "python3", "openssl")) return;
  const dir = work(t);
  const { entries } = await repository(dir);
  const base = {
    arch: "x86_64",
    description: "main",
    keyName: KEY_NAME,
    legacySha1: false,
    mtime: 1704067200,
  };
  const good = join(dir, "good.tar.gz");
  writeFileSync(good, await buildApkIndex(entries, { ...base, signer: signer("openssl-pkcs8.rsa") }));
  const out = join(dir, "good");
  split(good, out);
  const sig = join(out, `m0..SIGN.RSA256.${KEY_NAME}`);
  const m2 = join(out, "m1.gz");
  assert.match(opensslVerify("sha256", PUBLIC, sig, m2).stdout, /Verified OK/);

  const bytes = readFileSync(m2);
  for (const at of [20, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const flipped = Buffer.from(bytes);
    flipped[at]! ^= 0x01;
    const file = join(dir, `flipped-${at}.gz`);
    writeFileSync(file, flipped);
    const r = opensslVerify("sha256", PUBLIC, sig, file);
    assert.notEqual(r.status, 0, `byte ${at} flipped`);
    assert.doesNotMatch(r.stdout, /Verified OK/);
  }

  const other = join(dir, "other.tar.gz");
  writeFileSync(other, await buildApkIndex(entries, { ...base, signer: signer("openssl-pkcs1.rsa") }));
  const otherOut = join(dir, "other");
  split(other, otherOut);
  const otherSig = join(otherOut, `m0..SIGN.RSA256.${KEY_NAME}`);
  const otherM2 = join(otherOut, "m1.gz");
  const wrong = opensslVerify("sha256", PUBLIC, otherSig, otherM2);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout + wrong.stderr, /Verification failure/);
  assert.match(opensslVerify("sha256", OTHER_PUBLIC, otherSig, otherM2).stdout, /Verified OK/);
});

test("two keys while rotating: one .SIGN entry per key and hash, each verified by openssl with its own public key only", async (t) => {
  if (!needTool(t, "python3", "openssl", "tar")) return;
  const dir = work(t);
  const { entries } = await repository(dir);
  const NEW = "new@example.org-66000000.rsa.pub";
  const OLD = "old@example.org-65000000.rsa.pub";
  const build = () =>
    buildApkIndex(entries, {
      arch: "x86_64",
      description: "main",
      signer: loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs8.rsa`, "utf8"), { keyName: NEW }),
      keyName: NEW,
      additionalSigners: [
        loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs1.rsa`, "utf8"), { keyName: OLD }),
      ],
      legacySha1: true,
      mtime: 1704067200,
    });
  const bytes = await build();
  assert.deepEqual(await build(), bytes, "the same bytes on every build");
  const index = join(dir, "rotating.tar.gz");
  writeFileSync(index, bytes);
  const out = join(dir, "rotating");
  const members = split(index, out);
  assert.equal(members.length, 2, "the signatures share one gzip member, before the index member");
  // The order apk-tools walks them in (extract_v2.c: the first entry whose key is installed is used).
  const names = [`.SIGN.RSA256.${NEW}`, `.SIGN.RSA256.${OLD}`, `.SIGN.RSA.${NEW}`, `.SIGN.RSA.${OLD}`];
  assert.deepEqual(
    members[0]!.entries.map((e) => e[0]),
    names,
  );
  assert.deepEqual(run("tar", ["-tzf", index]).trim().split("\n"), [...names, "DESCRIPTION", "APKINDEX"]);
  const m2 = join(out, "m1.gz");
  const keyOf: Record<string, string> = { [NEW]: PUBLIC, [OLD]: OTHER_PUBLIC };
  for (const name of names) {
    const hash = name.startsWith(".SIGN.RSA256.") ? "sha256" : "sha1";
    const keyName = name.slice(name.indexOf(".", ".SIGN.RSA".length) + 1);
    const own = keyOf[keyName]!;
    const other = own === PUBLIC ? OTHER_PUBLIC : PUBLIC;
    const ok = opensslVerify(hash, own, join(out, `m0.${name}`), m2);
    assert.match(ok.stdout, /Verified OK/, `${name} with its own key: ${ok.stderr}`);
    const wrong = opensslVerify(hash, other, join(out, `m0.${name}`), m2);
    assert.notEqual(wrong.status, 0, `${name} must not verify with the other key`);
  }
});
