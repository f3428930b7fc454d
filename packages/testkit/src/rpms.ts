/**
 * What the RPM-MD interop tests share: rpms with relations, the stub rpm that makes an empty install root
 * usable (a static busybox as /bin/sh), and scratch dnf and zypper environments that never touch the host's
 * configuration, repositories, caches or rpm database. Every run is asynchronous, so that a server in the
 * test's own process (serveFolder, the S3 proxy) can answer. Callers check the tools first with `needTool`
 * (dnf, zypper, rpm; the stub also needs /bin/busybox from busybox-static).
 */
import { spawnAsync } from "./apt.ts";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  bytesSource,
  type Entry,
  type PackageSpec,
  packageFileName,
  type Relations,
  readPackage,
  writePackage,
} from "@packyard/formats";
import { collectBytes } from "@packyard/repo";
import type { TestDeb } from "./debs.ts";

const enc = new TextEncoder();
const ROOT_OWNER = { owner: { name: "root", id: 0 }, group: { name: "root", id: 0 } };

/** Writes `spec` as an .rpm and reads it back, in the shape of `testRpm`. */
export async function specRpm(spec: PackageSpec): Promise<TestDeb> {
  const bytes = await collectBytes(writePackage("rpm", spec));
  const source = bytesSource(bytes);
  const info = await readPackage(source, "x.rpm");
  return { info, source, name: packageFileName("rpm", spec), bytes };
}

/** What {@link relatedRpm} varies. */
export interface RelatedRpmOptions {
  name: string;
  /** `[epoch:]version-release`. */
  version: string;
  /** `x86_64`, `aarch64` or `noarch`. */
  arch: string;
  /** Requires, provides, ... as the spec models them (`depends` are rpm Requires). */
  relations?: Relations;
  /** Paths of extra files (each holding its own path). */
  files?: string[];
}

const SPEC_ARCH: Record<string, PackageSpec["arch"]> = { x86_64: "amd64", aarch64: "arm64", noarch: "all" };

/**
 * One small rpm with relations (testRpm has none): `/usr/share/<name>/data` plus `files`.
 * @example
 * await relatedRpm({ name: "tool", version: "2:1.5-3", arch: "x86_64", relations: { provides: [[{ name: "engine" }]] } });
 */
export async function relatedRpm(options: RelatedRpmOptions): Promise<TestDeb> {
  const m = /^(?:(\d+):)?([^-]+)-([^-]+)$/.exec(options.version);
  if (m === null) throw new Error(`relatedRpm: version ${options.version} is not [epoch:]version-release`);
  const arch = SPEC_ARCH[options.arch];
  if (arch === undefined)
    throw new Error(`relatedRpm: arch ${options.arch} is not one of x86_64, aarch64, noarch`);
  const text = (s: string) => bytesSource(enc.encode(s));
  const entries: Entry[] = [`/usr/share/${options.name}/data`, ...(options.files ?? [])].map((path) => ({
    type: "file",
    path,
    mode: 0o644,
    ...ROOT_OWNER,
    content: text(`${options.name} ${options.version} ${path}\n`),
  }));
  return specRpm({
    name: options.name,
    version: { ...(m[1] === undefined ? {} : { epoch: Number(m[1]) }), upstream: m[2]!, release: m[3]! },
    arch,
    date: 1704067200,
    maintainer: "Packyard Test <test@packyard.invalid>",
    summary: `Test package ${options.name}`,
    description: "A package made by the repository tests.",
    license: "MIT",
    relations: options.relations ?? {},
    entries,
    scripts: {},
    changelog: [],
  });
}

/** busybox applets the stub links, for scriptlets and for `rpm --root` tools. */
const APPLETS = ["sh", "bash", "mkdir", "chmod", "rmdir", "cat", "rm", "echo", "true", "ls"];

/**
 * `packyard-stub` 1.0-1 x86_64: a static busybox as /bin/sh, /bin/bash and a few commands, /etc/passwd
 * and /etc/group with root, daemon and nobody. Installed first, it makes an empty root usable by dnf and
 * zypper without forcing dependencies (rpm's own `/bin/sh` requirement is met by a file path, which
 * primary.xml lists because it is under a `bin/` folder). Needs /bin/busybox (busybox-static).
 */
