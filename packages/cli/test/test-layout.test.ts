/**
 * The rule `npm run test:unit` relies on (scripts/test.ts): a test that runs an external program lives
 * under an `interop/` folder. Here it is checked for the CLI's tests: no file outside test/interop/ calls
 * needTool/needRoot or imports @packyard/testkit/tools, and nothing outside it spawns anything but this Node.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));

test("CLI tests that call external tools are all under test/interop/", () => {
  const unit = readdirSync(HERE).filter((n) => n.endsWith(".ts"));
  assert.ok(unit.length > 5, "the unit tests are found");
  for (const name of unit) {
    const text = readFileSync(join(HERE, name), "utf8");
    // The same pattern scripts/test.ts uses to find misplaced tests.
    assert.doesNotMatch(
      text,
      /\bneed(Tool|Root)\(|@packyard\/testkit\/tools["']/,
      `${name} calls external tools`,
    );
    // Spawning is allowed for the launcher (process.execPath) only.
    for (const m of text.matchAll(/\bspawn(Sync)?\(\s*([^,\s]+)/g)) {
      assert.equal(m[2], "process.execPath", `${name} spawns ${m[2]}`);
    }
    assert.doesNotMatch(text, /(?<!\.)\bexec(File)?(Sync)?\(/, `${name} runs a program through exec`);
  }
  assert.ok(readdirSync(join(HERE, "interop")).some((n) => n.endsWith(".test.ts")));
});
