/**
 * The real tools' version comparisons, many pairs per process: dpkg --compare-versions, rpm's Lua
 * `rpm.vercmp` (rpmverCmp over `[E:]V-R`) and pacman's vercmp. Each returns -1, 0 or 1 per pair. Callers
 * check the tool first with `needTool` (dpkg, rpm, vercmp + bash).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "@packyard/testkit/tools";

/** `dpkg --compare-versions` for each pair, in one shell. */
export function dpkgCompareAll(pairs: readonly (readonly [string, string])[]): number[] {
  const script =
    'while IFS=" " read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done';
  const out = run("sh", ["-c", script], { input: pairs.map(([a, b]) => `${a} ${b}\n`).join("") });
  return out.trim().split("\n").map(Number);
}

function luaString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** rpm's `rpm.vercmp` (EVR strings) for each pair, in one `rpm --eval` Lua script. */
export function rpmCompareAll(pairs: readonly (readonly [string, string])[]): number[] {
  const dir = mkdtempSync(join(tmpdir(), "packyard-rpmvercmp-"));
  try {
    const script = join(dir, "cmp.lua");
    const lines = [
      "local out = {}",
      ...pairs.map(([a, b]) => `out[#out+1] = tostring(rpm.vercmp(${luaString(a)}, ${luaString(b)}))`),
      "print(table.concat(out, ' '))",
    ];
    writeFileSync(script, lines.join("\n"));
    return run("rpm", ["--eval", `%{lua: dofile("${script}")}`])
      .trim()
      .split(/\s+/)
      .map((n) => Math.sign(Number(n)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** pacman's `vercmp` for each pair, in one bash loop. */
export function vercmpAll(pairs: readonly (readonly [string, string])[]): number[] {
  const input = pairs.map(([a, b]) => `${a}\t${b}\n`).join("");
  const out = run("bash", ["-c", `while IFS=$'\\t' read -r a b; do vercmp "$a" "$b"; done`], { input });
  return out
    .trim()
    .split("\n")
    .map((n) => Math.sign(Number(n)));
}