export async function stubRpm(): Promise<TestDeb> {
  const text = (s: string) => bytesSource(enc.encode(s));
  const entries: Entry[] = [
    {
      type: "file",
      path: "/bin/busybox",
      mode: 0o755,
      ...ROOT_OWNER,
      content: bytesSource(new Uint8Array(readFileSync("/bin/busybox"))),
    },
    ...APPLETS.map(
      (a): Entry => ({ type: "symlink", path: `/bin/${a}`, mode: 0o777, ...ROOT_OWNER, target: "busybox" }),
    ),
    { type: "symlink", path: "/usr/bin/env", mode: 0o777, ...ROOT_OWNER, target: "/bin/busybox" },
    {
      type: "file",
      path: "/etc/passwd",
      mode: 0o644,
      ...ROOT_OWNER,
      content: text(
        "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
      ),
    },
    {
      type: "file",
      path: "/etc/group",
      mode: 0o644,
      ...ROOT_OWNER,
      content: text("root:x:0:\ndaemon:x:1:\nnobody:x:65534:\n"),
    },
    { type: "dir", path: "/var/log", mode: 0o755, ...ROOT_OWNER },
  ];
  return specRpm({
    name: "packyard-stub",
    version: { upstream: "1.0", release: "1" },
    arch: "amd64",
    date: 1700000000,
    summary: "Scratch-root stub: static busybox shell and users",
    description: "Provides /bin/sh and friends for tests that install into an empty root.",
    license: "GPL-2.0-only",
    relations: {},
    entries,
    scripts: {},
    changelog: [],
  });
}

/** What one run of a tool did. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, collecting both streams (the apt helpers' runner). */
export function runAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolRun> {
  return spawnAsync(command, args, env);
}

/** The environment of every scratch run: C locale (messages the tests match), no proxy. */
function toolEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: "C", LANGUAGE: "" };
  for (const k of ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"])
    delete env[k];
  return env;
}

/** A scratch install root with its own rpm database, and `rpm --root` over it. */
interface ScratchRoot {
  /** The folder holding everything (removed by dispose). */
  dir: string;
  /** The install root. */
  root: string;
  /** `rpm --root <root> ...args`. */
  rpm(args: string[]): Promise<ToolRun>;
  /** Removes the folder. */
  dispose(): void;
}

