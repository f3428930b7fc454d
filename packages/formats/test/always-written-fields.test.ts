/**
 * Fields the real tools always write: Arch .PKGINFO `pkgdesc` and `url` (makepkg write_pkginfo), apk
 * .PKGINFO `pkgdesc` and `url` (abuild prepare_metafiles), rpm LICENSE (rpmbuild requires License; nfpm's
 * rpmpack writes "") — empty when the spec has none, and read back as unset. makepkg itself judges the
 * Arch lines in test/interop/archlinux-pkginfo.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodePkginfo } from "../src/archlinux/pkginfo.ts";
import { readArchlinux, writeArchlinux } from "../src/archlinux/index.ts";
import { decodePkginfo as decodeApkPkginfo } from "../src/apk/pkginfo.ts";
import { readApk, writeApk } from "../src/apk/index.ts";
import { bytesSource, collect } from "../src/bytes/bytes.ts";
import { headerString } from "../src/rpm/header.ts";
import { writeRpm } from "../src/rpm/index.ts";
import { TAG } from "../src/rpm/tags.ts";
import { readMainHeader } from "./rpm/main-header.ts";
import { bareSpec } from "./support/bare-spec.ts";

const BARE = bareSpec();

/** The keys of a .PKGINFO text in order, comments left out. */
const keys = (text: string) =>
  text
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => l.slice(0, l.indexOf(" = ")));

test("Arch: pkgdesc and url are written empty, between pkgver and builddate, and read back as unset", async () => {
  const info = await readArchlinux(bytesSource(await collect(writeArchlinux(BARE, {}))));
  assert.ok(info.raw.format === "archlinux");
  if (info.raw.format !== "archlinux") return;
  const text = info.raw.pkginfo;
  // makepkg 6.0.2, PKGBUILD without pkgdesc and url, writes exactly these two lines (trailing space kept).
  assert.match(text, /\npkgver = 1\.0-1\npkgdesc = \nurl = \nbuilddate = /);
  assert.deepEqual(keys(text).slice(0, 6), ["pkgname", "pkgbase", "xdata", "pkgver", "pkgdesc", "url"]);
  assert.equal(info.summary, undefined);
  assert.equal(info.description, undefined);
  assert.equal(info.homepage, undefined);
  const p = decodePkginfo(text);
  assert.equal(p.pkgdesc, undefined);
  assert.equal(p.url, undefined);
  // Set values are still written and read as they are.
  const full = decodePkginfo(`pkgname = a\npkgver = 1-1\npkgdesc = A thing\nurl = https://a.invalid\n`);
  assert.deepEqual([full.pkgdesc, full.url], ["A thing", "https://a.invalid"]);
});

test("apk: pkgdesc and url are written empty, after pkgver as abuild orders them, and read back as unset", async () => {
  const info = await readApk(bytesSource(await collect(writeApk(BARE, {}))));
  assert.ok(info.raw.format === "apk");
  if (info.raw.format !== "apk") return;
  const text = info.raw.pkginfo;
  assert.match(text, /^pkgname = bare\npkgver = 1\.0-r1\npkgdesc = \nurl = \nbuilddate = /m);
  assert.equal(info.summary, undefined);
  assert.equal(info.homepage, undefined);
  const parsed = decodeApkPkginfo(text);
  assert.equal(parsed.has("pkgdesc"), false);
  assert.equal(parsed.has("url"), false);
  assert.deepEqual(decodeApkPkginfo("pkgdesc = A thing\nurl = u\n").get("pkgdesc"), ["A thing"]);
});

test("rpm: LICENSE is always in the main header, empty when unset, and reads back as unset", async () => {
  for (const [license, want] of [
    [undefined, ""],
    ["MIT", "MIT"],
  ] as const) {
    const bytes = await collect(writeRpm(license === undefined ? BARE : { ...BARE, license }, {}));
    const { info, header } = await readMainHeader(bytes);
    assert.equal(headerString(header, TAG.LICENSE), want);
    assert.equal(info.license, license);
  }
});
