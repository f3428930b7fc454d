/**
 * `packyard serve`'s work (commands/serve.ts describes the command): starts @packyard/server and waits for
 * SIGTERM or SIGINT. This is the one command that touches `process` beyond what main() passes: a server
 * has to hear the signals that stop it.
 */
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

  const { serverLogger, startServer } = await import("@packyard/server");
  const logger = serverLogger({ level, destination: { write: (line: string) => io.err(line) } });
  // Signals are heard from before the start, so one that arrives while the server starts stops it once
  // it listens instead of killing it half-way (with the lock and the database open).
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
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
    server.close().then(stopped, (e: unknown) => {
      logger.error({ err: e }, "stopping failed");
      stopped();
    });
  };
  const onTerm = () => stop("SIGTERM");
  const onInt = () => stop("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  try {
    server = await startServer({
      dataDir: text("data") ?? "packyard-data",
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
      print: (s) => io.out(s),
      logger,
    });
  } catch (e) {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
    throw e; // report.ts prints a ServerError with its code
  }
  if (requested !== undefined) {
    const signal = requested;
    requested = undefined;
    stop(signal);
  }
  await done;
  return 0;
};
