// Downloads on memory storage: the layout, SHA256SUMS checked against node:crypto over the stored bytes,
// the .asc checked with formats' verifyDetached, conflicts (with and without replace), idempotent
// republishing, a second file of a version, the cask of the newest .pkg, unsafe names, readDownloads.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, test } from "node:test";
import { bytesSource, type OpenPGPSigner, type PackageInfo, verifyDetached } from "@packyard/formats";
import { readMacos, writeMacosBytes } from "@packyard/formats/macos";
import { readTarball, tarballFormat } from "@packyard/formats/tarball";
import { openpgpTestKey } from "@packyard/testkit/keyrings";
import { isRepoError, type RepoErrorCode } from "../../src/errors.ts";
import type { PublishInput } from "../../src/publish/options.ts";
import {
  applyDownloadWrites,
  compareDownloadVersions,
  type DownloadOptions,
  planDownloads,
  readDownloads,
} from "../../src/publish/downloads.ts";
import { memoryStorage } from "../../src/storage/memory.ts";
import { collectBytes, readObject } from "../../src/storage/read.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { downloadSpec } from "./downloads-support.ts";

let signer: OpenPGPSigner;
before(async () => {
  signer = (await openpgpTestKey()).signer;
});

const BASE = "https://downloads.example.org/repo";
const DATE = new Date("2025-01-02T03:04:05Z");

/** A real .pkg made by the formats package's writer, and what its reader says of it. */
async function pkg(
  name: string,
  version: string,
  options: { identifier?: string; body?: string; componentOnly?: boolean } = {},
): Promise<PublishInput & { bytes: Uint8Array }> {
  const bytes = await writeMacosBytes(downloadSpec(name, version, options.body), {
    identifier: options.identifier ?? `com.example.${name}`,
    componentOnly: options.componentOnly ?? false,
  });
  const info = await readMacos(bytesSource(bytes));
  return { info, source: bytesSource(bytes), name: `dist/${name}-${version}.pkg`, bytes };
}

async function archive(
  name: string,
  version: string,
  body = "hello",
): Promise<PublishInput & { bytes: Uint8Array }> {
  const bytes = await collectBytes(
    tarballFormat.write(downloadSpec(name, version, body), { format: "tar.gz" }),
  );
  const info = await readTarball(bytesSource(bytes));
  return { info, source: bytesSource(bytes), name: `dist/${name}_${version}_linux_all.tar.gz`, bytes };
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return { signers: [signer], baseUrl: BASE, clock: () => DATE, ...extra };
}

async function publishDownloads(
  storage: Storage,
  inputs: PublishInput[],
  extra: Partial<DownloadOptions> = {},
) {
  const plan = await planDownloads(storage, inputs, options(extra));
  await applyDownloadWrites(storage, plan.writes);
  return plan;
}

async function text(storage: Storage, key: string): Promise<string | undefined> {
  const b = await readObject(storage, key);
  return b === undefined ? undefined : new TextDecoder().decode(b);
}

