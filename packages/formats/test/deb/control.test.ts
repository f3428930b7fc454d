import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { renderControl } from "../../src/deb/control.ts";
import { renderChangelog, renderCopyright } from "../../src/deb/docs.ts";
import { installedSizeKiB } from "../../src/deb/layout.ts";
import { readDeb } from "../../src/deb/reader.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { type Entry, ROOT } from "../../src/spec/types.ts";
import { parseStanza } from "../../src/text/deb822.ts";
import { exampleSpec } from "@packyard/testkit/example";

test("control fields in dpkg-gencontrol's order, relations rendered, Description folded", () => {
  const spec = exampleSpec({
    summary: "friendly greeting program",
    description:
      "hello-packyard prints a configurable greeting.\n\nIt exists to show how packyard builds packages.",
    relations: {
      depends: [
        [{ name: "libc6", op: ">=", version: "2.34" }],
        [
          { name: "a1", archQualifier: "any" },
          { name: "b1", op: "<", version: "2" },
        ],
      ],
      preDepends: [[{ name: "dpkg", op: ">=", version: "1.17" }]],
    },
  });
  const text = renderControl(
    spec,
    { multiArch: "foreign", fields: { Bugs: "https://bugs.example/" } },
    { version: "1.2.3-1", arch: "all", installedSizeKiB: 9 },
  );
  // what dpkg-gencontrol writes for the same inputs (field order from Dpkg::Control::FieldsCore)
  assert.equal(
    text,
    [
      "Package: hello-packyard",
      "Version: 1.2.3-1",
      "Architecture: all",
      "Maintainer: Packyard Example <example@packyard.invalid>",
      "Installed-Size: 9",
      "Pre-Depends: dpkg (>= 1.17)",
      "Depends: libc6 (>= 2.34), a1:any | b1 (<< 2)",
      "Section: utils",
      "Priority: optional",
      "Multi-Arch: foreign",
      "Homepage: https://packyard.invalid/example",
      "Bugs: https://bugs.example/",
      "Description: friendly greeting program",
      " hello-packyard prints a configurable greeting.",
      " .",
      " It exists to show how packyard builds packages.",
      "",
    ].join("\n"),
  );
  assert.equal(parseStanza(text, "control").get("Depends"), "libc6 (>= 2.34), a1:any | b1 (<< 2)");
});

test("Installed-Size: ceil(size/1024) per file and symlink, 1 per directory and the root", () => {
  const f = (path: string, size: number): Entry => ({
    type: "file",
    path,
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(new Uint8Array(size)),
  });
  const entries: Entry[] = [
    { type: "dir", path: "/usr", mode: 0o755, owner: ROOT, group: ROOT },
    f("/usr/a", 0),
    f("/usr/b", 1),
    f("/usr/c", 1024),
    f("/usr/d", 1025),
    { type: "symlink", path: "/usr/e", mode: 0o777, owner: ROOT, group: ROOT, target: "a" },
    { type: "hardlink", path: "/usr/f", mode: 0o644, owner: ROOT, group: ROOT, target: "/usr/d" },
  ];
  // root 1 + dir 1 + 0 + 1 + 1 + 2 + symlink 1 + hardlink 0
  assert.equal(installedSizeKiB(entries), 7);
});

test("generated copyright and changelog say what lintian looks for", () => {
  const author = "Packyard Maintainers <maintainers@packyard.example>";
  const spec = exampleSpec({
    vendor: "Packyard",
    changelog: [
      { version: "1.2.3", date: 1704067200, author, changes: ["Configurable greeting."] },
      { version: "1.2.2", date: 1701388800, author, changes: ["First release."] },
    ],
  });
  const copyright = renderCopyright(spec);
  assert.match(
    copyright,
    /^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\n/,
  );
  assert.match(copyright, /\nCopyright: 2024 Packyard\nLicense: MIT\n/);
  assert.match(
    renderCopyright({ ...spec, license: "GPL-3.0-or-later" }),
    /\/usr\/share\/common-licenses\/GPL-3\./,
  );
  assert.equal(
    renderChangelog(spec, "1.2.3-1"),
    "hello-packyard (1.2.3-1) unstable; urgency=medium\n\n  * Configurable greeting.\n\n -- Packyard Maintainers <maintainers@packyard.example>  Mon, 01 Jan 2024 00:00:00 +0000\n\n" +
      "hello-packyard (1.2.2-1) unstable; urgency=medium\n\n  * First release.\n\n -- Packyard Maintainers <maintainers@packyard.example>  Fri, 01 Dec 2023 00:00:00 +0000\n",
  );
});

test("a native version (no revision) gets changelog.gz; user-shipped docs are not replaced", async () => {
  const spec = exampleSpec({ version: { upstream: "2.0" } });
  const own = {
    type: "file" as const,
    path: "/usr/share/doc/hello-packyard/copyright",
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    content: bytesSource(new TextEncoder().encode("mine\n")),
  };
  const info = await readDeb(
    bytesSource(await collect(writeDeb({ ...spec, entries: [...spec.entries, own] }))),
  );
  const docs = info.files.filter((f) => f.path.startsWith("/usr/share/doc/")).map((f) => [f.path, f.size]);
  assert.deepEqual(
    docs.map(([p]) => p),
    [
      "/usr/share/doc/hello-packyard",
      "/usr/share/doc/hello-packyard/README.md",
      "/usr/share/doc/hello-packyard/changelog.gz",
      "/usr/share/doc/hello-packyard/copyright",
    ],
  );
  assert.equal(docs[3]![1], 5);
  // without generated docs only the example's own README.md is there
  const none = await readDeb(bytesSource(await collect(writeDeb(spec, { generateDocs: false }))));
  assert.deepEqual(
    none.files.filter((f) => f.path.startsWith("/usr/share/doc/") && f.type === "file").map((f) => f.path),
    ["/usr/share/doc/hello-packyard/README.md"],
  );
});
