import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareArchlinuxVersions,
  formatArchlinuxVersion,
  parseArchlinuxVersion,
  toArchlinuxVersion,
} from "../../src/archlinux/index.ts";
import { SpecError } from "../../src/errors.ts";
import { compareSemver } from "../../src/spec/version.ts";
import { archVersion } from "../support/arbitrary-archlinux.ts";

test("vercmp: documented orderings (pacman(8), vercmp(8))", () => {
  const ascending = ["1.0a", "1.0b", "1.0beta", "1.0p", "1.0pre", "1.0rc", "1.0", "1.0.a", "1.0.1"];
  for (let i = 0; i + 1 < ascending.length; i++) {
    assert.equal(
      compareArchlinuxVersions(ascending[i]!, ascending[i + 1]!),
      -1,
      `${ascending[i]} < ${ascending[i + 1]}`,
    );
    assert.equal(compareArchlinuxVersions(ascending[i + 1]!, ascending[i]!), 1);
  }
  assert.equal(compareArchlinuxVersions("1:1.0-1", "2.0-1"), 1, "epoch wins");
  assert.equal(compareArchlinuxVersions("1.5-1", "1.5"), 0, "pkgrel only when both have one");
  assert.equal(compareArchlinuxVersions("1.5-1", "1.5-2"), -1);
  assert.equal(compareArchlinuxVersions("1.0~rc1", "1.0"), 1, "no tilde rule: ~ is a separator");
  assert.equal(compareArchlinuxVersions("001", "1"), 0);
  assert.equal(compareArchlinuxVersions("1.0", "1.0.0"), -1);
});

test("translation: prerelease glued on, epoch only when > 0, pkgrel default 1", () => {
  assert.deepEqual(toArchlinuxVersion({ upstream: "1.2.0", prerelease: "rc.1" }), {
    pkgver: "1.2.0rc.1",
    pkgrel: "1",
  });
  assert.equal(
    formatArchlinuxVersion(toArchlinuxVersion({ upstream: "1.2.0", epoch: 3, release: "2" })),
    "3:1.2.0-2",
  );
  assert.equal(formatArchlinuxVersion(toArchlinuxVersion({ upstream: "1.2.0", epoch: 0 })), "1.2.0-1");
  assert.deepEqual(parseArchlinuxVersion("2:1.0rc1-3"), { epoch: 2, pkgver: "1.0rc1", pkgrel: "3" });
});

test("translation rejects what would invert order or break pacman, naming the version", () => {
  const cases: [Parameters<typeof toArchlinuxVersion>[0], string][] = [
    [{ upstream: "1.2.0", prerelease: "1" }, "VERSION_UNREPRESENTABLE"], // would be 1.2.01 > 1.2.0
    [{ upstream: "1.2.0", prerelease: "rc10" }, "VERSION_UNREPRESENTABLE"], // lexical in semver, numeric in vercmp
    [{ upstream: "1.2.0", prerelease: "alpha.beta" }, "VERSION_UNREPRESENTABLE"], // alpha.1 < alpha.beta in semver only
    [{ upstream: "1.2.0", prerelease: "rc-1" }, "VERSION_UNREPRESENTABLE"],
    [{ upstream: "1.0-2" }, "VERSION_UNREPRESENTABLE"],
    [{ upstream: "1:0" }, "VERSION_UNREPRESENTABLE"],
    [{ upstream: "1.0", release: "0" }, "INVALID_VERSION"],
    [{ upstream: "1.0", release: "1a" }, "INVALID_VERSION"],
  ];
  for (const [v, code] of cases) {
    assert.throws(
      () => toArchlinuxVersion(v),
      (e: unknown) =>
        e instanceof SpecError &&
        e.code === code &&
        (code !== "VERSION_UNREPRESENTABLE" || e.message.includes(v.upstream)),
      JSON.stringify(v),
    );
  }
});

test("property: translation preserves semver order (3-part upstreams) under our vercmp", () => {
  fc.assert(
    fc.property(archVersion, archVersion, (a, b) => {
      const s = Math.sign(compareSemver(a, b));
      const ea = a.epoch ?? 0;
      const eb = b.epoch ?? 0;
      const expected =
        ea !== eb
          ? Math.sign(ea - eb)
          : s !== 0
            ? s
            : Math.sign(compareSemver({ upstream: a.release ?? "1" }, { upstream: b.release ?? "1" }));
      const got = compareArchlinuxVersions(
        formatArchlinuxVersion(toArchlinuxVersion(a)),
        formatArchlinuxVersion(toArchlinuxVersion(b)),
      );
      if (expected !== 0 || got !== 0)
        assert.equal(got, expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }),
    { numRuns: 3000, seed: 42 },
  );
});
