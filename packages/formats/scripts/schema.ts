// Writes packyard.schema.json at the repository root from the config key table and the registered
// formats' blocks. Run with `npm run schema`; a test fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import { checksumConfig } from "../src/checksums/config.ts";
import { configJsonSchema } from "../src/config/schema.ts";
import { FORMATS } from "../src/registry.ts";

const out = new URL("../../../packyard.schema.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(configJsonSchema(FORMATS, [checksumConfig]), null, 2)}\n`);
console.log(`wrote ${out.pathname}`);
