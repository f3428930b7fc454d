/**
 * Turns an error into what the user reads: one paragraph saying what went wrong, where, and what was
 * expected and found. Stack traces (and causes) only with --debug.
 */
import { FormatError, isPackyardError, type PackyardErrorAny } from "./formats.ts";
import { errorLabel } from "./paint.ts";
import { isRepoError, type RepoError } from "./repo.ts";
import { formatUsageError, UsageError } from "./usage-error.ts";

function show(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * Where the error happened, from its data: `field deb.compression`, `path bin/hello`, `offset 512`, and
 * for a repository error the storage `key` and `suite`. A reader's FormatError names a member or entry of
 * the package in `path` (`data.tar.xz`, `./usr/bin/x`): that is shown as `in data.tar.xz`.
 */
function where(e: PackyardErrorAny | RepoError | ServerErrorLike, message: string): string[] {
  const data = e.data;
  const parts: string[] = [];
  for (const key of ["field", "path", "offset", "key", "suite"] as const) {
    const v = data[key];
    if (v === undefined || message.includes(String(v))) continue;
    parts.push(`${key === "path" && e instanceof FormatError ? "in" : key} ${show(v)}`);
  }
  if (!/expected/i.test(message)) {
    for (const key of ["expected", "found"] as const) {
      const v = data[key];
      if (v !== undefined && !message.includes(show(v))) parts.push(`${key} ${show(v)}`);
    }
  }
  return parts;
}

/**
 * A @packyard/server error (`packyard serve`), recognized by its shape so that reporting an error never
 * loads the server: name `ServerError`, a string `code` and a `data` object, as the server's own
 * `isServerError` checks.
 */
interface ServerErrorLike extends Error {
  code: string;
  data: Record<string, unknown>;
}
function isServerError(e: unknown): e is ServerErrorLike {
  return (
    e instanceof Error &&
    e.name === "ServerError" &&
    typeof (e as ServerErrorLike).code === "string" &&
    typeof (e as ServerErrorLike).data === "object" &&
    (e as ServerErrorLike).data !== null
  );
}

/** Node's own system errors (ENOENT, EACCES, ...) raised by the CLI's file operations. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && "syscall" in e;
}

/** The text printed to stderr for `e`, ending with a newline. */
export function formatError(e: unknown, opts: { debug: boolean; color: boolean }): string {
  if (e instanceof UsageError) return formatUsageError(e, opts);
  const label = errorLabel(opts.color);
  let text: string;
  if (isPackyardError(e) || isRepoError(e) || isServerError(e)) {
    const extra = where(e, e.message);
    const file =
      typeof e.data.file === "string" && !e.message.includes(e.data.file) ? `${e.data.file}: ` : "";
    text = `${label} ${file}${e.message}${extra.length > 0 ? ` (${extra.join("; ")})` : ""} [${e.name} ${e.code}]`;
  } else if (isSystemError(e)) {
    text = `${label} ${e.message}`;
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    text = `${label} internal error: ${msg}${opts.debug ? "" : "\nThis is a bug in packyard; run again with --debug for the stack trace and report it."}`;
  }
  if (opts.debug && e instanceof Error) {
    text += `\n${e.stack ?? ""}`;
    let cause: unknown = e.cause;
    while (cause !== undefined) {
      text += `\ncaused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : show(cause)}`;
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
  return `${text}\n`;
}

/**
 * `e`, marked as being about the package file `file` (as the user typed it), so its message starts with
 * `FILE: `: a reader's error names the member, not the file the user gave. Returns `e` for rethrowing.
 */
export function aboutFile(file: string, e: unknown): unknown {
  if ((isPackyardError(e) || isRepoError(e)) && e.data.file === undefined) e.data.file = file;
  return e;
}

/**
 * One `error:` paragraph for a failure the command reports itself and then exits 1 on (a hook that
 * failed after the publish was done), ending with a newline.
 */
export function formatFailure(message: string, opts: { color: boolean }): string {
  return `${errorLabel(opts.color)} ${message}\n`;
}
