/**
 * The dependency rules of the monorepo, checked on the import graph read from the sources: which folder of
 * @packyard/formats may import which, where `node:*` may be imported, no cycles between folders or files,
 * and which workspace package may import which. A pure function over a file tree, so a test can run it on
 * the real sources and on a fixture tree with deliberately wrong imports.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

/** Folders of @packyard/formats/src that are package formats: one never imports another. */
export const FORMAT_FOLDERS = ["deb", "rpm", "archlinux", "apk", "macos", "tarball", "checksums"] as const;

/** Building blocks: they import no format, no `config`, no `build`, and neither `format.ts` nor `registry.ts`. */
export const BUILDING_BLOCKS = [
  "bytes",
  "container",
  "compress",
  "hash",
  "sign",
  "spool",
  "source",
  "info",
  "spec",
  "text",
] as const;

/** What a building block must not import (besides the format folders). */
export const ABOVE_BLOCKS = ["config", "build", "format.ts", "registry.ts", "api.ts", "index.ts"] as const;

/**
 * The runtime seams: the only places in @packyard/formats that import `node:*`, each with the modules it may
 * use (`*` for any). Everything else is runtime-neutral.
 */
export const NODE_SEAMS: Readonly<Record<string, readonly string[] | "*">> = {
  compress: "*",
  hash: ["node:crypto"],
  // node:module: createRequire loads node-forge (CommonJS) on first use, synchronously (sign/x509.ts).
  sign: ["node:crypto", "node:module"],
  spool: "*",
  source: "*",
  build: ["node:path"],
};

/**
 * Which workspace package may import which (by package folder name); anything not listed is refused. The
 * test kit sits beside the chain: it builds test inputs through the public entries of the packages it
 * serves, and only tests import it.
 */
export const PACKAGE_RULES: Readonly<Record<string, readonly string[]>> = {
  formats: [],
  repo: ["formats"],
  server: ["formats", "repo"],
  cli: ["formats", "repo", "server"],
  testkit: ["formats", "repo", "server"],
};

export interface Violation {
  rule:
    | "format-imports-format"
    | "block-imports-above"
    | "node-outside-seam"
    | "cycle"
    | "package-direction"
    | "private-entry";
  /** The importing file (relative to the checked root), or the cycle's members. */
  from: string;
  /** What it imported, or the cycle written out. */
  to: string;
}

const IMPORT_RE =
  /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Static and dynamic import specifiers of a TypeScript source (comments removed first). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) out.push((m[1] ?? m[2])!);
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === "node_modules" || name === "dist" || name === "fixtures") continue;
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Strongly connected components with more than one member (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The folder (first path segment) or top-level file name a file under `src/` belongs to. */
function unitOf(srcRel: string): string {
  return srcRel.split(sep)[0]!;
}

function addEdge(graph: Map<string, Set<string>>, a: string, b: string): void {
  if (a === b) return;
  let s = graph.get(a);
  if (s === undefined) graph.set(a, (s = new Set()));
  s.add(b);
  if (!graph.has(b)) graph.set(b, new Set());
}

/**
 * Checks @packyard/formats' sources under `src` (folder rules, node:* seams, folder and file cycles).
 * Returns every violation, sorted; an empty list means the layering holds.
 */
export function checkFormatsLayering(src: string): Violation[] {
  const root = resolve(src);
  const violations: Violation[] = [];
  const folderGraph = new Map<string, Set<string>>();
  const fileGraph = new Map<string, Set<string>>();
  const formats = new Set<string>(FORMAT_FOLDERS);
  const blocks = new Set<string>(BUILDING_BLOCKS);
  const above = new Set<string>([...ABOVE_BLOCKS, ...FORMAT_FOLDERS]);
  for (const file of tsFiles(root)) {
    const rel = relative(root, file);
    const unit = unitOf(rel);
    if (!fileGraph.has(rel)) fileGraph.set(rel, new Set());
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (spec.startsWith("node:")) {
        const seam = NODE_SEAMS[unit];
        if (seam === undefined || (seam !== "*" && !seam.includes(spec)))
          violations.push({ rule: "node-outside-seam", from: rel, to: spec });
        continue;
      }
      if (!spec.startsWith(".")) continue;
      const target = relative(root, resolve(dirname(file), spec));
      if (target.startsWith("..")) {
        violations.push({ rule: "package-direction", from: rel, to: spec });
        continue;
      }
      const targetUnit = unitOf(target);
      addEdge(fileGraph, rel, target);
      addEdge(folderGraph, unit, targetUnit);
      if (unit === targetUnit) continue;
      if (formats.has(unit) && formats.has(targetUnit))
        violations.push({ rule: "format-imports-format", from: rel, to: target });
      if (blocks.has(unit) && above.has(targetUnit))
        violations.push({ rule: "block-imports-above", from: rel, to: target });
    }
  }
  for (const c of cycles(folderGraph))
    violations.push({ rule: "cycle", from: "folders", to: c.join(" <-> ") });
  for (const c of cycles(fileGraph)) violations.push({ rule: "cycle", from: "files", to: c.join(" <-> ") });
  return violations.sort((a, b) => `${a.rule}${a.from}${a.to}`.localeCompare(`${b.rule}${b.from}${b.to}`));
}

/**
 * Checks the workspace packages under `packagesDir` (each a folder with package.json and src/, test/):
 * a package imports another only as PACKAGE_RULES allows (its tests may also import the test kit), and only
 * through that package's public entries (its package.json `exports`), never by a relative path into it, so a
 * test never reaches into another package's tests or sources for a helper.
 */
export function checkPackageLayering(packagesDir: string): Violation[] {
  const root = resolve(packagesDir);
  const violations: Violation[] = [];
  const names = new Map<string, string>(); // npm name -> folder
  const entries = new Map<string, Set<string>>(); // folder -> public subpaths ("." , "./deb", ...)
  const folders = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory());
  for (const d of folders) {
    let pkg: { name?: string; exports?: Record<string, unknown> | string };
    try {
      pkg = JSON.parse(readFileSync(join(root, d, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (pkg.name) names.set(pkg.name, d);
    const exp = pkg.exports;
    entries.set(d, new Set(typeof exp === "object" && exp !== null ? Object.keys(exp) : ["."]));
  }
  for (const d of folders) {
    const files: { file: string; allowed: readonly string[] }[] = [];
    for (const [dir, allowed] of [
      ["src", PACKAGE_RULES[d] ?? []],
      ["test", [...(PACKAGE_RULES[d] ?? []), "testkit"]],
    ] as const) {
      try {
        for (const file of tsFiles(join(root, d, dir))) files.push({ file, allowed });
      } catch {}
    }
    for (const { file, allowed } of files) {
      const rel = relative(root, file);
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (spec.startsWith(".")) {
          const target = relative(root, resolve(dirname(file), spec));
          if (target.split(sep)[0] !== d) violations.push({ rule: "package-direction", from: rel, to: spec });
          continue;
        }
        const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(spec);
        const folder = m ? names.get(m[1]!) : undefined;
        if (folder === undefined || folder === d) continue;
        if (!allowed.includes(folder)) {
          violations.push({ rule: "package-direction", from: rel, to: spec });
          continue;
        }
        const sub = m?.[2] ? `.${m[2]}` : ".";
        if (!entries.get(folder)?.has(sub)) violations.push({ rule: "private-entry", from: rel, to: spec });
      }
    }
  }
  return violations;
}
