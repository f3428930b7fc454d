/**
 * apk version rules. The ordered pairs below were written from apk-package(5) and apk-tools src/version.c
 * (facts only): numbers compare numerically, a component with a leading zero compares as a string, one letter
 * after the numbers sorts after the bare number, pre-release suffixes alpha < beta < pre < rc sort before the
 * release, post-release suffixes cvs < svn < git < hg < p after it, `-rN` breaks ties.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  apkPrerelease,
  compareApkVersions,
  fromApkVersion,
  isValidApkVersion,
  toApkVersion,
} from "../../src/apk/version.ts";
import { SpecError } from "../../src/errors.ts";
import { compareSemver } from "../../src/spec/version.ts";

/** a < b for every pair. */
const ORDERED: Array<[string, string]> = [
  ["1", "2"],
  ["1.0", "1.1"],
  ["1.9", "1.10"],
  ["1.2", "1.2.1"],
  ["1.2.9", "1.3"],
  ["1.01", "1.1"],
  ["1.001", "1.01"],
  ["1.0", "1.0a"],
  ["1.0a", "1.0b"],
  ["1.0a", "1.0.1"],
  ["1.0_alpha", "1.0_alpha1"],
  ["1.0_alpha1", "1.0_alpha2"],
  ["1.0_alpha9", "1.0_alpha10"],
  ["1.0_alpha", "1.0_beta"],
  ["1.0_beta", "1.0_pre"],
  ["1.0_pre", "1.0_rc"],
  ["1.0_rc", "1.0_rc1"],
  ["1.0_rc9", "1.0"],
  ["1.0_rc1-r5", "1.0-r0"],
  ["1.0", "1.0_cvs"],
  ["1.0_cvs", "1.0_svn"],
  ["1.0_svn", "1.0_git"],
  ["1.0_git", "1.0_hg"],
  ["1.0_hg", "1.0_p"],
  ["1.0_p1", "1.0_p2"],
  ["1.0_p9", "1.0.1"],
  ["1.0-r0", "1.0-r1"],
  ["1.0-r9", "1.0-r10"],
  ["1.0", "1.0-r0"],
  ["1.0-r99", "1.0.1-r0"],
  ["1.0_alpha1_p1", "1.0_alpha2"],
  ["1.0_alpha1", "1.0_alpha1_p1"],
  ["2.4.0_rc1-r0", "2.4.0-r0"],
  ["0.9.9", "1.0_alpha"],
];

const EQUAL: Array<[string, string]> = [
  ["1.0", "1.0"],
  ["1.0_rc1-r2", "1.0_rc1-r2"],
  ["1.0-r01", "1.0-r1"],
];

test("apk version order: a table of ordered pairs from apk-package(5)", () => {
  for (const [a, b] of ORDERED) {
    assert.equal(compareApkVersions(a, b), -1, `${a} < ${b}`);
    assert.equal(compareApkVersions(b, a), 1, `${b} > ${a}`);
  }
  for (const [a, b] of EQUAL) assert.equal(compareApkVersions(a, b), 0, `${a} = ${b}`);
});

test("apk version validity", () => {
  for (const ok of [
    "1",
    "1.2.3",
    "1.2.3a",
    "1.0_rc1",
    "1.0_alpha_p2",
    "1.0~abc123-r4",
    "20240101",
    "1.0_p-r1",
  ]) {
    assert.ok(isValidApkVersion(ok), ok);
  }
  for (const bad of [
    "",
    "v1.0",
    "1.0-1",
    "1.0_foo",
    "1.0ab",
    "1.0a.1",
    "1.0-r",
    "1.0-rc1",
    "1..0",
    "1.0_rc1-r1-r2",
    "1.0~",
    "1.0~xyz",
    "1.0 ",
  ]) {
    assert.ok(!isValidApkVersion(bad), bad);
  }
});

