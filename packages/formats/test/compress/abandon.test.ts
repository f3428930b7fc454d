/**
 * Compressions abandoned while worker threads still owe answers, in a process with nothing else to keep
 * it alive (abandon-child.ts): each run must finish and say so. Before the fix the process quit silently,
 * exit code 0, while awaiting a worker's termination, and an abandoned xz stream aborted it (SIGABRT from
 * lzma-native torn down mid-stream).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { tryLoadLzmaNative } from "../../src/compress/lzma-native.ts";

const CHILD = fileURLToPath(new URL("./abandon-child.ts", import.meta.url));

const CASES = [
  { algo: "gzip", level: 1 },
  { algo: "zstd", level: 3 },
  { algo: "gzip", level: 1, framing: { chunkBytes: 2 * 1024 * 1024 } },
  { algo: "zstd", level: 3, framing: { chunkBytes: 2 * 1024 * 1024 } },
  { algo: "none", framing: { chunkBytes: 2 * 1024 * 1024 } },
  ...(tryLoadLzmaNative() !== undefined
    ? [
        { algo: "xz", level: 0 },
        { algo: "xz", level: 0, framing: { chunkBytes: 4 * 1024 * 1024 } },
      ]
    : []),
];

for (const c of CASES) {
  test(`abandoned ${JSON.stringify(c)} compressions end the process normally`, () => {
    const r = spawnSync(process.execPath, [...process.execArgv, CHILD, JSON.stringify(c)], {
      encoding: "utf8",
      timeout: 120_000,
    });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.stdout, "finished\n", `exit ${r.status}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
  });
}
