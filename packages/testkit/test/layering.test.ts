/**
 * The layering rules hold on the real sources, and the checker catches each kind of wrong import in a
 * fixture tree built to break them (so a checker that finds nothing cannot pass).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { checkFormatsLayering, checkPackageLayering, cycles, importsOf } from "../src/layering.ts";

const PACKAGES = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/layering/", import.meta.url));

test("@packyard/formats keeps its layering: no format imports another, blocks import nothing above them, node:* only in the seams, no cycles", () => {
  assert.deepEqual(checkFormatsLayering(`${PACKAGES}formats/src`), []);
});

test("the workspace packages import each other only downward and only through public entries; tests too, and they share helpers only through the test kit", () => {
  assert.deepEqual(checkPackageLayering(PACKAGES), []);
});

test("the wrong-import fixture breaks every formats rule, and the checker names each", () => {
  const found = checkFormatsLayering(`${FIXTURES}wrong/src`).map((v) => `${v.rule} ${v.from} -> ${v.to}`);
  assert.deepEqual(found, [
    "block-imports-above compress/compress.ts -> deb/writer.ts",
    "block-imports-above hash/hasher.ts -> config/load.ts",
    "cycle files -> container/tar.ts <-> info/types.ts",
    "cycle folders -> container <-> info",
    "format-imports-format deb/writer.ts -> rpm/thing.ts",
    "node-outside-seam spec/validate.ts -> node:fs",
  ]);
});

test("the wrong-package fixture: upward imports, private entries and relative paths into another package, from sources and tests", () => {
  const found = checkPackageLayering(`${FIXTURES}packages`).map((v) => `${v.rule} ${v.from} -> ${v.to}`);
  assert.deepEqual(found.sort(), [
    "package-direction formats/src/index.ts -> @packyard/repo",
    "package-direction repo/src/index.ts -> ../../formats/src/index.ts",
    "package-direction repo/src/index.ts -> @packyard/server",
    "package-direction repo/test/helper.test.ts -> ../../formats/test/support/tools.ts",
    "private-entry repo/src/index.ts -> @packyard/formats/src/deb/writer.ts",
    "private-entry repo/test/helper.test.ts -> @packyard/formats/src/deb/writer.ts",
  ]);
});

test("importsOf sees static, re-export, type-only, side-effect and dynamic imports, not comments or strings", () => {
  const text = `
    import a from "./a.ts";
    import type { B } from "./b.ts";
    export { c } from "./c.ts";
    export * from "./d.ts";
    import "./e.ts";
    const f = await import("./f.ts");
    // import g from "./g.ts";
    /* import h from "./h.ts"; */
    const s = "import i from './i.ts'";
    import {
      j,
      k,
    } from "./jk.ts";
  `;
  assert.deepEqual(importsOf(text), ["./a.ts", "./b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts", "./jk.ts"]);
});

test("cycles finds every strongly connected component, and none in a DAG", () => {
  const g = (edges: [string, string][]) => {
    const m = new Map<string, Set<string>>();
    for (const [a, b] of edges) {
      if (!m.has(a)) m.set(a, new Set());
      if (!m.has(b)) m.set(b, new Set());
      m.get(a)!.add(b);
    }
    return m;
  };
  assert.deepEqual(
    cycles(
      g([
        ["a", "b"],
        ["b", "c"],
        ["a", "c"],
      ]),
    ),
    [],
  );
  assert.deepEqual(
    cycles(
      g([
        ["a", "b"],
        ["b", "a"],
        ["c", "d"],
        ["d", "e"],
        ["e", "c"],
        ["e", "f"],
      ]),
    ),
    [
      ["a", "b"],
      ["c", "d", "e"],
    ],
  );
});
