import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SpecError } from "../../src/errors.ts";
import { compareRpmVersions, rpmEvr } from "../../src/rpm/index.ts";
import { compareSemver } from "../../src/spec/version.ts";
import type { Version } from "../../src/spec/types.ts";

test("rpmvercmp examples from rpm-version(7)", () => {
  const cases: [string, string, number][] = [
    ["1.0", "1.0", 0],
    ["1.0", "2.0", -1],
    ["1.0.1", "1.0", 1],
    ["1.0~rc1", "1.0", -1],
    ["1.0~rc1", "1.0~rc2", -1],
    ["1.0^git1", "1.0", 1],
    ["1.0^git1", "1.0.1", -1],
    ["1.0~rc1^git1", "1.0~rc1", 1],
    ["1.0a", "1.0", 1],
    ["1.0", "1.0a", -1],
    ["010", "10", 0],
    ["1.xyz", "1.0", -1],
    ["1_0", "1.0", 0],
  ];
  for (const [a, b, want] of cases) assert.equal(compareRpmVersions(a, b), want, `${a} vs ${b}`);
});

test("translation: prerelease with ~, metadata with +, dashes become _, release defaults to 1, epoch 0 dropped", () => {
  assert.deepEqual(rpmEvr({ upstream: "1.2.3", prerelease: "rc-1", metadata: "git-abc", epoch: 0 }), {
    version: "1.2.3~rc_1+git_abc",
    release: "1",
  });
  assert.deepEqual(rpmEvr({ upstream: "2", release: "3", epoch: 4 }), {
    version: "2",
    release: "3",
    epoch: 4,
  });
  assert.throws(
    () => rpmEvr({ upstream: "1.0-beta" }),
    (e: unknown) =>
      e instanceof SpecError && e.code === "VERSION_UNREPRESENTABLE" && e.data.field === "version",
  );
  assert.throws(
    () => rpmEvr({ upstream: "1", release: "a b" }),
    (e: unknown) => e instanceof SpecError && e.data.field === "version.release",
  );
});

// Semver identifiers that lead with a letter (alpha, beta.2, rc.10): rpm orders them as semver does. A
// purely numeric prerelease identifier compared with an alphabetic one is the known exception (semver:
// numeric < alpha; rpm: numeric > alpha), documented in the README.
const arbSemver: fc.Arbitrary<Version> = fc
  .record({
    upstream: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map((p) => p.join(".")),
    prerelease: fc.option(
      fc
        .tuple(fc.constantFrom("alpha", "beta", "rc"), fc.option(fc.nat(20), { nil: undefined }))
        .map(([a, n]) => (n === undefined ? a : `${a}.${n}`)),
      { nil: undefined },
    ),
  })
  .map((v) =>
    v.prerelease === undefined
      ? { upstream: v.upstream }
      : { upstream: v.upstream, prerelease: v.prerelease },
  );

test("translation preserves semver order", () => {
  fc.assert(
    fc.property(arbSemver, arbSemver, (a, b) => {
      assert.equal(compareRpmVersions(rpmEvr(a).version, rpmEvr(b).version), Math.sign(compareSemver(a, b)));
    }),
    { numRuns: 2000 },
  );
});
