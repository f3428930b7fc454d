/**
 * A scratch apt for interop tests, run as root without touching the host's apt: an APT_CONFIG file (read
 * before anything else, apt-pkg/init.cc) moves every directory apt reads or writes — state, cache, lists,
 * sources, config parts, trusted keys (left empty, so only the source's Signed-By can verify), the dpkg
 * status — into one folder. Multiarch amd64 + i386 and a non-UTC TZ are on in every run because that is
 * where generated repositories get warnings (missing Architectures, Date parsed in local time). The source
 * is one deb822 `.sources` file with Signed-By. Callers check the tools first with `needTool` (apt-get,
 * apt-cache, plus dpkg for installInto and apt-file for fileSearch).
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One deb822 source of the scratch apt. */
export interface AptSource {
  /** `file:/abs/repo/deb` or `http://127.0.0.1:<port>/deb`. */
  uri: string;
  /** Default `stable`. */
  suite?: string;
  /** Default `["main"]`. */
  components?: string[];
  /** Path of the key file apt verifies with (the repository's `keys/<name>.asc` or `.gpg`). */
  signedBy: string;
  /** Extra deb822 fields of the source (`{ "By-Hash": "force" }`). */
  fields?: Record<string, string>;
}

/** Options of {@link scratchApt}. */
export interface ScratchAptOptions {
  sources: AptSource | AptSource[];
  /** APT::Architectures, native first; default `["amd64", "i386"]`. */
  architectures?: string[];
  /** TZ of every run; default `Asia/Tokyo` (a Release Date read as local time would be 9 h off). */
  timeZone?: string;
  /** Load apt-file's index targets (Contents-<arch>) so that `fileSearch` works; default true. */
  contents?: boolean;
  /** Extra apt.conf text appended to the scratch config. */
  config?: string;
}

/** What one apt run did, with its diagnostic lines picked out. */
export interface AptResult {
  code: number;
  stdout: string;
  stderr: string;
  /** `W: ...` lines (from both streams). */
  warnings: string[];
  /** `E: ...` lines. */
  errors: string[];
  /** `N: ...` lines. */
  notices: string[];
  /** `Ign:...` progress lines (apt tried a file and went on without it). */
  ignored: string[];
  /** `Err:...` progress lines. */
  failed: string[];
}

/** `apt-cache policy` of one package. */
export interface AptPolicy extends AptResult {
  installed?: string;
  candidate?: string;
  /** Every version in the version table, as printed (highest first). */
  versions: string[];
}

/**
 * A scratch apt environment; every method runs apt with this environment's config and never rejects. Runs
 * are asynchronous so that a server in the test's own process (serveFolder, the S3 server) can answer.
 */
export interface ScratchApt {
  /** The folder holding everything (removed by dispose). */
  dir: string;
  /** The APT_CONFIG file. */
  configFile: string;
  /** The environment of every run (APT_CONFIG, TZ, LC_ALL=C). */
  env: NodeJS.ProcessEnv;
  /** Runs any apt program (or apt-file) with the scratch environment. */
  run(command: string, args: string[]): Promise<AptResult>;
  /** `apt-get update`. */
  update(...args: string[]): Promise<AptResult>;
  /** `apt-cache policy <pkg>`, parsed. */
  policy(pkg: string): Promise<AptPolicy>;
  /** `apt-cache show <pkg>` (`name`, `name=version`, `name:arch`); `records` are the raw stanzas. */
  show(pkg: string): Promise<AptResult & { records: string[] }>;
  /** `apt-get download <pkg>` into `dest` (default a fresh folder); `files` are the paths it wrote. */
  download(pkg: string, dest?: string): Promise<AptResult & { files: string[] }>;
  /**
   * `apt-get install <pkg>` into the scratch root `root` (made by {@link scratchRoot}): apt plans against
   * `<root>/var/lib/dpkg/status` and runs `dpkg --root=<root>`. For packages without maintainer scripts.
   */
  installInto(root: string, pkg: string): Promise<AptResult>;
  /**
   * `apt-file search` for an exact path in the scratch lists' Contents (`update()` fetches them) of the
   * native architecture, or of `arch`; `matches` are its `pkg: path` lines.
   */
  fileSearch(path: string, arch?: string): Promise<AptResult & { matches: string[] }>;
  /** Removes the folder. */
  dispose(): void;
}

