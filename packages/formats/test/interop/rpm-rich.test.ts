/**
 * rpm rich (boolean) dependencies judged by rpm 4.18's own tools: the grammar check against rpmspec (a
 * recorded list and 300 seeded random token strings, same verdict and same message), `rpm -qp` against
 * what rpmbuild writes for the same .spec, `rpm -i --test` in a scratch root resolving an `or`, an `if` and
 * a `with` against installed packages, and dnf --installroot resolving one.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { collect } from "../../src/bytes/bytes.ts";
import { type RpmOptions, writeRpm } from "../../src/rpm/index.ts";
import { richDependencyError } from "../../src/rpm/rich.ts";
import type { PackageSpec, Relations } from "../../src/spec/types.ts";
import { needRoot, needTool, run, tryRun } from "@packyard/testkit/tools";
import { dependencyRows, rpmbuild, rpmQuery, rpmRoot } from "./rpm-tools.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rpm-rich-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function spec(name: string, version: string, relations: Relations = {}): PackageSpec {
  return {
    name,
    version: { upstream: version, release: "1" },
    arch: "all",
    date: 1_700_000_000,
    description: `${name} for rich dependency tests`,
    license: "MIT",
    relations,
    entries: [],
    scripts: {},
    changelog: [],
  };
}

async function write(s: PackageSpec, options: RpmOptions = {}): Promise<string> {
  const path = join(dir, `${s.name}-${s.version.upstream}-1.noarch.rpm`);
  writeFileSync(path, await collect(writeRpm(s, options)));
  return path;
}

/** rpmspec's verdict on `tag: expr`: undefined when it parses, else rpm's message. */
function rpmspecVerdict(expr: string, tag: "Requires" | "Conflicts"): string | undefined {
  const file = join(dir, "verdict.spec");
  writeFileSync(
    file,
    `Name: v\nVersion: 1\nRelease: 1\nSummary: v\nLicense: MIT\n${tag}: ${expr}\n%description\nv\n`,
  );
  const r = tryRun("rpmspec", ["-q", `--${tag.toLowerCase()}`, file]);
  if (r.status === 0) return undefined;
  // "line N: <why>: <line>", or "line N: <why> in: <line>" for rpmCharCheck's complaints.
  const suffix = `: ${tag}: ${expr}`;
  const line = r.stderr.split("\n").find((l) => l.startsWith("error: ") && l.endsWith(suffix));
  assert.ok(line, `rpmspec failed without naming the line for ${expr}: ${r.stderr}`);
  return line.slice(0, -suffix.length).replace(/^error: line \d+: /, "");
}

const RECORDED = [
  "(bash >= 4.4 or fish)",
  "(a or b or c)",
  "(a  or   b)",
  "(a, or b)",
  "(a or (b with c))",
  "((a and b) or c)",
  "(a if b else c)",
  "(a unless b else c)",
  "(a without b)",
  "(perl(Foo) or b)",
  "(a >= 1.0-1 or b)",
  "(a => 1 or b =< 2)",
  "(a unless b)",
  "(a if b)",
  "(a or)",
  "()",
  "(a or b",
  "(a foo b)",
  "(a and b or c)",
  "(a if b if c)",
  "(a >=)",
  "((a if b) with c)",
  "((a or b) with c)",
  "((a unless b) and c)",
  "((a if b) or c)",
  "(a with b with c)",
];

const RICH_OPS = ["and", "or", "if", "else", "unless", "with", "without"] as const;
/**
 * Well-formed-looking expressions: simple deps and nested terms joined by one repeated operator (chains)
 * or by any mix of them (if/else, and the chaining and context errors).
 */
