/**
 * apkIndexInfo: the .PKGINFO keys apk-tools' read_info_line maps to index fields, the identity from the
 * control member, and the refusals (not an apk, no pkgname/pkgver, malformed numbers or checksum).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { PackageInfo } from "@packyard/formats";
import { testDeb, testRpm } from "@packyard/testkit/debs";
import { apkIndexInfo } from "../../src/apkindex/index.ts";
import { isRepoError } from "../../src/errors.ts";
import { GOLDEN_APKS, testApk } from "./apks.ts";
import { splitGzip, walkTar } from "./gzip-split.ts";

/** The same PackageInfo with other .PKGINFO text or control checksum. */
function withRaw(info: PackageInfo, raw: { pkginfo?: string; controlSha1?: string }): PackageInfo {
  assert.equal(info.raw.format, "apk");
  return { ...info, raw: { ...(info.raw as Extract<PackageInfo["raw"], { format: "apk" }>), ...raw } };
}

function rejects(fn: () => unknown, code: string, fields: Record<string, unknown>, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRepoError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    for (const [k, v] of Object.entries(fields)) assert.deepEqual(e.data[k], v, k);
    return true;
  });
}

test("every index field of a package with all of them, from its .PKGINFO", async () => {
  const apk = await testApk(GOLDEN_APKS[0]!);
  const control = splitGzip(apk.bytes).find((m) =>
    walkTar(m.content).entries.some((e) => e.name === ".PKGINFO"),
  )!;
  assert.deepEqual(apkIndexInfo(apk.info, apk.name), {
    checksum: `Q1${createHash("sha1").update(control.raw).digest("base64")}`,
    name: "hello",
    version: "2.10.0-r0",
    arch: "x86_64",
    installedSize: "16",
    description: "Says hello",
    url: "https://hello.example.org/",
    license: "GPL-3.0-or-later",
    origin: "hello-src",
    maintainer: "Hello Team <hello@example.org>",
    buildTime: "1704067200",
    commit: "0123456789abcdef0123456789abcdef01234567",
    providerPriority: "100",
    depends: ["so:libc.musl-x86_64.so.1", "hello-data>=2.0-r0", "!hello-legacy"],
    provides: ["cmd:hello=2.10.0-r0"],
    installIf: ["hello-base", "bash-completion"],
    replaces: ["oldhello"],
    replacesPriority: "5",
  });
});

test("noarch kept as noarch (the index rewrites it per folder); empty url and license are empty", async () => {
  const apk = await testApk(GOLDEN_APKS[2]!);
  const info = apkIndexInfo(apk.info);
  assert.equal(info.arch, "noarch");
  assert.equal(info.url, "");
  assert.equal(info.license, "");
  assert.equal(info.maintainer, undefined);
  assert.equal(info.commit, undefined);
  assert.deepEqual([info.depends, info.provides, info.installIf, info.replaces], [[], [], [], []]);
});

test("hand-written .PKGINFO: several items on one line, numbers without leading zeros, absent size is 0", async () => {
  const apk = await testApk(GOLDEN_APKS[1]!);
  const info = apkIndexInfo(
    withRaw(apk.info, {
      pkginfo: [
        "# comment",
        "pkgname = x",
        "pkgver = 1-r0",
        "builddate = 0042",
        "provider_priority = 007",
        "depend = a  b>=1",
        "depend = c",
        "provides = p1 p2",
        "install_if = i1",
        "install_if = i2 i3",
        "",
      ].join("\n"),
    }),
  );
  assert.equal(info.installedSize, "0");
  assert.equal(info.buildTime, "42");
  assert.equal(info.providerPriority, "7");
  assert.equal(info.arch, "");
  assert.equal(info.origin, undefined);
  assert.deepEqual(info.depends, ["a", "b>=1", "c"]);
  assert.deepEqual(info.provides, ["p1", "p2"]);
  assert.deepEqual(info.installIf, ["i1", "i2", "i3"]);
});

test("a control checksum in hex is turned into apk's Q1 form", async () => {
  const apk = await testApk(GOLDEN_APKS[1]!);
  const hex = "00112233445566778899aabbccddeeff00112233";
  assert.equal(
    apkIndexInfo(withRaw(apk.info, { controlSha1: hex })).checksum,
    `Q1${Buffer.from(hex, "hex").toString("base64")}`,
  );
});

test("refuses a package that is not an apk (UNSUPPORTED_PACKAGE, naming where)", async () => {
  for (const pkg of [await testDeb(), await testRpm()])
    rejects(
      () => apkIndexInfo(pkg.info, `pool/${pkg.name}`),
      "UNSUPPORTED_PACKAGE",
      { package: `pool/${pkg.name}`, expected: "apk", found: pkg.info.format },
      new RegExp(`^pool/${pkg.name.replace(/[.+]/g, "\\$&")}: .*found a ${pkg.info.format} package`),
    );
});

test("refuses a .PKGINFO without pkgname or pkgver (CORRUPT_PACKAGE, naming where and the key)", async () => {
  const apk = await testApk(GOLDEN_APKS[1]!);
  const text = apk.info.raw.format === "apk" ? apk.info.raw.pkginfo : "";
  for (const key of ["pkgname", "pkgver"]) {
    const without = text.replace(new RegExp(`^${key} = .*\\n`, "m"), "");
    assert.notEqual(without, text);
    rejects(
      () => apkIndexInfo(withRaw(apk.info, { pkginfo: without }), "x86_64/hello-2.9.1-r3.apk"),
      "CORRUPT_PACKAGE",
      { field: key, package: "x86_64/hello-2.9.1-r3.apk" },
      new RegExp(`^x86_64/hello-2\\.9\\.1-r3\\.apk: \\.PKGINFO has no ${key}`),
    );
    rejects(
      () =>
        apkIndexInfo(
          withRaw(apk.info, { pkginfo: text.replace(new RegExp(`^${key} = .*$`, "m"), `${key} = `) }),
        ),
      "CORRUPT_PACKAGE",
      { field: key },
      /has no/,
    );
  }
});

test("refuses numbers that are not numbers, unparsable .PKGINFO and malformed checksums", async () => {
  const apk = await testApk(GOLDEN_APKS[1]!);
  const text = apk.info.raw.format === "apk" ? apk.info.raw.pkginfo : "";
  rejects(
    () => apkIndexInfo(withRaw(apk.info, { pkginfo: text.replace("size = 15", "size = 15k") })),
    "CORRUPT_PACKAGE",
    { field: "size", found: "15k" },
    /size must be an unsigned decimal number/,
  );
  rejects(
    () => apkIndexInfo(withRaw(apk.info, { pkginfo: `${text}not a key value line\n` })),
    "CORRUPT_PACKAGE",
    { field: ".PKGINFO" },
    /\.PKGINFO does not parse/,
  );
  for (const bad of ["", "Q1short=", "X1" + "0".repeat(40), "Q1" + "A".repeat(28), "0".repeat(39)])
    rejects(
      () => apkIndexInfo(withRaw(apk.info, { controlSha1: bad }), "here.apk"),
      "CORRUPT_PACKAGE",
      { field: "raw.controlSha1", found: bad },
      /^here\.apk: the control member checksum must be/,
    );
});
