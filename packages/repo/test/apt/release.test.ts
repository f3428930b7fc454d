/** apt/release: the Date form apt parses, and the Release text field by field. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAptDate, type ReleaseFile, releaseText } from "../../src/apt/release.ts";
import { isRepoError } from "../../src/errors.ts";
import type { AptSettings } from "../../src/publish/state.ts";
import { DATE, testSettings } from "./support.ts";

const H1 = "a".repeat(64);
const H2 = "b".repeat(64);
const FILES: ReleaseFile[] = [
  { path: "main/binary-amd64/Packages.gz", size: 345, sha256: H2, sha512: "d".repeat(128) },
  { path: "main/binary-amd64/Packages", size: 1234, sha256: H1, sha512: "c".repeat(128) },
];

test("formatAptDate: RFC 2822, English names, UTC, two-digit day", () => {
  assert.equal(formatAptDate(DATE), "Sun, 06 Dec 2026 02:03:04 UTC");
  assert.equal(formatAptDate(new Date("2027-01-01T23:59:59.999Z")), "Fri, 01 Jan 2027 23:59:59 UTC");
  assert.equal(formatAptDate(new Date("2024-02-29T00:00:00Z")), "Thu, 29 Feb 2024 00:00:00 UTC");
  for (const bad of [
    new Date(Number.NaN),
    new Date("1969-12-31T23:59:59Z"),
    new Date("+010000-01-01T00:00:00Z"),
  ])
    assert.throws(
      () => formatAptDate(bad),
      (e) => isRepoError(e) && e.code === "INVALID_SETTING",
    );
});

test("releaseText: Debian's field order, right-aligned sizes, files sorted by path", () => {
  const text = releaseText(testSettings({ version: "1.0", description: "Test repository" }), {
    date: DATE,
    files: FILES,
  });
  assert.equal(
    text,
    [
      "Origin: Packyard Test",
      "Label: Packyard Test",
      "Suite: stable",
      "Version: 1.0",
      "Codename: stable",
      "Date: Sun, 06 Dec 2026 02:03:04 UTC",
      "Acquire-By-Hash: yes",
      "Architectures: amd64 arm64",
      "Components: main",
      "Description: Test repository",
      "SHA256:",
      ` ${H1}             1234 main/binary-amd64/Packages`,
      ` ${H2}              345 main/binary-amd64/Packages.gz`,
      "",
    ].join("\n"),
  );
});

test("releaseText: Valid-Until, SHA512 list, optional fields left out, no by-hash flag when off", () => {
  const settings: AptSettings = {
    suite: "bookworm/updates",
    codename: "bookworm-updates",
    components: ["main", "contrib"],
    architectures: ["amd64"],
    compressions: ["gz"],
    hashes: ["SHA256", "SHA512"],
    contents: false,
    byHash: false,
    validFor: 7 * 86400,
  };
  const text = releaseText(settings, { date: DATE, files: FILES });
  assert.equal(
    text,
    [
      "Suite: bookworm/updates",
      "Codename: bookworm-updates",
      "Date: Sun, 06 Dec 2026 02:03:04 UTC",
      "Valid-Until: Sun, 13 Dec 2026 02:03:04 UTC",
      "Architectures: amd64",
      "Components: main contrib",
      "SHA256:",
      ` ${H1}             1234 main/binary-amd64/Packages`,
      ` ${H2}              345 main/binary-amd64/Packages.gz`,
      "SHA512:",
      ` ${"c".repeat(128)}             1234 main/binary-amd64/Packages`,
      ` ${"d".repeat(128)}              345 main/binary-amd64/Packages.gz`,
      "",
    ].join("\n"),
  );
  assert.ok(!/MD5Sum|SHA1:/.test(text));
});

test("releaseText: no line ends in whitespace; a multi-line Description folds; empty optional fields vanish", () => {
  const text = releaseText(
    testSettings({ origin: "  ", description: "First line  \n\n  second line \n\n", version: "" }),
    { date: DATE, files: [] },
  );
  for (const line of text.split("\n")) assert.doesNotMatch(line, /\s$/, JSON.stringify(line));
  assert.match(text, /\nDescription: First line\n \.\n second line\nSHA256:\n$/);
  assert.doesNotMatch(text, /Origin|Version/);
});

test("releaseText refuses names apt or a store would choke on", () => {
  const bad: Partial<AptSettings>[] = [
    { suite: "sta ble" },
    { suite: "/stable" },
    { suite: "stable/" },
    { suite: "a//b" },
    { suite: "a/../b" },
    { suite: "1.0+x" },
    { suite: "" },
    { codename: "a/b" },
    { codename: "tab\t" },
    { components: [] },
    { components: ["main", "main"] },
    { components: ["non free"] },
    { components: ["a/b"] },
    { architectures: [] },
    { architectures: ["amd64", "all"] },
    { architectures: ["AMD64"] },
    { architectures: ["x86_64"] },
    { origin: "two\nlines" },
    { label: "bell\u0007" },
    { description: "cr\r" },
    { validFor: 0 },
    { validFor: -5 },
    { validFor: 1.5 },
    { hashes: ["SHA512"] },
    { hashes: ["MD5Sum" as "SHA256"] },
    { compressions: ["bz2" as "gz"] },
  ];
  for (const overrides of bad) {
    assert.throws(
      () => releaseText(testSettings(overrides), { date: DATE, files: [] }),
      (e) => isRepoError(e) && e.code === "INVALID_SETTING",
      JSON.stringify(overrides),
    );
  }
});

test("releaseText refuses file entries it cannot list", () => {
  const sha512 = testSettings({ hashes: ["SHA256", "SHA512"] });
  const cases: [AptSettings, ReleaseFile[]][] = [
    [testSettings(), [{ path: "main/a b", size: 1, sha256: H1 }]],
    [testSettings(), [{ path: "/main/x", size: 1, sha256: H1 }]],
    [testSettings(), [{ path: "main/x", size: -1, sha256: H1 }]],
    [testSettings(), [{ path: "main/x", size: 1, sha256: "ABC" }]],
    [testSettings(), [{ path: "main/x", size: 1, sha256: H1.toUpperCase() }]],
    [sha512, [{ path: "main/x", size: 1, sha256: H1 }]],
    [
      testSettings(),
      [
        { path: "main/x", size: 1, sha256: H1 },
        { path: "main/x", size: 1, sha256: H1 },
      ],
    ],
  ];
  for (const [settings, files] of cases) {
    assert.throws(
      () => releaseText(settings, { date: DATE, files }),
      (e) => isRepoError(e) && e.code === "INVALID_SETTING",
      JSON.stringify(files),
    );
  }
});
