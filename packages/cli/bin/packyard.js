#!/usr/bin/env node
// Launcher: runs the CLI's emitted JavaScript (dist/, built by `npm run build`, which `npm ci`, `npm test`
// and `npm pack` run). No TypeScript is stripped at run time.
//
// `build` runs with a small young generation (--max-semi-space-size=1): V8 otherwise grows it to 2 x 64 MiB
// while a long entry list survives scavenges, which is most of a many-file build's peak memory (small50k,
// deb: ~425 -> ~325 MiB, no slower). The option only works at start-up, so the launcher replaces itself
// (process.execve: no second process) when it was not given, unless NODE_OPTIONS already sets it or
// PACKYARD_NO_REEXEC is set; where execve does not exist (Windows) the build runs as it is.
//
// The re-exec also sets MALLOC_ARENA_MAX=2 (unless the environment sets it): glibc otherwise gives each
// of a build's threads (the file reader, the compression workers, V8's helpers) a malloc arena of its
// own, and the ArrayBuffers freed in each stay resident in it (300 MB, 20,000-file tree: deb ~231 -> ~225,
// macos ~268 -> ~242 MiB peak, no slower; bench/README.md "Peak memory: where it goes"). Other C
// libraries ignore it.
const SEMI = "--max-semi-space-size";
const args = process.argv.slice(2);
if (
  args.find((a) => !a.startsWith("-")) === "build" &&
  typeof process.execve === "function" &&
  !process.execArgv.some((a) => a.startsWith(SEMI)) &&
  !(process.env.NODE_OPTIONS ?? "").includes(SEMI) &&
  process.env.PACKYARD_NO_REEXEC === undefined
) {
  process.execve(
    process.execPath,
    [process.execPath, `${SEMI}=1`, ...process.execArgv, process.argv[1], ...args],
    { MALLOC_ARENA_MAX: "2", ...process.env },
  );
}
// V8's compiled code of the CLI and its libraries is kept on disk (Node's compile cache, in the OS temp
// folder, keyed by each file's content and the Node version): a run after the first skips compiling the
// ~300 modules it loads (importing the engine and the formats: 280-330 -> 220-245 ms). NODE_DISABLE_COMPILE_CACHE
// turns it off; NODE_COMPILE_CACHE names another folder.
const { enableCompileCache } = await import("node:module");
enableCompileCache?.();
let cli;
try {
  cli = await import("../dist/main.js");
} catch (e) {
  if (e?.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/main.js")) {
    process.stderr.write("packyard: the CLI is not built (no dist/main.js); run `npm run build` first\n");
    process.exit(1);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv.slice(2), process.env);
