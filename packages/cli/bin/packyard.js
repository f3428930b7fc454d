#!/usr/bin/env node
// Launcher: the CLI's sources are TypeScript, run through Node's built-in type stripping
// (on by default from Node 22.18 / 23.6). Workspace symlinks resolve to packages/cli/src, outside
// node_modules, where Node refuses to strip types.
if (!process.features.typescript) {
  process.stderr.write(
    `packyard: this Node (${process.version}) cannot run TypeScript sources; use Node >= 22.18 or 24 (or run with --experimental-strip-types)\n`,
  );
  process.exit(1);
}
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2), process.env);
