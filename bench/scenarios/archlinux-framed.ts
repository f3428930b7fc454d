/**
 * Arch package with framed zstd: the `archlinux` scenario (same payloads, same native command) with
 * packyard writing `zstd:3/8MiB` — independent 8 MiB frames compressed on worker threads (default
 * count: the machine's available parallelism, at most 8) — against makepkg's one-thread `zstd -3 -T1`.
 */
import type { Scenario } from "../scenario.ts";
import { scenario as single } from "./archlinux.ts";

const FRAMED = "zstd:3/8MiB";

export const scenario: Scenario = {
  ...single,
  name: "archlinux-framed",
  description: `Arch .pkg.tar.zst: packyard with framed ${FRAMED} (worker threads) vs makepkg's bsdtar | zstd -3 -T1.`,
  packyard: (ctx) => {
    const base = single.packyard(ctx);
    return { ...base, label: `packyard ${FRAMED}`, args: [...base.args.slice(0, -1), FRAMED] };
  },
};
