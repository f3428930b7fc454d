// Runs the packyard CLI from source (`packyard serve …` in tests), as bin/packyard.js runs its build.
import { main } from "../src/main.ts";

process.exitCode = await main(process.argv.slice(2), process.env);
