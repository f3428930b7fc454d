/**
 * The package corpus of the index bench (issue 18 item 6): N real package files per family (deb, rpm,
 * Arch), written by packyard's own writers from seeded specs, so the indexes they make are realistic
 * (varied names, versions, dependencies, file lists) and the same on every run.
 *
 * Package `i` of a family depends only on (seed, family, i), so the 1,000-package corpus is the first
 * 1,000 packages of the 5,000 one. rpms are signed in their header and Arch packages get a `.sig`, both by
 * the bench key (see {@link benchKey}: the key both sides sign indexes with), so `packyard publish` does not
 * re-sign them and repo-add finds the `.sig` it embeds.
 *
 * Cached in bench/out/index-corpus/<family>-<N>/ (a `.complete` marker names N, seed and key): reused
 * when present. `node bench/index-corpus.ts [N ...]` stages the corpora by hand.
 */
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesSource, collect } from "../packages/formats/src/bytes/bytes.ts";
import { signArchlinux } from "../packages/formats/src/archlinux/sign.ts";
import { packageFileName, writePackage } from "../packages/formats/src/api.ts";
import { loadOpenPGPSigner } from "../packages/formats/src/sign/openpgp.ts";
import type { OpenPGPSigner } from "../packages/formats/src/sign/signer.ts";
import type { Entry, PackageSpec, Relation, RelationGroup } from "../packages/formats/src/spec/types.ts";

/** The package families the index bench races. */
export type IndexFamily = "deb" | "rpm" | "archlinux";
export const INDEX_FAMILIES: readonly IndexFamily[] = ["deb", "rpm", "archlinux"];

const repoRoot = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
export const DEFAULT_CORPUS_SEED = 0x1d3;
/** The index of the package each add-one repetition adds (outside every corpus). */
export const EXTRA_INDEX = 9_999_999;

/** Mulberry32: a small seeded PRNG (numbers in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  "ab",
  "ba",
  "cor",
  "da",
  "el",
  "fi",
  "gal",
  "hu",
  "io",
  "jet",
  "ka",
  "lum",
  "mo",
  "nex",
  "or",
  "pi",
  "qu",
  "ras",
  "sol",
  "tu",
  "ux",
  "vel",
  "wa",
  "xo",
  "yl",
  "zen",
];
const PREFIXES = ["", "", "", "lib", "python3-", "golang-", "node-", "perl-", "ruby-"];
const SUFFIXES = ["", "", "", "-dev", "-utils", "-doc", "-common", "-data", "-tools"];
const WORDS = ["fast", "small", "secure", "portable", "simple", "modern", "tiny", "robust"];
const NOUNS = ["parser", "daemon", "library", "toolkit", "server", "client", "compiler", "shell"];

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** The name of package `i` (unique within a corpus: the index is part of it). */
export function corpusName(seed: number, i: number): string {
  const r = prng((seed * 1_000_003 + i) >>> 0);
  let stem = "";
  for (let k = 1 + Math.floor(r() * 3); k > 0; k--) stem += pick(r, SYLLABLES);
  return `${pick(r, PREFIXES)}${stem}${i.toString(36)}${pick(r, SUFFIXES)}`;
}

const enc = new TextEncoder();
const ROOT_OWNER = { owner: { name: "root", id: 0 }, group: { name: "root", id: 0 } };
/** 2024-01-01: every package's build date. */
const DATE = 1704067200;

