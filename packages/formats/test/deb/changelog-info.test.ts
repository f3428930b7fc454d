/**
 * PackageInfo.changelog for debs: our writer's changelog.Debian.gz read back entry by entry, and a package
 * built by dpkg-deb with a hand-written debian/changelog read as dpkg-parsechangelog reads it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { chunkedSource } from "@packyard/testkit/chunked";
import { decodeDebianChangelog } from "../../src/deb/changelog.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import type { ChangelogInfo } from "../../src/info/types.ts";
import { type PackageSpec, ROOT } from "../../src/spec/types.ts";
import { needTool, run } from "@packyard/testkit/tools";
import { exampleSpec } from "@packyard/testkit/example";

const DAY = 86400;
const T = 1704067200; // 2024-01-01T00:00:00Z

async function writeAndRead(spec: PackageSpec, limits?: { maxHeaderBytes: number }) {
  const bytes = await collect(writeDeb(spec, {}));
  // 7-byte chunks: the changelog is collected across chunk boundaries
  return readDeb(chunkedSource(bytes, 7), limits ? { limits } : {});
}

test("our writer's changelog.Debian.gz reads back entry by entry, newest first", async () => {
  const spec = exampleSpec({
    version: { upstream: "1.2.3", release: "2", epoch: 1 },
    changelog: [
      {
        version: "1.2.3",
        date: T + 2 * DAY + 3723,
        author: "Jane Doe <jane@example.org>",
        changes: ["Fix the greeting.", "Explain why\nover two lines.\n\nAnd a paragraph."],
      },
      {
        version: "1.2.0-rc.1",
        date: T + DAY,
        author: "Ünïcödé Maintainer <u@example.org>",
        changes: ["First release candidate."],
      },
      { version: "1.1.0", date: T, author: "John <john@example.org>", changes: ["Initial release."] },
    ],
  });
  const info = await writeAndRead(spec);
  assert.deepEqual(info.changelog, [
    {
      author: "Jane Doe <jane@example.org>",
      date: T + 2 * DAY + 3723,
      version: "1:1.2.3-2",
      text: "  * Fix the greeting.\n  * Explain why\n    over two lines.\n\n    And a paragraph.",
    },
    {
      author: "Ünïcödé Maintainer <u@example.org>",
      date: T + DAY,
      version: "1:1.2.0~rc.1-2",
      text: "  * First release candidate.",
    },
    { author: "John <john@example.org>", date: T, version: "1:1.1.0-2", text: "  * Initial release." },
  ] satisfies ChangelogInfo[]);
});

test("without spec entries the generated one-entry changelog is read; a native package's is changelog.gz", async () => {
  const native = await writeAndRead(exampleSpec({ version: { upstream: "3.0" }, changelog: [] }));
  assert.ok(native.files.some((f) => f.path === "/usr/share/doc/hello-packyard/changelog.gz"));
  assert.deepEqual(native.changelog, [
    {
      author: "Packyard Example <example@packyard.invalid>",
      date: T,
      version: "3.0",
      text: "  * Release 3.0.",
    },
  ]);
});

test("changelog is [] with no changelog file, and [] above the size limit instead of an error", async () => {
  const none = await collect(writeDeb(exampleSpec(), { generateDocs: false }));
  assert.deepEqual((await readDeb(bytesSource(none))).changelog, []);
  const entry = (change: string) => [{ version: "1.2.3", date: T, author: "A <a@b>", changes: [change] }];
  // a bomb: a few hundred bytes of gzip that inflate past the limit
  const bomb = exampleSpec({ changelog: entry("x".repeat(50_000)) });
  assert.equal((await writeAndRead(bomb)).changelog?.length, 1);
  assert.deepEqual((await writeAndRead(bomb, { maxHeaderBytes: 4000 })).changelog, []);
  // over the limit compressed already: not even kept in memory
  let noise = "";
  for (let i = 0; noise.length < 20_000; i++) noise += ((i * 2654435761) >>> 0).toString(36);
  const big = exampleSpec({ changelog: entry(noise) });
  const read = await writeAndRead(big);
  assert.equal(read.changelog?.length, 1);
  assert.ok(read.files.find((f) => f.path.endsWith("/changelog.Debian.gz"))!.size > 4000);
  assert.deepEqual((await writeAndRead(big, { maxHeaderBytes: 4000 })).changelog, []);
});

/** Real-world shapes dpkg-parsechangelog accepts: no weekday, other time zones, blank lines, tabs, trailers. */
const HAND_WRITTEN = `foo (1:2.0~rc1-3) unstable; urgency=high

  [ Jane Doe ]
  * Fix CVE-2024-0001 (Closes: #1000).
    - continued with a dash
\t\t* indented by tabs

  * After a blank line.   


 -- Jane Doe <jane@example.org>  Tue, 02 Jan 2024 10:00:00 +0100

foo (1:2.0~rc1-2) experimental; urgency=low, binary-only=yes

  * Rebuild.

 -- Bob Builder <bob@example.org>  3 Feb 2023 23:59:59 -0530

foo (1.0-1) UNRELEASED; urgency=medium
# a comment line dpkg skips
  * Initial release.
 -- John Q. Public <jqp@example.org>  Sun, 01 Jan 2023 00:00:00 +0000

Old Changelog:
  anything here is not debian/changelog syntax
  * so it is not read
 -- Nobody <no@example.org>  Mon, 01 Jan 2001 00:00:00 +0000
`;

