/**
 * pacmanIndexInfo: the `desc` fields and the `files` list of Arch packages written by @packyard/formats,
 * and `.PKGINFO` read the way repo-add 6.0.2 reads it. Expected values come from the specs and from
 * repo-add's db_write_entry (bash `read` field splitting, whitespace folding, last scalar wins, lists in
 * order); interop/repo-add.test.ts puts the same kinds of input through the real repo-add.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PackageInfo } from "@packyard/formats";
import { testRpm } from "@packyard/testkit/debs";
import { exampleSpec } from "@packyard/testkit/example";
import { isRepoError } from "../../src/errors.ts";
import { pacmanIndexInfo } from "../../src/pacman/index.ts";
import { archPackage, relationsSpec, withPkginfo } from "./support.ts";

const example = archPackage(exampleSpec());
const relations = archPackage(relationsSpec());

/** The index record of the example package with its .PKGINFO replaced by `text`. */
async function fromText(text: string): Promise<ReturnType<typeof pacmanIndexInfo>> {
  return pacmanIndexInfo(withPkginfo((await example).info, text), "crafted");
}

test("the example package: fields from its spec, arch any, no empty blocks", async () => {
  const { info } = await example;
  const spec = exampleSpec();
  const i = pacmanIndexInfo(info, "example");
  assert.equal(i.name, spec.name);
  assert.equal(i.base, spec.name, "pkgbase defaults to the name");
  assert.equal(i.version, "1.0.0-1");
  assert.equal(i.desc, spec.description!.split("\n")[0], "the first line of the description");
  assert.equal(i.url, spec.homepage);
  assert.equal(i.arch, "any");
  assert.equal(i.builddate, String(spec.date));
  assert.equal(i.packager, spec.maintainer);
  assert.deepEqual(i.licenses, [spec.license]);
  assert.deepEqual(i.groups, [spec.section]);
  // formats' strict reader read the same .PKGINFO: an independent parse of the numbers
  assert.equal(i.isize, String(info.installedSize));
  for (const k of [
    "replaces",
    "conflicts",
    "provides",
    "depends",
    "optdepends",
    "makedepends",
    "checkdepends",
  ] as const)
    assert.deepEqual(i[k], [], k);
});

test("epoch, every relation, group and license; runs of whitespace in values made one space", async () => {
  const { info } = await relations;
  const i = pacmanIndexInfo(info, "relations");
  assert.equal(i.name, "relations");
  assert.equal(i.version, "2:3.1.4-2", "epoch:pkgver-pkgrel");
  assert.equal(info.versionString, i.version, "as formats' reader spells it");
  assert.equal(i.arch, "x86_64");
  assert.equal(i.desc, "Relations, spaces and all", 'the summary was "Relations,   spaces\\tand all"');
  assert.deepEqual(i.depends, ["glibc>=2.30", "bash"]);
  assert.deepEqual(i.optdepends, ["python: for the helper script", "perl"]);
  assert.deepEqual(i.provides, ["relations-api=3"]);
  assert.deepEqual(i.conflicts, ["relations-legacy"]);
  assert.deepEqual(i.replaces, ["relations-old"]);
  assert.deepEqual(i.groups, ["devel"]);
  assert.deepEqual(i.licenses, ["GPL-2.0-or-later"]);
  assert.equal(i.builddate, "1700000123");
});

test("files: directories with a trailing /, parents included, byte order, bsdtar's escapes, no metadata", async () => {
  const { info } = await relations;
  const i = pacmanIndexInfo(info, "relations");
  // Written from relationsSpec: the writer adds every parent folder; bsdtar -t in a UTF-8 locale doubles a
  // backslash, spells a tab \t and prints U+0085 (a C1 control) as the octal bytes of its UTF-8 form.
  assert.deepEqual(i.files, [
    "usr/",
    "usr/bin/",
    "usr/bin/rel",
    "usr/bin/relations",
    "usr/bin/relations-hard",
    "usr/share/",
    "usr/share/relations/",
    "usr/share/relations/.keep",
    "usr/share/relations/back\\\\slash",
    "usr/share/relations/nel\\302\\205char",
    "usr/share/relations/tab\\tname",
    "usr/share/relations/with space.txt",
    "usr/share/relations/ünï cödé ☃.txt",
    "var/",
    "var/lib/",
    "var/lib/relations/",
  ]);
  const { info: ex } = await example;
  const files = pacmanIndexInfo(ex).files;
  assert.ok(!files.some((f) => f.startsWith(".")), `no .PKGINFO, .MTREE, .INSTALL, .CHANGELOG: ${files}`);
  assert.ok(files.includes("var/lib/hello-packyard/"), "an empty directory is listed");
});

test("files: byte order is code point order (U+FFFD before U+1F600), not UTF-16 order", async () => {
  const i = pacmanIndexInfo(
    withPkginfo((await example).info, "pkgname = a\npkgver = 1-1\n", [
      { path: "x/\u{1F600}", type: "file" },
      { path: "x/\uFFFD", type: "file" },
      { path: "x/Z", type: "file" },
      { path: "x", type: "dir" },
      { path: "x/a", type: "file" },
    ]),
  );
  assert.deepEqual(i.files, ["x/", "x/Z", "x/a", "x/\uFFFD", "x/\u{1F600}"]);
});

