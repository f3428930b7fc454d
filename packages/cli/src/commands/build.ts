/** `packyard build`: config in, packages out (nfpm's `package` flags: -f, -p, -t). */
import { type Command, runFrom } from "../command.ts";
import { PACKAGER_NAMES } from "../library-names.ts";

/**
 * What `packyard build` without `-p` builds: one package per format and the two archive kinds users
 * download most (tar.zst and tar.xz repeat tar.gz's content; xz needs the optional lzma-native).
 */
export const DEFAULT_PACKAGERS = ["deb", "rpm", "archlinux", "apk", "macos", "tar.gz", "zip"] as const;

export const buildCommand: Command = {
  name: "build",
  summary: "build packages from packyard.yml (or nfpm.yaml)",
  help: `Usage: packyard build [-f packyard.yml] [-p deb[,rpm,...]] [-t dist/] [--workers N] [--json] [-q]

Builds one package per packager from the config and writes them into the target folder, then a
checksums file over everything this run wrote (SHA256SUMS; the config's checksum: block chooses the
algorithm and name, signs it as SHA256SUMS.asc, or disables it), and last packyard-build.json: the
manifest of every file written, with each package's metadata, which publishing reads. Build every
packager in one run: a later run writes its own checksums file and manifest over the earlier ones.

Options:
  -f, --config FILE     config file (default: packyard.yml, else packyard.yaml, nfpm.yaml, nfpm.yml)
  -p, --packager LIST   comma-separated packagers: ${PACKAGER_NAMES.join(", ")}
                        (may be repeated; guessed from --target when it is a file name;
                        default: ${DEFAULT_PACKAGERS.join(",")})
  -t, --target PATH     output folder (default: dist/), or the file name when one packager is built
      --workers N       compression threads: auto (default: the build: block's workers, else
                        from the machine's cores) or 1-16; changes speed, never the bytes
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
    workers: { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../run/build.ts")),
};
