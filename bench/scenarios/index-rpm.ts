/** The index race for rpm packages only (see index.ts): `npm run bench -- index-rpm`. */
import type { CustomScenario } from "../scenario.ts";
import { indexScenario } from "./index.ts";

export const scenario: CustomScenario = indexScenario("index-rpm", ["rpm"]);
