/**
 * deb-zstd: the deb scenario with data.tar.zst at level 3 on both sides (`dpkg-deb -Zzstd -z3`; dpkg-deb's
 * zstd default is 3 too), in its own RESULTS.md section so the gzip figures stay. Its ceiling runs on one
 * core: dpkg reads only the first zstd frame, so the format cannot be split.
 */
import type { Scenario } from "../scenario.ts";
import { debScenario } from "./deb.ts";

export const scenario: Scenario = debScenario("deb-zstd", "zstd", 3);
