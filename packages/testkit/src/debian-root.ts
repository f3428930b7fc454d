/**
 * One Debian 12 root for every system-level test (install steps run verbatim in `chroot`, install.sh, the
 * server's tests): built once by `debootstrap --variant=minbase --include=curl,ca-certificates bookworm`
 * from Debian's archive into a cache folder, reused while present; each test case gets a fresh copy of
 * it (an overlayfs mount over the cache when the kernel allows it, else `cp -a`), unmounted and removed
 * after the test. Tests never download: a missing cache skips the test locally and fails it under
 * CI=true. Run this file to fill the cache ahead of the tests (`.ci/run` does):
 * `node --conditions=@packyard/source packages/testkit/src/debian-root.ts`.
 *
 * What apt and dpkg need inside the chroot, found by running them: nothing mounted for `apt-get update`,
 * `apt-get install`, `dpkg -s` and `apt-get remove` to succeed (the root's /dev holds the device nodes
 * debootstrap made, and no /proc is read); without /dev/pts apt prints `E: Can not write log (Is /dev/pts
 * mounted?)` and still exits 0, so each copy gets its own devpts instance to keep apt's output clean. The
 * copies reach only 127.0.0.1: the archive line debootstrap left in sources.list is emptied and
 * resolv.conf names no server, so nothing in a test can fetch from Debian.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { TestContext } from "node:test";
import { needRoot, needTool } from "./tools.ts";

/** Where the root is cached when PACKYARD_DEBIAN_ROOT is not set. */
export const DEFAULT_DEBIAN_ROOT = "/var/cache/packyard/debian-12";

/** The suite, variant, extra packages and mirror the root is built from. */
export const DEBOOTSTRAP_ARGS: readonly string[] = [
  "--variant=minbase",
  "--include=curl,ca-certificates",
  "bookworm",
];
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";

/** The cache folder: PACKYARD_DEBIAN_ROOT, else {@link DEFAULT_DEBIAN_ROOT}; absolute. */
export function debianRootDir(env: NodeJS.ProcessEnv = process.env): string {
  const set = env.PACKYARD_DEBIAN_ROOT;
  return resolve(set !== undefined && set !== "" ? set : DEFAULT_DEBIAN_ROOT);
}

/** True when `dir` holds a finished root (a build is renamed into place only once complete). */
export function hasDebianRoot(dir: string = debianRootDir()): boolean {
  return existsSync(join(dir, "etc/debian_version")) && existsSync(join(dir, "usr/bin/apt-get"));
}

/**
 * Builds the root into `<dir>.tmp` with debootstrap and renames it to `dir`, unless `dir` already holds
 * one (then nothing is downloaded). A `<dir>.tmp` left by an interrupted build is unmounted (debootstrap
 * mounts /proc and /sys in its target) and removed first. Needs root and debootstrap; throws with
 * debootstrap's exit status when it fails (its output goes to this process's stderr).
 * @example buildDebianRoot(); // { dir: "/var/cache/packyard/debian-12", built: false }
 */
export function buildDebianRoot(dir: string = debianRootDir()): { dir: string; built: boolean } {
  if (hasDebianRoot(dir)) return { dir, built: false };
  if (existsSync(dir))
    throw new Error(
      `buildDebianRoot: ${dir} exists but holds no Debian root (no etc/debian_version or usr/bin/apt-get); remove it`,
    );
  const tmp = `${dir}.tmp`;
  if (existsSync(tmp)) removeTree(tmp);
  mkdirSync(dirname(dir), { recursive: true });
  const r = spawnSync("debootstrap", [...DEBOOTSTRAP_ARGS, tmp, DEBIAN_MIRROR], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.error) throw new Error(`buildDebianRoot: debootstrap could not start: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`buildDebianRoot: debootstrap exited ${r.status ?? r.signal} building ${tmp}`);
  unmountUnder(tmp);
  if (!hasDebianRoot(tmp))
    throw new Error(
      `buildDebianRoot: debootstrap exited 0 but ${tmp} has no etc/debian_version or usr/bin/apt-get`,
    );
  renameSync(tmp, dir);
  return { dir, built: true };
}

/**
 * The cache folder, or undefined after skipping the test (locally) when the root is missing; under
 * CI=true a missing root throws, like {@link needTool}: tests never build it themselves.
 */
export function needDebianRoot(t: TestContext): string | undefined {
  const dir = debianRootDir();
  if (hasDebianRoot(dir)) return dir;
  const msg = `needs the Debian 12 root in ${dir} (PACKYARD_DEBIAN_ROOT): build it once with \`node --conditions=@packyard/source packages/testkit/src/debian-root.ts\` (.ci/run does)`;
  if (process.env.CI === "true") throw new Error(`CI=true and the Debian root is missing: ${msg}`);
  t.skip(msg);
  return undefined;
}

/** What one command in the root did. */
export interface RootRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time, milliseconds. */
  ms: number;
}

