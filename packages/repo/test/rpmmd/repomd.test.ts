/** rpmmd/repomd: compressed documents named by content, repomd.xml checksums and sizes, determinism. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { isRepoError } from "../../src/errors.ts";
import { filelistsXml } from "../../src/rpmmd/filelists.ts";
import { otherXml } from "../../src/rpmmd/other.ts";
import { primaryXml } from "../../src/rpmmd/primary.ts";
import { buildRpmMetadata } from "../../src/rpmmd/repomd.ts";
import { exampleIndexInfo, mdPackage } from "./support.ts";
import { attr, child, elements, parseXml, textOf } from "./xml-parse.ts";

const example = await exampleIndexInfo();
const pkgs = [
  mdPackage(example.info, example.bytes),
  mdPackage({ ...example.info, name: "second" }, example.bytes, { pkgid: "f".repeat(64) }),
];
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const options = { revision: 1700000001, timestamp: 1700000002 };

for (const compression of ["gz", "zst"] as const) {
  test(`${compression}: files decompress to the documents, repomd lists each with matching checksums and sizes`, async () => {
    const md = await buildRpmMetadata(pkgs, { compression, ...options });
    const expected = { primary: primaryXml(pkgs), filelists: filelistsXml(pkgs), other: otherXml(pkgs) };
    assert.deepEqual(
      md.files.map((f) => f.type),
      ["primary", "filelists", "other"],
    );
    const repomd = parseXml(md.repomd);
    assert.equal(repomd.name, "repomd");
    assert.deepEqual(repomd.attrs, [
      ["xmlns", "http://linux.duke.edu/metadata/repo"],
      ["xmlns:rpm", "http://linux.duke.edu/metadata/rpm"],
    ]);
    assert.equal(textOf(child(repomd, "revision")), String(options.revision));
    const data = elements(repomd, "data");
    assert.equal(data.length, 3);
    for (const [i, f] of md.files.entries()) {
      const open = (compression === "gz" ? gunzipSync : zstdDecompressSync)(f.bytes);
      assert.equal(new TextDecoder().decode(open), expected[f.type]);
      assert.equal(f.href, `repodata/${sha256(f.bytes)}-${f.type}.xml.${compression}`);
      const d = data[i]!;
      assert.equal(attr(d, "type"), f.type);
      assert.deepEqual(
        elements(d).map((e) => e.name),
        ["checksum", "open-checksum", "location", "timestamp", "size", "open-size"],
      );
      assert.equal(attr(child(d, "checksum"), "type"), "sha256");
      assert.equal(textOf(child(d, "checksum")), sha256(f.bytes));
      assert.equal(attr(child(d, "open-checksum"), "type"), "sha256");
      assert.equal(textOf(child(d, "open-checksum")), sha256(open));
      assert.equal(attr(child(d, "location"), "href"), f.href);
      assert.equal(textOf(child(d, "timestamp")), String(options.timestamp));
      assert.equal(textOf(child(d, "size")), String(f.bytes.length));
      assert.equal(textOf(child(d, "open-size")), String(open.length));
    }
    assert.ok(md.repomd.endsWith("</repomd>\n"));
  });
}

test("same input, same bytes; gzip headers carry no time or name", async () => {
  for (const compression of ["gz", "zst"] as const) {
    const a = await buildRpmMetadata(pkgs, { compression, ...options });
    const b = await buildRpmMetadata([...pkgs], { compression, ...options });
    assert.equal(a.repomd, b.repomd);
    assert.deepEqual(a.files, b.files);
  }
  const gz = await buildRpmMetadata(pkgs, { compression: "gz", ...options });
  for (const f of gz.files) {
    assert.deepEqual([...f.bytes.subarray(0, 3)], [0x1f, 0x8b, 8]);
    assert.equal(f.bytes[3]! & 0x08, 0, "no FNAME");
    assert.deepEqual([...f.bytes.subarray(4, 8)], [0, 0, 0, 0], "MTIME 0");
  }
});

test("another package list gives other names and checksums", async () => {
  const a = await buildRpmMetadata(pkgs, { compression: "gz", ...options });
  const b = await buildRpmMetadata(pkgs.slice(0, 1), { compression: "gz", ...options });
  for (const i of [0, 1, 2]) assert.notEqual(a.files[i]!.href, b.files[i]!.href);
});

test("an empty package list still gives three documents", async () => {
  const md = await buildRpmMetadata([], { compression: "gz", ...options });
  assert.equal(new TextDecoder().decode(gunzipSync(md.files[0]!.bytes)), primaryXml([]));
  assert.equal(elements(parseXml(md.repomd), "data").length, 3);
});

test("bad revision, timestamp or compression is INVALID_SETTING", async () => {
  const bad = [
    { compression: "gz", revision: -1, timestamp: 0 },
    { compression: "gz", revision: 1.5, timestamp: 0 },
    { compression: "gz", revision: 0, timestamp: Number.NaN },
    { compression: "xz", revision: 0, timestamp: 0 },
  ];
  for (const o of bad)
    await assert.rejects(
      buildRpmMetadata(pkgs, o as Parameters<typeof buildRpmMetadata>[1]),
      (e: unknown) => isRepoError(e) && e.code === "INVALID_SETTING",
    );
});
