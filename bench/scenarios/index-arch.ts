/** The index race for archlinux packages only (see index.ts): `npm run bench -- index-arch`. */
import type { CustomScenario } from "../scenario.ts";
import { indexScenario } from "./index.ts";

export const scenario: CustomScenario = indexScenario("index-arch", ["archlinux"]);
