/**
 * What `packyard publish` and the changing `packyard repo` commands share around the engine call: the
 * storage and lock from the settings, progress on stderr, the result as JSON or one summary line, and the
 * `--after-publish` hook.
 */
import { runAfterPublish } from "./after-publish.ts";
import type { CommandIo } from "./command.ts";
import { PublishProgressView } from "./publish-progress.ts";
import type { RepoSettings } from "./publish-settings.ts";
import { formatFailure } from "./report.ts";
import {
  type PackageSelector,
  type PublishInput,
  type PublishLock,
  type PublishOptions,
  type S3Credentials,
  type PublishProgress,
  type PublishResult,
  type Storage,
  storageFromUrl,
  storageLock,
} from "./repo.ts";

/** The repository the settings name, and how to lock it. */
export interface OpenedRepository {
  storage: Storage;
  locking: { lock: PublishLock | false; lockTimeoutMs?: number };
}

/**
 * S3 credentials from the command's environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN), so the environment main() was given is the one used; without them the SDK's own
 * chain (profiles, SSO, instance roles) applies.
 */
function envCredentials(env: CommandIo["env"]): S3Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId === undefined || accessKeyId === "" || secretAccessKey === undefined) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Opens the storage `--to` names (S3 options from the flags) and its lock (`--no-lock`: none). */
export function openRepository(settings: RepoSettings, io: CommandIo): OpenedRepository {
  const t = settings.target;
  const credentials = envCredentials(io.env);
  const region = t.region ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  const storage = storageFromUrl(t.to, {
    cwd: io.cwd,
    ...(t.endpoint !== undefined ? { endpoint: t.endpoint } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(t.pathStyle !== undefined ? { pathStyle: t.pathStyle } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
  });
  return {
    storage,
    locking: {
      lock: settings.lock ? storageLock(storage) : false,
      ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
    },
  };
}

/** What `packyard publish` asks of the engine besides the signers, the lock and the progress callback. */
export type PublishRequest = Omit<
  PublishOptions,
  "signers" | "apkSigner" | "lock" | "lockTimeoutMs" | "onProgress"
> & {
  keyName?: string;
};

/** A repository family, as PackageSelector names it. */
export type Family = NonNullable<PackageSelector["family"]>;

/** The family whose repositories take packages of `format` (`apk` → `alpine`). */
export function familyOf(format: string): Family | undefined {
  if (format === "deb" || format === "rpm" || format === "archlinux") return format;
  return format === "apk" ? "alpine" : undefined;
}

/** The families the inputs go to, in the order deb, rpm, archlinux, alpine. */
export function familiesOf(add: readonly PublishInput[]): Family[] {
  const found = new Set(add.map((i) => familyOf(i.info.format)));
  return (["deb", "rpm", "archlinux", "alpine"] as const).filter((f) => found.has(f));
}

/**
 * The engine request for adding `add` with these settings. Each family's settings go only with its
 * packages (the APT ones with debs, the RPM-MD ones with rpms, the pacman ones with Arch packages, the
 * Alpine ones with apks), so that a publish of one family never creates an empty suite or root of another.
 * rpms and apks go without a target when none is configured: the engine then uses the repository's
 * targets, or refuses listing the known ones.
 */
export function publishRequest(settings: RepoSettings, add: readonly PublishInput[]): PublishRequest {
  const families = familiesOf(add);
  return {
    add,
    ...(families.includes("deb") || families.length === 0 ? { apt: settings.apt } : {}),
    ...(families.includes("rpm") ? { rpm: settings.rpm } : {}),
    ...(families.includes("archlinux") ? { archlinux: settings.archlinux } : {}),
    ...(families.includes("alpine") ? { alpine: settings.alpine } : {}),
    replace: settings.replace,
    ...(settings.keep !== undefined ? { keep: settings.keep } : {}),
    ...(settings.graceMs !== undefined ? { graceMs: settings.graceMs } : {}),
    ...(settings.keyName !== undefined ? { keyName: settings.keyName } : {}),
  };
}

/** Runs `operation` with a progress view on stderr (a terminal only), cleared when it ends. */
export async function withProgress<T>(
  io: CommandIo,
  quiet: boolean,
  operation: (onProgress: ((p: PublishProgress) => void) | undefined) => Promise<T>,
): Promise<T> {
  if (quiet || !io.tty) return operation(undefined);
  const view = new PublishProgressView({
    write: io.err,
    tty: io.tty,
    ...(io.columns !== undefined ? { columns: io.columns } : {}),
  });
  try {
    return await operation((p) => view.event(p));
  } finally {
    view.finish();
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * One line about a result: `published to repo/ (deb/stable, rpm/el/9/x86_64): 2 added, 0 unchanged, 0
 * removed; 14 files changed`, with the old files deleted when there were any. The roots are the ones this
 * publish changed; a package counts once per root it went to (a noarch rpm: once per architecture).
 */
export function summaryLine(verb: string, to: string, r: PublishResult): string {
  const roots = r.roots.length > 0 ? ` (${r.roots.join(", ")})` : "";
  const deleted = r.deleted.length > 0 ? `, ${count(r.deleted.length, "old file")} deleted` : "";
  const nothing = r.written.length === 0 ? " (nothing to change)" : "";
  const downloads =
    r.downloads !== undefined
      ? `, ${count(r.downloads.added.length, "download")} added${r.downloads.unchanged.length > 0 ? ` (${r.downloads.unchanged.length} unchanged)` : ""}`
      : "";
  return `${verb} ${to}${roots}: ${r.added.length} added, ${r.unchanged.length} unchanged, ${r.removed.length} removed${downloads}; ${count(r.changedKeys.length, "file")} changed${deleted}${nothing}\n`;
}

/**
 * Reports a finished publish (JSON on stdout with `--json`, else the summary line on stderr unless
 * quiet), then runs the after-publish hook. Returns the exit code: 1 when the hook failed, the publish
 * itself being done.
 */
export async function finishPublish(
  result: PublishResult,
  settings: RepoSettings,
  io: CommandIo,
  opts: { json: boolean; quiet: boolean; verb: string },
): Promise<number> {
  // Warnings print even with -q, as the build's do.
  for (const w of result.warnings ?? []) io.err(`warning: ${w.message} [${w.code}]\n`);
  if (opts.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else if (!opts.quiet) io.err(summaryLine(opts.verb, settings.target.to, result));
  const command = settings.afterPublish;
  if (command === undefined) return 0;
  const done = `the publish itself is done (${count(result.changedKeys.length, "changed file")})`;
  try {
    const outcome = await runAfterPublish({
      command,
      changedKeys: result.changedKeys,
      repository: settings.target.to,
      env: io.env,
      cwd: io.cwd,
      output: io.err,
    });
    if (outcome.status === 0) return 0;
    const how =
      outcome.signal !== null ? `was ended by ${outcome.signal}` : `exited with status ${outcome.status}`;
    io.err(formatFailure(`after-publish command \`${command}\` ${how}; ${done}`, { color: io.color }));
  } catch (e) {
    io.err(
      formatFailure(
        `after-publish command \`${command}\` could not be run (${(e as Error).message}); ${done}`,
        {
          color: io.color,
        },
      ),
    );
  }
  return 1;
}
