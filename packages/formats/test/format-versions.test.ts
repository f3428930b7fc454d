/**
 * PackageFormat.compareVersions and newest: deb, rpm and Arch orders checked against dpkg, rpm and pacman
 * over tricky pairs (both ways round), and `newest` on a small list per format.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { apkFormat } from "../src/apk/index.ts";
import { archlinuxFormat } from "../src/archlinux/index.ts";
import { debFormat } from "../src/deb/index.ts";
import { macosFormat } from "../src/macos/index.ts";
import { FORMATS } from "../src/registry.ts";
import { rpmFormat } from "../src/rpm/index.ts";
import { tarballFormat } from "../src/tarball/index.ts";
import { dpkgCompareAll, rpmCompareAll, vercmpAll } from "./support/version-judges.ts";
import { needTool } from "@packyard/testkit/tools";

/** Every pair and its mirror image. */
function bothWays(pairs: [string, string][]): [string, string][] {
  return pairs.flatMap(([a, b]): [string, string][] => [
    [a, b],
    [b, a],
  ]);
}

const DEB_PAIRS = bothWays([
  ["1.0~rc1", "1.0"],
  ["1.0~~", "1.0~"],
  ["1.0~", "1.0"],
  ["1.0", "1.0+b1"],
  ["1.0+~", "1.0"],
  ["1:0.9", "2.0"],
  ["0:1.0", "1.0"],
  ["1.0-1", "1.0-1.1"],
  ["1.0-0", "1.0"],
  ["1.0a", "1.0"],
  ["1.0", "1.0.0"],
  ["1.01", "1.1"],
  ["1.0.a", "1.0.1"],
  ["2.0-1~bpo1", "2.0-1"],
  ["1.2.3+dfsg-1", "1.2.3-1"],
  ["1.0-1ubuntu1", "1.0-1"],
  ["1.0-1-2", "1.0-1-10"],
  ["10", "9"],
  ["7.6p2-4", "7.6-0"],
  ["1.0-Z", "1.0-a"],
  ["1.0-1+deb12u1", "1.0-1+b1"],
]);

const RPM_PAIRS = bothWays([
  ["1.0-1", "1.0-1.el8"],
  ["1.0~rc1-1", "1.0-1"],
  ["1.0~~-1", "1.0~-1"],
  ["1.0^git1-1", "1.0-1"],
  ["1.0^git1-1", "1.0.1-1"],
  ["1.0^-1", "1.0~-1"],
  ["1:1.0-1", "2.0-1"],
  ["0:1.0-1", "1.0-1"],
  ["1.0a-1", "1.0-1"],
  ["1.0-1", "1.0"],
  ["1.01-1", "1.1-1"],
  ["1.0_1-1", "1.0.1-1"],
  ["2.0.0-1", "2.0-1"],
  ["a-1", "1-1"],
  ["1.0-1-2", "1.0-1-10"],
  ["10.1-1", "9.9-1"],
  ["1.0.a-1", "1.0.1-1"],
  ["1.0-1.fc39", "1.0-1.fc40"],
  ["1.0-10", "1.0-9"],
  ["1.0+git5-1", "1.0-1"],
]);

const ARCH_PAIRS = bothWays([
  ["1.0rc1-1", "1.0-1"],
  ["1.0-1", "1.0-2"],
  ["1:0.1-1", "2.0-1"],
  ["0:1.0-1", "1.0-1"],
  ["1.0-1", "1.0"],
  ["1.0.a-1", "1.0.1-1"],
  ["1.0a-1", "1.0-1"],
  ["1.0..1-1", "1.0.1-1"],
  ["1.0_1-1", "1.0.1-1"],
  ["1.0-1.1", "1.0-1"],
  ["1.01-1", "1.1-1"],
  ["r123-1", "r99-1"],
  ["1.0+r5-1", "1.0-1"],
  ["2.0-1", "1.99-1"],
  ["1.0~rc1-1", "1.0-1"],
  ["1.0alpha-1", "1.0beta-1"],
  ["1.0.0-1", "1.0-1"],
]);

