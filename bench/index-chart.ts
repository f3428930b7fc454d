/**
 * The index bench's report (issue 18 item 6): `bench/index-scaling.svg`, a plain hand-written SVG line
 * chart of the add-one time against the repository's size for packyard and each native tool, with the
 * native/packyard ratios labelled, and the `index` section of bench/RESULTS.md with every median and the
 * gates. Both are pure functions of an {@link IndexRun} (the same run gives the same bytes);
 * `node bench/index-chart.ts [RESULTS.json]` redraws the SVG from bench/out/index-results.json.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type Family = "deb" | "rpm" | "archlinux";

/** One timed side of a case: packyard's CLI, packyard in-process, or a native tool. */
export interface SideResult {
  label: string;
  tool: "packyard" | "in-process" | "native";
  /** Wall seconds of each repetition (in-process: the `publish()` call's milliseconds / 1000). */
  samples: number[];
  medianSeconds: number;
  /** Median peak RSS of the process(es), MiB. */
  medianRssMiB: number;
  /** In-process only: median milliseconds reading the package before `publish()`. */
  medianReadMs?: number;
}

/** One race: a first publish of N packages, or adding one package to N. */
export interface CaseResult {
  id: string;
  kind: "first" | "add";
  family: Family;
  n: number;
  /** The repository's records were generated (cloned), not published from package files. */
  generated?: boolean;
  sides: SideResult[];
}

/** What one `npm run bench -- index` measured. */
export interface IndexRun {
  date: string;
  commit: string;
  machine: string;
  versions: string[];
  /** 1-minute load average at the start of each repetition. */
  loads: number[];
  cases: CaseResult[];
  /** The exact commands, one line each. */
  commands: string[];
  notes: string[];
}

const FAMILY_NAMES: Record<Family, string> = { deb: "APT", rpm: "RPM-MD", archlinux: "pacman" };
const FAMILY_COLORS: Record<Family, string> = { deb: "#c0392b", rpm: "#2471a3", archlinux: "#1e8449" };

/** Text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A number as SVG writes it: at most 2 decimals, no trailing zeros. */
function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Maps [lo, hi] (both > 0) logarithmically onto [a, b]. */
export function logScale(lo: number, hi: number, a: number, b: number): (v: number) => number {
  if (!(lo > 0 && hi > lo)) throw new RangeError(`logScale: expected 0 < lo < hi, found ${lo}, ${hi}`);
  const l = Math.log(lo);
  const span = Math.log(hi) - l;
  return (v) => a + ((Math.log(v) - l) / span) * (b - a);
}

/** Maps [0, hi] linearly onto [a, b]. */
export function linearScale(hi: number, a: number, b: number): (v: number) => number {
  if (!(hi > 0)) throw new RangeError(`linearScale: expected hi > 0, found ${hi}`);
  return (v) => a + (v / hi) * (b - a);
}

/** Round tick values from 0 covering `max` (steps of 1, 2 or 5 × 10^k, at most about 6 ticks). */
export function niceTicks(max: number): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const v = Math.round(i * step * 1e9) / 1e9;
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

/** One line of the chart: a tool's add-one medians by repository size. */
export interface Series {
  family: Family;
  label: string;
  tool: SideResult["tool"];
  native: boolean;
  points: { n: number; seconds: number; generated: boolean }[];
}

/** The add-one series of a run: packyard's CLI, its in-process `publish()` and each native tool, per family. */
export function addSeries(run: IndexRun): Series[] {
  const out = new Map<string, Series>();
  for (const c of run.cases) {
    if (c.kind !== "add") continue;
    for (const s of c.sides) {
      const key = `${c.family}\u0000${s.label}`;
      let series = out.get(key);
      if (series === undefined) {
        series = { family: c.family, label: s.label, tool: s.tool, native: s.tool === "native", points: [] };
        out.set(key, series);
      }
      series.points.push({ n: c.n, seconds: s.medianSeconds, generated: c.generated === true });
    }
  }
  for (const s of out.values()) s.points.sort((a, b) => a.n - b.n);
  return [...out.values()];
}

