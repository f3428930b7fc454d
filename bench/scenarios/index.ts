/**
 * Repository indexes (issue 18 item 6): `npm run bench -- index` races, in one run with interleaved
 * repetitions, `packyard publish` (the emitted CLI, end to end) against the native indexers on the same
 * seeded corpus of real packages (bench/index-corpus.ts):
 *
 * - first publish of N packages: apt-ftparchive packages + release + gpg (InRelease, Release.gpg);
 *   createrepo_c --no-database, with and without gpg signing repomd.xml; repo-add --sign;
 * - adding one package to N (each repetition from a fresh copy of the same prepared repository, copied
 *   in an untimed set-up step): reprepro includedeb; createrepo_c --update (with and without gpg);
 *   repo-add --sign of one package; plus packyard's `publish()` in-process (drivers/index-add.ts);
 * - packyard's add-one also at 10 × the largest size, from generated records (inflateRepository, then
 *   one publish: settleRepository).
 *
 * Sizes: INDEX_SIZES (default `1000,5000`); the first publish is raced at the largest. repo-add takes
 * about 0.1-0.4 s a package (a shell script forking per package), so its first publish of 5,000 runs
 * INDEX_REPO_ADD_REPS times (default 1). INDEX_GROWTH=0 skips the generated size. `index-deb`,
 * `index-rpm` and `index-arch` run one family. Writes bench/out/index-results.json,
 * bench/index-scaling.svg and the section of RESULTS.md.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { link, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";
import { join } from "node:path";
import {
  benchKey,
  benchSigner,
  checkFreeDisk,
  corpusFiles,
  EXTRA_INDEX,
  type IndexFamily,
  inflateRepository,
  settleRepository,
  stageCorpus,
} from "../index-corpus.ts";
import {
  type CaseResult,
  type IndexRun,
  renderChart,
  renderSection,
  type SideResult,
} from "../index-chart.ts";
import { median } from "../results.ts";
import type { BenchCommand, CustomRunOptions, CustomScenario } from "../scenario.ts";
import { parseTimeV } from "../time-v.ts";

const TIME = "/usr/bin/time";

/** One side of a case: an untimed set-up, then timed commands (their wall times summed). */
interface Side {
  label: string;
  tool: SideResult["tool"];
  setup: () => Promise<void>;
  commands: BenchCommand[];
  /** Repetitions this side runs (default: all). */
  reps?: number;
}

interface Case {
  id: string;
  kind: CaseResult["kind"];
  family: IndexFamily;
  n: number;
  generated?: boolean;
  sides: Side[];
}

interface Sample {
  wall: number;
  rssKiB: number;
  readMs?: number;
}

function sh(cmd: string, args: string[], env: Record<string, string> = {}, cwd?: string): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
    ...(cwd !== undefined ? { cwd } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.slice(0, 8).join(" ")}… failed (${r.status}): ${r.stderr?.slice(-3000)}`);
  return r.stdout;
}

/** Runs one command under time -v; returns its report and stdout. */
function timed(c: BenchCommand, outDir: string): { wall: number; rssKiB: number; stdout: string } {
  const reportFile = join(outDir, "time-v-index.txt");
  const r = spawnSync(TIME, ["-v", "-o", reportFile, c.cmd, ...c.args], {
    cwd: c.cwd,
    env: { ...process.env, ...c.env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined) throw new Error(`${c.label}: cannot run ${c.cmd}: ${r.error.message}`);
  const report = parseTimeV(readFileSync(reportFile, "utf8"));
  if (report.exitStatus !== 0 || r.status !== 0) {
    throw new Error(
      `${c.label} failed (exit ${report.exitStatus}): ${c.cmd} ${c.args.slice(0, 12).join(" ")}\n${(r.stderr ?? "").slice(-4000)}`,
    );
  }
  return { wall: report.wallSeconds, rssKiB: report.maxRssKiB, stdout: r.stdout ?? "" };
}

/** Hard links every file of `from` into `to` (created): the native tools index files in place. */
async function linkAll(
  from: string,
  to: string,
  filter: (name: string) => boolean = () => true,
): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (!name.startsWith(".") && filter(name)) await link(join(from, name), join(to, name));
  }
}

async function fresh(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, ".."), { recursive: true });
}

function copyTree(from: string, to: string): void {
  sh("cp", ["-a", from, to]);
}

/** Waits (up to a minute) for the 1-minute load to fall to 1.5 or below; returns the load. */
async function settle(log: (s: string) => void): Promise<number> {
  for (let waited = 0; waited < 60; waited += 5) {
    const l = loadavg()[0] ?? 0;
    if (l <= 1.5) return l;
    if (waited === 0) log(`  load ${l.toFixed(2)} > 1.5: waiting for it to settle`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  return loadavg()[0] ?? 0;
}

function gitCommit(repoRoot: string): string {
  const r = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

function versionLine(label: string, cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  const line = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.split("\n").find((l) => l.trim() !== "");
  return `${label}: ${line?.trim() ?? "(no output)"}`;
}

/** Sizes from INDEX_SIZES (`1000,5000`). */
function sizesFromEnv(): number[] {
  const text = process.env.INDEX_SIZES ?? "1000,5000";
  const sizes = text.split(",").map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`INDEX_SIZES: expected whole numbers ≥ 1 separated by commas, found ${text}`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function wholeEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, found ${text}`);
  return n;
}

