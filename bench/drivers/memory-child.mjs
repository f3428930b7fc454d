// The child process of memory.ts: builds one packager from a generated tree through the build API of the
// emitted JavaScript (what the CLI runs: no type stripping in this process or its workers; run
// `npm run build` first), then prints its peak resident set (VmHWM from /proc/self/status) and its time
// as one JSON line. Plain JavaScript so that nothing but the library is loaded.
// Usage: node [V8 flags] memory-child.mjs PACKAGER TREE_DIR OUT_DIR
import { readFileSync } from "node:fs";
import { build } from "@packyard/formats/build";

const [packager, tree, out] = process.argv.slice(2);
if (packager === undefined || tree === undefined || out === undefined) {
  process.stderr.write("usage: build-child.mjs PACKAGER TREE_DIR OUT_DIR\n");
  process.exit(2);
}
const config = `name: memtest
version: 1.0.0
release: "1"
arch: amd64
maintainer: Memory Test <memtest@packyard.invalid>
description: generated input of the memory test
license: MIT
contents:
  - src: ${JSON.stringify(tree)}
    dst: /opt/memtest
    type: tree
`;
const started = performance.now();
await build(
  { configText: config, baseDir: out },
  { formats: [packager], target: out, date: 1704067200, writeManifest: false },
);
const seconds = (performance.now() - started) / 1000;
const status = readFileSync("/proc/self/status", "utf8");
const kib = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1]);
process.stdout.write(`${JSON.stringify({ packager, vmHwmKiB: kib, seconds })}\n`);
