/**
 * The packyard CLI run from its TypeScript sources through Node's type stripping, as bin/packyard.js ran it
 * before the emitted build (start it with `--conditions=@packyard/source` so @packyard/formats resolves to
 * its sources too). For the `cli-startup-src` scenario: the "before" of the start-up comparison.
 */
import { main } from "../../packages/cli/src/main.ts";

process.exitCode = await main(process.argv.slice(2), process.env);
