import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addSeries,
  escapeXml,
  gates,
  type IndexRun,
  linearScale,
  logScale,
  niceTicks,
  renderChart,
  renderSection,
} from "../index-chart.ts";

const side = (label: string, tool: "packyard" | "in-process" | "native", seconds: number) => ({
  label,
  tool,
  samples: [seconds, seconds],
  medianSeconds: seconds,
  medianRssMiB: 10,
});

/** A run with every gate's case at 5,000, add-one at 1,000 and 5,000, and a generated 50,000. */
function sampleRun(): IndexRun {
  return {
    date: "2026-12-06",
    commit: "abc1234",
    machine: "2 cores <test & machine>",
    versions: ["node: v24"],
    loads: [0.5],
    commands: ["a <b> & 'c'"],
    notes: [],
    cases: [
      {
        id: "first-deb-5000",
        kind: "first",
        family: "deb",
        n: 5000,
        sides: [side("packyard publish", "packyard", 2), side("apt-ftparchive + gpg", "native", 5)],
      },
      {
        id: "first-rpm-5000",
        kind: "first",
        family: "rpm",
        n: 5000,
        sides: [side("packyard publish", "packyard", 4), side("createrepo_c", "native", 6)],
      },
      ...[1000, 5000].map((n) => ({
        id: `add-archlinux-${n}`,
        kind: "add" as const,
        family: "archlinux" as const,
        n,
        sides: [
          side("packyard publish", "packyard", n / 10000),
          side("publish() in-process", "in-process", 0.05),
          side('repo-add <"&">', "native", n / 1000),
        ],
      })),
      {
        id: "add-archlinux-50000",
        kind: "add",
        family: "archlinux",
        n: 50000,
        generated: true,
        sides: [side("packyard publish", "packyard", 1.5), side("publish() in-process", "in-process", 0.9)],
      },
    ],
  };
}

/** Tag balance of a small XML document (no comments, CDATA or processing instructions expected). */
function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(xml); m !== null; m = tag.exec(xml)) {
    const between = xml.slice(last, m.index);
    assert.ok(!between.includes("<") && !between.includes(">"), `stray angle bracket before ${m[0]}`);
    assert.ok(!/&(?!#\d+;|amp;|lt;|gt;|quot;|apos;)/.test(between), `raw & in text before ${m[0]}`);
    if (m[1] === "/") assert.equal(stack.pop(), m[2], `closing ${m[2]}`);
    else if (m[4] !== "/") stack.push(m[2]!);
    last = m.index + m[0].length;
  }
  assert.equal(xml.slice(last).trim(), "", "nothing after the root element");
  assert.deepEqual(stack, [], "every element closed");
}

test("the chart is well-formed SVG with one line per tool and family, and deterministic", () => {
  const svg = renderChart(sampleRun());
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  checkWellFormed(svg);
  // Arch: packyard CLI and in-process (1k, 5k, 50k: circles) and repo-add (1k, 5k: squares).
  assert.equal(svg.match(/<polyline /g)?.length, 3);
  assert.equal(svg.match(/<circle /g)?.length, 6);
  assert.equal(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="7"/g)?.length, 2);
  assert.equal(renderChart(sampleRun()), svg);
});

test("ratios are labelled at the native points: native time over packyard's at that size", () => {
  const svg = renderChart(sampleRun());
  // 1000: 1 s / 0.1 s; 5000: 5 s / 0.5 s.
  assert.equal(svg.match(/>10\.0×</g)?.length, 2);
});

test("text is escaped in the chart and the hand-written checker catches a raw one", () => {
  const svg = renderChart(sampleRun());
  assert.ok(svg.includes("repo-add &#60;&#34;&#38;&#34;&#62;"));
  assert.ok(!svg.includes('repo-add <"&">'));
  assert.equal(escapeXml(`a<b>&"c"'d'`), "a&#60;b&#62;&#38;&#34;c&#34;&#39;d&#39;");
  assert.throws(() => checkWellFormed("<svg><text>a & b</text></svg>"));
  assert.throws(() => checkWellFormed("<svg><g></svg>"));
});

test("axes: log scale for sizes, linear from 0 for seconds, round ticks", () => {
  const x = logScale(1000, 100000, 0, 200);
  assert.equal(x(1000), 0);
  assert.equal(x(100000), 200);
  assert.ok(Math.abs(x(10000) - 100) < 1e-9, "the geometric middle is the middle");
  assert.throws(() => logScale(0, 10, 0, 1));
  const y = linearScale(4, 400, 0);
  assert.equal(y(0), 400);
  assert.equal(y(4), 0);
  assert.equal(y(1), 300);
  assert.deepEqual(niceTicks(4.3), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(niceTicks(0.37), [0, 0.1, 0.2, 0.3, 0.4]);
  assert.deepEqual(niceTicks(10), [0, 2, 4, 6, 8, 10]);
  for (const max of [0.013, 0.9, 7, 123, 5555]) {
    const t = niceTicks(max);
    assert.ok(t[t.length - 1]! >= max && t.length <= 7, `ticks of ${max}: ${t}`);
  }
});

test("series take the add-one cases only, sorted by size, generated points marked", () => {
  const s = addSeries(sampleRun());
  assert.deepEqual(
    s.map((x) => [x.label, x.tool, x.points.map((p) => p.n)]),
    [
      ["packyard publish", "packyard", [1000, 5000, 50000]],
      ["publish() in-process", "in-process", [1000, 5000, 50000]],
      ['repo-add <"&">', "native", [1000, 5000]],
    ],
  );
  assert.equal(s[0]!.points[2]!.generated, true);
});

test("gates: ratios at the largest real size, unmeasured ones said so", () => {
  const run = sampleRun();
  run.cases[3]!.sides[2]!.label = "repo-add";
  const g = gates(run);
  const by = (start: string) => g.find((x) => x.text.startsWith(start))!;
  assert.equal(by("first publish of 5000 debs").holds, true); // 5 / 2 = 2.5
  assert.equal(by("first publish of 5000 rpms").holds, false); // 6 / 4 = 1.5
  assert.equal(by("first publish of 5000 Arch").holds, undefined);
  assert.equal(by("add one archlinux package to 5000").holds, true); // 50 ms
  assert.equal(by("add one Arch package to 5000").value.startsWith("10.00×"), true);
  assert.equal(by("add one Arch package to 5000").holds, false); // needs 50×
  const section = renderSection(run);
  assert.ok(section.startsWith("## index\n"));
  assert.ok(
    section.includes("| pacman | add one to 50000 (generated records) | packyard publish | 2 | 1.500 |"),
  );
  assert.ok(section.includes("**fails**") && section.includes("| holds |"));
});
