/**
 * Text goldens: the example project built for each format, dumped part by part (dump.ts), equals the
 * reviewed files under fixtures/goldens/<format>/. A failure names the part and shows the changed lines;
 * UPDATE_GOLDEN=1 rewrites the files (and removes parts the dump no longer makes) instead. The
 * whole-artifact sha256 goldens (fixtures/<format>/example.sha256) stay: these say where, those say whether.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { DUMPED_FORMATS, dumpExample } from "./dump.ts";

const GOLDENS = new URL("../../../../fixtures/goldens/", import.meta.url).pathname;
const UPDATE = process.env.UPDATE_GOLDEN === "1";

for (const format of DUMPED_FORMATS) {
  test(`${format}: the example's text dumps match fixtures/goldens/${format}/ (UPDATE_GOLDEN=1 rewrites them)`, async (t) => {
    const dir = `${GOLDENS}${format}/`;
    const dump = await dumpExample(format);
    if (UPDATE) {
      mkdirSync(dir, { recursive: true });
      for (const name of readdirSync(dir)) if (name.endsWith(".txt") && !dump.has(name)) rmSync(dir + name);
      for (const [name, text] of dump) writeFileSync(dir + name, text);
    }
    for (const [name, text] of dump) {
      await t.test(`${format}/${name}`, () => {
        assert.ok(
          existsSync(dir + name),
          `fixtures/goldens/${format}/${name} is missing (UPDATE_GOLDEN=1 writes it)`,
        );
        // No message argument: assert then prints the diff of the changed lines.
        assert.equal(text, readFileSync(dir + name, "utf8"));
      });
    }
    await t.test(`${format}: every golden is a part the dump makes, and every part has its golden`, () => {
      const committed = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".txt")) : [];
      const stale = committed.filter((n) => !dump.has(n)).sort();
      const missing = [...dump.keys()].filter((n) => !committed.includes(n)).sort();
      assert.deepEqual({ stale, missing }, { stale: [], missing: [] });
    });
  });
}
