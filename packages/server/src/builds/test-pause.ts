/**
 * Test-only pause point for the "server killed mid-publish" tests: a {@link Storage} wrapper that lets the
 * first `afterWrites` writes under `repos/` (the hosted repositories) complete, then announces the pause on
 * stderr and never finishes another write there, so a test can SIGKILL the server at a known point of a
 * publish. `packyard serve` wraps its storage with it only when PACKYARD_TEST_PAUSE_AFTER_WRITES is set;
 * PACKYARD_TEST_PAUSE_MATCH (a regular expression over the key) then counts only the writes whose key
 * matches, so a test can stop right after a named object (`-other\.xml\.gz$`) whatever else the publishes
 * wrote before it: a build's jobs publish one by one and how their publishes group varies from run to run.
 */
import type { Storage } from "@packyard/repo";

/** The line written to stderr once, when the pause begins. */
export const TEST_PAUSED_LINE = "PACKYARD_TEST_PAUSED";
/** Prefix of the line written to stderr for each counted write: `PACKYARD_TEST_WRITE <n> <method> <key>`. */
export const TEST_WRITE_LINE = "PACKYARD_TEST_WRITE";

/** Keys the pause counts: the hosted repositories' objects. */
const COUNTED_PREFIX = "repos/";

/** Options of {@link pausingStorage}: what is told, and where (default: lines on stderr). */
export interface PauseOptions {
  /** Called once when the pause begins (default: `PACKYARD_TEST_PAUSED` on stderr). */
  onPause?: () => void;
  /** Called after each counted write completes (default: `PACKYARD_TEST_WRITE <n> <method> <key>` on stderr). */
  onWrite?: (n: number, method: "put" | "create" | "delete", key: string) => void;
  /** Only writes whose key matches count towards the pause (all are reported); default: every write. */
  match?: RegExp;
}

/**
 * `storage` with a pause after the `afterWrites`-th completed write (put, create or delete) under `repos/`
 * (of those whose key matches `options.match`, when given):
 * that write returns as usual, then `PACKYARD_TEST_PAUSED\n` goes to stderr; every later write under `repos/`
 * returns a promise that never settles, writing nothing (a write already in flight when the pause begins
 * reaches the store but never returns). Reads, and writes elsewhere (uploads' blobs), go through unchanged.
 * With `afterWrites` 0 the pause begins at once. Each counted write is also reported (a line on stderr by
 * default), so a test can learn how many writes a whole publish makes by running one with a large
 * `afterWrites`.
 */
export function pausingStorage(storage: Storage, afterWrites: number, options: PauseOptions = {}): Storage {
  if (!Number.isSafeInteger(afterWrites) || afterWrites < 0)
    throw new TypeError(`pausingStorage: expected a whole number of writes >= 0, found ${afterWrites}`);
  const onPause = options.onPause ?? (() => process.stderr.write(`${TEST_PAUSED_LINE}\n`));
  const onWrite =
    options.onWrite ??
    ((n, method, key) => process.stderr.write(`${TEST_WRITE_LINE} ${n} ${method} ${key}\n`));
  let done = 0;
  let matched = 0;
  let paused = false;
  const pause = (): void => {
    if (paused) return;
    paused = true;
    onPause();
  };
  if (afterWrites === 0) pause();
  const never = <T>(): Promise<T> => new Promise<T>(() => {});
  const counted = async <T>(
    method: "put" | "create" | "delete",
    key: string,
    write: () => Promise<T>,
  ): Promise<T> => {
    if (!key.startsWith(COUNTED_PREFIX)) return write();
    if (paused) return never();
    const result = await write();
    if (paused) return never();
    done++;
    onWrite(done, method, key);
    if (options.match === undefined || options.match.test(key)) matched++;
    if (matched >= afterWrites) pause();
    return result;
  };
  return {
    description: storage.description,
    get: (key, o) => storage.get(key, o),
    head: (key) => storage.head(key),
    list: (prefix, o) => storage.list(prefix, o),
    put: (key, body, o) => counted("put", key, () => storage.put(key, body, o)),
    create: (key, body, o) => counted("create", key, () => storage.create(key, body, o)),
    delete: (key) => counted("delete", key, () => storage.delete(key)),
  };
}
