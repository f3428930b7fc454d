/**
 * verify/rpm and verify/repository without external tools: RPM-MD metadata written here by hand (package
 * bytes are opaque to the verifier), so each case can set one field wrong — hrefs that are URLs, absolute or
 * carry xml:base, checksum types, missing elements — and check finding roots, reading packages once and a
 * few at a time, and verifying APT and RPM-MD together. Repositories made by createrepo_c are in
 * interop/rpm.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import type { OpenPGPSigner } from "@packyard/formats";
import { compressBytes } from "@packyard/formats/compress";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { isRepoError } from "../../src/errors.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { readObject } from "../../src/storage/read.ts";
import type { Storage } from "../../src/storage/storage.ts";
import type { VerifyProblem } from "../../src/verify/apt.ts";
import { listRpmRoots, verifyRepository } from "../../src/verify/repository.ts";
import { verifyRpmRoot } from "../../src/verify/rpm.ts";
import { DATE, publishToMemory, testSettings, testState, threePackages, utf8 } from "../apt/support.ts";

const ROOT = "rpm/fc/41/x86_64";
const PRIMARY = /-primary\.xml\.gz$/;

let signer: OpenPGPSigner;
let publicKeys: string[];

before(async () => {
  signer = (await openpgpTestKey()).signer;
  publicKeys = [signer.publicKeyArmored()];
});

/** One package of a hand-written repository; the fields left out are derived from `bytes`. */
interface HandPackage {
  name: string;
  bytes: Uint8Array;
  href?: string;
  /** Raw attributes of `<location>` (replaces href). */
  location?: string;
  checksumType?: string;
  /** Replaces the whole `<checksum>` element ("" leaves it out). */
  checksum?: string;
  /** Replaces the whole `<size>` element. */
  size?: string;
}

function hex(bytes: Uint8Array, algo = "sha256"): string {
  return createHash(algo).update(bytes).digest("hex");
}

function pkgid(p: HandPackage): string {
  return hex(p.bytes, p.checksumType === "sha" ? "sha1" : (p.checksumType ?? "sha256"));
}

function poolKeyOf(p: HandPackage): string {
  return `rpm/pool/${p.name[0]}/${p.name}-1.0-1.x86_64.rpm`;
}

/**
 * Writes a root's pool files, primary/filelists/other (gz), repomd.xml and its signature, consistently
 * except where a package overrides a field.
 */
