// Child process of the determinism test: builds the example spec and prints the package's sha256.
import { createHash } from "node:crypto";
import { collect } from "../../src/bytes/bytes.ts";
import { writeRpm } from "../../src/rpm/index.ts";
import { exampleSpec } from "@packyard/testkit/example";

const bytes = await collect(writeRpm(exampleSpec(), {}));
process.stdout.write(`${createHash("sha256").update(bytes).digest("hex")}\n`);