test(".PKGINFO as repo-add reads it: comments, blanks around =, last scalar wins, lists in order, other keys ignored", async () => {
  const i = await fromText(
    [
      "# Generated by hand",
      "   # an indented comment",
      "pkgname = first",
      "pkgname=second",
      "\t pkgver   =   1.0-1  \t",
      "pkgbase =",
      "depend = a",
      "xdata = pkgtype=pkg",
      "backup = etc/x.conf",
      "depend=b>=2",
      "makedepend = m",
      "checkdepend = c",
      "unknown = whatever",
      "",
    ].join("\n"),
  );
  assert.equal(i.name, "second");
  assert.equal(i.version, "1.0-1");
  assert.equal(i.base, undefined, "an empty value is no value");
  assert.deepEqual(i.depends, ["a", "b>=2"]);
  assert.deepEqual(i.makedepends, ["m"]);
  assert.deepEqual(i.checkdepends, ["c"]);
  assert.equal(i.arch, "", "no arch line");
  assert.equal(i.desc, undefined);
});

test(".PKGINFO: bash's IFS=' =' splitting of `key = value`", async () => {
  // Each expectation is what `IFS=' =' read -r var val` gives (bash 5.2, builtins/read.def).
  const cases: [string, string | undefined][] = [
    ["pkgdesc = a = b", "a = b"], // the rest of the line, '=' and all
    ["pkgdesc = a =", "a"], // one word and its delimiter end the line: the word alone
    ["pkgdesc = a ==", "a =="],
    ["pkgdesc==v", "=v"], // one '=' is the delimiter, the next belongs to the value
    ["pkgdesc = =", undefined],
    ["pkgdesc words without equals", "words without equals"],
    ["pkgdesc", undefined],
    ["pkgdesc =\tlead", " lead"], // a tab is no IFS character: kept, then folded to a space
    ["pkgdesc = x\r", "x "], // CRLF: the \r survives `read` and is folded to a space
    ["pkgdesc = a\u3000b\u00a0c\u2007d\u1680e", "a b\u00a0c\u2007d e"], // UTF-8 [[:space:]]: no-break spaces stay
    ["pkgdesc = a\0b", "ab"], // bash drops NUL bytes
  ];
  for (const [line, want] of cases) {
    const i = await fromText(`pkgname = n\npkgver = 1-1\n${line}\n`);
    assert.equal(i.desc, want, JSON.stringify(line));
  }
});

test(".PKGINFO: a last line without newline is not read; empty list values are kept in place", async () => {
  const i = await fromText(
    "pkgname = n\npkgver = 1-1\ndepend =\ndepend = b\ngroup = g\ngroup = \ngroup = h\nlicense = L",
  );
  assert.deepEqual(i.depends, ["", "b"]);
  assert.deepEqual(i.groups, ["g", "", "h"]);
  assert.deepEqual(i.licenses, [], "`while read` never hands over an unterminated last line");
  await assert.rejects(
    fromText("pkgname = n\npkgver = 1-1"),
    (e: unknown) => isRepoError(e) && e.code === "CORRUPT_PACKAGE",
  );
});

test("errors: not an Arch package is UNSUPPORTED_PACKAGE naming where, expected and found", async () => {
  const { info } = await testRpm();
  assert.throws(
    () => pacmanIndexInfo(info, "hello.rpm"),
    (e: unknown) =>
      isRepoError(e) &&
      e.code === "UNSUPPORTED_PACKAGE" &&
      e.message.includes("hello.rpm") &&
      e.message.includes("rpm") &&
      e.data.expected === "archlinux" &&
      e.data.found === "rpm",
  );
  const mixed = { ...(await example).info, raw: info.raw } as PackageInfo;
  assert.throws(
    () => pacmanIndexInfo(mixed, "mixed"),
    (e: unknown) => isRepoError(e) && e.code === "CORRUPT_PACKAGE" && e.data.found === "rpm",
  );
});

test("errors: .PKGINFO without pkgname or pkgver, or with an empty one, is CORRUPT_PACKAGE", async () => {
  const cases: [string, string, unknown][] = [
    ["pkgver = 1-1\n", "pkgname", null],
    ["pkgname = n\n", "pkgver", null],
    ["pkgname =   \npkgver = 1-1\n", "pkgname", ""],
    ["# pkgname = n\npkgver = 1-1\n", "pkgname", null],
  ];
  for (const [text, field, found] of cases) {
    await assert.rejects(
      fromText(text),
      (e: unknown) =>
        isRepoError(e) &&
        e.code === "CORRUPT_PACKAGE" &&
        e.message.startsWith("crafted: ") &&
        e.message.includes(field) &&
        e.data.field === field &&
        e.data.found === found &&
        typeof e.data.expected === "string",
      JSON.stringify(text),
    );
  }
  await assert.rejects(
    fromText("pkgname = a/b\npkgver = 1-1\n"),
    (e: unknown) => isRepoError(e) && e.code === "CORRUPT_PACKAGE" && e.data.found === "a/b",
  );
  await assert.rejects(
    fromText("pkgname = a\npkgver = ../1-1\n"),
    (e: unknown) => isRepoError(e) && e.code === "CORRUPT_PACKAGE" && e.data.field === "pkgver",
  );
});
