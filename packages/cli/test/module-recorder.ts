/**
 * Preload for lazy-loading.test.ts: `node --import ./module-recorder.ts ...` records the URL of every
 * module the process loads (ES modules and require()d CommonJS alike, through node:module's
 * registerHooks) and writes them, one JSON array, to the file named by PACKYARD_TEST_MODULES when the
 * process exits. Modules loaded before this file (Node's own bootstrap, this file) are not recorded.
 */
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const out = process.env.PACKYARD_TEST_MODULES;
if (out === undefined || out === "") throw new Error("module-recorder.ts: PACKYARD_TEST_MODULES is not set");
const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on("exit", () => writeFileSync(out, JSON.stringify(loaded)));