test("semver → apk translation", () => {
  const cases: Array<[Parameters<typeof toApkVersion>[0], string]> = [
    [{ upstream: "1.2.0" }, "1.2.0-r0"],
    [{ upstream: "1.2.0", release: "3" }, "1.2.0-r3"],
    [{ upstream: "1.2.0", prerelease: "rc.1" }, "1.2.0_rc1-r0"],
    [{ upstream: "1.2.0", prerelease: "rc1" }, "1.2.0_rc1-r0"],
    [{ upstream: "1.2.0", prerelease: "alpha" }, "1.2.0_alpha-r0"],
    [{ upstream: "1.2.0", prerelease: "alpha.1" }, "1.2.0_alpha1-r0"],
    [{ upstream: "1.2.0", prerelease: "beta.12", release: "1" }, "1.2.0_beta12-r1"],
    [{ upstream: "1.2.0", prerelease: "pre" }, "1.2.0_pre-r0"],
    [{ upstream: "1.2.0_p3" }, "1.2.0_p3-r0"],
    [{ upstream: "1.2.0", epoch: 0 }, "1.2.0-r0"],
    [{ upstream: "1.2.0", metadata: "git.abc" }, "1.2.0-r0"],
  ];
  for (const [v, s] of cases) assert.equal(toApkVersion(v), s, JSON.stringify(v));
  const rejected: Array<[Parameters<typeof toApkVersion>[0], string]> = [
    [{ upstream: "1.2.0", prerelease: "nightly" }, "version.prerelease"],
    [{ upstream: "1.2.0", prerelease: "rc.1.2" }, "version.prerelease"],
    [{ upstream: "1.2.0", prerelease: "0.1.b1" }, "version.prerelease"],
    [{ upstream: "1.2.0", prerelease: "dev" }, "version.prerelease"],
    [{ upstream: "1.2.0", epoch: 2 }, "version.epoch"],
    [{ upstream: "1.2.0", release: "1.el8" }, "version.release"],
    [{ upstream: "1.2.0-1" }, "version.upstream"],
    [{ upstream: "v1.2" }, "version.upstream"],
  ];
  for (const [v, field] of rejected) {
    assert.throws(
      () => toApkVersion(v),
      (e: unknown) =>
        e instanceof SpecError && e.code === "VERSION_UNREPRESENTABLE" && e.data.field === field,
      JSON.stringify(v),
    );
  }
  assert.throws(() => apkPrerelease("nightly"), /nightly/);
});

test("fromApkVersion reads pkgver back", () => {
  assert.deepEqual(fromApkVersion("1.2.0_rc1-r2"), { upstream: "1.2.0", prerelease: "rc.1", release: "2" });
  assert.deepEqual(fromApkVersion("1.2.0_alpha-r0"), {
    upstream: "1.2.0",
    prerelease: "alpha",
    release: "0",
  });
  assert.deepEqual(fromApkVersion("1.2.0_p1-r0"), { upstream: "1.2.0_p1", release: "0" });
  assert.deepEqual(fromApkVersion("2.0"), { upstream: "2.0" });
});

const num = fc.integer({ min: 0, max: 12 }).map(String);
const arbPre = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("alpha", "beta", "pre", "rc"),
  fc.tuple(fc.constantFrom("alpha", "beta", "pre", "rc"), num).map(([w, n]) => `${w}.${n}`),
  fc.constantFrom("nightly", "dev", "rc.1.1", "snapshot.3", "0.1"),
);
const arbSemver = fc
  .record({ upstream: fc.tuple(num, num, num).map((p) => p.join(".")), prerelease: arbPre })
  .map((v) =>
    v.prerelease === undefined
      ? { upstream: v.upstream }
      : { upstream: v.upstream, prerelease: v.prerelease },
  );

test("property: translation keeps semver order, or rejects with VERSION_UNREPRESENTABLE", () => {
  fc.assert(
    fc.property(arbSemver, arbSemver, (a, b) => {
      let x: string;
      let y: string;
      try {
        x = toApkVersion(a);
        y = toApkVersion(b);
      } catch (e) {
        assert.ok(e instanceof SpecError && e.code === "VERSION_UNREPRESENTABLE");
        return;
      }
      assert.equal(
        Math.sign(compareApkVersions(x, y)),
        Math.sign(compareSemver(a, b)),
        `${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${x} vs ${y}`,
      );
    }),
    { numRuns: 2000 },
  );
});
