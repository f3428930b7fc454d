/** apt/indexes: which files a suite gets, `all` folding, by-hash copies, SHA512, xz, determinism. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decompressBytes } from "@packyard/formats/compress";
import { SpecError } from "@packyard/formats";
import { parseStanzas } from "@packyard/formats/text";
import { aptReleaseFiles, buildAptIndexes } from "../../src/apt/indexes.ts";
import { packagesFile } from "../../src/apt/packages.ts";
import type { BuiltFile } from "../../src/apt/types.ts";
import { isRepoError } from "../../src/errors.ts";
import { hex, testPackage, testSettings, testState, text, threePackages } from "./support.ts";

const D = "deb/dists/stable/";

function byKey(files: readonly BuiltFile[]): Map<string, BuiltFile> {
  return new Map(files.map((f) => [f.key, f]));
}

function packagesOf(files: readonly BuiltFile[], arch: string): string[] {
  const f = byKey(files).get(`${D}main/binary-${arch}/Packages`);
  assert.ok(f, `Packages for ${arch}`);
  return parseStanzas(text(f.bytes), arch).map((s) => `${s.get("Package")} ${s.get("Architecture")}`);
}

test("each architecture's Packages holds its packages plus the `all` ones", async () => {
  const packages = threePackages();
  const { files } = await buildAptIndexes(testState(testSettings(), packages));
  assert.deepEqual(packagesOf(files, "amd64"), ["hello amd64", "hello-doc all"]);
  assert.deepEqual(packagesOf(files, "arm64"), ["hello arm64", "hello-doc all"]);
  const amd64 = byKey(files).get(`${D}main/binary-amd64/Packages`)!;
  assert.equal(text(amd64.bytes), packagesFile([packages[0]!.record, packages[2]!.record], ["SHA256"]));
});

test("an architecture or component without packages still gets (empty) indexes", async () => {
  const settings = testSettings({
    architectures: ["amd64", "arm64", "riscv64"],
    components: ["main", "beta"],
  });
  const { files, indexes } = await buildAptIndexes(testState(settings, [threePackages()[0]!]));
  const keys = byKey(files);
  assert.equal(keys.get(`${D}main/binary-riscv64/Packages`)?.bytes.length, 0);
  assert.equal(keys.get(`${D}beta/binary-amd64/Packages`)?.bytes.length, 0);
  const gz = keys.get(`${D}beta/binary-amd64/Packages.gz`)!;
  assert.equal((await decompressBytes(gz.bytes, "gzip")).length, 0);
  assert.equal(indexes.length, 2 * 3 * 2);
});

test("with by-hash: one SHA256 copy per canonical file, as a blob; IndexFileRecord names it", async () => {
  const { files, indexes, releaseFiles } = await buildAptIndexes(testState(testSettings(), threePackages()));
  const keys = byKey(files);
  assert.deepEqual(
    indexes.map((i) => i.key),
    [
      `${D}main/binary-amd64/Packages`,
      `${D}main/binary-amd64/Packages.gz`,
      `${D}main/binary-arm64/Packages`,
      `${D}main/binary-arm64/Packages.gz`,
    ],
  );
  for (const index of indexes) {
    const canonical = keys.get(index.key)!;
    assert.equal(canonical.kind, "index");
    assert.equal(index.size, canonical.bytes.length);
    assert.equal(index.sha256, hex(canonical.bytes, "sha256"));
    const dir = index.key.slice(0, index.key.lastIndexOf("/") + 1);
    assert.equal(index.byHash, `${dir}by-hash/SHA256/${index.sha256}`);
    const copy = keys.get(index.byHash!)!;
    assert.equal(copy.kind, "blob");
    assert.deepEqual(copy.bytes, canonical.bytes);
  }
  assert.equal(files.length, 8);
  assert.ok(!files.some((f) => f.key.includes("/SHA512/")));
  assert.deepEqual(
    releaseFiles.map((f) => f.path),
    indexes.map((i) => i.key.slice(D.length)),
  );
  assert.ok(releaseFiles.every((f) => f.sha512 === undefined));
});

test("without by-hash: canonical files only, no byHash in the records", async () => {
  const { files, indexes } = await buildAptIndexes(
    testState(testSettings({ byHash: false }), threePackages()),
  );
  assert.ok(files.every((f) => f.kind === "index" && !f.key.includes("by-hash")));
  assert.ok(indexes.every((i) => i.byHash === undefined));
  assert.equal(files.length, 4);
});

test("SHA512: stanzas carry SHA512, by-hash/SHA512 copies exist, the Release list has sha512", async () => {
  const settings = testSettings({ hashes: ["SHA256", "SHA512"] });
  const { files, releaseFiles } = await buildAptIndexes(testState(settings, threePackages()));
  const keys = byKey(files);
  assert.match(text(keys.get(`${D}main/binary-amd64/Packages`)!.bytes), /\nSHA512: [0-9a-f]{128}\n/);
  for (const f of releaseFiles) {
    const bytes = keys.get(D + f.path)!.bytes;
    assert.equal(f.sha512, hex(bytes, "sha512"));
    const dir = f.path.slice(0, f.path.lastIndexOf("/") + 1);
    assert.deepEqual(keys.get(`${D}${dir}by-hash/SHA512/${f.sha512}`)?.bytes, bytes);
  }
  assert.deepEqual(aptReleaseFiles(settings, files), releaseFiles);
});

test("xz and Contents: Packages.xz decompresses to Packages; Contents-<arch>.gz per component", async () => {
  const settings = testSettings({ compressions: ["gz", "xz"], contents: true });
  const { files, indexes } = await buildAptIndexes(testState(settings, threePackages()));
  const keys = byKey(files);
  const plain = keys.get(`${D}main/binary-arm64/Packages`)!.bytes;
  assert.deepEqual(await decompressBytes(keys.get(`${D}main/binary-arm64/Packages.xz`)!.bytes, "xz"), plain);
  assert.deepEqual(
    await decompressBytes(keys.get(`${D}main/binary-arm64/Packages.gz`)!.bytes, "gzip"),
    plain,
  );
  const contents = text(await decompressBytes(keys.get(`${D}main/Contents-amd64.gz`)!.bytes, "gzip"));
  assert.match(
    contents,
    /^usr\/bin\/hello +utils\/hello\nusr\/share\/doc\/hello\/README +utils\/hello-doc\n$/,
  );
  const contentsRecord = indexes.find((i) => i.key === `${D}main/Contents-amd64.gz`)!;
  assert.equal(contentsRecord.byHash, `${D}main/by-hash/SHA256/${contentsRecord.sha256}`);
  assert.equal(indexes.length, 2 * 3 + 2);
});

test("equal Contents of two architectures share one by-hash object", async () => {
  const settings = testSettings({ contents: true });
  const { files } = await buildAptIndexes(testState(settings, [threePackages()[2]!]));
  const copies = files.filter((f) => f.key.startsWith(`${D}main/by-hash/`));
  assert.equal(copies.length, 1);
  assert.equal(new Set(files.map((f) => f.key)).size, files.length);
});

test("the same state gives the same bytes (gzip without name or mtime)", async () => {
  const settings = testSettings({ compressions: ["gz", "xz"], contents: true, hashes: ["SHA256", "SHA512"] });
  const a = await buildAptIndexes(testState(settings, threePackages()));
  const b = await buildAptIndexes(testState(settings, [...threePackages()].reverse()));
  assert.deepEqual(
    a.files.map((f) => [f.key, hex(f.bytes, "sha256")]),
    b.files.map((f) => [f.key, hex(f.bytes, "sha256")]),
  );
  const gz = byKey(a.files).get(`${D}main/binary-amd64/Packages.gz`)!.bytes;
  assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
});

test("a missing xz encoder is RepoError MISSING_ENCODER naming the file", async () => {
  const settings = testSettings({ compressions: ["gz", "xz"] });
  const missing = new SpecError("OPTIONAL_DEPENDENCY_MISSING", "xz output needs lzma-native", {});
  await assert.rejects(
    buildAptIndexes(testState(settings, threePackages()), {
      compress: async (bytes, c) => {
        if (c.algo === "xz") throw missing;
        const { compressBytes } = await import("@packyard/formats/compress");
        return compressBytes(bytes, c);
      },
    }),
    (e) =>
      isRepoError(e) &&
      e.code === "MISSING_ENCODER" &&
      e.data.key === `${D}main/binary-amd64/Packages.xz` &&
      e.cause === missing,
  );
});

test("records the suite cannot index are refused, not left out", async () => {
  const settings = testSettings();
  const cases: [ReturnType<typeof testPackage>, string][] = [
    [testPackage({ name: "x", version: "1", arch: "s390x" }), "ARCH_NOT_IN_REPO"],
    [testPackage({ name: "x", version: "1", arch: "amd64", component: "beta" }), "CORRUPT_STATE"],
  ];
  for (const [p, code] of cases)
    await assert.rejects(buildAptIndexes(testState(settings, [p])), (e) => isRepoError(e) && e.code === code);
  const state = testState(settings, []);
  const { apt: _, ...noApt } = state;
  await assert.rejects(buildAptIndexes(noApt), (e) => isRepoError(e) && e.code === "CORRUPT_STATE");
  await assert.rejects(
    buildAptIndexes(testState(testSettings({ suite: "a b" }), [])),
    (e) => isRepoError(e) && e.code === "INVALID_SETTING",
  );
});
