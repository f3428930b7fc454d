// Helpers shared by the config tests.
import { readFileSync, statSync } from "node:fs";
import type { Entry } from "../../src/spec/types.ts";

export const FIXTURES = new URL("../../../../fixtures/config/", import.meta.url).pathname.replace(/\/$/, "");

export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}/${name}`, "utf8");
}

/** The mode nfpm's default umask (0o002) leaves on a fixture file, computed from the file on disk. */
export function diskMode(rel: string, umask = 0o002): number {
  return statSync(`${FIXTURES}/${rel}`).mode & 0o7777 & ~umask;
}

export async function contentText(e: Entry | undefined): Promise<string> {
  if (e?.type !== "file") throw new Error(`not a file entry: ${e?.path}`);
  const parts: Uint8Array[] = [];
  for await (const c of e.content.open()) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

/** A compact, comparable view of entries: path → type/mode/owner/group/flags/target. */
export function shape(entries: readonly Entry[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const flags = e.flags
      ? Object.keys(e.flags)
          .filter((k) => e.flags?.[k as keyof typeof e.flags])
          .sort()
          .join(",")
      : "";
    const extra =
      e.type === "symlink" || e.type === "hardlink"
        ? ` -> ${e.target}`
        : e.type === "file"
          ? ` size=${e.content.size}`
          : "";
    out[e.path] =
      `${e.type} ${e.mode.toString(8)} ${e.owner.name}:${e.group.name}${flags ? ` [${flags}]` : ""}${extra}`;
  }
  return out;
}
