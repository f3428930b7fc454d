/**
 * What the pacman repository tests add to pacman-root.ts: small Arch packages made by @packyard/formats'
 * writer (pacman architecture names, `[epoch:]pkgver-pkgrel` versions, depends), and a scratch root whose
 * pacman.conf carries `[repo]` sections (SigLevel and Server lines) for a published repository.
 */
import { spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { bytesSource, type PackageSpec, packageFileName, readPackage, writePackage } from "@packyard/formats";
import { type ArchlinuxOptions, fromArchlinuxArch } from "@packyard/formats/archlinux";
import type { TestDeb } from "./debs.ts";
import { makeRoot } from "./pacman-root.ts";

/** What a test Arch package varies. */
export interface TestArchOptions {
  name: string;
  /** `[epoch:]pkgver-pkgrel`, e.g. `1:2.0-1`. */
  version: string;
  /** A pacman architecture: `x86_64`, `aarch64`, `any`. */
  arch: string;
  /** pacman dependency strings: `name`, `name>=1.0`, `name=1:2.0-1`. */
  depends?: readonly string[];
  /** Paths of extra files (each holds its own path and a newline). */
  files?: readonly string[];
  /** Extra bytes in /usr/share/<name>/data, to change the content without changing the version. */
  payload?: string;
}

const enc = new TextEncoder();
const own = { owner: { name: "root", id: 0 }, group: { name: "root", id: 0 } };

function parseArchVersion(text: string): PackageSpec["version"] {
  const m = /^(?:(\d+):)?([^-:]+)-([^-]+)$/.exec(text);
  if (m === null) throw new Error(`test Arch package version ${text}: expected [epoch:]pkgver-pkgrel`);
  const v: PackageSpec["version"] = { upstream: m[2]!, release: m[3]! };
  if (m[1] !== undefined) v.epoch = Number(m[1]);
  return v;
}

function parseDepend(text: string): { name: string; op?: string; version?: string } {
  const m = /^([^<>=]+)(<=|>=|<|>|=)?(.*)$/.exec(text);
  if (m === null) throw new Error(`test Arch dependency ${text}`);
  return m[2] === undefined ? { name: m[1]! } : { name: m[1]!, op: m[2], version: m[3]! };
}

/**
 * Writes and reads back one small Arch package (deterministic for given options), shaped like a
 * PublishInput with its bytes; `name` is the file name makepkg would give it.
 * @example const tool = await testArchPackage({ name: "yard-tool", version: "1:2.0-1", arch: "x86_64" });
 */
export async function testArchPackage(o: TestArchOptions): Promise<TestDeb> {
  const spec = {
    name: o.name,
    version: parseArchVersion(o.version),
    arch: fromArchlinuxArch(o.arch) ?? o.arch,
    date: 1704067200,
    maintainer: "Packyard Test <test@packyard.invalid>",
    summary: `Test package ${o.name}`,
    description: "A package made by the repository tests.",
    license: "MIT",
    relations: o.depends === undefined ? {} : { depends: o.depends.map((d) => [parseDepend(d)]) },
    scripts: {},
    changelog: [],
    entries: [
      {
        type: "file",
        path: `/usr/share/${o.name}/data`,
        mode: 0o644,
        ...own,
        content: bytesSource(enc.encode(`${o.name} ${o.version} ${o.payload ?? ""}\n`)),
      },
      ...(o.files ?? []).map((p) => ({
        type: "file" as const,
        path: p,
        mode: 0o644,
        ...own,
        content: bytesSource(enc.encode(`${p}\n`)),
      })),
    ],
  } as unknown as PackageSpec;
  const options: ArchlinuxOptions = { arch: o.arch };
  const parts: Uint8Array[] = [];
  for await (const c of writePackage("archlinux", spec, options)) parts.push(c);
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const source = bytesSource(bytes);
  const name = packageFileName("archlinux", spec, options);
  return { info: await readPackage(source, name), source, name, bytes };
}

/** One `[repo]` section of a scratch pacman.conf. */
export interface PacmanSection {
  /** The section name: the repository (database) name. */
  repo: string;
  /** Server URLs, each a `Server =` line (`$repo` and `$arch` are pacman's to expand). */
  servers: string[];
  /** Default `Required DatabaseRequired`, as the install instructions of a signed repository say. */
  sigLevel?: string;
}

/** The pacman.conf text of `sections`. */
export function pacmanSections(sections: readonly PacmanSection[]): string {
  return sections
    .map((s) =>
      [
        `[${s.repo}]`,
        `SigLevel = ${s.sigLevel ?? "Required DatabaseRequired"}`,
        ...s.servers.map((u) => `Server = ${u}`),
        "",
      ].join("\n"),
    )
    .join("");
}

/** What a pacman run gave. */
export interface PacmanRun {
  /** Exit status (-1 when a signal ended it). */
  status: number;
  stdout: string;
  stderr: string;
}

/** A scratch root for a published repository. */
export interface RepoRoot {
  root: string;
  /** Its pacman.conf. */
  conf: string;
  /**
   * Runs pacman against this root without blocking the event loop (a repository served by this process
   * must keep answering); never rejects for a non-zero exit.
   */
  pacman(args: string[]): Promise<PacmanRun>;
}

/**
 * A fresh scratch root (makeRoot: its own database, cache, `Architecture`, busybox as /bin/sh) whose
 * pacman.conf also holds `sections`, reading keys from `gpgdir`.
 * @example
 * const root = makeRepoRoot(gpgdir, [{ repo: "tools", servers: [`file://${dir}/archlinux/$repo/os/$arch`] }]);
 * await root.pacman(["-Sy"]);
 */
export function makeRepoRoot(
  gpgdir: string,
  sections: readonly PacmanSection[],
  architecture = "x86_64",
): RepoRoot {
  const { root, args: base } = makeRoot(gpgdir, architecture);
  const conf = join(root, "pacman.conf");
  appendFileSync(conf, pacmanSections(sections));
  return {
    root,
    conf,
    pacman: (args) =>
      new Promise((resolve, reject) => {
        const child = spawn("pacman", [...base, ...args], { stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (c: Buffer) => out.push(c));
        child.stderr.on("data", (c: Buffer) => err.push(c));
        child.once("error", reject);
        child.once("close", (code) =>
          resolve({
            status: code ?? -1,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(err).toString("utf8"),
          }),
        );
      }),
  };
}
