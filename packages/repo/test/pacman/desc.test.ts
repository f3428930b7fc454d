/**
 * pacmanDescText and pacmanFilesText: the layout of repo-add 6.0.2's `desc` and `files` (db_write_entry's
 * format_entry calls and its `echo "%FILES%"`), written out here by hand from that script. The real
 * repo-add's output is compared in interop/repo-add.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { pacmanDescText, pacmanFilesText } from "../../src/pacman/index.ts";
import { fullEntry, fullIndexInfo } from "./support.ts";

/** db_write_entry's format_entry calls, in order. */
const REPO_ADD_ORDER = [
  "FILENAME",
  "NAME",
  "BASE",
  "VERSION",
  "DESC",
  "GROUPS",
  "CSIZE",
  "ISIZE",
  "MD5SUM",
  "SHA256SUM",
  "PGPSIG",
  "URL",
  "LICENSE",
  "ARCH",
  "BUILDDATE",
  "PACKAGER",
  "REPLACES",
  "CONFLICTS",
  "PROVIDES",
  "DEPENDS",
  "OPTDEPENDS",
  "MAKEDEPENDS",
  "CHECKDEPENDS",
];

const SIG = new Uint8Array([0x00, 0x01, 0x02, 0xff, 0xfe]);

/** The %FIELD% lines of a desc text, in order. */
const fields = (desc: string) => desc.split("\n").filter((l) => /^%[A-Z0-9]+%$/.test(l));

test("every field, in repo-add's order, each block ending in a blank line", () => {
  const desc = pacmanDescText(fullEntry(fullIndexInfo(), SIG), true);
  assert.deepEqual(
    fields(desc).map((f) => f.slice(1, -1)),
    REPO_ADD_ORDER,
  );
  assert.ok(desc.endsWith("pytest\n\n"), "the last block ends with its blank line");
  assert.doesNotMatch(desc, /\n\n\n/, "no empty lines inside blocks");
});

test("exact text of a full record", () => {
  const text = pacmanDescText(fullEntry(fullIndexInfo(), SIG), true);
  const expected = `%FILENAME%
full-1:2.0-3-x86_64.pkg.tar.zst

%NAME%
full

%BASE%
full-base

%VERSION%
1:2.0-3

%DESC%
A full record

%GROUPS%
g1
g2

%CSIZE%
12345

%ISIZE%
4096

%MD5SUM%
0123456789abcdef0123456789abcdef

%SHA256SUM%
0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

%PGPSIG%
AAEC//4=

%URL%
https://packyard.invalid/full

%LICENSE%
MIT
BSD

%ARCH%
x86_64

%BUILDDATE%
1700000000

%PACKAGER%
Packyard Test <test@packyard.invalid>

%REPLACES%
old-full
older-full

%CONFLICTS%
anti-full
contra-full

%PROVIDES%
full-api=1
full-abi=2

%DEPENDS%
glibc>=2.30
bash

%OPTDEPENDS%
python: for the helper
perl

%MAKEDEPENDS%
make
gcc

%CHECKDEPENDS%
check
pytest

`;
  assert.equal(text, expected);
});

test("blocks without a value are left out", () => {
  const bare = fullIndexInfo({
    groups: [],
    licenses: [],
    replaces: [],
    conflicts: [],
    provides: [],
    depends: [],
    optdepends: [],
    makedepends: [],
    checkdepends: [],
  });
  for (const k of ["base", "desc", "isize", "url", "builddate", "packager"] as const) delete bare[k];
  const desc = pacmanDescText(fullEntry(bare), true);
  assert.deepEqual(fields(desc), [
    "%FILENAME%",
    "%NAME%",
    "%VERSION%",
    "%CSIZE%",
    "%MD5SUM%",
    "%SHA256SUM%",
    "%ARCH%",
  ]);
  assert.ok(!fields(pacmanDescText(fullEntry(fullIndexInfo({ arch: "" })), false)).includes("%ARCH%"));
});

test("a list whose first value is empty is left out; a later empty value stays a line (format_entry)", () => {
  const desc = pacmanDescText(
    fullEntry(fullIndexInfo({ depends: ["", "b"], groups: ["g", "", "h"] })),
    false,
  );
  assert.ok(!desc.includes("%DEPENDS%"), "`[[ $1 ]]` tests the first value only");
  assert.ok(desc.includes("%GROUPS%\ng\n\nh\n\n%CSIZE%"), desc);
});

test("%PGPSIG%: base64 of the signature on one line, only when asked and given", () => {
  const big = new Uint8Array(300).map((_, i) => i & 0xff);
  const on = pacmanDescText(fullEntry(fullIndexInfo(), big), true);
  const line = on.split("\n")[on.split("\n").indexOf("%PGPSIG%") + 1]!;
  assert.equal(line.length, 400, "300 bytes are 400 base64 characters, unbroken");
  assert.deepEqual(new Uint8Array(Buffer.from(line, "base64")), big);
  assert.ok(!pacmanDescText(fullEntry(fullIndexInfo(), big), false).includes("%PGPSIG%"), "not asked");
  assert.ok(!pacmanDescText(fullEntry(fullIndexInfo()), true).includes("%PGPSIG%"), "no signature");
  assert.ok(
    !pacmanDescText(fullEntry(fullIndexInfo(), new Uint8Array(0)), true).includes("%PGPSIG%"),
    "empty .sig",
  );
  // the rest of the text does not change
  assert.equal(
    pacmanDescText(fullEntry(fullIndexInfo(), big), false),
    on.replace(/%PGPSIG%\n[^\n]*\n\n/, ""),
  );
});

test("files: %FILES% then one name per line, no blank line after; an empty package gives %FILES% alone", () => {
  assert.equal(pacmanFilesText(fullIndexInfo()), "%FILES%\nusr/\nusr/bin/\nusr/bin/full\n");
  assert.equal(pacmanFilesText(fullIndexInfo({ files: [] })), "%FILES%\n");
});
