/**
 * The worker-thread side of the in-process build worker (worker.ts): one long-lived thread per worker slot
 * writes packages with the agent's {@link buildUnsigned} (the same build an agent runs, unsigned) from the
 * work folders the main thread filled, one {@link BuildThreadJob} at a time, answering each with a
 * {@link BuildThreadAnswer}. Packaging (reading the files, compressing, hashing) runs here so the server's
 * event loop keeps answering requests meanwhile; the thread lives as long as its slot, so the formats
 * library is loaded once, not once per job.
 *
 * The main thread imports this module for its types only; the code below runs only in a thread started
 * with {@link BUILD_THREAD_KIND} in its workerData.
 */
import { parentPort, workerData } from "node:worker_threads";
import { buildUnsigned, type UnsignedBuild } from "../agent/execute.ts";

/** workerData.kind of a build thread (so importing this module elsewhere does nothing). */
export const BUILD_THREAD_KIND = "packyard-build";

/** The thread's workerData. */
export interface BuildThreadRequest {
  kind: typeof BUILD_THREAD_KIND;
}

/** One package to write (a message to the thread). */
export interface BuildThreadJob {
  id: number;
  build: UnsignedBuild;
}

/** The answer to one job: the package written, or the failure with its job failure code. */
export type BuildThreadReply =
  | { ok: true; file: string; fileName: string; sha256: string; size: number }
  | { ok: false; code: string; message: string; retry: boolean };

/** A reply message, with the job's id. */
export interface BuildThreadAnswer {
  id: number;
  reply: BuildThreadReply;
}

/** A failure as buildUnsigned throws it: BUILD_FAILED (not retried) and its other codes; else AGENT_ERROR. */
function failureOf(e: unknown): BuildThreadReply {
  const f = e as { code?: unknown; retry?: unknown; message?: unknown };
  if (typeof f.code === "string" && typeof f.retry === "boolean")
    return { ok: false, code: f.code, message: String(f.message), retry: f.retry };
  return {
    ok: false,
    code: "AGENT_ERROR",
    message: `the build worker failed: ${e instanceof Error ? e.message : String(e)}`,
    retry: true,
  };
}

const request = workerData as BuildThreadRequest | undefined;
if (parentPort !== null && request?.kind === BUILD_THREAD_KIND) {
  const port = parentPort;
  port.on("message", async (job: BuildThreadJob) => {
    let reply: BuildThreadReply;
    try {
      reply = { ok: true, ...(await buildUnsigned(job.build)) };
    } catch (e) {
      reply = failureOf(e);
    }
    const answer: BuildThreadAnswer = { id: job.id, reply };
    port.postMessage(answer);
  });
}
