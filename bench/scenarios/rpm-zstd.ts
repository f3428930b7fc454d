/** rpm-zstd: the rpm scenario with a zstd -3 payload on both sides (`w3.zstdio`), in its own RESULTS.md section. */
import type { Scenario } from "../scenario.ts";
import { rpmScenario } from "./rpm.ts";

export const scenario: Scenario = rpmScenario("rpm-zstd", "zstd", 3);
