/**
 * What the remote command tests share (remote.test.ts, interop/remote-action.test.ts): a real server on
 * 127.0.0.1 (buildApp over PostgreSQL when DATABASE_URL is set, else PGlite; memory storage; the fixture key
 * pool) with project `demo`, package `hello` and an owner's token; the CLI run in-process; a build's job
 * driven through the queue and log functions as an agent would.
 */
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { AppConfig, Db } from "@packyard/server";
import type { FastifyInstance } from "fastify";
import type { Command, CommandIo } from "../src/command.ts";
import { configCommand } from "../src/commands/config.ts";
import { loginCommand } from "../src/commands/login.ts";
import { remoteCommand } from "../src/commands/remote.ts";
import { uploadCommand } from "../src/commands/upload.ts";
import { COMMANDS, main, type MainStreams, parseCommandArgs } from "../src/main.ts";
import { exitCodeOf } from "../src/usage-error.ts";

// The server, its test keys and PostgreSQL are imported when a server starts, so that a CLI process run
// through runCli (interop/remote-action.test.ts spawns some) loads no more than the CLI does.

const MINE: readonly Command[] = [loginCommand, configCommand, uploadCommand, remoteCommand];

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `packyard ARGS` with `streams`: through main() once the command is registered there, else as main()
 * would (parse the command's flags, run it, report an error as report.ts does).
 */
export async function runCli(
  args: string[],
  env: Readonly<Record<string, string | undefined>>,
  streams: MainStreams,
  cwd: string,
): Promise<number> {
  if (COMMANDS.some((c) => c.name === args[0])) return main(args, env, streams, cwd);
  const command = MINE.find((c) => c.name === args[0]);
  if (command === undefined) return main(args, env, streams, cwd);
  const io: CommandIo = {
    out: (s) => streams.stdout.write(s),
    err: (s) => streams.stderr.write(s),
    env,
    cwd,
    debug: false,
    color: false,
    tty: false,
  };
  try {
    const { flags, positionals } = parseCommandArgs(command, args.slice(1));
    return (await command.run(flags, positionals, io)) ?? 0;
  } catch (e) {
    const { formatError } = await import("../src/report.ts");
    io.err(formatError(e, { debug: false, color: false }));
    return exitCodeOf(e);
  }
}

/** Runs `packyard ARGS` in-process in `cwd`, capturing its output (NO_COLOR, HOME = cwd). */
export async function cli(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const status = await runCli(
    args,
    { NO_COLOR: "1", HOME: cwd, ...env },
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    cwd,
  );
  return { status, stdout, stderr };
}

export const HELLO_CONFIG = `name: hello
version: 1.0.0
arch: all
maintainer: Packyard Test <test@packyard.invalid>
description: A test package
contents:
  - src: hello.txt
    dst: /usr/share/hello/hello.txt
`;

/** A server for the remote commands. */
export interface RemoteServer {
  app: FastifyInstance;
  db: Db;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** A token of project demo's owner (read, write, publish). */
  token: string;
  close(): Promise<void>;
}

/** Starts the server, with project `demo` and package `hello`. */
export async function startRemoteServer(t: TestContext): Promise<RemoteServer> {
  const {
    buildApp,
    createUser,
    issueToken,
    migrate,
    openPglite,
    openPostgres,
    serverLogger,
    systemClock,
    verifyMasterKey,
  } = await import("@packyard/server");
  const { memoryStorage } = await import("@packyard/repo");
  const { needPostgres, postgresUrl } = await import("@packyard/testkit/postgres");
  const { poolKeyGenerator } = await import("@packyard/testkit/key-pool");
  // PostgreSQL when DATABASE_URL is set (a database of this file's own; it starts in milliseconds where
  // PGlite takes seconds on a busy machine), else PGlite in memory. The CLI does not care which.
  const dbUrl = postgresUrl() !== undefined ? await needPostgres(t) : undefined;
  const db = dbUrl !== undefined ? await openPostgres({ connectionString: dbUrl }) : await openPglite();
  await migrate(db);
  const masterKey = { version: 1, bytes: new Uint8Array(32).fill(9) };
  await verifyMasterKey(db, masterKey, new Date());
  const config: AppConfig = { scrypt: { n: 1024, r: 8, p: 1 }, rateLimit: { max: 100_000 } };
  const app = await buildApp(
    {
      db,
      storage: memoryStorage(),
      masterKey,
      clock: systemClock,
      logger: serverLogger({ level: "silent" }),
      config,
      keyGenerator: poolKeyGenerator,
    },
    // Short SSE keepalives and polls, so streams notice state changes quickly.
    { builds: { logs: { keepaliveMs: 500, pollMs: 100, retryMs: 100 } } },
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  config.publicUrl = url;
  const owner = await createUser(
    db,
    { email: "owner@example.org", slug: "owner", isAdmin: false },
    new Date(),
  );
  const { token } = await issueToken(
    db,
    { userId: owner.id, name: "cli", scopes: ["read", "write", "publish"], projectId: null, expiresAt: null },
    new Date(),
  );
  const headers = { authorization: `Bearer ${token}` };
  const p = await fetch(`${url}/api/v1/projects`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ slug: "demo" }),
  });
  assert.equal(p.status, 201, await p.text());
  const pkg = await fetch(`${url}/api/v1/projects/demo/packages/hello`, {
    method: "PUT",
    headers: { ...headers, "content-type": "text/yaml" },
    body: HELLO_CONFIG,
  });
  assert.equal(pkg.status, 201, await pkg.text());
  return {
    app,
    db,
    url,
    token,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Waits until `check` holds (polling every 20 ms, up to 15 s). */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 750; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Claims the newest build's job as an agent would and returns the queue and log functions bound to it. */
export async function driveJob(db: Db) {
  const queue = await import("@packyard/server");
  const logs = queue;
  let claimed: Awaited<ReturnType<typeof queue.claimJob>>;
  await until(async () => {
    claimed = await queue.claimJob(db, {
      owner: "agent:test",
      agentId: null,
      projectId: null,
      labels: [],
      runsSteps: true,
    });
    return claimed !== undefined;
  }, "a job to claim");
  const job = claimed!;
  let chunk = 0;
  return {
    job,
    log: (stream: "stdout" | "stderr", lines: string[]) =>
      logs.appendLogs(db, {
        buildId: job.buildId,
        jobId: job.jobId,
        attempt: job.attempt,
        chunks: lines.map((text) => ({ chunk: chunk++, stream, text: `${text}\n` })),
      }),
    queue,
  };
}
