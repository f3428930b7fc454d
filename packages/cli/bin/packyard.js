#!/usr/bin/env node
// Launcher: runs the CLI's emitted JavaScript (dist/, built by `npm run build`, which `npm ci`, `npm test`
// and `npm pack` run). No TypeScript is stripped at run time.
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