const REPO = "bench";
/** Changes when what packyard writes into a prepared base changes the timed runs (the state's form). */
const BASE_FORMAT = "state-chunks-5";

/** The index scenario for some families (its RESULTS.md section is `name`). */
export function indexScenario(name: string, families: readonly IndexFamily[]): CustomScenario {
  const tools = new Set<string>(["gpg"]);
  if (families.includes("deb")) for (const t of ["apt-ftparchive", "reprepro", "gzip"]) tools.add(t);
  if (families.includes("rpm")) tools.add("createrepo_c");
  if (families.includes("archlinux")) tools.add("repo-add");
  return {
    name,
    description:
      "Repository indexes: packyard publish against apt-ftparchive, reprepro, createrepo_c and repo-add.",
    nativeTools: [...tools],
    run: (options) => runIndex(name, families, options),
  };
}

async function runIndex(
  name: string,
  families: readonly IndexFamily[],
  o: CustomRunOptions,
): Promise<string> {
  const sizes = sizesFromEnv();
  const maxN = sizes[sizes.length - 1]!;
  const growth = wholeEnv("INDEX_GROWTH", 10);
  const repoAddReps = wholeEnv("INDEX_REPO_ADD_REPS", 1);
  const node = process.execPath;
  const cli = join(o.repoRoot, "packages/cli/bin/packyard.js");
  if (!existsSync(join(o.repoRoot, "packages/cli/dist/main.js")))
    throw new Error("packages/cli/dist is missing: run `npm run build` (npm run bench does)");
  checkFreeDisk(o.outDir, Math.max(2e9, maxN * families.length * 200_000));
  const key = benchKey(o.outDir);
  const signer = await benchSigner(key);
  const gpgEnv = { GNUPGHOME: key.gnupgHome };
  const fpr = key.fingerprint;
  const work = join(o.outDir, "index-work");
  const bases = join(work, "base");
  const runs = join(work, "run");
  await rm(runs, { recursive: true, force: true });
  await mkdir(bases, { recursive: true });

  // Corpora and the package each add-one repetition adds.
  const corpus = new Map<string, string>();
  const extra = new Map<IndexFamily, string>();
  for (const family of families) {
    for (const n of sizes) {
      o.log(`index: corpus ${family} × ${n}`);
      corpus.set(`${family}-${n}`, await stageCorpus(family, n, o.outDir, key, signer, { log: o.log }));
    }
    const dir = await stageCorpus(family, 1, o.outDir, key, signer, {
      first: EXTRA_INDEX,
      name: `${family}-extra`,
    });
    extra.set(family, join(dir, (await corpusFiles(dir))[0]!));
  }
  const files = async (family: IndexFamily, n: number) => {
    const dir = corpus.get(`${family}-${n}`)!;
    return (await corpusFiles(dir)).map((f) => join(dir, f));
  };
  const familyFlags = (family: IndexFamily): string[] =>
    family === "rpm" ? ["--rpm-target", "el-9"] : family === "archlinux" ? ["--pacman-repo", REPO] : [];
  const publishCmd = (family: IndexFamily, to: string, pkgs: string[]): BenchCommand => ({
    label: "packyard publish",
    cmd: node,
    args: [cli, "publish", "--to", to, "--key", key.secretFile, "-q", ...familyFlags(family), ...pkgs],
    env: { NO_COLOR: "1" },
  });

  /** Builds a base once (untimed), cached while the corpus and the bench key are the same. */
  const base = async (id: string, make: (dir: string) => Promise<void>): Promise<string> => {
    const dir = join(bases, id);
    // BASE_FORMAT: bases made before the compact state, or before the states recorded their gzip
    // pieces (issue 18), or in another form (items-3: pieces keyed by their packages; 4: each record's
    // index fields after a TAB; 5: records in chunks), would time a one-off conversion in every add-one,
    // so they are made again.
    const mark = `${readFileSync(key.secretFile, "utf8").length}:${id}:${BASE_FORMAT}\n`;
    if (existsSync(join(dir, ".bench-base")) && readFileSync(join(dir, ".bench-base"), "utf8") === mark)
      return dir;
    o.log(`index: preparing ${id}`);
    await fresh(dir);
    await mkdir(dir, { recursive: true });
    await make(dir);
    await writeFile(join(dir, ".bench-base"), mark);
    return dir;
  };
  const packyardBase = (family: IndexFamily, n: number) =>
    base(`packyard-${family}-${n}`, async (dir) => {
      const c = publishCmd(family, dir, await files(family, n));
      sh(c.cmd, c.args, c.env);
    });

  const cases: Case[] = [];
  const commands: string[] = [];
  const notes: string[] = [];
  const show = (c: BenchCommand, subst: Record<string, string>): string => {
    let text = [
      ...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`),
      c.cmd === node ? "node" : c.cmd,
      ...c.args.map((a) => (/[\s"$;*]/.test(a) ? `'${a}'` : a)),
    ].join(" ");
    for (const [from, to] of Object.entries(subst)) text = text.replaceAll(from, to);
    return text.replace(/(CORPUS\/\S+ )+CORPUS\/\S+/g, "CORPUS/*").replaceAll(o.repoRoot, ".");
  };

  // repo-add's first publish is raced at INDEX_REPO_ADD_FIRST_N packages (default 300): at 0.3 s of CPU
  // and up to 0.7 s of wall time a package (a shell script forking per package) 5,000 would take 30-60
  // minutes. packyard's first publish of the largest size is still timed on its own.
  const repoAddN = Math.min(maxN, wholeEnv("INDEX_REPO_ADD_FIRST_N", 300));
  type First = { family: IndexFamily; n: number; packyardOnly: boolean };
  const firsts: First[] = families.flatMap((family): First[] =>
    family === "archlinux" && repoAddN < maxN
      ? [
          { family, n: maxN, packyardOnly: true },
          { family, n: repoAddN, packyardOnly: false },
        ]
      : [{ family, n: maxN, packyardOnly: false }],
  );
  if (repoAddN < maxN) {
    corpus.set(
      `archlinux-${repoAddN}`,
      await stageCorpus("archlinux", repoAddN, o.outDir, key, signer, { log: o.log }),
    );
  }
  for (const { family, n, packyardOnly } of firsts) {
    const pkgs = await files(family, n);
    const dir = (side: string) => join(runs, `first-${family}-${n}-${side}`);
    const sides: Side[] = [
      {
        label: "packyard publish",
        tool: "packyard",
        setup: () => fresh(dir("packyard")),
        commands: [publishCmd(family, dir("packyard"), pkgs)],
      },
    ];
    if (packyardOnly) {
      // no native side at this size (see repoAddN)
    } else if (family === "deb") {
      const d = dir("apt");
      const script = [
        "set -e",
        "B=dists/stable/main/binary-amd64",
        "apt-ftparchive packages pool > $B/Packages",
        "gzip -9 -n -k $B/Packages",
        "apt-ftparchive -o APT::FTPArchive::Release::Suite=stable -o APT::FTPArchive::Release::Codename=stable -o APT::FTPArchive::Release::Architectures=amd64 -o APT::FTPArchive::Release::Components=main release dists/stable > Release.tmp",
        "mv Release.tmp dists/stable/Release",
        'gpg --batch --yes -u "$1" --clearsign -o dists/stable/InRelease dists/stable/Release',
        'gpg --batch --yes -u "$1" --detach-sign --armor -o dists/stable/Release.gpg dists/stable/Release',
      ].join("; ");
      sides.push({
        label: "apt-ftparchive + gpg",
        tool: "native",
        setup: async () => {
          await fresh(d);
          await linkAll(corpus.get(`deb-${n}`)!, join(d, "pool/main"));
          await mkdir(join(d, "dists/stable/main/binary-amd64"), { recursive: true });
        },
        commands: [
          { label: "apt-ftparchive", cmd: "sh", args: ["-c", script, "sh", fpr], cwd: d, env: gpgEnv },
        ],
      });
    } else if (family === "rpm") {
      for (const signed of [false, true]) {
        const d = dir(signed ? "createrepo-gpg" : "createrepo");
        const cmds: BenchCommand[] = [
          { label: "createrepo_c", cmd: "createrepo_c", args: ["--no-database", "-q", d] },
        ];
        if (signed)
          cmds.push({
            label: "gpg",
            cmd: "gpg",
            args: ["--batch", "--yes", "-u", fpr, "--detach-sign", "--armor", join(d, "repodata/repomd.xml")],
            env: gpgEnv,
          });
        sides.push({
          label: signed ? "createrepo_c + gpg" : "createrepo_c",
          tool: "native",
          setup: async () => {
            await fresh(d);
            await linkAll(corpus.get(`rpm-${n}`)!, d);
          },
          commands: cmds,
        });
      }
    } else {
      const d = dir("repo-add");
      sides.push({
        label: "repo-add",
        tool: "native",
        reps: repoAddReps,
        setup: async () => {
          await fresh(d);
          await linkAll(corpus.get(`archlinux-${n}`)!, d);
        },
        commands: [
          {
            label: "repo-add",
            cmd: "sh",
            args: ["-c", 'repo-add -q --sign --key "$1" "$2.db.tar.gz" *.pkg.tar.zst', "sh", fpr, REPO],
            cwd: d,
            env: gpgEnv,
          },
        ],
      });
      notes.push(
        `repo-add's first publish of ${n} ran ${repoAddReps} repetition(s) (INDEX_REPO_ADD_REPS): it forks several processes per package.`,
      );
    }
    cases.push({ id: `first-${family}-${n}`, kind: "first", family, n, sides });
  }

  for (const family of families) {
    const add = extra.get(family)!;
    const sizesHere = growth > 1 ? [...sizes, maxN * growth] : sizes;
    for (const n of sizesHere) {
      const generated = n > maxN;
      const pbase = generated
        ? await base(`packyard-${family}-${n}-generated-settled`, async (dir) => {
            await rm(dir, { recursive: true, force: true });
            copyTree(await packyardBase(family, maxN), dir);
            const total = await inflateRepository(dir, growth);
            await settleRepository(dir, family, key);
            o.log(`  ${total - 1} records`);
          })
        : await packyardBase(family, n);
      const dir = (side: string) => join(runs, `add-${family}-${n}-${side}`);
      const fromBase =
        (from: string, to: string, extraFiles: string[] = []) =>
        async () => {
          await fresh(to);
          copyTree(from, to);
          for (const f of extraFiles) sh("cp", ["-a", f, to]);
        };
      const sides: Side[] = [
        {
          label: "packyard publish",
          tool: "packyard",
          setup: fromBase(pbase, dir("packyard")),
          // No family flags: the repository's own settings (it serves the target and pacman repository).
          commands: [
            {
              ...publishCmd(family, dir("packyard"), [add]),
              args: [cli, "publish", "--to", dir("packyard"), "--key", key.secretFile, "-q", add],
            },
          ],
        },
        {
          label: "publish() in-process",
          tool: "in-process",
          setup: fromBase(pbase, dir("inproc")),
          commands: [
            {
              label: "index-add",
              cmd: node,
              args: [join(o.repoRoot, "bench/drivers/index-add.ts"), dir("inproc"), key.secretFile, add],
            },
          ],
        },
      ];
      if (!generated && family === "deb") {
        const b = await base(`reprepro-${n}`, async (d) => {
          await mkdir(join(d, "conf"), { recursive: true });
          await writeFile(
            join(d, "conf/distributions"),
            `Origin: Bench\nLabel: Bench\nSuite: stable\nCodename: stable\nArchitectures: amd64\nComponents: main\nDescription: bench\nSignWith: ${fpr}\n`,
          );
          sh("reprepro", ["-b", d, "--silent", "includedeb", "stable", ...(await files("deb", n))], gpgEnv);
        });
        sides.push({
          label: "reprepro includedeb",
          tool: "native",
          setup: fromBase(b, dir("reprepro")),
          commands: [
            {
              label: "reprepro",
              cmd: "reprepro",
              args: ["-b", dir("reprepro"), "--silent", "includedeb", "stable", add],
              env: gpgEnv,
            },
          ],
        });
      } else if (!generated && family === "rpm") {
        const b = await base(`createrepo-${n}`, async (d) => {
          await linkAll(corpus.get(`rpm-${n}`)!, d);
          sh("createrepo_c", ["--no-database", "-q", d]);
          sh(
            "gpg",
            ["--batch", "--yes", "-u", fpr, "--detach-sign", "--armor", join(d, "repodata/repomd.xml")],
            gpgEnv,
          );
        });
        for (const signed of [false, true]) {
          const d = dir(signed ? "createrepo-gpg" : "createrepo");
          const cmds: BenchCommand[] = [
            {
              label: "createrepo_c --update",
              cmd: "createrepo_c",
              args: ["--update", "--no-database", "-q", d],
            },
          ];
          if (signed)
            cmds.push({
              label: "gpg",
              cmd: "gpg",
              args: [
                "--batch",
                "--yes",
                "-u",
                fpr,
                "--detach-sign",
                "--armor",
                join(d, "repodata/repomd.xml"),
              ],
              env: gpgEnv,
            });
          sides.push({
            label: signed ? "createrepo_c --update + gpg" : "createrepo_c --update",
            tool: "native",
            setup: fromBase(b, d, [add]),
            commands: cmds,
          });
        }
      } else if (!generated) {
        // repo-add's database of the N packages: packyard's (repo-add reads and rewrites it whole), so the
        // base costs seconds instead of repo-add's minutes; the packages and their .sig beside it.
        const b = await base(`pacman-${n}`, async (d) => {
          await linkAll(corpus.get(`archlinux-${n}`)!, d);
          const db = join(await packyardBase("archlinux", n), `archlinux/${REPO}/os/x86_64`);
          for (const f of await readdir(db)) if (f.startsWith(`${REPO}.`)) sh("cp", ["-a", join(db, f), d]);
        });
        sides.push({
          label: "repo-add",
          tool: "native",
          setup: fromBase(b, dir("repo-add"), [add, `${add}.sig`]),
          commands: [
            {
              label: "repo-add",
              cmd: "sh",
              args: ["-c", 'repo-add -q --sign --key "$1" "$2.db.tar.gz" "$3"', "sh", fpr, REPO, add],
              cwd: dir("repo-add"),
              env: gpgEnv,
            },
          ],
        });
      }
      cases.push({
        id: `add-${family}-${n}`,
        kind: "add",
        family,
        n,
        ...(generated ? { generated } : {}),
        sides,
      });
    }
  }
  if (families.includes("archlinux"))
    notes.push(
      "repo-add's add-one starts from the database packyard wrote for the same packages (repo-add reads and rewrites the whole database either way); building it with repo-add would take minutes per size.",
    );
  if (growth > 1)
    notes.push(
      `The ${maxN * growth}-package repositories are the ${maxN}-package ones with every record cloned ${growth - 1} times under new names (inflateRepository in bench/index-corpus.ts), then published once with one clone removed (settleRepository), so that the timed add-one finds indexes written by a publish: no package files, no native tool.`,
    );
  notes.push(
    `Key: an Ed25519 OpenPGP key made by gpg (bench/out/index-corpus/key/), used by both sides. Native first publishes index hard links of the corpus made in the untimed set-up; packyard's time includes copying every package into its pool.`,
  );

  const subst: Record<string, string> = {};
  for (const v of extra.values()) subst[v] = "EXTRA";
  for (const v of corpus.values()) subst[v] = "CORPUS";
  Object.assign(subst, {
    [runs]: "WORK",
    [key.secretFile]: "KEY.asc",
    [key.gnupgHome]: "GNUPGHOME",
    [fpr]: "FPR",
  });
  for (const c of cases) {
    for (const s of c.sides) {
      for (const cmd of s.commands) {
        const line = show(cmd, subst).replace(/WORK\/[\w.-]+/g, "WORK");
        const what = c.kind === "first" ? "first publish" : "add one";
        const l = `${what} (${c.family}): ${s.label}: \`${line}\`${cmd.cwd !== undefined ? " (in WORK)" : ""}`;
        if (!commands.includes(l)) commands.push(l);
      }
    }
  }

  const samples = new Map<string, Sample[]>();
  const loads: number[] = [];
  for (let rep = 0; rep < o.reps; rep++) {
    const load = await settle(o.log);
    loads.push(load);
    o.log(`index: repetition ${rep + 1}/${o.reps} (load ${load.toFixed(2)})`);
    for (const c of cases) {
      const order = rep % 2 === 0 ? c.sides : [...c.sides].reverse();
      for (const s of order) {
        if (s.reps !== undefined && rep >= s.reps) continue;
        await s.setup();
        let wall = 0;
        let rssKiB = 0;
        let readMs: number | undefined;
        for (const cmd of s.commands) {
          const t = timed(cmd, o.outDir);
          wall += t.wall;
          rssKiB = Math.max(rssKiB, t.rssKiB);
          if (s.tool === "in-process") {
            const r = JSON.parse(t.stdout.trim().split("\n").pop() ?? "{}") as {
              readMs: number;
              publishMs: number;
            };
            wall = r.publishMs / 1000;
            readMs = r.readMs;
          }
        }
        const k = `${c.id}\u0000${s.label}`;
        samples.set(k, [
          ...(samples.get(k) ?? []),
          { wall, rssKiB, ...(readMs !== undefined ? { readMs } : {}) },
        ]);
        o.log(
          `  ${c.id} ${s.label}: ${s.tool === "in-process" ? `${(wall * 1000).toFixed(1)} ms` : `${wall.toFixed(2)} s`}`,
        );
      }
    }
  }
  await rm(runs, { recursive: true, force: true });
  spawnSync("gpgconf", ["--homedir", key.gnupgHome, "--kill", "gpg-agent"]);

  const results: CaseResult[] = cases.map((c) => ({
    id: c.id,
    kind: c.kind,
    family: c.family,
    n: c.n,
    ...(c.generated ? { generated: true } : {}),
    sides: c.sides.map((s) => {
      const list = samples.get(`${c.id}\u0000${s.label}`) ?? [];
      const reads = list.flatMap((x) => (x.readMs === undefined ? [] : [x.readMs]));
      return {
        label: s.label,
        tool: s.tool,
        samples: list.map((x) => x.wall),
        medianSeconds: list.length > 0 ? median(list.map((x) => x.wall)) : Number.NaN,
        medianRssMiB: list.length > 0 ? median(list.map((x) => x.rssKiB)) / 1024 : Number.NaN,
        ...(reads.length > 0 ? { medianReadMs: median(reads) } : {}),
      };
    }),
  }));
  const run: IndexRun = {
    date: new Date().toISOString().slice(0, 10),
    commit: gitCommit(o.repoRoot),
    machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(totalmem() / 1024 ** 3)} GiB RAM, Linux ${release()}, Node ${process.version}`,
    versions: [
      `node: ${process.version}`,
      versionLine("gpg", "gpg", ["--version"]),
      ...(families.includes("deb")
        ? [
            versionLine("apt-ftparchive", "sh", ["-c", "dpkg-query -W -f '${Version}' apt-utils"]),
            versionLine("reprepro", "reprepro", ["--version"]),
          ]
        : []),
      ...(families.includes("rpm") ? [versionLine("createrepo_c", "createrepo_c", ["--version"])] : []),
      ...(families.includes("archlinux") ? [versionLine("repo-add", "repo-add", ["--version"])] : []),
    ],
    loads,
    cases: results,
    commands,
    notes,
  };
  await writeFile(join(o.outDir, `${name}-results.json`), `${JSON.stringify(run, null, 2)}\n`);
  if (families.length === 3) await writeFile(join(o.repoRoot, "bench/index-scaling.svg"), renderChart(run));
  return renderSection(run, name);
}

export const scenario: CustomScenario = indexScenario("index", ["deb", "rpm", "archlinux"]);
