// Writes packyard.schema.json at the repository root from the config key table and the registered
// formats' blocks. Run with `npm run schema`; a test fails when the committed file is stale.
import { writeFileSync } from "node:fs";
import { BUILD_CONFIG_BLOCKS } from "../src/build/settings.ts";
import { configJsonSchema } from "../src/config/schema.ts";
import { FORMATS } from "../src/registry.ts";

const out = new URL("../../../packyard.schema.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(configJsonSchema(FORMATS, BUILD_CONFIG_BLOCKS), null, 2)}\n`);
console.log(`wrote ${out.pathname}`);
