// Runs fixtures/child.ts, the publisher in its own process used by the crash and lock tests.
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildPlan } from "./fixtures/child.ts";

const CHILD = new URL("./fixtures/child.ts", import.meta.url).pathname;
/**
 * V8's code cache for the children's modules (keyed by their content, so an edit is never served stale):
 * loading the engine's sources takes a child ~0.9 s cold and ~0.3 s cached, and the crash tests start
 * two children per write. NODE_COMPILE_CACHE given picks another folder, NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
const COMPILE_CACHE =
  process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), `packyard-test-compile-cache-${process.getuid?.() ?? 0}`);

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
      env: { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE },
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
