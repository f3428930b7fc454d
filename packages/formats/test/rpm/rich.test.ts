/**
 * rpm rich (boolean) dependencies: parsed verbatim from nfpm-style strings, written by the rpm writer as
 * the dependency name (flags 0 / the phase, no version) with rpmlib(RichDependencies), read back by our
 * reader; refused where rpmbuild refuses them, and refused by deb, archlinux and apk naming the field.
 * The grammar itself is judged against rpmspec in test/interop/rpm-rich.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { writeApk } from "../../src/apk/index.ts";
import { writeArchlinux } from "../../src/archlinux/index.ts";
import { bytesSource, collect } from "../../src/bytes/bytes.ts";
import { loadConfig } from "../../src/config/load.ts";
import { writeDeb } from "../../src/deb/index.ts";
import { SpecError } from "../../src/errors.ts";
import { FORMATS } from "../../src/registry.ts";
import { readRpm, writeRpm } from "../../src/rpm/index.ts";
import { richDependencyError } from "../../src/rpm/rich.ts";
import { parseRelation } from "../../src/spec/relation.ts";
import type { PackageSpec, Relations } from "../../src/spec/types.ts";
import { validateSpec } from "../../src/spec/validate.ts";

const dir = mkdtempSync(join(tmpdir(), "packyard-rich-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function spec(relations: Relations): PackageSpec {
  return {
    name: "rich-demo",
    version: { upstream: "1.0.0", release: "1" },
    arch: "amd64",
    date: 1_700_000_000,
    description: "rich dependencies",
    license: "MIT",
    relations,
    entries: [],
    scripts: {},
    changelog: [],
  };
}

function specError(fn: () => unknown, code: string, field: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SpecError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.data.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

async function rejects(p: Promise<unknown>, code: string, field: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SpecError, String(e));
    assert.equal(e.code, code, e.message);
    assert.equal(e.data.field, field, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test("parseRelation keeps a rich dependency verbatim as the one relation of its group", () => {
  for (const s of [
    "(bash >= 4.4 or fish)",
    "(a if b)",
    "(a with b)",
    "(a unless b)",
    "(a if b else c)",
    "((a and b) or (c >= 1.0-1 with c < 2))",
    "(perl(Foo::Bar) >= 1 or /bin/zsh)",
  ])
    assert.deepEqual(parseRelation(`  ${s} `, "depends[0]"), [{ name: s }], s);
  specError(() => parseRelation("(a or b", "depends[2]"), "INVALID_RELATION", "depends[2]", /1 left open/);
  specError(
    () => parseRelation("(a or b) | c", "depends[0]"),
    "INVALID_RELATION",
    "depends[0]",
    /nothing after the "\)"/,
  );
  specError(
    () => parseRelation("(a or b) c", "overrides.rpm.depends[1]"),
    "INVALID_RELATION",
    "overrides.rpm.depends[1]",
  );
  // Plain names never start with "(", and capability parentheses stay part of a plain name.
  assert.deepEqual(parseRelation("perl(Foo) >= 1"), [{ name: "perl(Foo)", op: ">=", version: "1" }]);
});

test("validateSpec accepts a rich dependency alone in its group, nothing beside it", () => {
  assert.doesNotThrow(() => validateSpec(spec({ depends: [[{ name: "(a or b)" }]] })));
  specError(
    () => validateSpec(spec({ depends: [[{ name: "c" }], [{ name: "(a or b)" }, { name: "c" }]] })),
    "INVALID_RELATION",
    "relations.depends[1]",
    /alone/,
  );
  specError(
    () => validateSpec(spec({ conflicts: [[{ name: "(a or b)", op: ">=", version: "1" }]] })),
    "INVALID_RELATION",
    "relations.conflicts[0]",
  );
});

test("rpm: the expression is the REQUIRENAME (flags 0 or the phase, no version), rpmlib(RichDependencies) is added, the reader returns it", async () => {
  const bytes = await collect(
    writeRpm(
      spec({
        depends: [
          [{ name: "(bash >= 4.4 or fish)" }],
          [{ name: "(a if b else c)" }],
          [{ name: "(x with y)" }],
        ],
        recommends: [[{ name: "(docs if man)" }]],
        conflicts: [[{ name: "(old unless new)" }]],
      }),
      { requires: { pre: [[{ name: "(useradd or busybox)" }]] }, supplements: [[{ name: "(a and b)" }]] },
    ),
  );
  const info = await readRpm(bytesSource(bytes));
  assert.equal(info.raw.format, "rpm");
  if (info.raw.format !== "rpm") return;
  const deps = info.raw.dependencies;
  const rich = (list: typeof deps.requires) =>
    list.filter((d) => d.name.startsWith("(")).map((d) => [d.name, d.flags, d.version]);
  assert.deepEqual(rich(deps.requires), [
    ["(a if b else c)", 0, ""],
    ["(bash >= 4.4 or fish)", 0, ""],
    ["(useradd or busybox)", 0x200, ""], // RPMSENSE_SCRIPT_PRE, as rpmbuild writes Requires(pre)
    ["(x with y)", 0, ""],
  ]);
  assert.deepEqual(rich(deps.recommends), [["(docs if man)", 0, ""]]);
  assert.deepEqual(rich(deps.conflicts), [["(old unless new)", 0, ""]]);
  assert.deepEqual(rich(deps.supplements), [["(a and b)", 0, ""]]);
  const rpmlib = deps.requires.find((d) => d.name === "rpmlib(RichDependencies)");
  assert.deepEqual(rpmlib && [rpmlib.flags, rpmlib.version], [0x0100000a, "4.12.0-1"]);
  // Relations: the non-"or" expressions come back verbatim; a pure "or" reads as the OR-group it means.
  assert.deepEqual(info.relations.depends, [
    [{ name: "(a if b else c)" }],
    [{ name: "bash", op: ">=", version: "4.4" }, { name: "fish" }],
    [{ name: "(x with y)" }],
  ]);
  assert.deepEqual(info.relations.recommends, [[{ name: "(docs if man)" }]]);
  assert.deepEqual(info.relations.conflicts, [[{ name: "(old unless new)" }]]);

  // Without a rich dependency there is no rpmlib(RichDependencies).
  const plain = await readRpm(bytesSource(await collect(writeRpm(spec({ depends: [[{ name: "a" }]] })))));
  assert.ok(
    plain.raw.format === "rpm" &&
      !plain.raw.dependencies.requires.some((d) => d.name === "rpmlib(RichDependencies)"),
  );
});

test("rpm refuses what rpmbuild refuses: bad grammar, if/unless in the wrong context, rich provides and obsoletes", async () => {
  const cases: [Relations, string, RegExp][] = [
    [{ depends: [[{ name: "(a or)" }]] }, "relations.depends[0]", /Missing argument to rich dependency op/],
    [{ depends: [[{ name: "(a foo b)" }]] }, "relations.depends[0]", /Unknown rich dependency op 'foo'/],
    [{ depends: [[{ name: "(a and b or c)" }]] }, "relations.depends[0]", /Cannot chain different ops/],
    [{ depends: [[{ name: "(a >=)" }]] }, "relations.depends[0]", /Version required/],
    [{ depends: [[{ name: "(a unless b)" }]] }, "relations.depends[0]", /Illegal context for 'unless'/],
    [{ suggests: [[{ name: "(a unless b)" }]] }, "relations.suggests[0]", /Illegal context for 'unless'/],
    [{ conflicts: [[{ name: "(a if b)" }]] }, "relations.conflicts[0]", /Illegal context for 'if'/],
    [{ breaks: [[{ name: "(a if b)" }]] }, "relations.breaks[0]", /Illegal context for 'if'/],
    [{ provides: [[{ name: "(a or b)" }]] }, "relations.provides[0]", /No rich dependencies allowed/],
    [{ replaces: [[{ name: "(a or b)" }]] }, "relations.replaces[0]", /No rich dependencies allowed/],
  ];
  for (const [relations, field, message] of cases)
    await rejects(collect(writeRpm(spec(relations))), "INVALID_RELATION", field, message);
  await rejects(
    collect(writeRpm(spec({}), { requires: { post: [[{ name: "(a unless b)" }]] } })),
    "INVALID_RELATION",
    "rpm.requires.post[0]",
    /Illegal context for 'unless'/,
  );
  await rejects(
    collect(writeRpm(spec({}), { supplements: [[{ name: "(a if b)" }]] })),
    "INVALID_RELATION",
    "rpm.supplements[0]",
    /Illegal context for 'if'/,
  );
});

test("rpm's rich grammar: what rpmbuild 4.18 accepted and refused (recorded), chained ops and nesting", () => {
  const accepted: [string, "requires" | "reverse"][] = [
    ["(bash >= 4.4 or fish)", "requires"],
    ["(a or b or c)", "requires"],
    ["(a  or   b)", "requires"],
    ["( a or b )", "requires"],
    ["(a, or b)", "requires"],
    ["(a or (b with c))", "requires"],
    ["((a and b) or c)", "requires"],
    ["(a if b else c)", "requires"],
    ["(a without b)", "requires"],
    ["(perl(Foo) or b)", "requires"],
    ["(a >= 1.0-1 or b)", "requires"],
    ["(a unless b)", "reverse"],
    ["(a or b)", "reverse"],
  ];
  for (const [text, ctx] of accepted) assert.equal(richDependencyError(text, ctx), undefined, text);
  const refused: [string, "requires" | "reverse", string][] = [
    ["(a or)", "requires", "Missing argument to rich dependency op"],
    ["()", "requires", "Empty rich dependency"],
    ["(a or b", "requires", "Unterminated rich dependency: (a or b"],
    ["(a foo b)", "requires", "Unknown rich dependency op 'foo'"],
    ["(a and b or c)", "requires", "Cannot chain different ops"],
    ["(a if b if c)", "requires", "Can only chain and/or/with ops"],
    ["(a >=)", "requires", "Version required"],
    ["(a unless b)", "requires", "Illegal context for 'unless', please use 'or' instead"],
    ["(a if b)", "reverse", "Illegal context for 'if', please use 'and' instead"],
    ["((a if b) with c)", "requires", "Illegal ops in with/without"],
    ["(a or b) c", "requires", "Junk after rich dependency"],
  ];
  for (const [text, ctx, why] of refused) assert.equal(richDependencyError(text, ctx), why, text);
});

test("deb, archlinux and apk refuse a rich dependency, naming the field, the expression and that only rpm has them", async () => {
  const relations: Relations = { depends: [[{ name: "a" }], [{ name: "(bash >= 4.4 or fish)" }]] };
  const only =
    /found the rpm rich \(boolean\) dependency "\(bash >= 4\.4 or fish\)"; only rpm supports rich dependencies, (deb|archlinux \(pacman\)|apk) has no equivalent \(in a config, list it under overrides\.rpm\.depends/;
  await rejects(collect(writeDeb(spec(relations), {})), "INVALID_RELATION", "relations.depends[1]", only);
  await rejects(
    collect(writeArchlinux(spec(relations), {})),
    "INVALID_RELATION",
    "relations.depends[1]",
    only,
  );
  await rejects(collect(writeApk(spec(relations), {})), "INVALID_RELATION", "relations.depends[1]", only);
  // Forms a plain-name check would let through are refused too.
  for (const name of ["(a if b)", "(a)"]) {
    const r: Relations = { conflicts: [[{ name }]] };
    await rejects(collect(writeDeb(spec(r), {})), "INVALID_RELATION", "relations.conflicts[0]", /only rpm/);
    await rejects(
      collect(writeArchlinux(spec(r), {})),
      "INVALID_RELATION",
      "relations.conflicts[0]",
      /only rpm/,
    );
    await rejects(collect(writeApk(spec(r), {})), "INVALID_RELATION", "relations.conflicts[0]", /only rpm/);
  }
});

test("config: overrides.rpm.depends carries a rich dependency to rpm only; at the top level, deb refuses it", async () => {
  const head = "name: app\nversion: 1.0.0\narch: amd64\nlicense: MIT\ndescription: x\n";
  const load = (body: string) =>
    loadConfig({ text: head + body, path: "packyard.yml", baseDir: dir, env: {}, formats: FORMATS });
  const split = load("depends:\n  - bash\noverrides:\n  rpm:\n    depends:\n      - (bash >= 4.4 or fish)\n");
  const rpm = await split.resolve("rpm", { date: 1_700_000_000 });
  assert.deepEqual(rpm.spec.relations.depends, [[{ name: "(bash >= 4.4 or fish)" }]]);
  const deb = await split.resolve("deb", { date: 1_700_000_000 });
  assert.deepEqual(deb.spec.relations.depends, [[{ name: "bash" }]]);
  await collect(writeDeb(deb.spec, deb.options as object));

  const top = load("depends:\n  - (bash >= 4.4 or fish)\n");
  const d = await top.resolve("deb", { date: 1_700_000_000 });
  await rejects(
    collect(writeDeb(d.spec, d.options as object)),
    "INVALID_RELATION",
    "relations.depends[0]",
    /only rpm/,
  );
});
