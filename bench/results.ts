/** bench/RESULTS.md: one section per scenario, replaced in place on each run. */

const start = (name: string): string => `<!-- bench:${name}:start -->`;
const end = (name: string): string => `<!-- bench:${name}:end -->`;

export const RESULTS_HEADER = `# Benchmark results

Written by \`npm run bench -- <scenario>\` (bench/run.ts): packyard and the native tool on the same
seeded payload, interleaved repetitions, medians of wall time and of peak RSS (\`/usr/bin/time -v\`).
A ratio below 1 means packyard was faster. Each scenario's section is rewritten when it is run again.
`;

/** Replaces (or appends) the section of `scenario` in the RESULTS.md text `doc`. */
export function replaceSection(doc: string, scenario: string, body: string): string {
  const block = `${start(scenario)}\n${body.trimEnd()}\n${end(scenario)}`;
  const base = doc.trim() === "" ? RESULTS_HEADER : doc;
  const i = base.indexOf(start(scenario));
  const j = base.indexOf(end(scenario));
  if (i >= 0 && j > i) return base.slice(0, i) + block + base.slice(j + end(scenario).length);
  return `${base.trimEnd()}\n\n${block}\n`;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of an empty list");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
