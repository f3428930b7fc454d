// Runs fixtures/child.ts, the publisher in its own process used by the crash and lock tests.
import { spawn } from "node:child_process";
import type { ChildPlan } from "./fixtures/child.ts";

const CHILD = new URL("./fixtures/child.ts", import.meta.url).pathname;

/** How a child publisher ended and what it printed (its PublishResult plus `writes`, or `{ code, message }`). */
export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: Record<string, unknown> | undefined;
}

/** Runs the child publisher; resolves with how it ended and what it printed. */
export function runChild(plan: ChildPlan, onSpawn?: (pid: number) => void): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@packyard/source", CHILD, JSON.stringify(plan)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    onSpawn?.(child.pid!);
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      let out: Record<string, unknown> | undefined;
      try {
        out = JSON.parse(text.trim().split("\n").pop() ?? "");
      } catch {
        out = undefined;
      }
      resolve({ code, signal, out });
    });
  });
}
