/** Our vercmp against pacman's `vercmp` over thousands of generated pairs, and translated semver pairs. */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  compareArchlinuxVersions,
  formatArchlinuxVersion,
  toArchlinuxVersion,
} from "../../src/archlinux/index.ts";
import { compareSemver } from "../../src/spec/version.ts";
import { archVersion } from "../support/arbitrary-archlinux.ts";
import { needTool, run } from "@packyard/testkit/tools";

/** Runs pacman's vercmp on every pair in one shell (one fork per pair, no node spawn each). */
function vercmpAll(pairs: [string, string][]): number[] {
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join("");
  const out = run("bash", ["-c", `while IFS=$'\\t' read -r a b; do vercmp "$a" "$b"; done`], { input });
  return out.trim().split("\n").map(Number);
}

// Segments that stress the algorithm: separators of different lengths, leading zeros, letters vs digits, epochs, pkgrels.
const piece = fc.constantFrom(
  "0",
  "00",
  "1",
  "01",
  "2",
  "10",
  "9",
  "a",
  "b",
  "alpha",
  "beta",
  "rc",
  "pre",
  "p",
  "Z",
  ".",
  "..",
  "_",
  "+",
  "~",
  "-",
);
const versionText = fc.array(piece, { minLength: 1, maxLength: 7 }).map((p) => p.join(""));
const full = fc
  .tuple(
    fc.option(fc.constantFrom("0", "1", "2", "10", ""), { nil: undefined }),
    versionText,
    fc.option(fc.constantFrom("1", "2", "1.1", "10"), { nil: undefined }),
  )
  .map(([e, v, r]) => `${e !== undefined ? `${e}:` : ""}${v}${r !== undefined ? `-${r}` : ""}`);

test("compareArchlinuxVersions agrees with pacman's vercmp on 3000 generated pairs", (t) => {
  if (!needTool(t, "vercmp", "bash")) return;
  const pairs = fc.sample(fc.tuple(full, full), { numRuns: 3000, seed: 7 });
  const theirs = vercmpAll(pairs);
  assert.equal(theirs.length, pairs.length);
  pairs.forEach(([a, b], i) => {
    assert.equal(compareArchlinuxVersions(a, b), Math.sign(theirs[i]!), `vercmp ${a} ${b}`);
  });
});

test("translated semver pairs keep their order under pacman's vercmp (or were rejected)", (t) => {
  if (!needTool(t, "vercmp", "bash")) return;
  const pairs = fc.sample(fc.tuple(archVersion, archVersion), { numRuns: 1500, seed: 11 });
  const texts = pairs.map(
    ([a, b]) =>
      [formatArchlinuxVersion(toArchlinuxVersion(a)), formatArchlinuxVersion(toArchlinuxVersion(b))] as [
        string,
        string,
      ],
  );
  const theirs = vercmpAll(texts);
  pairs.forEach(([a, b], i) => {
    const ea = a.epoch ?? 0;
    const eb = b.epoch ?? 0;
    const semver = ea !== eb ? Math.sign(ea - eb) : Math.sign(compareSemver(a, b));
    if (semver !== 0)
      assert.equal(
        Math.sign(theirs[i]!),
        semver,
        `${JSON.stringify(a)} vs ${JSON.stringify(b)} → ${texts[i]!.join(" vs ")}`,
      );
  });
});
