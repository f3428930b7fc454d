/**
 * buildApkIndex, checked with node:zlib, node:crypto and a tar header walk written for the tests (not
 * @packyard/formats' readers): two gzip members, the cut signature tar, DESCRIPTION then APKINDEX in the
 * ended index tar, signatures over the compressed index, gzip headers without name or time, determinism
 * and the refusals. The interop test checks the same with openssl, tar and Python.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadRSASigner, type RSASigner, SignError } from "@packyard/formats";
import { KEYS_DIR } from "@packyard/testkit/keyrings";
import { type ApkIndexOptions, apkIndexText, buildApkIndex } from "../../src/apkindex/index.ts";
import type { ApkEntry } from "../../src/apkindex/types.ts";
import { isRepoError } from "../../src/errors.ts";
import { splitGzip, walkTar } from "./gzip-split.ts";

const KEY_NAME = "repo@example.org-65000000.rsa.pub";
const signer = (file = "openssl-pkcs8.rsa") =>
  loadRSASigner(readFileSync(`${KEYS_DIR}${file}`, "utf8"), { keyName: KEY_NAME });

const ENTRIES: ApkEntry[] = [
  {
    info: {
      checksum: `Q1${Buffer.alloc(20, 7).toString("base64")}`,
      name: "hello",
      version: "1.0-r0",
      arch: "noarch",
      installedSize: "10",
      description: "Says hello",
      url: "",
      license: "MIT",
      depends: ["musl"],
      provides: [],
      installIf: [],
      replaces: [],
    },
    size: 555,
  },
];

const options = (over: Partial<ApkIndexOptions> = {}): ApkIndexOptions => ({
  arch: "x86_64",
  description: "packyard test repository",
  signer: signer(),
  keyName: KEY_NAME,
  legacySha1: false,
  mtime: 1704067200,
  ...over,
});

const publicKey = (s: RSASigner) => createPublicKey(s.publicKeyPem());

test("two gzip members: the cut signature tar, then the ended tar of DESCRIPTION and APKINDEX", async () => {
  const o = options();
  const bytes = await buildApkIndex(ENTRIES, o);
  const members = splitGzip(bytes);
  assert.equal(members.length, 2);
  const [sig, index] = members;

  const sigTar = walkTar(sig!.content);
  assert.equal(sigTar.ended, false, "the signature tar has no end blocks");
  assert.deepEqual(
    sigTar.entries.map((e) => e.name),
    [`.SIGN.RSA256.${KEY_NAME}`],
  );
  const s = sigTar.entries[0]!;
  assert.equal(s.size, 256, "a 2048-bit PKCS#1 v1.5 signature");
  assert.equal(sig!.content.length, 512 + 512, "one header and one padded data block, nothing after");
  assert.ok(verify("sha256", index!.raw, publicKey(o.signer), s.content), "signs the compressed index");
  assert.ok(!verify("sha256", index!.content, publicKey(o.signer), s.content), "not the tar inside");

  const tar = walkTar(index!.content);
  assert.equal(tar.ended, true);
  assert.deepEqual(
    tar.entries.map((e) => e.name),
    ["DESCRIPTION", "APKINDEX"],
  );
  assert.equal(Buffer.from(tar.entries[0]!.content).toString(), "packyard test repository");
  assert.equal(Buffer.from(tar.entries[1]!.content).toString(), apkIndexText(ENTRIES, "x86_64"));
  assert.match(Buffer.from(tar.entries[1]!.content).toString(), /^A:x86_64$/m);
  const last = 512 + 512 + 512 + 512; // DESCRIPTION header+data, APKINDEX header+data
  assert.equal(index!.content.length, last + 1024, "two zero blocks end the index tar");
  for (const e of [...sigTar.entries, ...tar.entries]) {
    assert.equal(e.typeflag, "0", e.name);
    assert.equal(e.mode, 0o644, e.name);
    assert.equal(e.uid, 0, e.name);
    assert.equal(e.gid, 0, e.name);
    assert.equal(e.mtime, 1704067200, e.name);
    assert.ok(e.magic.startsWith("ustar"), e.name);
  }
});

test("gzip headers: deflate, no file name, mtime 0, maximum compression", async () => {
  for (const m of splitGzip(await buildApkIndex(ENTRIES, options()))) {
    const h = m.raw;
    assert.deepEqual([h[0], h[1], h[2]], [0x1f, 0x8b, 8]);
    assert.equal(h[3], 0, "no FNAME/FEXTRA/FCOMMENT flags");
    assert.deepEqual([...h.subarray(4, 8)], [0, 0, 0, 0], "mtime 0");
    assert.equal(h[8], 2, "XFL 2: level 9");
  }
});

test("legacySha1: .SIGN.RSA256 first, then .SIGN.RSA (SHA-1) over the same bytes", async () => {
  const o = options({ legacySha1: true });
  const [sig, index] = splitGzip(await buildApkIndex(ENTRIES, o));
  const { entries, ended } = walkTar(sig!.content);
  assert.equal(ended, false);
  assert.deepEqual(
    entries.map((e) => e.name),
    [`.SIGN.RSA256.${KEY_NAME}`, `.SIGN.RSA.${KEY_NAME}`],
  );
  assert.equal(sig!.content.length, 4 * 512);
  assert.ok(verify("sha256", index!.raw, publicKey(o.signer), entries[0]!.content));
  assert.ok(verify("sha1", index!.raw, publicKey(o.signer), entries[1]!.content));
  assert.ok(!verify("sha256", index!.raw, publicKey(o.signer), entries[1]!.content));
});

test("deterministic: the same entries and options give the same bytes, in any input order", async () => {
  const two: ApkEntry[] = [
    ENTRIES[0]!,
    { ...ENTRIES[0]!, info: { ...ENTRIES[0]!.info, name: "abc", arch: "x86_64" } },
  ];
  const a = await buildApkIndex(two, options({ legacySha1: true }));
  const b = await buildApkIndex([...two].reverse(), options({ legacySha1: true }));
  assert.deepEqual(Buffer.from(a), Buffer.from(b));
  const c = await buildApkIndex(two, options({ legacySha1: true, mtime: 1704067201 }));
  assert.notDeepEqual(Buffer.from(a), Buffer.from(c), "the mtime is in the bytes");
});

test("signed by another key: does not verify against the first key", async () => {
  const other = signer("openssl-pkcs1.rsa");
  const [sig, index] = splitGzip(await buildApkIndex(ENTRIES, options({ signer: other })));
  const s = walkTar(sig!.content).entries[0]!.content;
  assert.ok(verify("sha256", index!.raw, publicKey(other), s));
  assert.ok(!verify("sha256", index!.raw, publicKey(signer()), s));
});

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test("refuses an RSA key under 2048 bits (BAD_KEY), a real 1024-bit one included", async () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const short = loadRSASigner(privateKey.export({ type: "pkcs8", format: "pem" }).toString(), {
    keyName: KEY_NAME,
  });
  assert.equal(short.bits, 1024);
  await rejects(
    buildApkIndex(ENTRIES, options({ signer: short })),
    "BAD_KEY",
    /at least 2048 bits, found 1024/,
  );
  await rejects(
    buildApkIndex(ENTRIES, options({ signer: { ...signer(), bits: 0 } })),
    "BAD_KEY",
    /at least 2048 bits/,
  );
});

test("a signer that fails becomes BAD_KEY naming the key", async () => {
  const failing: RSASigner = {
    ...signer(),
    sign: async () => {
      throw new SignError("SIGN_FAILED", "the token is unplugged");
    },
  };
  await rejects(buildApkIndex(ENTRIES, options({ signer: failing })), "BAD_KEY", /the token is unplugged/);
});

test("refuses key names apk could not match, and a bad mtime (INVALID_SETTING)", async () => {
  for (const keyName of ["keys/repo.rsa.pub", "repo.rsa", "repo.rsa.pub.bak", ".pub", "my key.rsa.pub", ""])
    await rejects(buildApkIndex(ENTRIES, options({ keyName })), "INVALID_SETTING", /key name/);
  for (const mtime of [-1, 1.5, Number.NaN, 8 ** 11])
    await rejects(buildApkIndex(ENTRIES, options({ mtime })), "INVALID_SETTING", /mtime/);
  await rejects(buildApkIndex(ENTRIES, options({ arch: "noarch" })), "INVALID_SETTING", /architecture/);
});

test("additionalSigners (key rotation): a .SIGN.RSA256 entry per key in the order given, then the SHA-1 ones, each verifying with its own key only", async () => {
  const NEW = "new@example.org-66000000.rsa.pub";
  const newKey = loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs1.rsa`, "utf8"), { keyName: NEW });
  const o = options({ signer: newKey, keyName: NEW, additionalSigners: [signer()], legacySha1: true });
  const bytes = await buildApkIndex(ENTRIES, o);
  assert.deepEqual(await buildApkIndex(ENTRIES, o), bytes, "deterministic");
  const [sig, index] = splitGzip(bytes);
  const { entries, ended } = walkTar(sig!.content);
  assert.equal(ended, false);
  assert.deepEqual(
    entries.map((e) => e.name),
    [`.SIGN.RSA256.${NEW}`, `.SIGN.RSA256.${KEY_NAME}`, `.SIGN.RSA.${NEW}`, `.SIGN.RSA.${KEY_NAME}`],
  );
  const keys = [newKey, signer(), newKey, signer()];
  const hashes = ["sha256", "sha256", "sha1", "sha1"];
  entries.forEach((e, i) => {
    assert.ok(verify(hashes[i]!, index!.raw, publicKey(keys[i]!), e.content), `${e.name} with its key`);
    assert.ok(
      !verify(hashes[i]!, index!.raw, publicKey(keys[(i + 1) % 2]!), e.content),
      `${e.name}, other key`,
    );
  });
  // The index member is the one a single key signs: only the signature member differs.
  const [, alone] = splitGzip(await buildApkIndex(ENTRIES, options({ legacySha1: true })));
  assert.deepEqual(alone!.raw, index!.raw);
  // Another order gives other bytes, in that order.
  const swapped = splitGzip(
    await buildApkIndex(ENTRIES, options({ additionalSigners: [newKey], legacySha1: false })),
  );
  assert.deepEqual(
    walkTar(swapped[0]!.content).entries.map((e) => e.name),
    [`.SIGN.RSA256.${KEY_NAME}`, `.SIGN.RSA256.${NEW}`],
  );
});

test("additionalSigners: a key name used twice, or a weak extra key, is refused", async () => {
  const again = loadRSASigner(readFileSync(`${KEYS_DIR}openssl-pkcs1.rsa`, "utf8"), { keyName: KEY_NAME });
  await rejects(
    buildApkIndex(ENTRIES, options({ additionalSigners: [again] })),
    "INVALID_SETTING",
    /two signing keys are named/,
  );
  const weak = { ...signer(), bits: 1024 } as RSASigner;
  await rejects(buildApkIndex(ENTRIES, options({ additionalSigners: [weak] })), "BAD_KEY", /2048/);
});