/** apt-file's own config (the Contents-deb index target); copied into the scratch config parts when present. */
const APT_FILE_CONF = "/etc/apt/apt.conf.d/50apt-file.conf";

/**
 * Creates a scratch apt environment for the given sources.
 * @example
 * const apt = scratchApt({ sources: { uri: `file:${repo}/deb`, signedBy: `${repo}/keys/repository.asc` } });
 * assert.deepEqual((await apt.update()).warnings, []);
 */
export function scratchApt(options: ScratchAptOptions): ScratchApt {
  const dir = mkdtempSync(join(tmpdir(), "packyard-apt-"));
  // apt's download methods drop to the _apt user: it must reach the lists, the key file and file: repos.
  chmodSync(dir, 0o755);
  const etc = join(dir, "etc");
  for (const d of [
    "etc/apt.conf.d",
    "etc/sources.list.d",
    "etc/trusted.gpg.d",
    "etc/preferences.d",
    "state/lists/partial",
    "cache/archives/partial",
    "log",
  ])
    mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "state/status"), "");
  const archs = options.architectures ?? ["amd64", "i386"];
  const configFile = join(dir, "apt.conf");
  writeFileSync(
    configFile,
    [
      `Dir::State "${dir}/state";`,
      `Dir::State::lists "${dir}/state/lists";`,
      `Dir::State::status "${dir}/state/status";`,
      `Dir::Cache "${dir}/cache";`,
      `Dir::Log "${dir}/log";`,
      `Dir::Etc "${etc}";`,
      `Dir::Etc::main "${etc}/apt.conf";`,
      // the host's parts (hooks such as DPkg::Pre-Invoke, proxies, pins) are not read
      `Dir::Etc::parts "${etc}/apt.conf.d";`,
      `Dir::Etc::sourcelist "${etc}/sources.list";`,
      `Dir::Etc::sourceparts "${etc}/sources.list.d";`,
      `Dir::Etc::trusted "${etc}/trusted.gpg";`,
      `Dir::Etc::trustedparts "${etc}/trusted.gpg.d";`,
      `Dir::Etc::preferences "${etc}/preferences";`,
      `Dir::Etc::preferencesparts "${etc}/preferences.d";`,
      `APT::Architecture "${archs[0] ?? "amd64"}";`,
      `APT::Architectures { ${archs.map((a) => `"${a}";`).join(" ")} };`,
      options.config ?? "",
      "",
    ].join("\n"),
  );
  if (options.contents !== false && existsSync(APT_FILE_CONF))
    copyFileSync(APT_FILE_CONF, join(etc, "apt.conf.d/50apt-file.conf"));
  const sources = Array.isArray(options.sources) ? options.sources : [options.sources];
  writeFileSync(join(etc, "sources.list.d/packyard.sources"), sources.map(sourceStanza).join("\n"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APT_CONFIG: configFile,
    TZ: options.timeZone ?? "Asia/Tokyo",
    LC_ALL: "C",
    LANGUAGE: "",
    DEBIAN_FRONTEND: "noninteractive",
  };
  const run = async (command: string, args: string[], cwd?: string): Promise<AptResult> => {
    const r = await spawnAsync(command, args, env, cwd);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ...diagnostics(r.stdout, r.stderr) };
  };
  return {
    dir,
    configFile,
    env,
    run: (command, args) => run(command, args),
    update: (...args) => run("apt-get", ["update", ...args]),
    async policy(pkg) {
      const r = await run("apt-cache", ["policy", pkg]);
      const field = (name: string) => {
        const v = new RegExp(`^\\s+${name}: (.+)$`, "m").exec(r.stdout)?.[1];
        return v === undefined || v === "(none)" ? undefined : v;
      };
      const versions = [...r.stdout.matchAll(/^ {5}(?:\*\*\* | {4})(\S+) \d+$/gm)].map((m) => m[1] ?? "");
      const installed = field("Installed");
      const candidate = field("Candidate");
      return {
        ...r,
        versions,
        ...(installed === undefined ? {} : { installed }),
        ...(candidate === undefined ? {} : { candidate }),
      };
    },
    async show(pkg) {
      const r = await run("apt-cache", ["show", pkg]);
      const records = r.stdout
        .split(/\n\n+/)
        .filter((s) => s.trim() !== "")
        .map((s) => `${s.replace(/\n*$/, "")}\n`);
      return { ...r, records };
    },
    async download(pkg, dest) {
      const into = dest ?? mkdtempSync(join(dir, "download-"));
      chmodSync(into, 0o777); // apt-get download writes as _apt
      const before = new Set(readdirSync(into));
      const r = await run("apt-get", ["download", pkg], into);
      const files = readdirSync(into)
        .filter((f) => !before.has(f))
        .map((f) => join(into, f));
      return { ...r, files };
    },
    installInto(root, pkg) {
      return run("apt-get", [
        "install",
        "--yes",
        "--no-install-recommends",
        `-oDir::State::status=${root}/var/lib/dpkg/status`,
        `-oDPkg::Options::=--root=${root}`,
        "-oDPkg::Options::=--log=/dev/null",
        // dpkg 1.21's --root implies this admindir; said explicitly so no dpkg run can reach the host's
        `-oDPkg::Options::=--admindir=${root}/var/lib/dpkg`,
        pkg,
      ]);
    },
    async fileSearch(path, arch) {
      const r = await run("apt-file", [
        ...(arch === undefined ? [] : ["-a", arch]),
        "search",
        "--fixed-string",
        path,
      ]);
      const matches = r.stdout.split("\n").filter((l) => l.includes(": "));
      return { ...r, matches };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A scratch root for {@link ScratchApt.installInto}: an empty dpkg database under `<root>/var/lib/dpkg`.
 * Removed with its parent folder by the caller.
 */
export function scratchRoot(parent?: string): string {
  const root = mkdtempSync(join(parent ?? tmpdir(), "packyard-root-"));
  for (const d of ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "tmp"])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  writeFileSync(join(root, "var/lib/dpkg/available"), "");
  return root;
}

/** Lines `W: `, `E: `, `N: `, `Ign:` and `Err:` of an apt run. */
export function diagnostics(
  stdout: string,
  stderr: string,
): Pick<AptResult, "warnings" | "errors" | "notices" | "ignored" | "failed"> {
  const lines = `${stdout}\n${stderr}`.split("\n");
  const pick = (prefix: string) => lines.filter((l) => l.startsWith(prefix));
  return {
    warnings: pick("W: "),
    errors: pick("E: "),
    notices: pick("N: "),
    ignored: pick("Ign:"),
    failed: pick("Err:"),
  };
}

/** Runs a program to its end, collecting both streams; a program that cannot start gives code 127. */
export function spawnAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, {
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(cwd === undefined ? {} : { cwd }),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => done({ code: 127, stdout: "", stderr: `${command}: ${e.message}\n` }));
    child.on("close", (code, signal) =>
      done({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString() + (signal === null ? "" : `${command}: killed by ${signal}\n`),
      }),
    );
  });
}

function sourceStanza(s: AptSource): string {
  const fields: Record<string, string> = {
    Types: "deb",
    URIs: s.uri,
    Suites: s.suite ?? "stable",
    Components: (s.components ?? ["main"]).join(" "),
    "Signed-By": s.signedBy,
    ...s.fields,
  };
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}\n`)
    .join("");
}