function agrees(
  compare: (a: string, b: string) => number,
  pairs: [string, string][],
  theirs: number[],
): void {
  assert.equal(theirs.length, pairs.length);
  pairs.forEach(([a, b], i) => {
    assert.equal(Math.sign(compare(a, b)), theirs[i], `${a} vs ${b}`);
  });
}

test("deb compareVersions agrees with dpkg --compare-versions on tricky pairs", (t) => {
  if (!needTool(t, "dpkg")) return;
  agrees(debFormat.compareVersions, DEB_PAIRS, dpkgCompareAll(DEB_PAIRS));
});

test("rpm compareVersions agrees with rpm's rpm.vercmp on tricky EVR pairs", (t) => {
  if (!needTool(t, "rpm")) return;
  agrees(rpmFormat.compareVersions, RPM_PAIRS, rpmCompareAll(RPM_PAIRS));
});

test("archlinux compareVersions agrees with pacman's vercmp on tricky pairs", (t) => {
  if (!needTool(t, "vercmp", "bash")) return;
  agrees(archlinuxFormat.compareVersions, ARCH_PAIRS, vercmpAll(ARCH_PAIRS));
});

/** `newest` over `versions`, as PackageInfo-like objects that keep their other fields. */
function newestOf(format: (typeof FORMATS)[number], versions: string[]) {
  return format.newest(versions.map((versionString, index) => ({ versionString, index })));
}

test("newest picks each format's newest version, the first of equals on a tie", () => {
  const cases: [(typeof FORMATS)[number], string[], number][] = [
    [debFormat, ["1.0-1", "1.0~rc1-1", "1:0.9-1", "1.0-2"], 2],
    [debFormat, ["1.0", "1.00", "0:1.0"], 0],
    [rpmFormat, ["1.0-1", "1.0^git1-1", "1.0~rc1-1", "1.0-1"], 1],
    [rpmFormat, ["1.0-1", "0:1.0-1", "1.00-1"], 0],
    [archlinuxFormat, ["1.0rc1-1", "1.0-1", "1.0-2", "0.9-3"], 2],
    [archlinuxFormat, ["1.0-1", "1.0"], 0],
    [apkFormat, ["1.0-r0", "1.0_rc1-r0", "1.0-r1", "1.0_p1-r0", "0.9-r9"], 3],
    [macosFormat, ["1.2.0", "1.10.0-beta.1", "1.10.0", "1.9.9"], 2],
    [tarballFormat, ["", "v1.9.0", "1.10.0-rc.1", "1.10.0+build.5", "1.10.0"], 3],
  ];
  for (const [format, versions, expected] of cases) {
    const got = newestOf(format, versions);
    assert.deepEqual(
      got,
      { versionString: versions[expected]!, index: expected },
      `${format.id} ${versions}`,
    );
    // the answer does not depend on the list's order, up to ties
    const reversed = format.newest([...versions].reverse().map((versionString) => ({ versionString })));
    assert.equal(format.compareVersions(reversed!.versionString, versions[expected]!), 0, format.id);
  }
});

test("every registered format orders versions and has no newest of an empty list", () => {
  for (const format of FORMATS) {
    assert.equal(format.newest([]), undefined, format.id);
    assert.equal(format.compareVersions("1.0", "1.0"), 0, format.id);
  }
});

test("macOS and release archives use semver precedence; an unknown (empty) version sorts first", () => {
  for (const format of [macosFormat, tarballFormat]) {
    assert.ok(format.compareVersions("1.10.0", "1.9.0") > 0, format.id);
    assert.ok(format.compareVersions("1.0.0-rc.1", "1.0.0") < 0, format.id);
    assert.ok(format.compareVersions("1.0.0-alpha.10", "1.0.0-alpha.9") > 0, format.id);
    assert.ok(format.compareVersions("1.0.0-alpha.1", "1.0.0-alpha.beta") < 0, format.id);
    assert.equal(format.compareVersions("v1.2", "1.2.0"), 0, format.id);
    assert.equal(format.compareVersions("1.2.0+a", "1.2.0+b"), 0, format.id);
    assert.ok(format.compareVersions("", "0.0.1") < 0, format.id);
    assert.equal(format.compareVersions("", ""), 0, format.id);
  }
});