/** The seeded spec of package `i` of a family (same spec for every family but the arch spelling). */
export function corpusSpec(seed: number, i: number): PackageSpec {
  const r = prng((seed * 7919 + i * 104_729 + 17) >>> 0);
  const name = corpusName(seed, i);
  const version = {
    upstream: `${Math.floor(r() * 5)}.${Math.floor(r() * 20)}.${Math.floor(r() * 100)}`,
    release: String(1 + Math.floor(r() * 3)),
  };
  // Dependencies on earlier packages of the corpus (some versioned), and one on a system package.
  const depends: RelationGroup[] = [];
  const nDeps = i === 0 ? 0 : Math.floor(r() * 5);
  const seen = new Set<number>();
  for (let k = 0; k < nDeps; k++) {
    const j = Math.floor(r() * Math.min(i, 5000));
    if (seen.has(j)) continue;
    seen.add(j);
    const dep: Relation = { name: corpusName(seed, j) };
    if (r() < 0.4) {
      dep.op = ">=";
      dep.version = `${Math.floor(r() * 3)}.${Math.floor(r() * 10)}`;
    }
    depends.push([dep]);
  }
  if (r() < 0.5) depends.push([{ name: "glibc-bench", op: ">=", version: "2.36" }]);
  const entries: Entry[] = [];
  const nFiles = 1 + Math.floor(r() * 4);
  for (let k = 0; k < nFiles; k++) {
    const path = k === 0 && r() < 0.5 ? `/usr/bin/${name}` : `/usr/share/${name}/file-${k}.txt`;
    const size = 64 + Math.floor(r() * 2000);
    let text = "";
    while (text.length < size) text += `${pick(r, WORDS)} ${pick(r, NOUNS)} ${Math.floor(r() * 1e6)}\n`;
    entries.push({
      type: "file",
      path,
      mode: path.startsWith("/usr/bin/") ? 0o755 : 0o644,
      ...ROOT_OWNER,
      content: bytesSource(enc.encode(text)),
    });
  }
  const adjective = pick(r, WORDS);
  const noun = pick(r, NOUNS);
  return {
    name,
    version,
    arch: "amd64",
    date: DATE,
    maintainer: "Bench Maintainer <bench@example.org>",
    summary: `A ${adjective} ${noun} (${name})`,
    description: `The ${adjective} ${noun} ${name}, generated by the packyard index bench.\nPackage ${i} of the seeded corpus; its files hold generated text.`,
    license: "MIT",
    homepage: `https://example.org/${name}`,
    section: "utils",
    priority: "optional",
    relations: depends.length > 0 ? { depends } : {},
    entries,
    scripts: {},
    changelog: [],
  };
}

/** Refuses to start when the file system of `dir` has less than `bytes` free. */
export function checkFreeDisk(dir: string, bytes: number): void {
  let at = dir;
  while (!existsSync(at)) at = join(at, "..");
  const st = statfsSync(at);
  const free = st.bavail * st.bsize;
  if (free < bytes) {
    throw new Error(
      `index bench: expected at least ${(bytes / 1e9).toFixed(1)} GB free under ${dir}, found ${(free / 1e9).toFixed(1)} GB; free some disk or remove bench/out/`,
    );
  }
}

/** The bench's OpenPGP key, as gpg holds it and as the files packyard reads. */
export interface BenchKey {
  /** A scratch GNUPGHOME holding the secret key (gpg, reprepro and repo-add sign with it). */
  gnupgHome: string;
  fingerprint: string;
  /** Armored secret key (packyard --key). */
  secretFile: string;
  /** Armored public key. */
  publicFile: string;
}

/**
 * The bench key, made once by gpg (`ed25519`, no passphrase) in `<outDir>/index-corpus/key/` and reused.
 * EdDSA, not RSA: openpgp.js signs RSA in JavaScript big integers (about 135 ms a signature at 3072 bits
 * on the bench machine, against about 2 ms for gpg), which would make the corpus take half an hour; the
 * RSA cost is measured on its own by drivers/index-add.ts.
 */
