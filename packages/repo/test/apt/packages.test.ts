/** apt/packages: a stanza is the control verbatim plus the archive fields; files sorted by dpkg's order. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStanzas } from "@packyard/formats/text";
import { comparePackageRecords, packagesFile, packagesStanza } from "../../src/apt/packages.ts";
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
