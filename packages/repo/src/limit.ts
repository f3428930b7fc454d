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
