/** CLI start-up with some work: `packyard build -p deb` of one 1 MiB file vs `dpkg-deb --build` (see cli-startup.ts). */
import type { Scenario } from "../scenario.ts";
import { cliStartupScenario } from "./cli-startup.ts";

export const scenario: Scenario = cliStartupScenario("cli-build-1mb", "dist", "1mib");