/** A fresh copy of the Debian root for one test. */
export interface DebianRoot {
  /** The copy's top folder (what `chroot` is given). */
  path: string;
  /** How the copy was made. */
  mode: "overlay" | "copy";
  /**
   * Runs `chroot <path> sh -c <command>` with stdin closed, the environment a root login has (PATH, HOME,
   * LC_ALL=C; no proxy variables) and a timeout (default 120 s). Never throws for a failing command.
   */
  sh(command: string, options?: { timeoutMs?: number }): Promise<RootRun>;
}

/**
 * A fresh copy of the cached root for this test, removed in `t.after` (every mount under it unmounted
 * first; nothing is deleted while something is still mounted there). Undefined when the test was skipped:
 * not root, or no cache (see {@link needDebianRoot}).
 * @example
 * const root = await freshDebianRoot(t);
 * if (root === undefined) return;
 * const r = await root.sh("apt-get update");
 */
export async function freshDebianRoot(t: TestContext): Promise<DebianRoot | undefined> {
  if (!needRoot(t, "a Debian root copy is mounted and entered with chroot")) return undefined;
  if (!needTool(t, "chroot", "mount", "umount")) return undefined;
  const lower = needDebianRoot(t);
  if (lower === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "packyard-debian-root-"));
  const path = join(dir, "root");
  for (const d of ["upper", "work", "root"]) mkdirSync(join(dir, d));
  t.after(() => removeTree(dir));
  let mode: DebianRoot["mode"] = "overlay";
  const overlay = await spawnRun("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${lower},upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`,
    path,
  ]);
  if (overlay.code !== 0) {
    // no overlayfs here (an overlay /tmp, a container without it): a plain copy, a few seconds
    mode = "copy";
    const copy = await spawnRun("cp", ["-a", `${lower}/.`, path]);
    if (copy.code !== 0)
      throw new Error(`freshDebianRoot: cp -a ${lower} ${path} exited ${copy.code}\n${copy.stderr}`);
  }
  // hermetic: no archive line, no name server; the steps under test add the only source
  writeFileSync(join(path, "etc/apt/sources.list"), "");
  writeFileSync(join(path, "etc/resolv.conf"), "");
  // a devpts of its own (not the host's), so apt can log through a pty; apt works without it
  await spawnRun("mount", [
    "-t",
    "devpts",
    "-o",
    "newinstance,ptmxmode=0666,mode=0620",
    "devpts",
    join(path, "dev/pts"),
  ]);
  return {
    path,
    mode,
    sh: (command, options = {}) =>
      spawnRun("chroot", [path, "/bin/sh", "-c", command], {
        env: ROOT_ENV,
        timeoutMs: options.timeoutMs ?? 120_000,
      }),
  };
}

/** What a root shell in the copy gets: Debian's default root PATH and nothing from the test's environment. */
const ROOT_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LC_ALL: "C",
};

/** Runs a program to its end with stdin closed, collecting both streams; 127 when it cannot start. */
function spawnRun(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RootRun> {
  const start = performance.now();
  return new Promise((done) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs, killSignal: "SIGKILL" }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) =>
      done({ code: 127, stdout: "", stderr: `${command}: ${e.message}\n`, ms: performance.now() - start }),
    );
    child.on("close", (code, signal) =>
      done({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString() + (signal === null ? "" : `${command}: killed by ${signal}\n`),
        ms: performance.now() - start,
      }),
    );
  });
}

/** Mount points at or under `dir`, deepest first, from this process's mount table. */
function mountsUnder(dir: string): string[] {
  const top = resolve(dir);
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8))))
    .filter((p) => p === top || p.startsWith(`${top}/`))
    .sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or under `dir` (lazily when busy); throws when something stays mounted. */
function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) {
    if (spawnSync("umount", [m], { stdio: "ignore" }).status !== 0)
      spawnSync("umount", ["-l", m], { stdio: "ignore" });
  }
  const left = mountsUnder(dir);
  if (left.length > 0) throw new Error(`debian-root: still mounted under ${dir}: ${left.join(", ")}`);
}

/** Unmounts what is under `dir`, then removes it without crossing into any other file system. */
function removeTree(dir: string): void {
  unmountUnder(dir);
  const r = spawnSync("rm", ["-rf", "--one-file-system", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`debian-root: rm -rf ${dir} exited ${r.status}\n${r.stderr}`);
}

if (import.meta.main) {
  const { dir, built } = buildDebianRoot();
  process.stdout.write(`Debian 12 root in ${dir} (${built ? "built" : "reused"})\n`);
}
