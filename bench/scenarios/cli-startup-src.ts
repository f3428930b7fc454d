/** CLI start-up from the TypeScript sources (the "before" of cli-startup): see cli-startup.ts. */
import type { Scenario } from "../scenario.ts";
import { cliStartupScenario } from "./cli-startup.ts";

export const scenario: Scenario = cliStartupScenario("cli-startup-src", "src");
