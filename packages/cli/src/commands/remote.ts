/**
 * `packyard remote build|status|targets|publish`: builds on a packyard server (queued, run by its workers
 * and agents, the log streamed back), the catalogue of targets, and publishing ready-made packages.
 */
import { type Command, runFrom } from "../command.ts";

export const REMOTE_SUBCOMMANDS = ["build", "status", "targets", "publish"] as const;
export type RemoteSubcommand = (typeof REMOTE_SUBCOMMANDS)[number];

export const remoteCommand: Command = {
  name: "remote",
  summary: "build on a packyard server, follow a build, list targets, publish packages",
  help: `Usage: packyard remote build|status|targets|publish [--project PROJECT] [--package NAME] [--version VERSION] [--distro ID]... [--force] [--no-wait] [--json] [BUILD|FILE...]

  build     packyard remote build --project P --package N --version V [--distro ID]... [--force] [--no-wait] [--json]
            Requests a build of the package's uploaded sources and streams its log. Exits 0 when the build
            succeeded, 1 when it failed or was cancelled, naming each failed job's targets, failure code,
            message and last log lines. --distro (repeatable, or comma-separated) picks catalogue targets
            (default: the project repository's targets); --force allows an older version (never the same
            version with other bytes); --no-wait prints the build id and exits.
  status    packyard remote status BUILD [--json]
            Prints a build and its jobs.
  targets   packyard remote targets [--json]
            Lists the distributions the server builds for (JSON: { targets: [...] }, for CI matrices).
  publish   packyard remote publish --project P [--package N] [--version V] FILE...
            Uploads ready-made packages (from packyard build) as release artifacts and publishes the
            project's hosted repository. The package and release version default to each file's own name
            and upstream version.

Options:
      --project PROJECT   the project (slug)
      --package NAME      the package
      --version VERSION   the version to build (build), the release to upload to (publish)
      --distro ID         a target id from packyard remote targets (repeatable)
      --force             allow a version older than the last succeeded build
      --no-wait           do not follow the build: print its id and exit 0
      --json              JSON on stdout: the final build (build, status; schema in the docs), the targets, the
                          publish result; log lines then go to stderr
      --debug             stack traces on errors
  -h, --help              show this help

Uses the server and token of packyard login, or PACKYARD_SERVER and PACKYARD_TOKEN.
`,
  options: {
    project: { type: "string" },
    package: { type: "string" },
    version: { type: "string" },
    distro: { type: "string", multiple: true },
    force: { type: "boolean" },
    "no-wait": { type: "boolean" },
    json: { type: "boolean" },
  },
  positionals: {
    min: 1,
    max: Number.POSITIVE_INFINITY,
    name: "subcommand (build, status, targets or publish)",
  },
  run: runFrom(() => import("../remote/run-remote.ts")),
};
