/**
 * The APKINDEX text of four real .apk files (written by @packyard/formats, read back, turned into entries
 * by apkIndexInfo) against fixtures/APKINDEX.x86_64.golden, which was written by hand from their .PKGINFO
 * (fixtures/pkginfo, pinned here) and apk-tools' writer order; fixtures/README.md says how it was derived
 * and reviewed. C: and S: are filled in from values this test computes itself from the .apk bytes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { apkIndexInfo, apkIndexText } from "../../src/apkindex/index.ts";
import type { ApkEntry } from "../../src/apkindex/types.ts";
import { GOLDEN_APKS, type TestApk, testApk } from "./apks.ts";
import { splitGzip, walkTar } from "./gzip-split.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** "Q1" + base64 SHA-1 of the gzip member whose tar holds .PKGINFO, found without @packyard/formats. */
function controlChecksum(apk: Uint8Array): string {
  const control = splitGzip(apk).filter((m) => walkTar(m.content).entries.some((e) => e.name === ".PKGINFO"));
  assert.equal(control.length, 1, "exactly one member holds .PKGINFO");
  return `Q1${createHash("sha1").update(control[0]!.raw).digest("base64")}`;
}

async function goldenApks(): Promise<TestApk[]> {
  return Promise.all(GOLDEN_APKS.map(testApk));
}

test("the golden packages' .PKGINFO is the one the golden index was derived from", async () => {
  for (const apk of await goldenApks()) {
    assert.equal(apk.info.raw.format, "apk");
    if (apk.info.raw.format !== "apk") continue;
    const pinned = readFileSync(new URL(`pkginfo/${apk.name}.PKGINFO`, FIXTURES), "utf8");
    assert.equal(apk.info.raw.pkginfo.replace(/^datahash = [0-9a-f]{64}\n/m, ""), pinned, apk.name);
  }
});

test("APKINDEX text of the golden packages equals the hand-written golden, whatever the input order", async () => {
  const apks = await goldenApks();
  let golden = readFileSync(new URL("APKINDEX.x86_64.golden", FIXTURES), "utf8");
  for (const apk of apks) {
    const c = `{checksum ${apk.name}}`;
    const s = `{size ${apk.name}}`;
    assert.ok(golden.includes(c) && golden.includes(s), `the golden has a block for ${apk.name}`);
    golden = golden.replace(c, controlChecksum(apk.bytes)).replace(s, String(apk.bytes.length));
  }
  assert.doesNotMatch(golden, /\{(checksum|size) /, "every placeholder filled");
  const entries: ApkEntry[] = apks.map((a) => ({ info: apkIndexInfo(a.info, a.name), size: a.bytes.length }));
  for (const order of [entries, [...entries].reverse(), [entries[2]!, entries[0]!, entries[3]!, entries[1]!]])
    assert.equal(apkIndexText(order, "x86_64"), golden);
});

test("the signed golden package's C: is its control member (the second gzip member), not the signature's", async () => {
  const apk = await testApk(GOLDEN_APKS[0]!);
  const members = splitGzip(apk.bytes);
  assert.equal(members.length, 3);
  assert.match(walkTar(members[0]!.content).entries[0]!.name, /^\.SIGN\.RSA256\./);
  const info = apkIndexInfo(apk.info, apk.name);
  assert.equal(info.checksum, `Q1${createHash("sha1").update(members[1]!.raw).digest("base64")}`);
  assert.notEqual(info.checksum, `Q1${createHash("sha1").update(members[0]!.raw).digest("base64")}`);
});