function scratchRoot(parent: string | undefined, prefix: string): ScratchRoot {
  const dir = mkdtempSync(join(parent ?? tmpdir(), prefix));
  const root = join(dir, "root");
  mkdirSync(root);
  return {
    dir,
    root,
    rpm: (args) => runAsync("rpm", ["--root", root, ...args], toolEnv()),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One package as `dnf repoquery` or `rpm -q` reports it. */
export interface RpmQueryRecord {
  name: string;
  epoch: number;
  version: string;
  release: string;
  arch: string;
  /** Requires as printed (`yard-engine >= 1.0`), in the tool's order. */
  requires: string[];
  /** Provides as printed (`yard-tool = 2:1.5-3`), in the tool's order. */
  provides: string[];
  /** `dnf repoquery` only: the `location href` from primary.xml. */
  location?: string;
}

/** `rpm --qf` text printing a package as {@link parseRpmQuery} reads it. */
export const RPM_QUERY_FORMAT =
  "@@ %{NAME}|%{EPOCHNUM}|%{VERSION}|%{RELEASE}|%{ARCH}|\n## requires\n[%{REQUIRENEVRS}\n]## provides\n[%{PROVIDENEVRS}\n]";

/** `dnf repoquery --qf` text printing a package as {@link parseRpmQuery} reads it. */
export const DNF_QUERY_FORMAT =
  "@@ %{name}|%{epoch}|%{version}|%{release}|%{arch}|%{location}\n## requires\n%{requires}\n## provides\n%{provides}\n";

/** Reads the records printed with {@link RPM_QUERY_FORMAT} or {@link DNF_QUERY_FORMAT}. */
export function parseRpmQuery(text: string): RpmQueryRecord[] {
  const out: RpmQueryRecord[] = [];
  for (const block of text.split(/^@@ /m).slice(1)) {
    const [head = "", ...rest] = block.split("\n");
    const [name = "", epoch = "", version = "", release = "", arch = "", location = ""] = head.split("|");
    const lists: Record<string, string[]> = { requires: [], provides: [] };
    let into: string[] | undefined;
    for (const line of rest) {
      const section = /^## (requires|provides)$/.exec(line)?.[1];
      if (section !== undefined) into = lists[section];
      else if (line.trim() !== "") into?.push(line.trim());
    }
    out.push({
      name,
      epoch: Number(epoch === "(none)" || epoch === "" ? 0 : epoch),
      version,
      release,
      arch,
      requires: lists.requires ?? [],
      provides: lists.provides ?? [],
      ...(location === "" ? {} : { location }),
    });
  }
  return out;
}

/** `rpm -qp` of package files (signatures not checked), parsed. */
export async function queryRpmFiles(paths: string[]): Promise<RpmQueryRecord[]> {
  const r = await runAsync("rpm", ["-qp", "--nosignature", "--qf", RPM_QUERY_FORMAT, ...paths], toolEnv());
  if (r.code !== 0) throw new Error(`rpm -qp exited ${r.code}\n${r.stderr}`);
  return parseRpmQuery(r.stdout);
}

/** A scratch dnf: its own config, repos.d, cache, log folder and install root. */
export interface ScratchDnf extends ScratchRoot {
  /** The base architecture dnf is forced to (`$basearch`). */
  arch: string;
  /** Runs dnf with the scratch config and `args` (add `-q` where output is not needed). */
  dnf(args: string[]): Promise<ToolRun>;
  /** `dnf -q repoquery` of every available package (or of `args`), parsed. */
  repoquery(args?: string[]): Promise<ToolRun & { packages: RpmQueryRecord[] }>;
}

/**
 * A scratch dnf 4 reading only `repoFileText` (the text of a `.repo` file): `--config` a file of its own
 * (no host dnf.conf), `reposdir`, `cachedir` and `logdir` in its folder, `--installroot` an empty root,
 * `--releasever 9`, `--forcearch arch` (default x86_64) and no plugins. `-y` answers every question, so
 * the keys named by `gpgkey=` are imported when dnf asks.
 * @example
 * const dnf = scratchDnf(undefined, repoText);
 * assert.equal((await dnf.dnf(["-q", "makecache"])).code, 0);
 */
export function scratchDnf(
  parent: string | undefined,
  repoFileText: string,
  options: { arch?: string; releasever?: string } = {},
): ScratchDnf {
  const base = scratchRoot(parent, "packyard-dnf-");
  const arch = options.arch ?? "x86_64";
  const reposdir = join(base.dir, "repos.d");
  const cachedir = join(base.dir, "cache");
  const logdir = join(base.dir, "log");
  for (const d of [reposdir, cachedir, logdir]) mkdirSync(d);
  writeFileSync(join(reposdir, "packyard.repo"), repoFileText);
  const config = join(base.dir, "dnf.conf");
  writeFileSync(
    config,
    [
      "[main]",
      "gpgcheck=1",
      "best=True",
      "skip_if_unavailable=False",
      "install_weak_deps=False",
      `reposdir=${reposdir}`,
      `cachedir=${cachedir}`,
      `logdir=${logdir}`,
      "",
    ].join("\n"),
  );
  const env = toolEnv();
  const dnf = (args: string[]) =>
    runAsync(
      "dnf",
      [
        "-y",
        `--config=${config}`,
        `--installroot=${base.root}`,
        `--releasever=${options.releasever ?? "9"}`,
        `--forcearch=${arch}`,
        `--setopt=reposdir=${reposdir}`,
        `--setopt=cachedir=${cachedir}`,
        `--setopt=logdir=${logdir}`,
        "--noplugins",
        ...args,
      ],
      env,
    );
  return {
    ...base,
    arch,
    dnf,
    async repoquery(args = []) {
      const r = await dnf(["-q", "repoquery", "--qf", DNF_QUERY_FORMAT, ...args]);
      return { ...r, packages: parseRpmQuery(r.stdout) };
    },
  };
}

/** A scratch zypper: an install root whose /etc/zypp and caches are its own. */
export interface ScratchZypper extends ScratchRoot {
  /** `zypper --non-interactive --root <root> ...args` (no `--gpg-auto-import-keys`). */
  zypper(args: string[]): Promise<ToolRun>;
}

/**
 * A scratch zypper over an empty root: repositories, caches and the rpm database all live under the root
 * (`zypper --root`), nothing is read from the host's /etc/zypp. Trust comes only from keys imported into
 * the root's rpm database (`rpm(["--import", key])`), as on a real system.
 */
export function scratchZypper(parent?: string): ScratchZypper {
  const base = scratchRoot(parent, "packyard-zypper-");
  const env = toolEnv();
  return {
    ...base,
    zypper: (args) => runAsync("zypper", ["--non-interactive", "--root", base.root, ...args], env),
  };
}
