/**
 * `packyard serve`'s work (commands/serve.ts describes the command): starts @packyard/server and waits for
 * SIGTERM or SIGINT. This is the one command that touches `process` beyond what main() passes: a server
 * has to hear the signals that stop it.
 *
 * `--local-agent`: once the server listens, a shared agent is registered (RunningServer.registerLocalAgent)
 * and `packyard agent --server <url>` runs as a child process with the token in PACKYARD_AGENT_TOKEN and an
 * environment of a few harmless variables (never the master key, database URL or storage credentials: a
 * packyard.yml's `build.env` may name variables of the agent's environment). On stop the agent is sent
 * SIGTERM first (it finishes its running job, which needs the server), then the server closes. A server
 * killed outright (SIGKILL) leaves the agent running; it keeps retrying the server's URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunCommand } from "../command.ts";
import { UsageError } from "../usage-error.ts";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"];

/** An http(s) URL with a host and no user:password@ (install text built from it is public). */
function plainHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return /^https?:$/.test(u.protocol) && u.host !== "" && u.username === "" && u.password === "";
  } catch {
    return false;
  }
}

/** Variables the local agent inherits (its steps see only what `build.env` names among them). */
const AGENT_ENV = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** How long the local agent may take to finish its job after SIGTERM before it is killed. */
const AGENT_STOP_MS = 60_000;

/**
 * The command line running this CLI's `agent`: the emitted build through bin/packyard.js, or (when this
 * module runs from its TypeScript source, in tests) main.ts under the source condition.
 */
function agentCommand(args: string[]): string[] {
  if (import.meta.url.endsWith(".ts")) {
    const main = new URL("../main.ts", import.meta.url).href;
    const code = `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1), process.env);`;
    return ["--conditions=@packyard/source", "--input-type=module", "-e", code, "agent", ...args];
  }
  return [fileURLToPath(new URL("../../bin/packyard.js", import.meta.url)), "agent", ...args];
}

/** A count flag: a whole number from 0 to max. */
function count(flag: string, text: string, max: number, min = 0): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new UsageError(`--${flag}: expected a number from ${min} to ${max}, found '${text}'`, "serve");
  return n;
}

export const run: RunCommand = async (flags, _positionals, io) => {
  const text = (name: string): string | undefined => {
    const v = flags[name];
    return typeof v === "string" ? v : undefined;
  };
  const portText = text("port");
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535)
      throw new UsageError(`--port: expected a number from 0 to 65535, found '${portText}'`, "serve");
  }
  const level = text("log-level") ?? "info";
  if (!LEVELS.includes(level))
    throw new UsageError(`--log-level: expected one of ${LEVELS.join(", ")}, found '${level}'`, "serve");
  const publicUrl = text("public-url");
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl))
    throw new UsageError(`--public-url: expected an http:// or https:// URL, found '${publicUrl}'`, "serve");
  const repoBaseUrl = text("repo-base-url");
  if (repoBaseUrl !== undefined && !plainHttpUrl(repoBaseUrl))
    throw new UsageError(
      `--repo-base-url: expected an http:// or https:// URL without credentials, found '${repoBaseUrl}'`,
      "serve",
    );

  const workersText = text("workers");
  if (workersText !== undefined && flags["no-worker"] === true)
    throw new UsageError("--workers and --no-worker: expected one of them, found both", "serve");
  const workers =
    flags["no-worker"] === true ? 0 : workersText !== undefined ? count("workers", workersText, 64) : 1;
  const retentionText = text("log-retention-days");
  const logRetentionDays =
    retentionText !== undefined ? count("log-retention-days", retentionText, 36_500, 1) : undefined;
  const dataDir = text("data") ?? "packyard-data";

  const { serverLogger, startServer } = await import("@packyard/server");
  const logger = serverLogger({ level, destination: { write: (line: string) => io.err(line) } });
  // Signals are heard from before the start, so one that arrives while the server starts stops it once
  // it listens instead of killing it half-way (with the lock and the database open).
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let agent: ChildProcess | undefined;
  let agentExited: Promise<void> = Promise.resolve();
  let workDir: string | undefined;
  let requested: string | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = (signal: string): void => {
    if (requested !== undefined) return;
    requested = signal;
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    if (server === undefined) return; // still starting: stopped below once started
    logger.info({ signal }, "stopping");
    const running = server;
    stopAgent()
      .then(() => running.close())
      .then(stopped, (e: unknown) => {
        logger.error({ err: e }, "stopping failed");
        stopped();
      });
  };
  /** SIGTERM to the local agent, SIGKILL when it has not ended after AGENT_STOP_MS. */
  const stopAgent = async (): Promise<void> => {
    if (agent !== undefined && agent.exitCode === null && agent.signalCode === null) {
      agent.kill("SIGTERM");
      const timer = setTimeout(() => agent?.kill("SIGKILL"), AGENT_STOP_MS);
      await agentExited;
      clearTimeout(timer);
    }
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  try {
    server = await startServer({
      dataDir,
      workers,
      ...(logRetentionDays !== undefined ? { logRetentionDays } : {}),
      ...(text("host") !== undefined ? { host: text("host")! } : {}),
      ...(port !== undefined ? { port } : {}),
      env: io.env,
      cwd: io.cwd,
      config: {
        allowSignup: flags["allow-signup"] === true,
        metricsPublic: flags["metrics-public"] === true,
        ...(publicUrl !== undefined ? { publicUrl } : {}),
        ...(repoBaseUrl !== undefined ? { repoBaseUrl } : {}),
      },
      ...(text("admin-token-file") !== undefined ? { adminTokenFile: text("admin-token-file")! } : {}),
      ...(flags.reindex === true ? { reindex: true } : {}),
      ...(text("plans") !== undefined ? { plansFile: text("plans")! } : {}),
      print: (s) => io.out(s),
      logger,
    });
  } catch (e) {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    throw e; // report.ts prints a ServerError with its code
  }
  if (flags["local-agent"] === true && requested === undefined) {
    try {
      const registered = await server.registerLocalAgent();
      const env: Record<string, string> = { PACKYARD_AGENT_TOKEN: registered.token };
      for (const name of AGENT_ENV) if (io.env[name] !== undefined) env[name] = io.env[name]!;
      // Its own folder under the temporary folder: steps may run as another user (nobody, when root),
      // who must reach it (the data folder's parents need not be open to them).
      workDir = join(tmpdir(), `packyard-local-agent-${registered.name}`);
      const child = spawn(process.execPath, agentCommand(["--server", server.url, "--work-dir", workDir]), {
        env,
        cwd: io.cwd,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: a Ctrl-C on the terminal reaches the server only, which then stops the
        // agent with one SIGTERM (it finishes its running job) before closing.
        detached: true,
      });
      agent = child;
      agentExited = new Promise<void>((done) => child.once("close", () => done()));
      const forward = (d: Buffer) =>
        io.err(
          `local agent ${registered.name}: ${String(d).replace(/\n(?=.)/g, `\nlocal agent ${registered.name}: `)}`,
        );
      child.stdout!.on("data", forward);
      child.stderr!.on("data", forward);
      child.once("exit", (code, signal) => {
        if (requested === undefined)
          logger.warn({ agent: registered.name, code, signal }, "the local build agent exited");
      });
      child.once("error", (err) => logger.error({ err }, "starting the local build agent failed"));
      io.out(`packyard serve: local build agent ${registered.name} started\n`);
    } catch (e) {
      await server.close();
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      throw e;
    }
  }
  if (requested !== undefined) {
    const signal = requested;
    requested = undefined;
    stop(signal);
  }
  await done;
  return 0;
};
