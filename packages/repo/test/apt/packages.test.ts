/** apt/packages: a stanza is the control verbatim plus the archive fields; files sorted by dpkg's order. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStanzas } from "@packyard/formats/text";
import {
  comparePackageRecords,
  packagesFile,
  packagesFileBytes,
  packagesStanza,
} from "../../src/apt/packages.ts";
import { isRepoError } from "../../src/errors.ts";
import { testPackage } from "./support.ts";

const CONTROL =
  "Package: hello\nVersion: 1:2.0-1\nArchitecture: amd64\nMaintainer: A <a@example.org>\n" +
  "Installed-Size: 12\nDepends: libc6 (>= 2.34),\n  libfoo1\nX-Custom: kept\n" +
  "Description: greets\n Long text.\n .\n More.\n";

test("packagesStanza = control verbatim + Filename, Size, MD5sum, SHA256", () => {
  const { record } = testPackage({ name: "hello", version: "1:2.0-1", arch: "amd64", control: CONTROL });
  assert.equal(
    packagesStanza(record, ["SHA256"]),
    `${CONTROL}Filename: pool/main/h/hello/hello_1_3a2.0-1_amd64.deb\nSize: ${record.size}\n` +
      `MD5sum: ${record.digests.md5}\nSHA256: ${record.digests.sha256}\n`,
  );
});

test("packagesStanza adds SHA512 when the suite lists it", () => {
  const { record } = testPackage({ name: "hello", version: "1", arch: "amd64", control: CONTROL });
  const stanza = packagesStanza(record, ["SHA256", "SHA512"]);
  assert.ok(stanza.endsWith(`SHA256: ${record.digests.sha256}\nSHA512: ${record.digests.sha512}\n`));
});

test("packagesStanza strips trailing blank lines of the control, and archive fields it should not carry", () => {
  const control =
    "Package: a\nVersion: 1\nSize: 99\nFilename: elsewhere.deb\nSHA256: 00\n more\nArchitecture: all\n\n \n";
  const { record } = testPackage({ name: "a", version: "1", arch: "all", control });
  const stanza = packagesStanza(record, ["SHA256"]);
  assert.ok(
    stanza.startsWith("Package: a\nVersion: 1\nArchitecture: all\nFilename: pool/main/a/a/a_1_all.deb\n"),
  );
  const [parsed] = parseStanzas(stanza, "Packages");
  assert.equal(parsed?.get("Size"), String(record.size));
  assert.equal(parsed?.get("SHA256"), record.digests.sha256);
});

test("packagesStanza refuses a record without control stanza or outside deb/", () => {
  const { record } = testPackage({ name: "a", version: "1", arch: "all" });
  const { deb: _, ...bare } = record;
  assert.throws(
    () => packagesStanza(bare, ["SHA256"]),
    (e) => isRepoError(e) && e.code === "CORRUPT_STATE",
  );
  assert.throws(
    () => packagesStanza({ ...record, key: "rpm/x.deb" }, ["SHA256"]),
    (e) => isRepoError(e) && e.code === "CORRUPT_STATE",
  );
});

test("packagesFile: stanzas sorted by name, dpkg version order, arch; one blank line between; final newline", () => {
  const versions = ["1:0.1", "1.0-1", "1.0~rc1", "1.0", "1.0-1+b1"];
  const packages = [
    ...versions.map((v) => testPackage({ name: "b", version: v, arch: "amd64" })),
    testPackage({ name: "a", version: "2", arch: "amd64" }),
    testPackage({ name: "a", version: "2", arch: "all" }),
  ];
  const file = packagesFile(
    packages.map((p) => p.record),
    ["SHA256"],
  );
  const stanzas = parseStanzas(file, "Packages");
  assert.deepEqual(
    stanzas.map((s) => `${s.get("Package")} ${s.get("Version")} ${s.get("Architecture")}`),
    [
      "a 2 all",
      "a 2 amd64",
      "b 1.0~rc1 amd64",
      "b 1.0 amd64",
      "b 1.0-1 amd64",
      "b 1.0-1+b1 amd64",
      "b 1:0.1 amd64",
    ],
  );
  assert.ok(file.endsWith("\n") && !file.endsWith("\n\n"));
  assert.equal(file.split("\n\n").length, 7);
  // The bytes the indexes are made from: the same text as UTF-8 (none, one and every record).
  for (const list of [[], packages.slice(0, 1), packages]) {
    const records = list.map((p) => p.record);
    assert.deepEqual(
      packagesFileBytes(records, ["SHA256"]),
      new TextEncoder().encode(packagesFile(records, ["SHA256"])),
    );
  }
  assert.ok(!/\n\n\n/.test(file));
  // Input order does not matter.
  assert.equal(
    packagesFile(
      [...packages].reverse().map((p) => p.record),
      ["SHA256"],
    ),
    file,
  );
});

test("packagesFile of no record is empty; comparePackageRecords ties on equal triples", () => {
  assert.equal(packagesFile([], ["SHA256"]), "");
  const a = testPackage({ name: "x", version: "1", arch: "amd64" }).record;
  assert.equal(comparePackageRecords(a, { ...a }), 0);
});

test("the control part: archive fields dropped and trailing blank lines trimmed, whatever the line mix", () => {
  // Random controls from lines a stanza may hold (fields, continuation lines, archive fields in any case,
  // whitespace-only and empty lines); the expected control part is the rule written out line by line.
  const pieces = [
    "Package: hello",
    "Version: 1.0",
    "Description: x",
    " continued",
    "\tcontinued with a tab",
    " .",
    "Size: 99",
    "SHA256: ab",
    "md5sum: cd",
    "Filename : pool/x.deb",
    "Sizes: kept (not an archive field)",
    "X-Sha1: kept",
    "   ",
    "",
    "\r",
  ];
  const archive = new Set(["filename", "size", "md5sum", "sha1", "sha256", "sha512"]);
  const expectedPart = (lines: string[]) => {
    const trimmed = [...lines];
    while (trimmed.length > 0 && trimmed[trimmed.length - 1]!.trim() === "") trimmed.pop();
    const kept: string[] = [];
    let dropping = false;
    for (const line of trimmed) {
      if (line.startsWith(" ") || line.startsWith("\t")) {
        if (!dropping) kept.push(line);
        continue;
      }
      const colon = line.indexOf(":");
      dropping = colon > 0 && archive.has(line.slice(0, colon).toLowerCase());
      if (!dropping) kept.push(line);
    }
    return kept.length === 0 ? "" : `${kept.join("\n")}\n`;
  };
  let seed = 11;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let n = 0; n < 3000; n++) {
    const lines = Array.from({ length: 1 + (next() % 6) }, () => pieces[next() % pieces.length]!);
    // Mostly the common shape (plain fields ending with one newline), sometimes anything.
    const plain =
      n % 2 === 0
        ? [
            "Package: p",
            "Version: 1",
            ...lines.filter((l) => /^[A-Z][a-z]+: [a-z0-9]+$/.test(l) && !/^(Size|Sha256)/.test(l)),
          ]
        : lines;
    const control = `${plain.join("\n")}${n % 5 === 0 ? "" : "\n"}`;
    const { record } = testPackage({ name: "p", version: "1", arch: "amd64", control });
    const tail = `Filename: ${record.key.slice("deb/".length)}\nSize: ${record.size}\nMD5sum: ${record.digests.md5}\nSHA256: ${record.digests.sha256}\n`;
    assert.equal(
      packagesStanza(record, ["SHA256"]),
      expectedPart(control.split("\n")) + tail,
      JSON.stringify(control),
    );
  }
});