async function rejects(p: Promise<unknown>, code: RepoErrorCode, pattern?: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRepoError(e), `expected a RepoError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern !== undefined) assert.match(e.message, pattern);
    return e;
  }
  assert.fail(`expected RepoError ${code}`);
}

async function keys(storage: Storage): Promise<string[]> {
  return (await storage.list("")).objects.map((o) => o.key);
}

/** SHA256SUMS as sha256sum would write it over the given files, computed here with node:crypto. */
function expectedSums(files: Record<string, Uint8Array>): string {
  return Object.keys(files)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((f) => `${sha256(files[f]!)}  ${f}\n`)
    .join("");
}

test("a .pkg and an archive go to downloads/<name>/<version>/ with SHA256SUMS, its signature and a cask, in write order", async () => {
  const storage = memoryStorage();
  const p = await pkg("hello", "1.0.0");
  const a = await archive("hello", "1.0.0");
  const plan = await planDownloads(storage, [a, p], options());
  assert.deepEqual(
    plan.writes.map((w) => [w.key, w.mutable]),
    [
      ["downloads/hello/1.0.0/hello-1.0.0.pkg", false],
      ["downloads/hello/1.0.0/hello_1.0.0_linux_all.tar.gz", false],
      ["downloads/hello/1.0.0/SHA256SUMS", true],
      ["downloads/hello/1.0.0/SHA256SUMS.asc", true],
      ["downloads/hello/hello.rb", true],
    ],
  );
  assert.equal(plan.writes[0]!.cacheControl, "public, max-age=31536000, immutable");
  assert.equal(plan.writes[2]!.cacheControl, "max-age=60");
  assert.equal(plan.writes[1]!.contentType, "application/gzip");
  assert.equal(plan.writes[3]!.contentType, "application/pgp-signature");
  assert.deepEqual(
    plan.added.map((e) => e.file),
    ["hello-1.0.0.pkg", "hello_1.0.0_linux_all.tar.gz"],
  );
  assert.deepEqual(plan.unchanged, []);
  await applyDownloadWrites(storage, plan.writes);
  const stored = {
    "hello-1.0.0.pkg": (await readObject(storage, "downloads/hello/1.0.0/hello-1.0.0.pkg"))!,
    "hello_1.0.0_linux_all.tar.gz": (await readObject(
      storage,
      "downloads/hello/1.0.0/hello_1.0.0_linux_all.tar.gz",
    ))!,
  };
  assert.deepEqual(stored["hello-1.0.0.pkg"], p.bytes);
  assert.deepEqual(stored["hello_1.0.0_linux_all.tar.gz"], a.bytes);
  const sums = (await text(storage, "downloads/hello/1.0.0/SHA256SUMS"))!;
  assert.equal(sums, expectedSums(stored));
  const asc = (await text(storage, "downloads/hello/1.0.0/SHA256SUMS.asc"))!;
  assert.match(asc, /^-----BEGIN PGP SIGNATURE-----\n/);
  const v = await verifyDetached(new TextEncoder().encode(sums), asc, signer.publicKeyArmored());
  assert.equal(v.valid, true, v.reason);
  // the signature is over these exact bytes: one byte more and it fails
  const w = await verifyDetached(new TextEncoder().encode(`${sums} `), asc, signer.publicKeyArmored());
  assert.equal(w.valid, false);
  const cask = (await text(storage, "downloads/hello/hello.rb"))!;
  assert.match(cask, /^cask 'hello' do\n/);
  assert.match(cask, /\n {2}version '1\.0\.0'\n/);
  assert.ok(cask.includes(`  sha256 '${sha256(p.bytes)}'\n`));
  assert.ok(cask.includes(`  url '${BASE}/downloads/hello/1.0.0/hello-1.0.0.pkg'\n`));
  assert.ok(cask.includes("  pkg 'hello-1.0.0.pkg'\n"));
  assert.ok(cask.includes("  uninstall pkgutil: 'com.example.hello'\n"));
  assert.ok(cask.includes(`  homepage '${BASE}/'\n`));
});

test("publishing the same files again writes nothing and reports them unchanged", async () => {
  const storage = memoryStorage();
  const inputs = [await pkg("hello", "1.0.0"), await archive("hello", "1.0.0")];
  await publishDownloads(storage, inputs);
  const before = await keys(storage);
  const again = await planDownloads(
    storage,
    inputs,
    options({ clock: () => new Date("2030-01-01T00:00:00Z") }),
  );
  assert.deepEqual(again.writes, []);
  assert.deepEqual(again.added, []);
  assert.equal(again.unchanged.length, 2);
  assert.deepEqual(await keys(storage), before);
});

test("a held file with other bytes is a REPO_CONFLICT naming key and both digests, with replace too", async () => {
  const storage = memoryStorage();
  const first = await pkg("hello", "1.0.0");
  await publishDownloads(storage, [first]);
  const rebuilt = await pkg("hello", "1.0.0", { body: "changed" });
  assert.notEqual(sha256(rebuilt.bytes), sha256(first.bytes));
  for (const replace of [false, true]) {
    const e = await rejects(
      planDownloads(storage, [rebuilt], options({ replace })),
      "REPO_CONFLICT",
      /downloads\/hello\/1\.0\.0\/hello-1\.0\.0\.pkg/,
    );
    assert.ok(e.message.includes(sha256(first.bytes)) && e.message.includes(sha256(rebuilt.bytes)));
    assert.equal((e as { data?: { key?: string } }).data?.key, "downloads/hello/1.0.0/hello-1.0.0.pkg");
  }
  assert.deepEqual(await readObject(storage, "downloads/hello/1.0.0/hello-1.0.0.pkg"), first.bytes);
  // two inputs for one key with different bytes in one call
  await rejects(planDownloads(memoryStorage(), [first, rebuilt], options()), "REPO_CONFLICT", /given twice/);
});

test("a second file of a held version updates SHA256SUMS and its signature, the first file is not rewritten", async () => {
  const storage = memoryStorage();
  const p = await pkg("hello", "2.0.0");
  await publishDownloads(storage, [p]);
  assert.equal(
    await text(storage, "downloads/hello/2.0.0/SHA256SUMS"),
    expectedSums({ "hello-2.0.0.pkg": p.bytes }),
  );
  const a = await archive("hello", "2.0.0");
  const plan = await publishDownloads(storage, [a]);
  assert.deepEqual(
    plan.writes.map((w) => w.key),
    [
      "downloads/hello/2.0.0/hello_2.0.0_linux_all.tar.gz",
      "downloads/hello/2.0.0/SHA256SUMS",
      "downloads/hello/2.0.0/SHA256SUMS.asc",
    ],
  );
  const sums = (await text(storage, "downloads/hello/2.0.0/SHA256SUMS"))!;
  assert.equal(sums, expectedSums({ "hello-2.0.0.pkg": p.bytes, "hello_2.0.0_linux_all.tar.gz": a.bytes }));
  const asc = (await text(storage, "downloads/hello/2.0.0/SHA256SUMS.asc"))!;
  assert.equal(
    (await verifyDetached(new TextEncoder().encode(sums), asc, signer.publicKeyArmored())).valid,
    true,
  );
});

test("a file a stopped publish left without SHA256SUMS is listed by the next one", async () => {
  const storage = memoryStorage();
  const p = await pkg("hello", "3.0.0");
  const plan = await planDownloads(storage, [p], options());
  await applyDownloadWrites(storage, plan.writes.slice(0, 1)); // stopped after the file
  const a = await archive("hello", "3.0.0");
  await publishDownloads(storage, [a]);
  assert.equal(
    await text(storage, "downloads/hello/3.0.0/SHA256SUMS"),
    expectedSums({ "hello-3.0.0.pkg": p.bytes, "hello_3.0.0_linux_all.tar.gz": a.bytes }),
  );
});

test("versions order by semver: 1.10.0 > 1.9.2, a release after its prerelease, v prefix and metadata ignored", () => {
  const ordered = [
    "0.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc1",
    "1.0.0",
    "1.9.2",
    "1.10.0",
    "2.0.0",
  ];
  for (let i = 0; i < ordered.length; i++)
    for (let j = 0; j < ordered.length; j++)
      assert.equal(
        compareDownloadVersions(ordered[i]!, ordered[j]!),
        Math.sign(i - j),
        `${ordered[i]} vs ${ordered[j]}`,
      );
  assert.equal(compareDownloadVersions("v1.2.0", "1.10.0"), -1);
});

test("the cask follows the newest .pkg: not an older one published later, a release after its rc, a stored one when missing", async () => {
  const storage = memoryStorage();
  const caskVersion = async () =>
    /\n {2}version '([^']*)'\n/.exec((await text(storage, "downloads/hello/hello.rb")) ?? "")?.[1];
  await publishDownloads(storage, [await pkg("hello", "1.9.2"), await pkg("hello", "1.10.0-rc1")]);
  assert.equal(await caskVersion(), "1.10.0-rc1");
  const older = await publishDownloads(storage, [await pkg("hello", "1.2.0")]);
  assert.deepEqual(older.casks, []);
  assert.equal(await caskVersion(), "1.10.0-rc1");
  // a newer archive is not a .pkg: the cask stays
  await publishDownloads(storage, [await archive("hello", "1.11.0")]);
  assert.equal(await caskVersion(), "1.10.0-rc1");
  const release = await pkg("hello", "1.10.0");
  const plan = await publishDownloads(storage, [release]);
  assert.deepEqual(plan.casks, ["downloads/hello/hello.rb"]);
  assert.equal(await caskVersion(), "1.10.0");
  assert.ok((await text(storage, "downloads/hello/hello.rb"))!.includes(`sha256 '${sha256(release.bytes)}'`));
  // lost cask: made again from the stored .pkg, its identifier read from the store by range
  await storage.delete("downloads/hello/hello.rb");
  const repair = await publishDownloads(storage, [
    await pkg("hello", "1.0.0", { identifier: "org.other.hello" }),
  ]);
  assert.deepEqual(repair.casks, ["downloads/hello/hello.rb"]);
  const cask = (await text(storage, "downloads/hello/hello.rb"))!;
  assert.match(cask, /version '1\.10\.0'/);
  assert.match(cask, /uninstall pkgutil: 'com\.example\.hello'/);
});

test("a component package's identifier comes from its PackageInfo; a product archive's from its component", async () => {
  for (const componentOnly of [true, false]) {
    const storage = memoryStorage();
    // (the reader names a component package after its identifier's last label, a product after its component)
    const plan = await publishDownloads(storage, [
      await pkg("tool", "0.1.0", { identifier: "io.example.tool", componentOnly }),
    ]);
    assert.deepEqual(plan.casks, ["downloads/tool/tool.rb"]);
    assert.match(
      (await text(storage, "downloads/tool/tool.rb"))!,
      /uninstall pkgutil: 'io\.example\.tool'\n/,
    );
  }
});

test("without a base URL no cask is written and the plan says why", async () => {
  const storage = memoryStorage();
  const plan = await planDownloads(storage, [await pkg("hello", "1.0.0")], {
    signers: [signer],
    clock: () => DATE,
  });
  await applyDownloadWrites(storage, plan.writes);
  assert.ok(await storage.head("downloads/hello/1.0.0/SHA256SUMS.asc"));
  assert.deepEqual(plan.casks, []);
  assert.match(plan.warnings[0] ?? "", /no Homebrew cask for hello.*base URL/);
  assert.equal(await storage.head("downloads/hello/hello.rb"), undefined);
});

test("without a key: no .asc; a signed version that would change is refused (MISSING_KEY)", async () => {
  const unsigned = memoryStorage();
  await publishDownloads(unsigned, [await pkg("hello", "1.0.0")], { signers: [] });
  assert.ok(await unsigned.head("downloads/hello/1.0.0/SHA256SUMS"));
  assert.equal(await unsigned.head("downloads/hello/1.0.0/SHA256SUMS.asc"), undefined);
  const signed = memoryStorage();
  await publishDownloads(signed, [await pkg("hello", "1.0.0")]);
  await rejects(
    planDownloads(signed, [await archive("hello", "1.0.0")], options({ signers: [] })),
    "MISSING_KEY",
    /SHA256SUMS\.asc/,
  );
  // a key given later signs an unsigned version without changing SHA256SUMS
  const plan = await publishDownloads(unsigned, [await pkg("hello", "1.0.0")]);
  assert.deepEqual(
    plan.writes.map((w) => w.key),
    ["downloads/hello/1.0.0/SHA256SUMS.asc"],
  );
});

test("names, versions and file names that are not safe path segments are refused", async () => {
  const base = await pkg("hello", "1.0.0");
  const withInfo = (patch: Partial<PackageInfo>, name = base.name): PublishInput => ({
    ...base,
    info: { ...base.info, ...patch },
    ...(name === undefined ? {} : { name }),
  });
  const cases: [PublishInput, RegExp][] = [
    [withInfo({ versionString: "../../etc" }), /version "\.\.\/\.\.\/etc"/],
    [withInfo({ versionString: "1.0 beta" }), /version "1\.0 beta"/],
    [withInfo({ name: "a/b" }), /name "a\/b"/],
    [withInfo({ name: ".hidden" }), /name "\.hidden"/],
    [withInfo({ name: "x..y" }), /name "x\.\.y"/],
    [withInfo({}, "dist/$(id).pkg"), /file name "\$\(id\)\.pkg"/],
    [withInfo({}, "dist/SHA256SUMS"), /\.pkg file/],
  ];
  for (const [input, pattern] of cases) {
    await rejects(planDownloads(memoryStorage(), [input], options()), "UNSUPPORTED_PACKAGE", pattern);
  }
  const a = await archive("hello", "1.0.0");
  await rejects(
    planDownloads(memoryStorage(), [{ ...a, name: "dist/archive.tar.gz" }], options()),
    "UNSUPPORTED_PACKAGE",
    /expected a name and version/,
  );
  await rejects(
    planDownloads(memoryStorage(), [{ ...a, name: "dist/hello_1.0.0_linux_all.rar" }], options()),
    "UNSUPPORTED_PACKAGE",
    /release archive named/,
  );
});

test("packages of other formats are left to the repositories", async () => {
  const base = await pkg("hello", "1.0.0");
  const plan = await planDownloads(
    memoryStorage(),
    [{ ...base, info: { ...base.info, format: "deb" } }],
    options(),
  );
  assert.deepEqual(plan.writes, []);
});

test("applyDownloadWrites refuses a file whose bytes changed after they were read, and leaves no object", async () => {
  const storage = memoryStorage();
  const p = await pkg("hello", "1.0.0");
  const other = await pkg("hello", "1.0.0", { body: "swapped" });
  const plan = await planDownloads(storage, [{ ...p, source: other.source }], options());
  await rejects(
    applyDownloadWrites(storage, plan.writes),
    "CHECKSUM_MISMATCH",
    /the file changed after it was read/,
  );
  assert.equal(await storage.head("downloads/hello/1.0.0/hello-1.0.0.pkg"), undefined);
});

test("readDownloads lists releases by name, newest first, with sizes, digests, signatures and the cask on the newest", async () => {
  const storage = memoryStorage();
  const p1 = await pkg("hello", "1.9.2");
  const p2 = await pkg("hello", "1.10.0");
  const a2 = await archive("hello", "1.10.0");
  const plus = await archive("tool", "1.0+git");
  await publishDownloads(storage, [p1, p2, a2]);
  await publishDownloads(storage, [plus], { signers: [] });
  const list = await readDownloads(storage, `${BASE}/`);
  assert.deepEqual(
    list.map((r) => [r.name, r.version, r.files.map((f) => [f.name, f.kind, f.size, f.sha256])]),
    [
      [
        "hello",
        "1.10.0",
        [
          ["hello-1.10.0.pkg", "macos", p2.bytes.length, sha256(p2.bytes)],
          ["hello_1.10.0_linux_all.tar.gz", "tar.gz", a2.bytes.length, sha256(a2.bytes)],
        ],
      ],
      ["hello", "1.9.2", [["hello-1.9.2.pkg", "macos", p1.bytes.length, sha256(p1.bytes)]]],
      [
        "tool",
        "1.0+git",
        [["tool_1.0+git_linux_all.tar.gz", "tar.gz", plus.bytes.length, sha256(plus.bytes)]],
      ],
    ],
  );
  const [newest, older, tool] = list;
  assert.equal(newest!.cask, `${BASE}/downloads/hello/hello.rb`);
  assert.equal(older!.cask, undefined);
  assert.equal(tool!.cask, undefined);
  assert.equal(newest!.checksums, `${BASE}/downloads/hello/1.10.0/SHA256SUMS`);
  assert.equal(newest!.checksumsSignature, `${BASE}/downloads/hello/1.10.0/SHA256SUMS.asc`);
  assert.equal(tool!.checksumsSignature, undefined);
  // + is percent-encoded in URLs (S3 reads a bare + as a space)
  assert.equal(tool!.files[0]!.url, `${BASE}/downloads/tool/1.0%2Bgit/tool_1.0%2Bgit_linux_all.tar.gz`);
  assert.deepEqual(await readDownloads(memoryStorage(), BASE), []);
});

test("publish(): downloads alone publish the key files; a conflicting download fails before any root is committed", async () => {
  const { publish } = await import("../../src/publish/publish.ts");
  const { testDeb } = await import("@packyard/testkit/debs");
  const s = memoryStorage();
  const first = await archive("hello", "1.0.0");
  const r = await publish(s, { add: [first], signers: [signer], keyName: "hello", clock: () => DATE });
  assert.deepEqual(r.downloads?.added.length, 1);
  // SHA256SUMS.asc is checked with the repository key, so its files come with the downloads.
  assert.ok(await readObject(s, "keys/hello.asc"), "keys/hello.asc");
  assert.ok(await readObject(s, "keys/hello.gpg"), "keys/hello.gpg");
  const outsideLock = async () => (await keys(s)).filter((k) => !k.startsWith(".packyard/lock/"));
  const before = await outsideLock();
  await rejects(
    publish(s, {
      add: [await testDeb({ name: "hello" }), await archive("hello", "1.0.0", "other bytes")],
      signers: [signer],
      keyName: "hello",
      clock: () => DATE,
    }),
    "REPO_CONFLICT",
  );
  assert.deepEqual(await outsideLock(), before, "nothing written: no APT suite, no changed file");
});
