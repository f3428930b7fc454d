/** Bounded parallel work: how the engine writes blobs and the verifiers read packages, a few at a time. */

/**
 * Runs `work` on every item, at most `limit` at a time, and returns the results in the items' order. Items
 * start in order; once one fails, no further item starts, the ones running are awaited, and the failure of
 * the earliest failed item is thrown (the same error whatever the timing: every item before it had started).
 *
 * @example const infos = await mapLimited(files, 8, (f) => readPackage(f));
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const failures: { index: number; error: unknown }[] = [];
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, i);
      } catch (error) {
        failures.push({ index: i, error });
      }
    }
  };
  const lanes = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  if (failures.length > 0) throw failures.reduce((a, b) => (b.index < a.index ? b : a)).error;
  return results;
}

/**
 * Packages read whole at once while a publish plans (signature checks and signing of rpms, Arch packages
 * and apks): enough to overlap reads and WebCrypto's verifications on the thread pool with the main
 * thread, few enough that their decoders' windows (up to 128 MiB for a zstd --ultra package) stay bounded.
 */
export const PREPARE_CONCURRENCY = 4;

/** Work started ahead of a loop that awaits it item by item (see {@link prefetch}). */
export interface Prefetched<K, R> {
  /** The promise of the work for `key`, started now if it had not begun; undefined for a key not given. */
  get(key: K): Promise<R> | undefined;
  /** Starts nothing more (work under way finishes); call it when the loop ends, however it ends. */
  stop(): void;
}

/**
 * Starts `work` for the first item of each key (`keyOf` undefined or throwing: none), at most `limit` at a
 * time, in the items' order, for a loop that then awaits `get(key)` item by item: the loop sees each result
 * and each error where its sequential code would have, while the reads and signature checks of the items
 * after it run meanwhile. A rejection nobody awaits is not reported as unhandled.
 *
 * @example const ahead = prefetch(inputs, (i) => i.identity, 8, prepare); try { for (…) await ahead.get(id); } finally { ahead.stop(); }
 */
export function prefetch<T, K, R>(
  items: readonly T[],
  keyOf: (item: T) => K | undefined,
  limit: number,
  work: (item: T) => Promise<R>,
): Prefetched<K, R> {
  const entries = new Map<K, { item: T; promise?: Promise<R> }>();
  for (const item of items) {
    let key: K | undefined;
    try {
      key = keyOf(item);
    } catch {
      key = undefined;
    }
    if (key !== undefined && !entries.has(key)) entries.set(key, { item });
  }
  const queue = [...entries.values()];
  let stopped = false;
  const start = (entry: { item: T; promise?: Promise<R> }): Promise<R> => {
    if (entry.promise === undefined) {
      try {
        entry.promise = work(entry.item);
      } catch (e) {
        entry.promise = Promise.reject(e);
      }
      entry.promise.catch(() => {});
    }
    return entry.promise;
  };
  const lane = async (): Promise<void> => {
    for (let entry = queue.shift(); entry !== undefined && !stopped; entry = queue.shift()) {
      if (entry.promise !== undefined) continue;
      await start(entry).catch(() => {});
    }
  };
  for (let i = 0; i < Math.max(1, Math.floor(limit) || 1); i++) void lane();
  return {
    get(key) {
      const entry = entries.get(key);
      return entry === undefined ? undefined : start(entry);
    },
    stop() {
      stopped = true;
      queue.length = 0;
    },
  };
}

/**
 * Runs work under a budget of bytes: `run(n, work)` starts `work` once its `n` bytes fit beside those of
 * the work under way, or when nothing is under way (so one item larger than the budget still runs,
 * alone), in the order it was asked. With a count limit around it (mapLimited), many small items run at
 * once and few large ones.
 *
 * @example const run = byteBudget(256 * 1024 * 1024); await mapLimited(writes, 32, (w) => run(w.size, () => put(w)));
 */
export function byteBudget(max: number): <R>(n: number, work: () => Promise<R>) => Promise<R> {
  let used = 0;
  let running = 0;
  const waiting: { n: number; go: () => void }[] = [];
  const pump = (): void => {
    for (let next = waiting[0]; next !== undefined; next = waiting[0]) {
      if (running > 0 && used + next.n > max) return;
      waiting.shift();
      used += next.n;
      running++;
      next.go();
    }
  };
  return async (n, work) => {
    await new Promise<void>((go) => {
      waiting.push({ n, go });
      pump();
    });
    try {
      return await work();
    } finally {
      used -= n;
      running--;
      pump();
    }
  };
}