async function handRepo(storage: Storage, root: string, packages: HandPackage[]): Promise<void> {
  const depth = root.split("/").length - 1;
  const up = "../".repeat(depth);
  for (const p of packages) await storage.put(poolKeyOf(p), p.bytes);
  const version = '<version epoch="0" ver="1.0" rel="1"/>';
  const primary = packages.map((p) => {
    const type = p.checksumType ?? "sha256";
    const checksum = p.checksum ?? `<checksum type="${type}" pkgid="YES">${pkgid(p)}</checksum>`;
    const size = p.size ?? `<size package="${p.bytes.length}" installed="1" archive="1"/>`;
    const location = p.location ?? `href="${p.href ?? `${up}${poolKeyOf(p).slice(4)}`}"`;
    return `<package type="rpm"><name>${p.name}</name><arch>x86_64</arch>${version}${checksum}${size}<location ${location}/></package>`;
  });
  const docs: [string, string][] = [
    [
      "primary",
      `<metadata xmlns="http://linux.duke.edu/metadata/common" packages="${packages.length}">${primary.join("\n")}</metadata>`,
    ],
    [
      "filelists",
      `<filelists packages="${packages.length}">${packages.map((p) => `<package pkgid="${pkgid(p)}" name="${p.name}" arch="x86_64">${version}<file>/usr/bin/${p.name}</file></package>`).join("")}</filelists>`,
    ],
    [
      "other",
      `<otherdata packages="${packages.length}">${packages.map((p) => `<package pkgid="${pkgid(p)}" name="${p.name}" arch="x86_64">${version}</package>`).join("")}</otherdata>`,
    ],
  ];
  let repomd =
    '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n<revision>1</revision>\n';
  for (const [type, xml] of docs) {
    const plain = utf8(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`);
    const stored = await compressBytes(plain, { algo: "gzip" });
    const href = `repodata/${hex(stored)}-${type}.xml.gz`;
    await storage.put(`${root}/${href}`, stored);
    repomd += `<data type="${type}"><checksum type="sha256">${hex(stored)}</checksum><open-checksum type="sha256">${hex(plain)}</open-checksum><location href="${href}"/><size>${stored.length}</size><open-size>${plain.length}</open-size></data>\n`;
  }
  repomd += "</repomd>\n";
  await storage.put(`${root}/repodata/repomd.xml`, utf8(repomd));
  await storage.put(
    `${root}/repodata/repomd.xml.asc`,
    utf8(await signer.detached(utf8(repomd), { date: DATE, armor: true })),
  );
}

function pkg(name: string, overrides: Partial<HandPackage> = {}): HandPackage {
  return { name, bytes: utf8(`the bytes of ${name}`), ...overrides };
}

async function repo(packages: HandPackage[], root = ROOT): Promise<Storage> {
  const storage = memoryStorage();
  await handRepo(storage, root, packages);
  return storage;
}

/** Asserts exactly one problem, on a key matching `key`, whose text matches `pattern`. */
function one(problems: VerifyProblem[], key: string | RegExp, pattern: RegExp): void {
  assert.equal(problems.length, 1, JSON.stringify(problems, null, 1));
  if (typeof key === "string") assert.equal(problems[0]?.key, key);
  else assert.match(problems[0]?.key ?? "", key);
  assert.match(problems[0]?.problem ?? "", pattern);
}

test("a hand-written repository verifies clean; so does one with no packages, and md5/sha1/sha512 pkgids", async () => {
  assert.deepEqual(await verifyRpmRoot(await repo([pkg("hello"), pkg("tool")]), ROOT, { publicKeys }), []);
  assert.deepEqual(await verifyRpmRoot(await repo([]), ROOT, { publicKeys }), []);
  const types = ["md5", "sha", "SHA1", "sha512"].map((t, i) =>
    pkg(`p${i}`, { checksumType: t === "SHA1" ? "sha1" : t }),
  );
  assert.deepEqual(await verifyRpmRoot(await repo(types), `${ROOT}/`, { publicKeys }), []);
});

test("hrefs that are URLs, absolute, have empty segments or carry xml:base are reported against primary", async () => {
  const cases: [Partial<HandPackage>, RegExp][] = [
    [{ href: "https://example.com/hello.rpm" }, /^hello-1\.0-1\.x86_64: location "https:.*" is a URL/],
    [{ href: "/rpm/pool/h/hello-1.0-1.x86_64.rpm" }, /is an absolute path/],
    [{ href: "../..//pool/h/hello.rpm" }, /has an empty path segment/],
    [{ href: "" }, /location "" is empty/],
    [{ href: "../../../../../x.rpm" }, /escapes the repository root/],
    [{ href: "../../../../pool/h/.packyard-tmp-x" }, /names no valid storage key/],
    [
      { location: 'xml:base="https://mirror.example/" href="hello.rpm"' },
      /xml:base="https:\/\/mirror\.example\/": dnf fetches it from there/,
    ],
  ];
  for (const [override, pattern] of cases) {
    const problems = await verifyRpmRoot(await repo([pkg("hello", override)]), ROOT, { publicKeys });
    one(problems, PRIMARY, pattern);
  }
  // `.` segments and `..` back into the pool are fine.
  const dotted = pkg("hello", { href: "./.././../../../rpm/pool/h/hello-1.0-1.x86_64.rpm" });
  assert.deepEqual(await verifyRpmRoot(await repo([dotted]), ROOT, { publicKeys }), []);
});

test("a package entry without checksum, size or location, or with an unknown checksum type, is reported", async () => {
  const cases: [Partial<HandPackage>, RegExp][] = [
    [{ checksum: "" }, /^hello-1\.0-1\.x86_64: no <checksum> \(the package id\)$/],
    [{ size: "" }, /^hello-1\.0-1\.x86_64: no <size package=…>/],
    [{ size: '<size package="big"/>' }, /no <size package=…>/],
    [{ location: 'title="x"' }, /^hello-1\.0-1\.x86_64: no <location href>$/],
    [{ checksum: '<checksum type="crc32">0</checksum>' }, /<checksum> type "crc32" is not one librepo knows/],
    [{ checksum: '<checksum type="sha256">abc</checksum>' }, /<checksum> "abc" is not 64 hex digits/],
  ];
  for (const [override, pattern] of cases) {
    const problems = await verifyRpmRoot(await repo([pkg("hello", override)]), ROOT, { publicKeys });
    // filelists/other still list the package primary no longer identifies: only primary's problem counts here.
    const own = problems.filter((p) => PRIMARY.test(p.key));
    one(own, PRIMARY, pattern);
  }
});

test("repomd.xml problems: wrong root, a type twice, a record without checksum or location", async () => {
  const storage = await repo([pkg("hello")]);
  const key = `${ROOT}/repodata/repomd.xml`;
  const original = new TextDecoder().decode(await readObject(storage, key));
  const resign = async (text: string) => {
    await storage.put(key, utf8(text));
    await storage.put(`${key}.asc`, utf8(await signer.detached(utf8(text), { date: DATE, armor: true })));
  };
  await resign(original.replace("<repomd ", "<repo ").replace("</repomd>", "</repo>"));
  one(await verifyRpmRoot(storage, ROOT, { publicKeys }), key, /^root element <repo>, expected <repomd>$/);

  const other = /<data type="other">[\s\S]*?<\/data>/.exec(original)![0];
  await resign(original.replace("</repomd>", `${other}</repomd>`));
  one(await verifyRpmRoot(storage, ROOT, { publicKeys }), key, /^<data type="other"> appears twice$/);

  await resign(original.replace(/(<data type="other">)<checksum[^>]*>[0-9a-f]+<\/checksum>/, "$1"));
  one(await verifyRpmRoot(storage, ROOT, { publicKeys }), key, /^<data type="other"> has no <checksum>/);

  await resign(original.replace(/(<data type="other">[\s\S]*?)<location [^>]*\/>/, "$1"));
  one(
    await verifyRpmRoot(storage, ROOT, { publicKeys }),
    key,
    /^<data type="other"> has no <location href>$/,
  );
});

test("an unreadable public key is the caller's error, not a problem", async () => {
  const storage = await repo([pkg("hello")]);
  await assert.rejects(
    verifyRpmRoot(storage, ROOT, { publicKeys: ["not a key"] }),
    (e) => isRepoError(e) && e.code === "INVALID_SETTING",
  );
});

test("packages are each read once, as streams, at most 8 at a time", async () => {
  const packages = Array.from({ length: 40 }, (_, i) => pkg(`pkg${String(i).padStart(2, "0")}`));
  const inner = await repo(packages);
  // A second root naming the same pool files: still one read each.
  await handRepo(inner, "rpm/fc/41/aarch64", packages);
  const reads = new Map<string, number>();
  let open = 0;
  let peak = 0;
  const storage: Storage = {
    ...inner,
    description: inner.description,
    async get(key, options) {
      const body = await inner.get(key, options);
      if (body === undefined || !key.startsWith("rpm/pool/")) return body;
      reads.set(key, (reads.get(key) ?? 0) + 1);
      open++;
      peak = Math.max(peak, open);
      return (async function* () {
        try {
          for await (const chunk of body) {
            await new Promise((resolve) => setImmediate(resolve));
            yield chunk;
          }
        } finally {
          open--;
        }
      })();
    },
  };
  assert.deepEqual(await verifyRepository(storage, { publicKeys }), []);
  assert.equal(reads.size, 40);
  assert.deepEqual(new Set(reads.values()), new Set([1]));
  assert.ok(peak > 1 && peak <= 8, `peak ${peak}`);
});

test("listRpmRoots finds roots by repomd.xml or its .asc, sorted, across listing pages", async () => {
  const storage = memoryStorage();
  const put = (key: string) => storage.put(key, utf8("x"));
  await put("rpm/el/9/x86_64/repodata/repomd.xml");
  await put("rpm/el/9/x86_64/repodata/repomd.xml.asc");
  await put("rpm/el/8/x86_64/repodata/repomd.xml.asc");
  await put("rpm/repodata/repomd.xml");
  await put("rpm/el/9/aarch64/repodata/x-primary.xml.gz");
  await put("rpm/el/9/aarch64/repodata/repomd.xml.key");
  await put("deb/el/repodata/repomd.xml");
  await put("rpm/el/9/x86_64/repodata/repomd.xml.bak");
  for (let i = 0; i < 1200; i++) await put(`rpm/pool/p/p${String(i).padStart(4, "0")}.rpm`);
  await put("rpm/zz/repodata/repomd.xml");
  assert.deepEqual(await listRpmRoots(storage), ["rpm", "rpm/el/8/x86_64", "rpm/el/9/x86_64", "rpm/zz"]);
  assert.deepEqual(await listRpmRoots(memoryStorage()), []);
});

test("verifyRepository checks APT suites and RPM-MD roots together", async () => {
  const packages = threePackages();
  const { storage } = await publishToMemory(testState(testSettings(), packages), packages, [signer]);
  await handRepo(storage, ROOT, [pkg("hello")]);
  assert.deepEqual(await verifyRepository(storage, { publicKeys }), []);

  await storage.delete(packages[0]!.record.key);
  await storage.delete(poolKeyOf(pkg("hello")));
  const problems = await verifyRepository(storage, { publicKeys });
  assert.deepEqual(
    problems.map((p) => p.key),
    [packages[0]!.record.key, poolKeyOf(pkg("hello"))],
    JSON.stringify(problems, null, 1),
  );
});

test("a repomd.xml too large to be a top file is reported, not read", async () => {
  const storage = memoryStorage();
  const key = `${ROOT}/repodata/repomd.xml`;
  await storage.put(key, new Uint8Array(16 * 1024 * 1024 + 1));
  const problems = await verifyRpmRoot(storage, ROOT);
  assert.deepEqual(
    problems.map((p) => p.key),
    [key],
  );
  assert.match(problems[0]!.problem, /^16777217 bytes, over the 16777216 a top file may hold: not read$/);
});