function formatN(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** The SVG chart of add-one time against repository size. Deterministic: no dates, no random ids. */
export function renderChart(run: IndexRun): string {
  const series = addSeries(run).filter((s) => s.points.length > 0);
  const W = 940;
  const H = 460;
  const m = { left: 64, right: 330, top: 40, bottom: 56 };
  const sizes = [...new Set(series.flatMap((s) => s.points.map((p) => p.n)))].sort((a, b) => a - b);
  const lo = sizes[0] ?? 1000;
  const hi = sizes.length > 1 ? sizes[sizes.length - 1]! : lo * 10;
  const maxS = Math.max(0.001, ...series.flatMap((s) => s.points.map((p) => p.seconds)));
  const ticks = niceTicks(maxS);
  const top = ticks[ticks.length - 1]!;
  const x = logScale(lo, hi, m.left + 20, W - m.right - 20);
  const y = linearScale(top, H - m.bottom, m.top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml("Adding one package: time against repository size")}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">${escapeXml("Add one package to a repository of N packages (median wall s)")}</text>`,
  );
  for (const t of ticks) {
    const ty = num(y(t));
    out.push(
      `<line x1="${m.left}" y1="${ty}" x2="${W - m.right}" y2="${ty}" stroke="#dddddd"/>`,
      `<text x="${m.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${escapeXml(num(t))}</text>`,
    );
  }
  for (const n of sizes) {
    const tx = num(x(n));
    out.push(
      `<line x1="${tx}" y1="${m.top}" x2="${tx}" y2="${H - m.bottom}" stroke="#eeeeee"/>`,
      `<text x="${tx}" y="${H - m.bottom + 16}" text-anchor="middle">${escapeXml(formatN(n))}</text>`,
    );
  }
  out.push(
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#333333"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#333333"/>`,
    `<text x="${num((m.left + W - m.right) / 2)}" y="${H - 14}" text-anchor="middle">${escapeXml("packages in the repository (log scale)")}</text>`,
    `<text x="16" y="${num((m.top + H - m.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 16 ${num((m.top + H - m.bottom) / 2)})">${escapeXml("seconds")}</text>`,
  );
  const packyardAt = new Map<string, number>();
  for (const s of series)
    if (s.tool === "packyard") for (const p of s.points) packyardAt.set(`${s.family}:${p.n}`, p.seconds);
  const nativeRank = new Map<string, number>();
  let legendY = m.top + 6;
  for (const s of series) {
    const color = FAMILY_COLORS[s.family];
    const rank = s.native ? (nativeRank.get(s.family) ?? 0) : 0;
    if (s.native) nativeRank.set(s.family, rank + 1);
    const dash =
      s.tool === "in-process"
        ? ` stroke-dasharray="2 3"`
        : s.native
          ? ` stroke-dasharray="${rank === 0 ? "7 4" : "12 3 2 3"}"`
          : "";
    const width = s.tool === "in-process" ? 1.5 : 2;
    const pts = s.points.map((p) => `${num(x(p.n))},${num(y(p.seconds))}`).join(" ");
    out.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="${width}"${dash}/>`);
    for (const p of s.points) {
      const cx = num(x(p.n));
      const cy = num(y(p.seconds));
      out.push(
        s.native
          ? `<rect x="${num(x(p.n) - 3.5)}" y="${num(y(p.seconds) - 3.5)}" width="7" height="7" fill="${color}"/>`
          : `<circle cx="${cx}" cy="${cy}" r="${s.tool === "in-process" ? 2.5 : 3.5}" fill="${p.generated ? "#ffffff" : color}" stroke="${color}"/>`,
      );
      const base = packyardAt.get(`${s.family}:${p.n}`);
      if (s.native && base !== undefined && base > 0) {
        out.push(
          `<text x="${num(x(p.n) + 6)}" y="${num(y(p.seconds) - 6 - 12 * rank)}" fill="${color}">${escapeXml(`${(p.seconds / base).toFixed(1)}×`)}</text>`,
        );
      }
    }
    const lx = W - m.right + 14;
    out.push(
      `<line x1="${lx}" y1="${legendY}" x2="${lx + 24}" y2="${legendY}" stroke="${color}" stroke-width="${width}"${dash}/>`,
      `<text x="${lx + 30}" y="${legendY}" dominant-baseline="middle">${escapeXml(`${FAMILY_NAMES[s.family]}: ${s.label}`)}</text>`,
    );
    legendY += 18;
  }
  const foot = [
    "Labels: native time ÷ packyard CLI time at that size.",
    "Dotted: publish() in-process (the 100 ms gate).",
    "Hollow points: records generated, not published from files.",
  ];
  for (const line of foot) {
    out.push(`<text x="${W - m.right + 14}" y="${legendY + 8}" font-size="10">${escapeXml(line)}</text>`);
    legendY += 14;
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

const s3 = (v: number): string => v.toFixed(3);

/** The median of a case's side, by label. */
function side(c: CaseResult | undefined, label: string): SideResult | undefined {
  return c?.sides.find((s) => s.label === label);
}

/** One gate line: what is compared, the measured ratio or value, and whether it holds. */
export interface Gate {
  text: string;
  value: string;
  holds: boolean | undefined;
}

/** The index gates of issue 18, evaluated on a run (undefined: not measured in this run). */
export function gates(run: IndexRun): Gate[] {
  const maxN = Math.max(0, ...run.cases.filter((c) => !c.generated).map((c) => c.n));
  const find = (kind: CaseResult["kind"], family: Family) =>
    run.cases.find((c) => c.kind === kind && c.family === family && c.n === maxN && !c.generated);
  const out: Gate[] = [];
  const ratio = (c: CaseResult | undefined, native: string, need: number, text: string): void => {
    const p = c?.sides.find((s) => s.tool === "packyard");
    const nat = side(c, native);
    if (p === undefined || nat === undefined) {
      out.push({ text, value: "not measured", holds: undefined });
      return;
    }
    const r = nat.medianSeconds / p.medianSeconds;
    out.push({
      text,
      value: `${r.toFixed(2)}× (${s3(nat.medianSeconds)} / ${s3(p.medianSeconds)} s)`,
      holds: r >= need,
    });
  };
  // A first publish is judged at the largest size its native tool was raced at (repo-add's may be smaller).
  const first = (family: Family, native: string) =>
    run.cases
      .filter((c) => c.kind === "first" && c.family === family && side(c, native) !== undefined)
      .sort((a, b) => b.n - a.n)[0];
  const firstGate = (family: Family, native: string, what: string, tool: string): void => {
    const c = first(family, native);
    const n = c?.n ?? maxN;
    const where = n < maxN ? ` (raced at ${n}, not ${maxN})` : "";
    ratio(c, native, 2, `first publish of ${n} ${what} ≥ 2× faster than ${tool}${where}`);
  };
  firstGate("deb", "apt-ftparchive + gpg", "debs", "apt-ftparchive packages+release+gpg");
  firstGate("rpm", "createrepo_c", "rpms", "createrepo_c --no-database");
  firstGate("archlinux", "repo-add", "Arch packages", "repo-add");
  for (const family of ["deb", "rpm", "archlinux"] as const) {
    const c = find("add", family);
    const ip = c?.sides.find((s) => s.tool === "in-process");
    out.push({
      text: `add one ${family} package to ${maxN}: ≤ 100 ms of publish work in-process`,
      value: ip === undefined ? "not measured" : `${(ip.medianSeconds * 1000).toFixed(0)} ms`,
      holds: ip === undefined ? undefined : ip.medianSeconds <= 0.1,
    });
  }
  ratio(
    find("add", "rpm"),
    "createrepo_c --update",
    5,
    `add one rpm to ${maxN}: CLI ≥ 5× faster than createrepo_c --update`,
  );
  ratio(
    find("add", "archlinux"),
    "repo-add",
    50,
    `add one Arch package to ${maxN}: CLI ≥ 50× faster than repo-add`,
  );
  const deb = find("add", "deb");
  const p = deb?.sides.find((s) => s.tool === "packyard");
  const rr = side(deb, "reprepro includedeb");
  out.push({
    text: `add one deb to ${maxN}: beside reprepro includedeb (reported, no gate)`,
    value:
      p && rr
        ? `${(rr.medianSeconds / p.medianSeconds).toFixed(2)}× (${s3(rr.medianSeconds)} / ${s3(p.medianSeconds)} s)`
        : "not measured",
    holds: undefined,
  });
  return out;
}

/** The `index` section of bench/RESULTS.md. */
export function renderSection(run: IndexRun, name = "index"): string {
  const rows = run.cases.flatMap((c) => {
    const p = c.sides.find((s) => s.tool === "packyard");
    return c.sides.map((s) => {
      const ratio =
        p === undefined || s === p
          ? ""
          : s.tool === "in-process"
            ? `${(s.medianSeconds * 1000).toFixed(1)} ms publish() (+ ${s.medianReadMs?.toFixed(1) ?? "?"} ms read)`
            : `${(s.medianSeconds / p.medianSeconds).toFixed(2)}×`;
      const what =
        c.kind === "first"
          ? `first publish of ${c.n}`
          : `add one to ${c.n}${c.generated ? " (generated records)" : ""}`;
      return `| ${FAMILY_NAMES[c.family]} | ${what} | ${escapeCell(s.label)} | ${s.samples.length} | ${s3(s.medianSeconds)} | ${ratio} | ${s.medianRssMiB.toFixed(1)} |`;
    });
  });
  const gateRows = gates(run).map(
    (g) =>
      `| ${escapeCell(g.text)} | ${g.value} | ${g.holds === undefined ? "—" : g.holds ? "holds" : "**fails**"} |`,
  );
  return [
    `## ${name}`,
    "",
    "Repository indexes (issue 18 item 6): `packyard publish` (the CLI from dist/, end to end) against the native indexers on the same seeded corpus of real packages built by packyard (bench/index-corpus.ts), interleaved repetitions, untimed set-up between them (each add-one repetition starts from a fresh copy of the same prepared repository). Ratio: the side's median ÷ packyard CLI's median (above 1: packyard is faster); in-process rows time `publish()` alone (bench/drivers/index-add.ts). Chart: bench/index-scaling.svg.",
    "",
    "| family | case | side | reps | median s | ratio to packyard | median peak RSS MiB |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    "Gates:",
    "",
    "| gate | measured | status |",
    "| --- | --- | --- |",
    ...gateRows,
    "",
    ...(run.notes.length > 0 ? ["Notes:", ...run.notes.map((n) => `- ${n}`), ""] : []),
    "Commands (CORPUS = bench/out/index-corpus/<family>-<N>, WORK = a fresh copy of the prepared repository, EXTRA = the added package):",
    ...run.commands.map((c) => `- ${c}`),
    "",
    `Run ${run.date} at commit ${run.commit}. Machine: ${run.machine}. 1-minute load at the start of each repetition: ${run.loads.map((l) => l.toFixed(2)).join(", ")}.`,
    "",
    "Versions:",
    ...run.versions.map((v) => `- ${v}`),
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const file = process.argv[2] ?? `${root}bench/out/index-results.json`;
  const run = JSON.parse(readFileSync(file, "utf8")) as IndexRun;
  writeFileSync(`${root}bench/index-scaling.svg`, renderChart(run));
  process.stdout.write(`${renderSection(run)}\n`);
}