const { term } = fc.letrec<{ term: string; operand: string }>((tie) => ({
  operand: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom("a", "b", "c >= 1.0", "d < 2:1.0-1", "perl(X)", "/bin/zsh") },
    { weight: 1, arbitrary: tie("term") },
  ),
  term: fc
    .tuple(
      tie("operand"),
      fc.array(fc.tuple(fc.constantFrom(...RICH_OPS), tie("operand")), { maxLength: 3 }),
      fc.boolean(),
    )
    .map(([first, rest, chain]) => {
      const ops = rest.map(([op, o]) => `${chain ? rest[0]![0] : op} ${o}`);
      return `(${[first, ...ops].join(" ")})`;
    }),
}));
/** Damage: a token dropped, doubled or replaced, so the grammar's error paths are hit too. */
const damaged = fc
  .tuple(
    term,
    fc.nat(),
    fc.constantFrom("drop", "double", "swap", "keep"),
    fc.constantFrom(")", "(", ">=", "or", "x", "1..2", "1-2-3", "<", ","),
  )
  .map(([t, at, how, token]) => {
    const parts = t
      .replace(/[()]/g, (p) => ` ${p} `)
      .trim()
      .split(/\s+/);
    const i = at % parts.length;
    if (how === "drop") parts.splice(i, 1);
    if (how === "double") parts.splice(i, 0, parts[i]!);
    if (how === "swap") parts[i] = token;
    return parts.join(" ");
  })
  .filter((s) => s.startsWith("(") && richDependencyError(s, "requires") !== "Junk after rich dependency");
const RANDOM = fc.sample(fc.oneof(term, damaged), { seed: 20240607, numRuns: 200 });

test("grammar: our verdict and message equal rpmspec's for Requires and Conflicts (recorded and 200 seeded)", (t) => {
  if (!needTool(t, "rpmspec")) return;
  let refused = 0;
  for (const expr of [...RECORDED, ...RANDOM]) {
    for (const tag of ["Requires", "Conflicts"] as const) {
      const theirs = rpmspecVerdict(expr, tag);
      if (theirs !== undefined) refused++;
      assert.equal(
        richDependencyError(expr, tag === "Requires" ? "requires" : "reverse"),
        theirs,
        `${tag}: ${expr}`,
      );
    }
  }
  // Both verdicts occur often enough for the comparison to mean something.
  const total = 2 * (RECORDED.length + RANDOM.length);
  assert.ok(refused > total / 4 && refused < (total * 3) / 4, `${refused} of ${total} refused`);
});

test("rpm -qp shows the rich dependencies verbatim with rpmlib(RichDependencies), as rpmbuild writes them", async (t) => {
  if (!needTool(t, "rpm", "rpmbuild")) return;
  const ours = await write(
    spec("rich-demo", "1.0", {
      depends: [[{ name: "(bash >= 4.4 or fish)" }], [{ name: "(a if b else c)" }]],
      recommends: [[{ name: "(docs if man)" }]],
      conflicts: [[{ name: "(old unless new)" }]],
    }),
    { requires: { pre: [[{ name: "(useradd or busybox)" }]] } },
  );
  const theirs = rpmbuild(
    join(dir, "rpmbuild"),
    `Name: rich-demo
Version: 1.0
Release: 1
Summary: rich-demo for rich dependency tests
License: MIT
BuildArch: noarch
Requires: (bash >= 4.4 or fish)
Requires: (a if b else c)
Requires(pre): (useradd or busybox)
Recommends: (docs if man)
Conflicts: (old unless new)
%description
x
%files
`,
  );
  const requires = rpmQuery(ours, "--requires");
  for (const want of [
    "(bash >= 4.4 or fish)",
    "(a if b else c)",
    "(useradd or busybox)",
    "rpmlib(RichDependencies) <= 4.12.0-1",
  ])
    assert.ok(requires.includes(want), `${want} in ${requires.join(" | ")}`);
  for (const tag of ["REQUIRE", "RECOMMEND", "CONFLICT"])
    assert.deepEqual(dependencyRows(ours, tag), dependencyRows(theirs, tag), tag);
});

const ROOT_FOR = "rpm --root and dnf --installroot install into a scratch root";

