/**
 * Peak memory of a build (issue 18 item 4): `node bench/drivers/memory.ts [--files N] [--mib M]
 * [--node-flags "..."] [PACKAGER...]` generates a tree of N files (default 20,000) totalling about M MiB
 * (default 300) in a temp folder (after checking free disk), builds each packager from it in a child
 * process (memory-child.mjs: the emitted JavaScript's build API, as the CLI runs it; `npm run build`
 * first) and prints each child's peak resident set (VmHWM) and time, then removes the tree. Default
 * packagers: deb rpm archlinux apk macos tar.gz zip; default node flags: --max-semi-space-size=1.
 *
 * The tree: 200 folders; one file in a thousand is 10 MiB, the rest 0.5-10 KiB; each 4 KiB page is
 * either random (one in four) or text, so compressors neither skip it nor crawl.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const MiB = 1024 * 1024;
const { values, positionals } = parseArgs({
  options: {
    files: { type: "string", default: "20000" },
    mib: { type: "string", default: "300" },
    "node-flags": { type: "string", default: "--max-semi-space-size=1" },
  },
  allowPositionals: true,
});
const files = Number(values.files);
const totalBytes = Number(values.mib) * MiB;
const packagers =
  positionals.length > 0 ? positionals : ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"];
const nodeFlags = values["node-flags"].split(/\s+/).filter((f) => f !== "");

/** xorshift32: the same tree on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

function generate(root: string): number {
  const next = prng(0x5eed);
  const text = new TextEncoder().encode(
    "the quick brown fox jumps over the lazy dog; packyard memory line\n".repeat(80),
  );
  const big = Math.max(1, Math.floor(files / 1000));
  const bigSize = 10 * MiB;
  const smallAverage = Math.max(512, Math.floor((totalBytes - big * bigSize) / Math.max(1, files - big)));
  let total = 0;
  for (let i = 0; i < files; i++) {
    const dir = join(root, `d${String(i % 200).padStart(3, "0")}`);
    if (i < 200) mkdirSync(dir, { recursive: true });
    const size = i % 1000 === 999 ? bigSize : 512 + (next() % (2 * (smallAverage - 512) + 1));
    const out = new Uint8Array(size);
    for (let p = 0; p < size; p += 4096) {
      const len = Math.min(4096, size - p);
      if (next() % 4 === 0) {
        for (let k = 0; k < len; k++) out[p + k] = next() & 0xff;
      } else {
        const o = next() % 64;
        out.set(text.subarray(o, o + len), p);
      }
    }
    writeFileSync(join(dir, `f${String(i).padStart(5, "0")}.dat`), out);
    total += size;
  }
  return total;
}

const base = tmpdir();
const fs = statfsSync(base);
const free = fs.bavail * fs.bsize;
// The tree, plus the largest package (about the tree again) and a temp spool.
if (free < 3 * totalBytes) {
  process.stderr.write(
    `memory: needs ${Math.ceil((3 * totalBytes) / MiB)} MiB free in ${base}, has ${Math.floor(free / MiB)}\n`,
  );
  process.exit(1);
}
const work = mkdtempSync(join(base, "packyard-memory-"));
try {
  const tree = join(work, "tree");
  const generated = generate(tree);
  process.stdout.write(
    `tree: ${files} files, ${(generated / MiB).toFixed(0)} MiB; node flags: ${nodeFlags.join(" ") || "(none)"}\n`,
  );
  process.stdout.write("| packager | peak RSS MiB | s |\n| --- | ---: | ---: |\n");
  const child = new URL("./memory-child.mjs", import.meta.url).pathname;
  for (const packager of packagers) {
    const out = join(work, `out-${packager}`);
    mkdirSync(out);
    const r = spawnSync(process.execPath, [...nodeFlags, child, packager, tree, out], { encoding: "utf8" });
    rmSync(out, { recursive: true, force: true });
    if (r.status !== 0) {
      process.stdout.write(
        `| ${packager} | failed (${r.status}): ${r.stderr.trim().split("\n").pop()} | |\n`,
      );
      continue;
    }
    const { vmHwmKiB, seconds } = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      vmHwmKiB: number;
      seconds: number;
    };
    process.stdout.write(`| ${packager} | ${(vmHwmKiB / 1024).toFixed(0)} | ${seconds.toFixed(1)} |\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
