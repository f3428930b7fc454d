/** `packyard build`: config in, packages out (nfpm's `package` flags: -f, -p, -t). */
import { basename, dirname, relative, resolve } from "node:path";
import { build, defaultConfigPath } from "../build.ts";
import { type BuildProgress, PACKAGERS, packagerFromFileName, SpecError } from "../formats.ts";
import { Progress } from "../progress.ts";
import { resolveBuildDate } from "../build-date.ts";
import type { Command } from "../command.ts";
import { UsageError } from "../usage-error.ts";

function list(v: unknown): string[] {
  const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return values
    .flatMap((s) => String(s).split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * What `packyard build` without `-p` builds: one package per format and the two archive kinds users
 * download most (tar.zst and tar.xz repeat tar.gz's content; xz needs the optional lzma-native).
 */
const DEFAULT_PACKAGERS = ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"] as const;

/** A path relative to the working folder when it lies inside it, else absolute. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/** PACKYARD_PROGRESS_INTERVAL in milliseconds (seconds in the environment; default 5 s). */
function progressInterval(env: Readonly<Record<string, string | undefined>>): number {
  const v = env.PACKYARD_PROGRESS_INTERVAL;
  if (v === undefined || v === "") return 5000;
  const seconds = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(seconds > 0)) {
    throw new SpecError(
      "INVALID_FIELD",
      `PACKYARD_PROGRESS_INTERVAL: expected seconds between progress lines (e.g. 30), found ${JSON.stringify(v)}`,
      { field: "PACKYARD_PROGRESS_INTERVAL", found: v },
    );
  }
  return seconds * 1000;
}

export const buildCommand: Command = {
  name: "build",
  summary: "build packages from packyard.yml (or nfpm.yaml)",
  help: `Usage: packyard build [-f packyard.yml] [-p deb[,rpm,...]] [-t dist/] [--json] [-q]

Builds one package per packager from the config and writes them into the target folder, then a
checksums file over everything this run wrote (SHA256SUMS; the config's checksum: block chooses the
algorithm and name, signs it as SHA256SUMS.asc, or disables it), and last packyard-build.json: the
manifest of every file written, with each package's metadata, which publishing reads. Build every
packager in one run: a later run writes its own checksums file and manifest over the earlier ones.

Options:
  -f, --config FILE     config file (default: packyard.yml, else packyard.yaml, nfpm.yaml, nfpm.yml)
  -p, --packager LIST   comma-separated packagers: ${PACKAGERS.join(", ")}
                        (may be repeated; guessed from --target when it is a file name;
                        default: ${DEFAULT_PACKAGERS.join(",")})
  -t, --target PATH     output folder (default: dist/), or the file name when one packager is built
      --json            print a manifest [{ format, path, size, sha256 }] on stdout
                        (the checksums file and its .asc have format "checksums")
  -q, --quiet           no progress and no "built" lines on stderr (warnings and errors still print)
      --debug           stack traces, and where the build date came from
  -h, --help            show this help

Relative paths in the config (contents, scripts, changelog, key files) resolve against the working
directory, as nfpm's do: run the build from the folder the paths are written from.
Progress goes to stderr: on a terminal a bar per packager (files and bytes read, bytes written, rate);
elsewhere a line when a packager starts and one every 5 s while it writes
(PACKYARD_PROGRESS_INTERVAL=SECONDS changes that).
The build date is SOURCE_DATE_EPOCH, else the latest git commit time of the config's folder, else now.
Signing keys named in the config are unlocked with PACKYARD_<FORMAT>_PASSPHRASE or PACKYARD_PASSPHRASE
(nfpm's NFPM_* names also work).

Examples:
  packyard build -p deb,rpm,archlinux,apk,tar.gz,zip
  packyard build -f nfpm.yaml --packager archlinux --target dist/
`,
  options: {
    config: { type: "string", short: "f" },
    packager: { type: "string", short: "p", multiple: true },
    target: { type: "string", short: "t" },
    json: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  },
  positionals: { min: 0, max: 0 },
  async run(flags, _positionals, io) {
    const configPath =
      typeof flags.config === "string" ? resolve(io.cwd, flags.config) : defaultConfigPath(io.cwd);
    const target = resolve(io.cwd, typeof flags.target === "string" ? flags.target : "dist");
    const packagers = list(flags.packager);
    if (packagers.length === 0 && typeof flags.target === "string") {
      const guessed = packagerFromFileName(flags.target);
      if (guessed !== undefined) packagers.push(guessed);
    }
    if (packagers.length === 0) packagers.push(...DEFAULT_PACKAGERS);
    const unknown = packagers.find((p) => !(PACKAGERS as readonly string[]).includes(p));
    if (unknown !== undefined) {
      throw new UsageError(
        `-p: unknown packager '${unknown}' (expected one of: ${PACKAGERS.join(", ")})`,
        "build",
      );
    }
    const chosen = [...new Set(packagers)];
    if (typeof flags.target === "string" && chosen.length > 1 && packagerFromFileName(basename(target))) {
      throw new UsageError(
        `-t ${flags.target} names one package file, but ${chosen.length} packagers were asked for (${chosen.join(", ")}); give -t a folder, or one packager`,
        "build",
      );
    }
    const { date, source } = resolveBuildDate(io.env, dirname(configPath));
    if (io.debug) io.err(`build date ${date} (${new Date(date * 1000).toISOString()}) from ${source}\n`);
    const quiet = flags.quiet === true;
    const progress = quiet
      ? undefined
      : new Progress({
          write: io.err,
          tty: io.tty,
          ...(io.columns !== undefined ? { columns: io.columns } : {}),
          intervalMs: progressInterval(io.env),
          show: (p) => shown(io.cwd, p),
        });
    const warn = (text: string) => (progress !== undefined ? progress.log(text) : io.err(text));
    let built: Awaited<ReturnType<typeof build>>;
    try {
      built = await build({
        configPath,
        baseDir: io.cwd,
        packagers: chosen,
        target,
        env: io.env,
        date,
        formats: io.formats,
        ...(progress !== undefined ? { progress: (event: BuildProgress) => progress.event(event) } : {}),
        warn: (w) => warn(`warning: ${w.message} [${w.code}]\n`),
      });
    } finally {
      progress?.finish();
    }
    const { artifacts, manifestPath } = built;
    if (flags.json === true) {
      io.out(`${JSON.stringify(artifacts, null, 2)}\n`);
    } else if (!quiet) {
      for (const a of artifacts) {
        io.err(`built ${shown(io.cwd, a.path)} (${a.size} bytes)\n`);
      }
      if (manifestPath !== undefined) io.err(`manifest ${shown(io.cwd, manifestPath)}\n`);
    }
    return 0;
  },
};