test("rpm -i --test in a scratch root resolves or, if and with against what is installed", async (t) => {
  if (!needTool(t, "rpm") || !needRoot(t, ROOT_FOR)) return;
  const fish = await write(spec("fish-alt", "3.0"));
  const bash40 = await write(spec("bash-alt", "4.0"));
  const bash50 = await write(spec("bash-alt", "5.0"));
  const orPkg = await write(
    spec("needs-or", "1.0", { depends: [[{ name: "(bash-alt >= 4.4 or fish-alt)" }]] }),
  );
  const ifPkg = await write(spec("needs-if", "1.0", { depends: [[{ name: "(fish-alt if bash-alt)" }]] }));
  const withPkg = await write(
    spec("needs-with", "1.0", { depends: [[{ name: "(bash-alt >= 4.4 with bash-alt < 5)" }]] }),
  );
  const root = (name: string, ...installed: string[]) => rpmRoot(join(dir, name), ...installed);
  const test_ = (r: string, pkg: string) => tryRun("rpm", ["--root", r, "-i", "--test", pkg]);
  const empty = root("empty");
  const failed = test_(empty, orPkg);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stderr, /\(bash-alt >= 4\.4 or fish-alt\) is needed by needs-or-1\.0-1\.noarch/);
  assert.equal(test_(root("fish", fish), orPkg).status, 0, "fish-alt satisfies the or");
  assert.notEqual(test_(root("bash40", bash40), orPkg).status, 0, "bash-alt 4.0 is too old");
  assert.equal(test_(root("bash50", bash50), orPkg).status, 0, "bash-alt 5.0 satisfies the or");
  // (fish-alt if bash-alt): nothing needed without bash-alt; with it, fish-alt is.
  assert.equal(test_(empty, ifPkg).status, 0);
  assert.notEqual(test_(root("bash50-if", bash50), ifPkg).status, 0);
  assert.equal(test_(root("both", bash50, fish), ifPkg).status, 0);
  // (bash-alt >= 4.4 with bash-alt < 5): one package must satisfy both.
  assert.notEqual(test_(root("bash50-with", bash50), withPkg).status, 0);
  assert.equal(test_(root("bash45-with", await write(spec("bash-alt", "4.5"))), withPkg).status, 0);
});

test("dnf --installroot resolves a rich dependency: refused alone, installed with a provider", async (t) => {
  if (!needTool(t, "rpm", "dnf") || !needRoot(t, ROOT_FOR)) return;
  const fish = await write(spec("fish-alt", "3.0"));
  const orPkg = await write(
    spec("needs-or", "1.0", { depends: [[{ name: "(bash-alt >= 4.4 or fish-alt)" }]] }),
  );
  const dnf = (r: string, ...pkgs: string[]) =>
    tryRun("dnf", [
      "--installroot",
      r,
      "--disablerepo=*",
      "--setopt=reposdir=/nonexistent",
      "--releasever=1",
      "-y",
      "install",
      ...pkgs,
    ]);
  const alone = rpmRoot(join(dir, "dnf-alone"));
  const r1 = dnf(alone, orPkg);
  assert.notEqual(r1.status, 0, r1.stdout);
  assert.match(r1.stdout + r1.stderr, /nothing provides \(bash-alt >= 4\.4 or fish-alt\)/);
  const withFish = rpmRoot(join(dir, "dnf-fish"));
  const r2 = dnf(withFish, orPkg, fish);
  assert.equal(r2.status, 0, r2.stdout + r2.stderr);
  assert.equal(run("rpm", ["--root", withFish, "-q", "needs-or"]).trim(), "needs-or-1.0-1.noarch");
  // Against an installed provider too.
  const installed = rpmRoot(join(dir, "dnf-installed"), fish);
  const r3 = dnf(installed, orPkg);
  assert.equal(r3.status, 0, r3.stdout + r3.stderr);
});
