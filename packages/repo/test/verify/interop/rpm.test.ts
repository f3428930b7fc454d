/**
 * verify/rpm against repositories the real tools made (rpmbuild + createrepo_c, laid out in a shared pool
 * as the engine lays them out): a healthy one verifies clean, in memory and in a folder, signed by one key
 * or two; each way a crash or a bad publish breaks what dnf sees is reported once, against the right key.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, type TestContext, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { compressBytes } from "@packyard/formats/compress";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { needTool } from "@packyard/testkit/tools";
import { folderStorage } from "../../../src/storage/fs.ts";
import type { Storage } from "../../../src/storage/storage.ts";
import type { VerifyProblem } from "../../../src/verify/apt.ts";
import { listRpmRoots, verifyRepository } from "../../../src/verify/repository.ts";
import { verifyRpmRoot } from "../../../src/verify/rpm.ts";
import {
  type Built,
  buildAll,
  DATE,
  editRepomd,
  get,
  load,
  metadataKey,
  metadataText,
  poolKey,
  RPMS,
  replaceMetadata,
  replaceMetadataText,
  sha256,
  sign,
  text,
  utf8,
  X86,
} from "./rpm-md.ts";

const REPODATA = `${X86}/repodata/`;
const ASC = `${REPODATA}repomd.xml.asc`;
const REPOMD = `${REPODATA}repomd.xml`;
const HELLO = RPMS[0]!;
const DOC = RPMS[1]!;

let signer: OpenPGPSigner;
let other: OpenPGPSigner;
let publicKeys: string[];
let built: Built | undefined;

before(async () => {
  signer = (await openpgpTestKey()).signer;
  other = (await openpgpTestKey()).signer;
  publicKeys = [signer.publicKeyArmored()];
});

/** The tools-built repository, loaded into a fresh memory storage; undefined when the test was skipped. */
async function repository(t: TestContext): Promise<Storage | undefined> {
  if (!needTool(t, "rpmbuild", "createrepo_c")) return undefined;
  built ??= buildAll();
  return load(built, [signer]);
}

/** verifyRpmRoot of the x86_64 root, with the signer's key or the keys given (`null`: without keys). */
function verify(storage: Storage, keys: readonly string[] | null = publicKeys): Promise<VerifyProblem[]> {
  return verifyRpmRoot(storage, X86, keys === null ? {} : { publicKeys: keys });
}

/** Asserts exactly one problem, on `key`, whose text matches `pattern`. */
function one(problems: VerifyProblem[], key: string, pattern: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
  assert.equal(problems[0]?.key, key);
  assert.match(problems[0]?.problem ?? "", pattern);
}

test("a repository createrepo_c wrote verifies clean, with and without keys", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  assert.deepEqual(await verify(storage), []);
  assert.deepEqual(await verify(storage, null), []);
  assert.deepEqual(await verifyRpmRoot(storage, "rpm/el/9/aarch64", { publicKeys }), []);
  // The primary the verifier walked names both packages, hrefs into the shared pool.
  const primary = await metadataText(storage, X86, "primary");
  for (const p of RPMS) assert.ok(primary.includes(`href="../../../pool/h/${p.name}-`), p.name);
});