export function benchKey(outDir: string): BenchKey {
  const dir = join(outDir, "index-corpus", "key");
  const gnupgHome = join(dir, "gnupg");
  const secretFile = join(dir, "secret.asc");
  const publicFile = join(dir, "public.asc");
  const fprFile = join(dir, "fingerprint");
  if (!existsSync(fprFile)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(gnupgHome, { recursive: true, mode: 0o700 });
    const gpg = (args: string[]): string => {
      const r = spawnSync("gpg", ["--batch", "--no-tty", "--homedir", gnupgHome, ...args], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${r.stderr}`);
      return r.stdout;
    };
    gpg([
      "--passphrase",
      "",
      "--quick-gen-key",
      "Packyard Bench <bench@example.org>",
      "ed25519",
      "sign",
      "never",
    ]);
    const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(gpg(["--with-colons", "--list-secret-keys"]))?.[1];
    if (fpr === undefined) throw new Error(`gpg made no key in ${gnupgHome}`);
    writeFileSync(secretFile, gpg(["--armor", "--export-secret-keys", fpr]));
    writeFileSync(publicFile, gpg(["--armor", "--export", fpr]));
    writeFileSync(fprFile, `${fpr}\n`);
  }
  return { gnupgHome, fingerprint: readFileSync(fprFile, "utf8").trim(), secretFile, publicFile };
}

/** The bench key's signer. */
export async function benchSigner(key: BenchKey): Promise<OpenPGPSigner> {
  return loadOpenPGPSigner(readFileSync(key.secretFile, "utf8"));
}

/**
 * Writes package `i` of `family` into `dir` (an Arch package with its `.sig`); returns the file name.
 */
export async function writeCorpusPackage(
  family: IndexFamily,
  seed: number,
  i: number,
  dir: string,
  signer: OpenPGPSigner,
): Promise<string> {
  const spec = corpusSpec(seed, i);
  const name = packageFileName(family, spec);
  // debs are not signed (apt trusts the signed indexes); rpms carry their header signature.
  const ctx = family === "deb" ? {} : { signer, date: DATE };
  const bytes = await collect(writePackage(family, spec, undefined, ctx));
  await writeFile(join(dir, name), bytes);
  if (family === "archlinux") {
    const sig = await signArchlinux(bytesSource(bytes), signer, { date: DATE });
    await writeFile(join(dir, `${name}${sig.suffix}`), sig.bytes);
  }
  return name;
}

/** What a corpus folder's `.complete` marker says: it is reused only when all of it matches. */
function marker(family: IndexFamily, n: number, seed: number, first: number, keyFile: string): string {
  const key = createHash("sha256").update(readFileSync(keyFile)).digest("hex").slice(0, 16);
  return `${JSON.stringify({ family, n, seed, first, key })}\n`;
}

/** Package files of a corpus folder (the `.sig` files not listed), sorted. */
export async function corpusFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => !f.startsWith(".") && !f.endsWith(".sig")).sort();
}

/**
 * Stages packages `first`…`first + n - 1` of `family` in `<outDir>/index-corpus/<name>/` (reused when its
 * marker matches) and returns the folder. `name` defaults to `<family>-<n>`.
 */
export async function stageCorpus(
  family: IndexFamily,
  n: number,
  outDir: string,
  key: BenchKey,
  signer: OpenPGPSigner,
  options: { seed?: number; first?: number; name?: string; log?: (s: string) => void } = {},
): Promise<string> {
  const seed = options.seed ?? DEFAULT_CORPUS_SEED;
  const first = options.first ?? 0;
  const dir = join(outDir, "index-corpus", options.name ?? `${family}-${n}`);
  const mark = marker(family, n, seed, first, key.secretFile);
  const markFile = join(dir, ".complete");
  if (existsSync(markFile) && readFileSync(markFile, "utf8") === mark) return dir;
  // About 4 KB a package (.sig included) and the repositories made from them: ask for 20 KB a package.
  checkFreeDisk(outDir, Math.max(n * 20_000, 200e6));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  for (let i = first; i < first + n; i++) {
    await writeCorpusPackage(family, seed, i, dir, signer);
    if ((i - first + 1) % 1000 === 0)
      options.log?.(
        `  ${family}: ${i - first + 1}/${n} packages (${((Date.now() - started) / 1000).toFixed(0)} s)`,
      );
  }
  await writeFile(markFile, mark);
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = process.argv.slice(2).map(Number);
  if (sizes.length === 0) sizes.push(1000, 5000);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    process.stderr.write(
      "usage: node bench/index-corpus.ts [N ...] (whole numbers ≥ 1; default 1000 5000)\n",
    );
    process.exit(2);
  }
  const outDir = join(repoRoot, "bench/out");
  const key = benchKey(outDir);
  const signer = await benchSigner(key);
  for (const n of sizes) {
    for (const family of INDEX_FAMILIES) {
      const t = Date.now();
      const dir = await stageCorpus(family, n, outDir, key, signer, {
        log: (s) => process.stderr.write(`${s}\n`),
      });
      process.stderr.write(`${dir}: ${n} packages (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
    }
  }
}

/**
 * Grows a packyard repository made from a corpus to `factor` times its packages without package files:
 * every record of every root is cloned `factor - 1` times under a new name (`<name>-c<k>`, replaced in the
 * record's keys, control stanza, file lists and signature key, digests and identity re-derived), and the
 * grown state is written as the root's next generation with its pointer, recording the same top files, so
 * the next publish loads it as current (not stale) and rewrites the indexes from all its records. The
 * package files of the clones do not exist: publish never reads a held package. Used for the add-one cost
 * at 50,000 packages ("generated records are fine for 50,000").
 */
export async function inflateRepository(dir: string, factor: number): Promise<number> {
  const { loadRepository, encodeState, encodePointer } = await import(
    "../packages/repo/src/publish/state-io.ts"
  );
  const { folderStorage } = await import("../packages/repo/src/storage/fs.ts");
  const { pointerKey } = await import("../packages/repo/src/publish/layout.ts");
  const roots = await loadRepository(folderStorage(dir));
  let total = 0;
  for (const [root, loaded] of roots) {
    const state = loaded.state;
    const packages = [...state.packages];
    for (const p of state.packages) {
      const escaped = p.name.replace(/[.+]/g, "\\$&");
      const own = new RegExp(`(?<![a-z0-9.+_-])${escaped}(?![a-z0-9+_])`, "g");
      const text = JSON.stringify(p);
      for (let k = 1; k < factor; k++) {
        const clone = JSON.parse(text.replace(own, `${p.name}-c${k}`)) as typeof p;
        const d = (s: string) => createHash("sha256").update(`${s}:${k}`).digest("hex");
        clone.digests = { ...clone.digests, sha256: d(p.digests.sha256) };
        clone.identity = d(p.identity);
        packages.push(clone);
      }
    }
    packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
    const grown = { ...state, packages, generation: loaded.maxGeneration + 1 };
    const { key, bytes, layout } = encodeState(grown);
    for (const c of layout.writes) {
      await mkdir(join(dir, c.chunk.key, ".."), { recursive: true });
      await writeFile(join(dir, c.chunk.key), c.bytes);
    }
    await mkdir(join(dir, key, ".."), { recursive: true });
    await writeFile(join(dir, key), bytes);
    await writeFile(join(dir, pointerKey(root)), encodePointer(root, key, grown));
    total += packages.length;
  }
  return total;
}

/**
 * Publishes a grown repository once (removing one clone: `publish()` in-process), so that its indexes are
 * written from its records with their gzip pieces as after any publish, and an add-one timed on it does
 * the work of an add-one, not that of the first publish after the growth (every index rebuilt whole).
 */
export async function settleRepository(dir: string, family: IndexFamily, key: BenchKey): Promise<void> {
  const { loadRepository } = await import("../packages/repo/src/publish/state-io.ts");
  const { publish } = await import("../packages/repo/src/publish/publish.ts");
  const { folderStorage } = await import("../packages/repo/src/storage/fs.ts");
  const storage = folderStorage(dir);
  const clone = [...(await loadRepository(storage)).values()]
    .flatMap((r) => r.state.packages)
    .find((p) => p.name.endsWith("-c1"));
  if (clone === undefined) throw new Error(`${dir}: no generated record to remove`);
  const result = await publish(storage, {
    remove: [{ name: clone.name, family }],
    signers: [await benchSigner(key)],
  });
  if (result.removed.length === 0) throw new Error(`${dir}: ${clone.name} was not removed`);
}
