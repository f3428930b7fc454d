/** rpmmd primary/filelists/other: structure, order, the primary-file rule, hostile text, empty lists. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, type Entry, ROOT } from "@packyard/formats";
import { exampleSpec } from "@packyard/testkit/example";
import type { RpmIndexInfo } from "../../src/publish/state.ts";
import { filelistsXml, filelistsXmlBytes } from "../../src/rpmmd/filelists.ts";
import { rpmIndexInfo } from "../../src/rpmmd/info.ts";
import { otherXml, otherXmlBytes } from "../../src/rpmmd/other.ts";
import { isPrimaryFile, primaryXml, primaryXmlBytes } from "../../src/rpmmd/primary.ts";
import { exampleIndexInfo, mdPackage, writtenRpm } from "./support.ts";
import { attr, child, elements, parseXml, textOf, type XmlElement } from "./xml-parse.ts";

const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';
const example = await exampleIndexInfo();

test("empty package lists: the bare documents createrepo_c writes for an empty directory", () => {
  assert.equal(
    primaryXml([]),
    `${DECL}<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="0">\n</metadata>`,
  );
  assert.equal(
    filelistsXml([]),
    `${DECL}<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="0">\n</filelists>`,
  );
  assert.equal(
    otherXml([]),
    `${DECL}<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="0">\n</otherdata>`,
  );
});

test("the primary-file rule: /etc/, bin/ anywhere, /usr/lib/sendmail", () => {
  const yes = [
    "/etc/a",
    "/etc/x/y",
    "/usr/bin/a",
    "/bin/a",
    "/usr/sbin/a",
    "/opt/x/bin/y",
    "/usr/share/cabin/x",
    "/usr/lib/sendmail",
    "/usr/bin/",
  ];
  const no = [
    "/etc",
    "/usr/bin",
    "/usr/lib/sendmail.d",
    "/usr/lib/sendmail/x",
    "/opt/etc/x",
    "/usr/binary",
    "/var/lib/x",
    "etc/x",
  ];
  for (const p of yes) assert.equal(isPrimaryFile(p), true, p);
  for (const p of no) assert.equal(isPrimaryFile(p), false, p);
});

function pkgElements(doc: XmlElement): XmlElement[] {
  return elements(doc, "package");
}

test("primary lists primary files only, filelists every path with its type; header order kept", () => {
  const info: RpmIndexInfo = {
    ...example.info,
    files: [
      { path: "/etc/app", type: "dir" },
      { path: "/etc/app/a.conf" },
      { path: "/opt/app/sbin/tool" },
      { path: "/usr/share/app/data" },
      { path: "/var/log/app.log", type: "ghost" },
      { path: "/etc/app/state", type: "ghost" },
    ],
  };
  const p = mdPackage(info, new Uint8Array([1]));
  const format = child(pkgElements(parseXml(primaryXml([p])))[0]!, "format");
  assert.deepEqual(
    elements(format, "file").map((f) => [textOf(f), attr(f, "type")]),
    [
      ["/etc/app", "dir"],
      ["/etc/app/a.conf", undefined],
      ["/opt/app/sbin/tool", undefined],
      ["/etc/app/state", "ghost"],
    ],
  );
  const fl = pkgElements(parseXml(filelistsXml([p])))[0]!;
  assert.deepEqual(
    elements(fl, "file").map((f) => [textOf(f), attr(f, "type")]),
    info.files.map((f) => [f.path, f.type]),
  );
});

test("primary: every element and attribute in createrepo_c's order", () => {
  const p = mdPackage(example.info, example.bytes, { fileTime: 1234, href: "../pool/h/hello.rpm" });
  const doc = parseXml(primaryXml([p, p]));
  assert.equal(doc.name, "metadata");
  assert.equal(attr(doc, "packages"), "2");
  const pkg = pkgElements(doc)[0]!;
  assert.deepEqual(pkg.attrs, [["type", "rpm"]]);
  assert.deepEqual(
    elements(pkg).map((e) => [e.name, e.attrs.map(([n]) => n)]),
    [
      ["name", []],
      ["arch", []],
      ["version", ["epoch", "ver", "rel"]],
      ["checksum", ["type", "pkgid"]],
      ["summary", []],
      ["description", []],
      ["packager", []],
      ["url", []],
      ["time", ["file", "build"]],
      ["size", ["package", "installed", "archive"]],
      ["location", ["href"]],
      ["format", []],
    ],
  );
  assert.equal(textOf(child(pkg, "checksum")), p.pkgid);
  assert.deepEqual(child(pkg, "time").attrs, [
    ["file", "1234"],
    ["build", String(example.info.buildTime)],
  ]);
  assert.deepEqual(child(pkg, "size").attrs, [
    ["package", String(p.size)],
    ["installed", String(example.info.installedSize)],
    ["archive", String(example.info.archiveSize)],
  ]);
  assert.equal(attr(child(pkg, "location"), "href"), "../pool/h/hello.rpm");
  const format = child(pkg, "format");
  assert.deepEqual(
    elements(format)
      .map((e) => e.name)
      .filter((n) => n !== "file"),
    [
      "rpm:license",
      "rpm:vendor",
      "rpm:group",
      "rpm:buildhost",
      "rpm:sourcerpm",
      "rpm:header-range",
      "rpm:provides",
      "rpm:requires",
    ],
  );
  assert.deepEqual(child(format, "rpm:header-range").attrs, [
    ["start", String(example.info.headerRange.start)],
    ["end", String(example.info.headerRange.end)],
  ]);
});

test("primary: dependency lists in primary order, entries with flags/epoch/ver/rel/pre, empty lists left out", () => {
  const info: RpmIndexInfo = {
    ...example.info,
    deps: {
      provides: [{ name: "p", flags: "EQ", epoch: "0", ver: "1", rel: "2" }],
      requires: [{ name: "r", pre: true }, { name: "" }, { name: "s", flags: "GE", epoch: "1", ver: "2" }],
      conflicts: [],
      obsoletes: [{ name: "o", flags: "LT", epoch: "0", ver: "3" }],
      suggests: [{ name: "(a or b)" }],
      enhances: [{ name: "" }],
      recommends: [{ name: "rec" }],
      supplements: [{ name: "sup", pre: true }],
    },
  };
  const format = child(pkgElements(parseXml(primaryXml([mdPackage(info, example.bytes)])))[0]!, "format");
  const lists = elements(format).filter((e) => e.name !== "file");
  assert.deepEqual(
    lists.slice(6).map((l) => [l.name, elements(l).map((e) => e.attrs)]),
    [
      [
        "rpm:provides",
        [
          [
            ["name", "p"],
            ["flags", "EQ"],
            ["epoch", "0"],
            ["ver", "1"],
            ["rel", "2"],
          ],
        ],
      ],
      [
        "rpm:requires",
        [
          [
            ["name", "r"],
            ["pre", "1"],
          ],
          [
            ["name", "s"],
            ["flags", "GE"],
            ["epoch", "1"],
            ["ver", "2"],
          ],
        ],
      ],
      [
        "rpm:obsoletes",
        [
          [
            ["name", "o"],
            ["flags", "LT"],
            ["epoch", "0"],
            ["ver", "3"],
          ],
        ],
      ],
      ["rpm:suggests", [[["name", "(a or b)"]]]],
      // An entry without a name is skipped; its list is still written, empty (createrepo_c does the same).
      ["rpm:enhances", []],
      ["rpm:recommends", [[["name", "rec"]]]],
      // pre belongs to requires only.
      ["rpm:supplements", [[["name", "sup"]]]],
    ],
  );
  assert.match(primaryXml([mdPackage(info, example.bytes)]), /\n {4}<rpm:enhances\/>\n/);
});

test("filelists and other: pkgid, name, arch on <package>, version, files / changelog", () => {
  const p = mdPackage(example.info, example.bytes);
  for (const doc of [parseXml(filelistsXml([p])), parseXml(otherXml([p]))]) {
    assert.equal(attr(doc, "packages"), "1");
    const pkg = pkgElements(doc)[0]!;
    assert.deepEqual(pkg.attrs, [
      ["pkgid", p.pkgid],
      ["name", example.info.name],
      ["arch", example.info.arch],
    ]);
    assert.deepEqual(elements(pkg)[0]!.attrs, [
      ["epoch", example.info.epoch],
      ["ver", example.info.ver],
      ["rel", example.info.rel],
    ]);
  }
  const other = pkgElements(parseXml(otherXml([p])))[0]!;
  assert.deepEqual(
    elements(other, "changelog").map((c) => [attr(c, "author"), Number(attr(c, "date")), textOf(c)]),
    example.info.changelog.map((c) => [c.author, c.date, c.text]),
  );
});

test("hostile text in summary, description, changelog, file names and href comes back intact", async () => {
  const hostile = `<b>&amp; "q" 'a' ]]> \t ü 😀 </b>`;
  const file = (path: string): Entry => ({
    type: "file",
    path,
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(new Uint8Array([1])),
  });
  const paths = [`/usr/bin/a&b<c>"d'e ü.txt`, `/etc/x]]>y`, `/opt/</package>`];
  const { bytes, info } = await writtenRpm(
    exampleSpec({
      summary: hostile,
      description: `${hostile}\r\nline two\r`,
      entries: [...exampleSpec().entries, ...paths.map(file)],
      changelog: [
        {
          version: "1.0.0",
          date: 1704067200,
          author: `Jöhn "J" <j&x>`,
          changes: [hostile, "</changelog>\r"],
        },
      ],
    }),
  );
  const r = rpmIndexInfo(info, { changelogLimit: 10 });
  const p = mdPackage(r, bytes, { href: `../a&b/"c"/ü.rpm` });
  const primary = pkgElements(parseXml(primaryXml([p])))[0]!;
  assert.equal(textOf(child(primary, "summary")), hostile);
  assert.equal(textOf(child(primary, "description")), `${hostile}\r\nline two\r`);
  assert.equal(attr(child(primary, "location"), "href"), `../a&b/"c"/ü.rpm`);
  const primaryFiles = elements(child(primary, "format"), "file").map(textOf);
  for (const path of paths.filter(isPrimaryFile)) assert.ok(primaryFiles.includes(path), path);
  const filelists = pkgElements(parseXml(filelistsXml([p])))[0]!;
  assert.deepEqual(
    elements(filelists, "file").map(textOf),
    info.files.map((f) => f.path),
  );
  // The byte forms buildRpmMetadata compresses are the UTF-8 of the same documents.
  for (const [text, bytes] of [
    [primaryXml, primaryXmlBytes],
    [filelistsXml, filelistsXmlBytes],
    [otherXml, otherXmlBytes],
  ] as const) {
    for (const list of [[], [p], [p, mdPackage(example.info, example.bytes)]])
      assert.deepEqual(bytes(list), new TextEncoder().encode(text(list)), `${bytes.name} of ${list.length}`);
  }
  const other = pkgElements(parseXml(otherXml([p])))[0]!;
  const [entry] = elements(other, "changelog");
  assert.equal(attr(entry!, "author"), `Jöhn "J" <j&x> - 1.0.0`);
  assert.equal(textOf(entry!), info.changelog![0]!.text);
});

test("packages keep the caller's order; same input, same text", () => {
  const a = mdPackage(example.info, example.bytes, { pkgid: "a".repeat(64) });
  const b = mdPackage({ ...example.info, name: "zzz" }, example.bytes, { pkgid: "b".repeat(64) });
  for (const build of [primaryXml, filelistsXml, otherXml]) {
    assert.equal(build([a, b]), build([a, b]));
    assert.notEqual(build([a, b]), build([b, a]));
  }
  assert.deepEqual(
    pkgElements(parseXml(filelistsXml([b, a]))).map((e) => attr(e, "pkgid")),
    [b.pkgid, a.pkgid],
  );
});
