/** The index race for deb packages only (see index.ts): `npm run bench -- index-deb`. */
import type { CustomScenario } from "../scenario.ts";
import { indexScenario } from "./index.ts";

export const scenario: CustomScenario = indexScenario("index-deb", ["deb"]);
