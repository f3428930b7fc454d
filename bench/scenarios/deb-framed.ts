/** Framed compression on deb: `deb.compression: gzip:6/8MiB` at workers 1 / 2 / 8 (see archlinux-framed.ts). */
import type { Scenario } from "../scenario.ts";
import { framedScenario } from "./archlinux-framed.ts";
import { scenario as deb, writeDebControl } from "./deb.ts";

export const scenario: Scenario = framedScenario({
  name: "deb-framed",
  format: "deb",
  compression: "gzip:6/8MiB",
  algo: "gzip",
  level: 6,
  block: "deb",
  native: { label: "`dpkg-deb -Zgzip -z6`", commands: (ctx) => deb.native(ctx), output: "native.deb" },
  nativeTools: ["dpkg-deb", "gzip"],
  prepare: (ctx) => writeDebControl(ctx.payloadDir),
});
