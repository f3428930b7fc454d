/** `packyard agent`: a build agent that claims jobs from a packyard server (see @packyard/server's runAgent). */
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import type { Command, RunCommand } from "../command.ts";
import { UsageError } from "../usage-error.ts";

const SANDBOXES = ["auto", "bwrap", "none"] as const;
type SandboxFlag = (typeof SANDBOXES)[number];

/** What this command hands @packyard/server's runAgent (its AgentOptions, narrowed to what is passed). */
interface RunAgentOptions {
  server: string;
  token: string;
  concurrency: number;
  workDir: string;
  labels?: readonly string[];
  runAs?: string;
  sandbox: SandboxFlag;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  signal: AbortSignal;
  abandon: AbortSignal;
  env: NodeJS.ProcessEnv;
}
type RunAgent = (
  o: RunAgentOptions,
) => Promise<{ claimed: number; succeeded: number; failed: number; lost: number }>;

const run: RunCommand = async (flags, _positionals, io) => {
  const text = (name: string): string | undefined => {
    const v = flags[name];
    return typeof v === "string" ? v : undefined;
  };
  const server = text("server") ?? io.env.PACKYARD_SERVER;
  if (server === undefined) throw new UsageError("--server: the server's URL is required", "agent");
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`--server: expected an http:// or https:// URL, found '${server}'`, "agent");
  }
  if (!/^https?:$/.test(url.protocol) || url.username !== "" || url.password !== "")
    throw new UsageError(
      `--server: expected an http:// or https:// URL without credentials, found '${server}'`,
      "agent",
    );
  const token = text("token") ?? io.env.PACKYARD_AGENT_TOKEN;
  if (token === undefined || token === "")
    throw new UsageError("an agent token is required: --token T or PACKYARD_AGENT_TOKEN", "agent");
  // The token itself is never echoed.
  if (!token.startsWith("pka_"))
    throw new UsageError(
      "the agent token should start with pka_ (the token shown when the agent was registered)",
      "agent",
    );
  const concurrencyText = text("concurrency") ?? "1";
  const concurrency = Number(concurrencyText);
  if (!/^\d+$/.test(concurrencyText) || concurrency < 1 || concurrency > 64)
    throw new UsageError(
      `--concurrency: expected a number from 1 to 64, found '${concurrencyText}'`,
      "agent",
    );
  const sandbox = (text("sandbox") ?? "auto") as SandboxFlag;
  if (!SANDBOXES.includes(sandbox))
    throw new UsageError(`--sandbox: expected one of ${SANDBOXES.join(", ")}, found '${sandbox}'`, "agent");
  const labelsText = text("labels");
  const labels = labelsText
    ?.split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const workDirText = text("work-dir");
  const workDir =
    workDirText === undefined
      ? join(tmpdir(), `packyard-agent-${process.getuid?.() ?? "user"}`)
      : isAbsolute(workDirText)
        ? workDirText
        : resolve(io.cwd, workDirText);
  const runAs = text("run-as");

  // @packyard/server is loaded only when the agent runs (it brings fastify, the database drivers...).
  const { runAgent } = (await import("@packyard/server")) as unknown as { runAgent: RunAgent };
  const line = (level: string) => (m: string) => io.err(`${new Date().toISOString()} ${level} ${m}\n`);
  const log = { info: line("info"), warn: line("warn"), error: line("error") };

  // The first SIGTERM/SIGINT stops claiming and lets running jobs finish; a second one abandons them
  // (reported failed, so the server hands them to another agent at once).
  const stop = new AbortController();
  const abandon = new AbortController();
  const onSignal = (signal: string) => {
    if (!stop.signal.aborted) {
      log.info(`${signal}: finishing the running jobs, claiming no more (again to abandon them)`);
      stop.abort();
    } else if (!abandon.signal.aborted) {
      log.warn(`${signal}: abandoning the running jobs`);
      abandon.abort();
    }
  };
  const onTerm = () => onSignal("SIGTERM");
  const onInt = () => onSignal("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  try {
    const stats = await runAgent({
      server,
      token,
      concurrency,
      workDir,
      ...(labels !== undefined ? { labels } : {}),
      ...(runAs !== undefined ? { runAs } : {}),
      sandbox,
      log,
      signal: stop.signal,
      abandon: abandon.signal,
      env: { ...io.env },
    });
    log.info(
      `claimed ${stats.claimed} job(s): ${stats.succeeded} succeeded, ${stats.failed} failed, ${stats.lost} lost`,
    );
    return 0;
  } finally {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  }
};

export const agentCommand: Command = {
  name: "agent",
  summary: "run a build agent: claim build jobs from a packyard server and build them",
  help: `Usage: packyard agent --server URL --token T [--concurrency N] [--work-dir DIR] [--labels a,b] [--run-as USER] [--sandbox auto|bwrap|none]

Claims build jobs from a packyard server, fetches each job's sources (checking their sha256), runs the
build steps of its packyard.yml (build.steps) in a child process, writes the package with the same library
as 'packyard build', unsigned (the server signs), uploads it and reports the outcome. The agent never
receives a signing key.

Options:
      --server URL         the packyard server (default: PACKYARD_SERVER)
      --token T            the agent token (pka_...) shown when the agent was registered
                           (default: PACKYARD_AGENT_TOKEN; prefer it: a flag shows in 'ps')
      --concurrency N      jobs run side by side (default 1)
      --work-dir DIR       where job work folders are made (default: a packyard-agent folder in the
                           temporary folder); each is removed when its job ends
      --labels a,b         labels this agent says it offers (jobs are matched against the labels it was
                           registered with on the server)
      --run-as USER        run build steps as USER (default when the agent runs as root: nobody)
      --sandbox MODE       auto (default): bubblewrap when installed, else plain child processes;
                           bwrap: require bubblewrap; none: plain child processes
  -h, --help               show this help

Build steps run with /bin/sh -c in the job's work folder, in their own process group, with a minimal
environment plus the names build.env lists (project build secrets first, then this agent's environment;
never the agent token), a time limit (build.timeout) and an output cap. With bubblewrap the root file
system is read-only, /tmp is private and the steps get their own PID namespace.

SIGTERM or SIGINT: claim no more jobs and finish the running ones; a second signal abandons them (they
are reported failed and retried by another agent).

Examples:
  PACKYARD_AGENT_TOKEN=pka_... packyard agent --server http://127.0.0.1:8080
  packyard agent --server https://packyard.example.org --concurrency 2 --work-dir /var/lib/packyard-agent
`,
  options: {
    server: { type: "string" },
    token: { type: "string" },
    concurrency: { type: "string" },
    "work-dir": { type: "string" },
    labels: { type: "string" },
    "run-as": { type: "string" },
    sandbox: { type: "string" },
  },
  positionals: { min: 0, max: 0 },
  run,
};
