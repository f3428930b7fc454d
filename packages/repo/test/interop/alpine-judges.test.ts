/**
 * Alpine repositories published by the engine, judged by tools that share no code with packyard (apk-tools
 * is not on the test hosts): Python's zlib splits every APKINDEX.tar.gz and .apk into its gzip members, one
 * at a time, and Python's tarfile reads them; openssl verifies the index signature over the second member
 * as stored, with the key file the repository publishes under the name the signature carries (the name
 * users save it under in /etc/apk/keys); every index block is checked against the .apk files of its folder:
 * `C:` recomputed by Python from the stored bytes, `S:` from the file system, `A:` the folder's arch. Then
 * the same judge must refuse a changed signed member, a signature by another key under the same name, and
 * a stored .apk replaced by another build.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { bytesSource, loadRSASigner, type RSASigner } from "@packyard/formats";
import { folderStorage, publish } from "@packyard/repo";
import { needTool, run, tryRun } from "@packyard/testkit/tools";
import { type TestApkOptions, testApk } from "../apkindex/apks.ts";

const KEY_NAME = "judge@packyard.invalid-5f3a1b2c.rsa.pub";
const BRANCH = "alpine/v3.22/main";
const ARCHES = ["aarch64", "x86_64"];

/** The packages: two versions of an x86_64 one (the newer signed by another key), and a noarch one. */
const APKS: TestApkOptions[] = [
  { name: "hello", version: "2.10.0-r0", signed: true, summary: "Says hello", license: "MIT" },
  { name: "hello", version: "2.9.1-r3", summary: "Says hello" },
  { name: "hello-doc", version: "2.10.0-r0", arch: "all", summary: "Documentation for hello" },
];

/**
 * argv: FILE OUTDIR. Splits FILE into its gzip members one decompressobj at a time; writes each member's
 * raw bytes (OUTDIR/m<i>.gz), its tar (m<i>.tar) and the content of each tar entry (m<i>.<name>); prints
 * JSON per member: raw length, tar length, entries [name, size] as tarfile reads them (null when the member
 * is not a tar).
 */
const SPLIT = `
import io, json, sys, tarfile, zlib
data = open(sys.argv[1], 'rb').read(); out = sys.argv[2]; pos = 0; members = []
while pos < len(data):
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    tar = d.decompress(data[pos:]) + d.flush()
    assert d.eof, f'truncated gzip member at {pos}'
    end = len(data) - len(d.unused_data)
    i = len(members)
    open(f'{out}/m{i}.gz', 'wb').write(data[pos:end]); open(f'{out}/m{i}.tar', 'wb').write(tar)
    entries = None
    try:
        with tarfile.open(fileobj=io.BytesIO(tar), mode='r:') as tf:
            entries = []
            for m in tf.getmembers():
                entries.append([m.name, m.size])
                if m.isfile() and '/' not in m.name:
                    open(f'{out}/m{i}.{m.name}', 'wb').write(tf.extractfile(m).read())
    except tarfile.ReadError:
        pass
    members.append({'raw': end - pos, 'length': len(tar), 'entries': entries})
    pos = end
print(json.dumps(members))
`;

/**
 * argv: APK... Prints JSON {file: "Q1" + base64(SHA-1 of the gzip member whose tar holds .PKGINFO)}, the
 * identity apk gives a package; exactly one member may hold .PKGINFO.
 */
const CONTROL_Q1 = `
import base64, hashlib, io, json, sys, tarfile, zlib
result = {}
for path in sys.argv[1:]:
    data = open(path, 'rb').read(); pos = 0; found = []
    while pos < len(data):
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        tar = d.decompress(data[pos:]) + d.flush()
        assert d.eof, f'{path}: truncated gzip member at {pos}'
        end = len(data) - len(d.unused_data)
        try:
            with tarfile.open(fileobj=io.BytesIO(tar), mode='r:') as tf:
                names = tf.getnames()
        except tarfile.ReadError:
            names = []
        if '.PKGINFO' in names:
            found.append('Q1' + base64.b64encode(hashlib.sha1(data[pos:end]).digest()).decode())
        pos = end
    assert len(found) == 1, (path, found)
    result[path] = found[0]
print(json.dumps(result))
`;

