// A node:test reporter beside the spec reporter: at the end of a run it prints the test files that took
// longest (each file's wall time, from its test:summary event), so a CI log's tail shows where the suite's
// time goes. Used by scripts/test.ts; writes nothing until the run ends.

/** The events this reporter reads (node:test's reporter stream). */
interface TestEvent {
  type: string;
  data: { file?: string; duration_ms?: number };
}

/** How many files the summary names. */
const SHOWN = 25;

export default async function* fileTimes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const byFile = new Map<string, number>();
  let total: number | undefined;
  for await (const event of source) {
    if (event.type !== "test:summary") continue;
    const { file, duration_ms: ms } = event.data;
    if (file === undefined) total = ms;
    else byFile.set(file, (byFile.get(file) ?? 0) + (ms ?? 0));
  }
  const root = new URL("..", import.meta.url).pathname;
  const rows = [...byFile].sort((a, b) => b[1] - a[1]);
  const sum = rows.reduce((s, [, ms]) => s + ms, 0);
  yield `\nslowest test files (wall time each; ${rows.length} files, ${(sum / 1000).toFixed(0)} s summed, ${((total ?? 0) / 1000).toFixed(0)} s for the run, two at a time):\n`;
  for (const [file, ms] of rows.slice(0, SHOWN))
    yield `${(ms / 1000).toFixed(1).padStart(8)} s  ${file.startsWith(root) ? file.slice(root.length) : file}\n`;
}
