/**
 * PackageInfo.changelog for Arch packages (.CHANGELOG), and raw.signature (the `.sig` bytes the caller
 * passed, for the repository's %PGPSIG%).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { decodeChangelog, encodeChangelog } from "../../src/archlinux/changelog.ts";
import { archlinuxFormat } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import type { PackageSpec } from "../../src/spec/types.ts";
import { needTool, run } from "@packyard/testkit/tools";
import { helloSpec } from "./hello.ts";
import { openpgpTestKey } from "@packyard/testkit/keyrings";

const DAY = 86400;
const T = 1704067200; // 2024-01-01T00:00:00Z

async function writeAndRead(spec: PackageSpec) {
  const bytes = await collect(archlinuxFormat.write(spec, {}));
  return archlinuxFormat.read(chunkedSource(bytes, 7));
}

test("our writer's .CHANGELOG reads back entry by entry, newest first, dated the day at 00:00 UTC", async () => {
  const spec: PackageSpec = {
    ...helloSpec("1.2.0"),
    changelog: [
      {
        version: "1.2.0-1",
        date: T + 2 * DAY + 3723,
        author: "Jane Doe <jane@example.org>",
        changes: ["Fix the greeting.", "Explain why\nover two lines.\n\nAnd a paragraph."],
      },
      { version: "1.1.0-1", date: T + DAY, author: "Ünïcödé <u@example.org>", changes: [] },
      { version: "1.0.0-1", date: T, author: "John <john@example.org>", changes: ["Initial release."] },
    ],
  };
  const info = await writeAndRead(spec);
  assert.deepEqual(info.changelog, [
    {
      author: "Jane Doe <jane@example.org>",
      date: T + 2 * DAY,
      version: "1.2.0-1",
      text: "- Fix the greeting.\n- Explain why\n  over two lines.\n  \n  And a paragraph.",
    },
    { author: "Ünïcödé <u@example.org>", date: T + DAY, version: "1.1.0-1", text: "" },
    { author: "John <john@example.org>", date: T, version: "1.0.0-1", text: "- Initial release." },
  ]);
  // no .CHANGELOG (no spec entries): []
  assert.deepEqual((await writeAndRead({ ...helloSpec(), changelog: [] })).changelog, []);
});

test("decodeChangelog: foreign free text is one entry with the whole text, author '' and the fallback date", () => {
  const gnu = "2019-05-10  Jane <j@x>\n\n\t* foo.c (bar): Fix.\n\tNot a packyard change line.\n";
  assert.deepEqual(decodeChangelog(gnu, 1234), [{ author: "", date: 1234, text: gnu }]);
  // a day that does not exist is not a packyard header either
  const feb30 = "2024-02-30  A <a@b>\n\n\t* 1.0-1\n\t- x\n";
  assert.deepEqual(decodeChangelog(feb30, 7), [{ author: "", date: 7, text: feb30 }]);
  assert.deepEqual(decodeChangelog(" \n\n", 7), []);
  // CRLF line ends and extra blank lines between blocks are accepted
  const ours = encodeChangelog([
    { version: "2.0-1", date: T + DAY, author: "A <a@b>", changes: ["two"] },
    { version: "1.0-1", date: T, author: "B <b@c>", changes: ["one"] },
  ]);
  assert.deepEqual(decodeChangelog(`\n${ours.replace(/\n/g, "\r\n")}\n\n`, 0), [
    { author: "A <a@b>", date: T + DAY, version: "2.0-1", text: "- two" },
    { author: "B <b@c>", date: T, version: "1.0-1", text: "- one" },
  ]);
});

/** Builds `<name>-1.0-1-any.pkg.tar.gz` with bsdtar from a .PKGINFO, a .CHANGELOG and one file. */
function bsdtarPackage(dir: string, changelog: string): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "usr/share/foo"), { recursive: true });
  writeFileSync(
    join(root, ".PKGINFO"),
    "pkgname = foo\npkgver = 1.0-1\npkgdesc = changelog fixture\nbuilddate = 1700000000\narch = any\nsize = 3\n",
  );
  writeFileSync(join(root, ".CHANGELOG"), changelog);
  writeFileSync(join(root, "usr/share/foo/hi"), "hi\n");
  const file = join(dir, "foo-1.0-1-any.pkg.tar.gz");
  run("bsdtar", ["-czf", file, "-C", root, ".PKGINFO", ".CHANGELOG", "usr"]);
  return file;
}

const FREE_TEXT = `Version 1.0 (2023-11-14)
  * New upstream release; see https://example.org/news

Older history is in the upstream NEWS file.
`;

test("a bsdtar-assembled package's free-text .CHANGELOG: the text pacman -Qcp shows, dated builddate", async (t) => {
  if (!needTool(t, "bsdtar", "pacman")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-arch-changelog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = bsdtarPackage(dir, FREE_TEXT);
  // pacman prints "Changelog for foo:", the file, and a newline
  const shown = run("pacman", ["-Qcp", file]);
  assert.ok(shown.startsWith("Changelog for foo:\n"), shown);
  const info = await archlinuxFormat.read(bytesSource(new Uint8Array(readFileSync(file))));
  assert.deepEqual(info.changelog, [
    { author: "", date: 1700000000, text: shown.slice("Changelog for foo:\n".length, -1) },
  ]);
});

test("a bsdtar-assembled package with a .CHANGELOG in packyard's shape gives one entry per block", async (t) => {
  if (!needTool(t, "bsdtar")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-arch-changelog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text =
    "2023-11-14  Jane Doe <jane@example.org>\n\n\t* 1.0-1\n\t- Second entry,\n\t  continued.\n\t- Another change.\n\n" +
    "2023-01-01  John <john@example.org>\n\n\t* 0.9-1\n\t- First.\n";
  const file = bsdtarPackage(dir, text);
  const info = await archlinuxFormat.read(bytesSource(new Uint8Array(readFileSync(file))));
  assert.deepEqual(info.changelog, [
    {
      author: "Jane Doe <jane@example.org>",
      date: Date.UTC(2023, 10, 14) / 1000,
      version: "1.0-1",
      text: "- Second entry,\n  continued.\n- Another change.",
    },
    {
      author: "John <john@example.org>",
      date: Date.UTC(2023, 0, 1) / 1000,
      version: "0.9-1",
      text: "- First.",
    },
  ]);
});

test("raw.signature is the .sig passed in ctx.detachedSignature, and absent without one", async () => {
  const { key, signer } = await openpgpTestKey({
    type: "ecc",
    name: "Arch Signer",
    email: "arch@example.org",
    date: new Date("2020-01-01T00:00:00Z"),
  });
  const spec = helloSpec();
  const bytes = await collect(archlinuxFormat.write(spec, {}));
  const sig = await archlinuxFormat.detachedSignature!(bytesSource(bytes), {}, signer, { date: spec.date });
  assert.ok(sig !== undefined);
  const signed = await archlinuxFormat.read(bytesSource(bytes), {
    detachedSignature: sig.bytes,
    publicKeys: [key.publicKeyArmored],
  });
  assert.equal(signed.raw.format, "archlinux");
  if (signed.raw.format !== "archlinux") return;
  assert.deepEqual(signed.raw.signature, sig.bytes);
  assert.equal(signed.signatures[0]?.verified, true);
  const unsigned = await archlinuxFormat.read(bytesSource(bytes));
  assert.ok(unsigned.raw.format === "archlinux" && !("signature" in unsigned.raw));
});