test("a repository in a folder verifies clean, and verifyRepository finds both roots", async (t) => {
  if (!needTool(t, "rpmbuild", "createrepo_c")) return;
  built ??= buildAll();
  const dir = mkdtempSync(join(tmpdir(), "packyard-verify-rpm-"));
  try {
    const storage = await load(built, [signer], folderStorage(dir));
    assert.deepEqual(await listRpmRoots(storage), ["rpm/el/9/aarch64", X86]);
    assert.deepEqual(await verifyRepository(storage, { publicKeys }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("two signatures in one armor block: reported (dnf5 reads one); either key still verifies it, a third does not", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  await sign(storage, X86, [signer, other]);
  const twoPackets = /^holds 2 signature packets; expected one/;
  one(await verify(storage, [signer.publicKeyArmored()]), ASC, twoPackets);
  one(await verify(storage, [other.publicKeyArmored()]), ASC, twoPackets);
  const third = (await openpgpTestKey()).signer;
  const problems = await verify(storage, [third.publicKeyArmored()]);
  assert.deepEqual(
    problems.map((p) => p.key),
    [ASC, ASC],
  );
  assert.match(problems[0]!.problem, twoPackets);
  assert.match(problems[1]!.problem, /no signature in it verifies.*Bad GPG signature/);
});

test("a missing repomd.xml.asc is reported, with keys or without", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  await storage.delete(ASC);
  one(await verify(storage), ASC, /^missing: with repo_gpgcheck=1 dnf refuses/);
  one(await verify(storage, null), ASC, /^missing beside repomd\.xml/);
});

test("a repomd.xml.asc by another key is reported; without keys it passes as a signature", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  await storage.put(ASC, utf8(await other.detached(await get(storage, REPOMD), { date: DATE, armor: true })));
  one(await verify(storage), ASC, /no signature in it verifies repomd\.xml with the given keys/);
  assert.deepEqual(await verify(storage, null), []);
});

test("a stale signature (repomd.xml rewritten after signing) is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const repomd = text(await get(storage, REPOMD));
  await storage.put(REPOMD, utf8(repomd.replace(/<revision>\d+</, "<revision>1<")));
  one(await verify(storage), ASC, /no signature in it verifies/);
});

test("a clearsigned or binary-message repomd.xml.asc is not a detached signature", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const repomd = text(await get(storage, REPOMD));
  await storage.put(ASC, utf8(await signer.cleartext(repomd, { date: DATE })));
  one(await verify(storage), ASC, /^a cleartext-signed message, not a detached signature block/);
  one(await verify(storage, null), ASC, /cleartext-signed message/);

  await storage.put(ASC, utf8("-----BEGIN PGP MESSAGE-----\n\nowGbwMvMwCE=\n-----END PGP MESSAGE-----\n"));
  one(await verify(storage, null), ASC, /'-----BEGIN PGP MESSAGE-----' block, not a detached signature/);
  // A signature made in binary (unarmored) form is what librepo tries when it finds no armor: accepted.
  await storage.put(ASC, await signer.detached(utf8(repomd), { date: DATE }));
  assert.deepEqual(await verify(storage), []);
  await storage.put(ASC, utf8("<html>404 Not Found</html>"));
  one(await verify(storage, null), ASC, /^not an OpenPGP signature/);
});

test("a repomd.xml.key that does not verify the signature is reported (zypper imports it)", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const keyKey = `${REPODATA}repomd.xml.key`;
  await storage.put(keyKey, utf8(other.publicKeyArmored()));
  one(await verify(storage), keyKey, /verifies no signature of repomd\.xml\.asc/);
  await storage.put(keyKey, utf8("not a key"));
  one(await verify(storage), keyKey, /not a readable OpenPGP public key/);
});

test("changed primary bytes are reported against the primary file", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await metadataKey(storage, X86, "primary");
  const bytes = (await get(storage, key)).slice();
  bytes[bytes.length - 9]! ^= 0xff;
  await storage.put(key, bytes);
  one(
    await verify(storage),
    key,
    /^sha256 [0-9a-f]{16}…, .*repomd\.xml gives [0-9a-f]{16}… for <data type="primary">/,
  );
});

test("a metadata file whose size differs from repomd's is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await metadataKey(storage, X86, "other");
  const bytes = await get(storage, key);
  await storage.put(key, bytes.subarray(0, bytes.length - 1));
  one(
    await verify(storage),
    key,
    new RegExp(`^size ${bytes.length - 1}, .* gives ${bytes.length} for <data type="other">`),
  );
});

test("a missing metadata file is reported against its key", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await metadataKey(storage, X86, "filelists");
  await storage.delete(key);
  one(await verify(storage), key, /^missing: .*repomd\.xml lists it as <data type="filelists">/);
});