/**
 * argv: SIG-NAME SIG-FILE INDEX-MEMBER OUT. Writes OUT: a gzip member holding a tar of one entry SIG-NAME
 * with SIG-FILE's bytes and no end-of-archive blocks (as abuild-tar --cut), then INDEX-MEMBER's bytes.
 */
const ASSEMBLE = `
import gzip, sys, tarfile
name, sig, index, out = sys.argv[1:5]
body = open(sig, 'rb').read()
info = tarfile.TarInfo(name); info.size = len(body); info.mode = 0o644
tar = info.tobuf(format=tarfile.USTAR_FORMAT) + body + b'\\0' * (-len(body) % 512)
open(out, 'wb').write(gzip.compress(tar, mtime=0) + open(index, 'rb').read())
`;

interface Member {
  raw: number;
  length: number;
  entries: Array<[string, number]> | null;
}

interface Shared {
  dir: string;
  repo: string;
  signer: RSASigner;
  /** The private key (PKCS#8 PEM), for openssl. */
  privateKey: string;
  /** Another RSA key (PKCS#8 PEM). */
  otherKey: string;
}

let shared: Promise<Shared> | undefined;
const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups.reverse()) c();
});

function rsaPem(): string {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  }).privateKey;
}

async function setup(): Promise<Shared> {
  const dir = mkdtempSync(join(tmpdir(), "packyard-alpine-judges-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const privateKey = rsaPem();
  const otherKey = rsaPem();
  writeFileSync(join(dir, "private.pem"), privateKey);
  writeFileSync(join(dir, "other.pem"), otherKey);
  const signer = loadRSASigner(privateKey, { keyName: KEY_NAME });
  const apks = await Promise.all(APKS.map((o) => testApk(o)));
  const repo = join(dir, "repo");
  const result = await publish(folderStorage(repo), {
    add: apks.map((a) => ({ info: a.info, source: bytesSource(a.bytes), name: a.name })),
    signers: [],
    apkSigner: signer,
    alpine: { targets: ["alpine-3.22"], architectures: ["x86_64", "aarch64"] },
  });
  assert.deepEqual(
    result.roots.sort(),
    ARCHES.map((a) => `${BRANCH}/${a}`),
  );
  return { dir, repo, signer, privateKey, otherKey };
}

async function repository(t: Parameters<typeof needTool>[0]): Promise<Shared | undefined> {
  if (!needTool(t, "python3", "openssl")) return undefined;
  shared ??= setup();
  return shared;
}

let scratches = 0;
function scratch(s: Shared, what: string): string {
  const dir = join(s.dir, `${what}-${++scratches}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function split(file: string, out: string): Member[] {
  mkdirSync(out, { recursive: true });
  return JSON.parse(run("python3", ["-c", SPLIT, file, out])) as Member[];
}

function opensslVerify(publicKey: string, signature: string, data: string) {
  return tryRun("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", signature, data]);
}

/** One APKINDEX block as `key → value`. */
type Block = Map<string, string>;

/**
 * The judge of one architecture folder of the repository in `repo`: throws (an AssertionError naming what
 * failed) unless the index is two gzip members, a cut signature tar of one `.SIGN.RSA256.<key>` entry whose
 * key file `keys/<key>` verifies member 2 with openssl, a member 2 of DESCRIPTION and APKINDEX, and blocks
 * that describe exactly the .apk files of the folder. Returns the blocks.
 */
function judgeFolder(s: Shared, repo: string, arch: string): Block[] {
  const folder = join(repo, BRANCH, arch);
  const index = join(folder, "APKINDEX.tar.gz");
  const out = scratch(s, `split-${arch}`);
  const members = split(index, out);
  assert.equal(members.length, 2, `${arch}: APKINDEX.tar.gz has two gzip members`);
  const [sig, idx] = members as [Member, Member];
  assert.equal(sig.raw + idx.raw, statSync(index).size, `${arch}: nothing after the two members`);

  assert.ok(sig.entries !== null && sig.entries.length === 1, `${arch}: one signature entry`);
  const [sigName, sigSize] = sig.entries[0]!;
  const m = /^\.SIGN\.RSA256\.(.+)$/.exec(sigName);
  assert.ok(m !== null, `${arch}: the signature entry ${sigName} is .SIGN.RSA256.<key name>`);
  assert.equal(sig.length, 512 + Math.ceil(sigSize / 512) * 512, `${arch}: the signature tar is cut`);
  const keyFile = join(repo, "keys", m[1]!);
  assert.ok(existsSync(keyFile), `${arch}: keys/${m[1]} (the signature's key name) is published`);
  const verify = opensslVerify(keyFile, join(out, `m0.${sigName}`), join(out, "m1.gz"));
  assert.match(
    verify.stdout,
    /^Verified OK$/m,
    `${arch}: openssl dgst -sha256 -verify keys/${m[1]}: ${verify.stdout}${verify.stderr}`,
  );

  assert.deepEqual(
    idx.entries?.map((e) => e[0]),
    ["DESCRIPTION", "APKINDEX"],
    `${arch}: member 2 holds DESCRIPTION and APKINDEX`,
  );
  const text = readFileSync(join(out, "m1.APKINDEX"), "utf8");
  assert.match(
    text,
    /^(?:(?:[A-Za-z]:[^\n]*\n)+\n)+$/,
    `${arch}: X:value lines, a blank line after each block`,
  );
  const blocks: Block[] = text
    .slice(0, -2)
    .split("\n\n")
    .map((b) => new Map(b.split("\n").map((l) => [l.slice(0, 1), l.slice(2)])));

  const apks = readdirSync(folder).filter((f) => f.endsWith(".apk"));
  const q1 = JSON.parse(run("python3", ["-c", CONTROL_Q1, ...apks.map((f) => join(folder, f))])) as Record<
    string,
    string
  >;
  const described = blocks.map((b) => {
    const file = `${b.get("P")}-${b.get("V")}.apk`;
    const path = join(folder, file);
    assert.ok(existsSync(path), `${arch}: ${file}, named by a block, is in the folder`);
    assert.equal(b.get("C"), q1[path], `${arch}: C: of ${file}`);
    assert.equal(b.get("S"), String(statSync(path).size), `${arch}: S: of ${file}`);
    assert.equal(b.get("A"), arch, `${arch}: A: of ${file}`);
    return file;
  });
  assert.deepEqual(described.sort(), apks.sort(), `${arch}: one block per .apk file of the folder`);
  return blocks;
}

test("every folder: a two-member index signed under the published key's name, a block per .apk with C:, S:, A: right", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  // the published key is the signer's public key, as openssl derives it from the private key
  const derived = run("openssl", ["pkey", "-in", join(s.dir, "private.pem"), "-pubout"]);
  assert.equal(readFileSync(join(s.repo, "keys", KEY_NAME), "utf8").trim(), derived.trim());
  assert.deepEqual(readdirSync(join(s.repo, BRANCH)).sort(), ARCHES);

  const names = (blocks: Block[]) => blocks.map((b) => `${b.get("P")}-${b.get("V")}`).sort();
  assert.deepEqual(names(judgeFolder(s, s.repo, "x86_64")), [
    "hello-2.10.0-r0",
    "hello-2.9.1-r3",
    "hello-doc-2.10.0-r0",
  ]);
  assert.deepEqual(names(judgeFolder(s, s.repo, "aarch64")), ["hello-doc-2.10.0-r0"]);
  // the noarch package is one file, copied into both folders
  const doc = (arch: string) => readFileSync(join(s.repo, BRANCH, arch, "hello-doc-2.10.0-r0.apk"));
  assert.deepEqual(doc("aarch64"), doc("x86_64"));
});

test("every stored .apk carries the repository key's signature first, over its control member", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const key = join(s.repo, "keys", KEY_NAME);
  for (const arch of ARCHES) {
    const folder = join(s.repo, BRANCH, arch);
    for (const file of readdirSync(folder).filter((f) => f.endsWith(".apk"))) {
      const out = scratch(s, `apk-${arch}`);
      const members = split(join(folder, file), out);
      assert.equal(members.length, 3, `${file}: signature, control and data members`);
      const names = members[0]!.entries?.map((e) => e[0]) ?? [];
      assert.equal(names[0], `.SIGN.RSA256.${KEY_NAME}`, `${file}: ${names.join(", ")}`);
      assert.ok(
        members[1]!.entries?.some((e) => e[0] === ".PKGINFO"),
        `${file}: the second member is the control one`,
      );
      const r = opensslVerify(key, join(out, `m0.${names[0]}`), join(out, "m1.gz"));
      assert.match(r.stdout, /^Verified OK$/m, `${file}: ${r.stdout}${r.stderr}`);
      if (file === "hello-2.10.0-r0.apk")
        assert.deepEqual(names, [`.SIGN.RSA256.${KEY_NAME}`, ".SIGN.RSA256.packages@example.org-1.rsa.pub"]);
    }
  }
});

/** A copy of the published repository to break. */
function copyOf(s: Shared): string {
  const copy = scratch(s, "copy");
  cpSync(s.repo, copy, { recursive: true });
  return copy;
}

test("a changed byte in the signed member: openssl refuses it (the judge too)", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const key = join(s.repo, "keys", KEY_NAME);
  const out = scratch(s, "flip");
  const [sig] = split(join(s.repo, BRANCH, "x86_64", "APKINDEX.tar.gz"), out);
  const signature = join(out, `m0.${sig!.entries![0]![0]}`);
  assert.match(opensslVerify(key, signature, join(out, "m1.gz")).stdout, /Verified OK/);
  const member = readFileSync(join(out, "m1.gz"));
  for (const at of [5, member.length >> 1, member.length - 1]) {
    const flipped = Buffer.from(member);
    flipped[at]! ^= 0x01;
    const file = join(out, `flipped-${at}.gz`);
    writeFileSync(file, flipped);
    const r = opensslVerify(key, signature, file);
    assert.notEqual(r.status, 0, `byte ${at} flipped`);
    assert.match(r.stdout + r.stderr, /Verification failure/, `byte ${at} flipped`);
  }
  // in place, in the gzip header's MTIME (byte 5 of member 2): the index still decompresses, the judge refuses it
  const copy = copyOf(s);
  const index = join(copy, BRANCH, "x86_64", "APKINDEX.tar.gz");
  const bytes = readFileSync(index);
  bytes[sig!.raw + 5]! ^= 0x01;
  writeFileSync(index, bytes);
  assert.throws(
    () => judgeFolder(s, copy, "x86_64"),
    /x86_64: openssl dgst -sha256 -verify .*Verification failure/s,
  );
});

test("member 2 re-signed by another RSA key under the same name: openssl with the published key refuses it", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const copy = copyOf(s);
  const index = join(copy, BRANCH, "x86_64", "APKINDEX.tar.gz");
  const out = scratch(s, "resign");
  const [sig] = split(index, out);
  const name = sig!.entries![0]![0];
  assert.equal(name, `.SIGN.RSA256.${KEY_NAME}`);
  const forged = join(out, "forged.sig");
  run("openssl", ["dgst", "-sha256", "-sign", join(s.dir, "other.pem"), "-out", forged, join(out, "m1.gz")]);
  run("python3", ["-c", ASSEMBLE, name, forged, join(out, "m1.gz"), index]);

  // well-formed and signed, by the other key: openssl verifies it with that key's public half
  const otherPublic = join(out, "other.pub");
  writeFileSync(otherPublic, run("openssl", ["pkey", "-in", join(s.dir, "other.pem"), "-pubout"]));
  const split2 = scratch(s, "resigned");
  const members = split(index, split2);
  assert.equal(members.length, 2);
  assert.match(
    opensslVerify(otherPublic, join(split2, `m0.${name}`), join(split2, "m1.gz")).stdout,
    /Verified OK/,
  );
  assert.throws(
    () => judgeFolder(s, copy, "x86_64"),
    /x86_64: openssl dgst -sha256 -verify .*Verification failure/s,
  );
});

test("a stored .apk replaced by another build of the same version: the recomputed C: disagrees", async (t) => {
  const s = await repository(t);
  if (s === undefined) return;
  const copy = copyOf(s);
  judgeFolder(s, copy, "x86_64");
  const other = await testApk({ name: "hello", version: "2.9.1-r3", summary: "Says hello, rebuilt" });
  const path = join(copy, BRANCH, "x86_64", "hello-2.9.1-r3.apk");
  assert.notDeepEqual(readFileSync(path), Buffer.from(other.bytes));
  writeFileSync(path, other.bytes);
  assert.throws(() => judgeFolder(s, copy, "x86_64"), {
    name: "AssertionError",
    message: /^x86_64: C: of hello-2\.9\.1-r3\.apk/,
  });
});