/** dpkg-parsechangelog --all in rfc822 form: one stanza per entry. */
function dpkgParse(file: string): ChangelogInfo[] {
  const out = run("dpkg-parsechangelog", ["-l", file, "--all", "--format", "rfc822"]);
  return out
    .trim()
    .split(/\n\n(?=Source:)/)
    .map((stanza) => {
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(stanza)?.[1] ?? "";
      const changes = stanza.slice(stanza.indexOf("\nChanges:\n") + 10).split("\n");
      // continuation lines: " header", " .", then the body lines with one space added (" ." = blank)
      const body = changes.slice(2).map((l) => (l === " ." ? "" : l.slice(1)));
      return {
        author: field("Maintainer"),
        date: Number(field("Timestamp")),
        version: field("Version"),
        text: body.join("\n"),
      };
    });
}

/**
 * Builds package `foo` at `version` with dpkg-deb, with `docs` (name -> content) in /usr/share/doc/foo,
 * and reads it back; `dir` is a scratch folder the caller removes.
 */
async function dpkgDebRead(dir: string, version: string, docs: Record<string, string | Uint8Array>) {
  const root = join(dir, "root");
  mkdirSync(join(root, "DEBIAN"), { recursive: true });
  mkdirSync(join(root, "usr/share/doc/foo"), { recursive: true });
  writeFileSync(
    join(root, "DEBIAN/control"),
    `Package: foo\nVersion: ${version}\nArchitecture: all\nMaintainer: Jane Doe <jane@example.org>\nDescription: changelog fixture\n`,
  );
  for (const [name, content] of Object.entries(docs))
    writeFileSync(join(root, "usr/share/doc/foo", name), content);
  run("dpkg-deb", ["--root-owner-group", "-Zxz", "-b", root, join(dir, "foo.deb")]);
  return readDeb(bytesSource(new Uint8Array(readFileSync(join(dir, "foo.deb")))));
}

test("a dpkg-deb package's hand-written changelog.Debian.gz reads as dpkg-parsechangelog reads it", async (t) => {
  if (!needTool(t, "dpkg-deb", "dpkg-parsechangelog")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-deb-changelog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "changelog"), HAND_WRITTEN);
  const theirs = dpkgParse(join(dir, "changelog"));
  assert.equal(theirs.length, 3);
  const info = await dpkgDebRead(dir, "1:2.0~rc1-3", {
    "changelog.Debian.gz": gzipSync(HAND_WRITTEN, { level: 9 }),
    // the upstream changelog of a non-native package is not debian/changelog and is not read
    "changelog.gz": gzipSync("2024-01-01 upstream notes\n"),
  });
  assert.deepEqual(info.changelog, theirs);
  assert.equal(info.changelog?.[1]?.date, Date.UTC(2023, 1, 3, 23, 59, 59) / 1000 + 5.5 * 3600);
});

test("an uncompressed changelog.Debian is read too", async (t) => {
  if (!needTool(t, "dpkg-deb")) return;
  const dir = mkdtempSync(join(tmpdir(), "packyard-deb-changelog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const info = await dpkgDebRead(dir, "1.0-1", { "changelog.Debian": HAND_WRITTEN });
  assert.deepEqual(
    info.changelog?.map((c) => c.version),
    ["1:2.0~rc1-3", "1:2.0~rc1-2", "1.0-1"],
  );
});

test("decodeDebianChangelog: a missing or unreadable trailer keeps the entry with author '' and date 0", () => {
  assert.deepEqual(
    decodeDebianChangelog(
      "a (1) unstable; urgency=low\n\n  * One.\n\n -- Bad Trailer  yesterday\n\nb (0.9) unstable; urgency=low\n\n  * Two.\n -- X <x@y>  31 Feb 2024 00:00:00 +0000\n",
    ),
    [
      { author: "", date: 0, version: "1", text: "  * One." },
      { author: "X <x@y>", date: 0, version: "0.9", text: "  * Two." },
    ],
  );
  assert.deepEqual(decodeDebianChangelog("free text, not a changelog\n"), []);
  assert.deepEqual(decodeDebianChangelog(""), []);
});

test("a symlinked changelog (a doc directory shared with another package) is not followed", async () => {
  const spec = exampleSpec({
    entries: [
      {
        type: "symlink",
        path: "/usr/share/doc/hello-packyard/changelog.Debian.gz",
        target: "../other/changelog.Debian.gz",
        mode: 0o777,
        owner: ROOT,
        group: ROOT,
      },
    ],
  });
  assert.deepEqual((await writeAndRead(spec)).changelog, []);
});