test("a wrong open-checksum or open-size is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await metadataKey(storage, X86, "primary");
  const wrong = "0".repeat(64);
  await editRepomd(storage, X86, signer, (repomd) =>
    repomd.replace(/(<data type="primary">[\s\S]*?<open-checksum type="sha256">)[0-9a-f]+/, `$1${wrong}`),
  );
  one(
    await verify(storage),
    key,
    /^decompressed sha256 [0-9a-f]{16}…, .* gives open-checksum 0000000000000000… for <data type="primary">/,
  );

  const fresh = await repository(t);
  if (fresh === undefined) return;
  await editRepomd(fresh, X86, signer, (repomd) =>
    repomd.replace(
      /(<data type="other">[\s\S]*?<open-size>)(\d+)/,
      (_, a: string, n: string) => `${a}${Number(n) + 1}`,
    ),
  );
  one(
    await verify(fresh),
    await metadataKey(fresh, X86, "other"),
    /^decompressed size \d+, .* gives open-size \d+ for <data type="other">/,
  );
  // Smaller: the decompression stops at the limit.
  await editRepomd(fresh, X86, signer, (repomd) =>
    repomd.replace(
      /(<data type="other">[\s\S]*?<open-size>)(\d+)/,
      (_, a: string, n: string) => `${a}${Number(n) - 20}`,
    ),
  );
  one(
    await verify(fresh),
    await metadataKey(fresh, X86, "other"),
    /^decompresses to more than the open-size \d+/,
  );
});

test("a package missing from the pool is reported once, against its key", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  await storage.delete(poolKey(HELLO));
  one(
    await verify(storage),
    poolKey(HELLO),
    /^missing: rpm\/el\/9\/x86_64\/repodata\/[0-9a-f]{64}-primary\.xml\.gz lists it for hello-1\.0-1\.x86_64$/,
  );
});

test("a noarch package two roots name is read once and its problem reported once", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const reads = new Map<string, number>();
  const counting: Storage = {
    ...storage,
    description: storage.description,
    get: (key, options) => {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return storage.get(key, options);
    },
  };
  assert.deepEqual(await verifyRepository(counting, { publicKeys }), []);
  assert.equal(reads.get(poolKey(DOC)), 1);
  assert.equal(reads.get(poolKey(HELLO)), 1);

  await storage.put(poolKey(DOC), utf8("other bytes"));
  const problems = await verifyRepository(storage, { publicKeys });
  assert.deepEqual(
    problems.map((p) => p.key),
    [poolKey(DOC), poolKey(DOC)],
    JSON.stringify(problems, null, 1),
  );
  assert.match(
    problems[0]!.problem,
    /^size 11, rpm\/el\/9\/aarch64\/.* gives \d+ for hello-doc-1\.0-1\.noarch$/,
  );
  assert.match(problems[1]!.problem, /^sha256 /);
});

test("a package with other bytes is reported: same size, other checksum; other size too", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const bytes = (await get(storage, poolKey(HELLO))).slice();
  bytes[200]! ^= 0x01;
  await storage.put(poolKey(HELLO), bytes);
  one(
    await verify(storage),
    poolKey(HELLO),
    new RegExp(
      `^sha256 ${sha256(bytes).slice(0, 16)}…, .*primary\\.xml\\.gz gives [0-9a-f]{16}… for hello-1\\.0-1\\.x86_64$`,
    ),
  );

  await storage.put(poolKey(HELLO), bytes.subarray(1));
  const problems = await verify(storage);
  assert.deepEqual(
    problems.map((p) => [p.key, p.problem.split(" ")[0]]),
    [
      [poolKey(HELLO), "size"],
      [poolKey(HELLO), "sha256"],
    ],
  );
});

