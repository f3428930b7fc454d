/** text/ is a building block: it imports nothing but itself and errors.ts (no format folder, config, registry). */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

test("src/text imports only ./ files and ../errors.ts", () => {
  const dir = new URL("../../src/text/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.includes("index.ts"));
  for (const f of files) {
    const source = readFileSync(new URL(f, dir), "utf8");
    for (const m of source.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
      const target = m[1]!;
      assert.ok(target.startsWith("./") || target === "../errors.ts", `${f} imports ${target}`);
    }
  }
});

test("index.ts names its exports (no export *)", () => {
  const source = readFileSync(new URL("../../src/text/index.ts", import.meta.url), "utf8");
  assert.doesNotMatch(source, /export \*/);
});