test("an href escaping the repository root is reported against primary", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const primary = await metadataText(storage, X86, "primary");
  const escaping = primary.replace(
    'href="../../../pool/h/hello-1.0',
    'href="../../../../../pool/h/hello-1.0',
  );
  assert.notEqual(escaping, primary);
  const key = await replaceMetadataText(storage, X86, signer, "primary", escaping);
  one(
    await verify(storage),
    key,
    /^hello-1\.0-1\.x86_64: location "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/pool\/h\/hello-1\.0-1\.x86_64\.rpm" escapes the repository root$/,
  );

  // Inside the repository but not where the package is: a missing package, not an escape.
  const elsewhere = primary.replace('href="../../../pool/h/hello-1.0', 'href="../../pool/h/hello-1.0');
  await replaceMetadataText(storage, X86, signer, "primary", elsewhere);
  one(await verify(storage), "rpm/el/pool/h/hello-1.0-1.x86_64.rpm", /^missing: /);
});

test("a wrong packages= count in primary is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const primary = await metadataText(storage, X86, "primary");
  const key = await replaceMetadataText(
    storage,
    X86,
    signer,
    "primary",
    primary.replace('packages="2"', 'packages="3"'),
  );
  one(await verify(storage), key, /^<metadata packages="3"> but it holds 2 <package> elements$/);
});

test("filelists lacking a package primary lists is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const filelists = await metadataText(storage, X86, "filelists");
  const dropped = filelists
    .replace(/<package pkgid="[0-9a-f]+" name="hello-doc"[\s\S]*?<\/package>\s*/, "")
    .replace('packages="2"', 'packages="1"');
  assert.notEqual(dropped, filelists);
  const key = await replaceMetadataText(storage, X86, signer, "filelists", dropped);
  one(await verify(storage), key, /^lacks 1 package\(s\) primary lists: hello-doc-1\.0-1\.noarch$/);
});

test("a truncated gz (published consistently) cannot be decompressed", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await metadataKey(storage, X86, "filelists");
  const bytes = await get(storage, key);
  const plain = utf8(await metadataText(storage, X86, "filelists"));
  const truncatedKey = await replaceMetadata(
    storage,
    X86,
    signer,
    "filelists",
    bytes.subarray(0, bytes.length - 30),
    plain,
  );
  one(await verify(storage), truncatedKey, /^cannot be decompressed \(gzip\): /);
});

test("garbage XML in a metadata file is reported, with where it goes wrong", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const key = await replaceMetadataText(
    storage,
    X86,
    signer,
    "other",
    '<?xml version="1.0"?>\n<otherdata packages="2">\n<package pkgid=oops>',
  );
  one(
    await verify(storage),
    key,
    /^not well-formed XML: expected a quoted value for attribute pkgid, found "oops>" \(line 3, column 16\)$/,
  );

  const garbage = await repository(t);
  if (garbage === undefined) return;
  await garbage.put(REPOMD, utf8("<repomd><data type='primary'></repomd>"));
  await sign(garbage, X86, [signer]);
  one(await verify(garbage), REPOMD, /^not well-formed XML: expected <\/data>, found <\/repomd>/);
});

test("a repository whose repomd.xml is lost is still found, and reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  await storage.delete(REPOMD);
  assert.ok((await listRpmRoots(storage)).includes(X86));
  one(await verify(storage), REPOMD, /^missing/);
});

test("zstd metadata (createrepo_c ≥ 1.0's default) is read; a primary without filelists is reported", async (t) => {
  const storage = await repository(t);
  if (storage === undefined) return;
  const primary = utf8(await metadataText(storage, X86, "primary"));
  const key = await replaceMetadata(
    storage,
    X86,
    signer,
    "primary",
    await compressBytes(primary, { algo: "zstd" }),
    primary,
    "zst",
  );
  assert.match(key, /-primary\.xml\.zst$/);
  assert.deepEqual(await verify(storage), []);

  await editRepomd(storage, X86, signer, (repomd) =>
    repomd.replace(/<data type="filelists">[\s\S]*?<\/data>\s*/, ""),
  );
  one(await verify(storage), REPOMD, /^no <data type="filelists">$/);
});
