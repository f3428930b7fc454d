/** `packyard inspect FILE`: sniffs the format, reads the package, prints a summary or PackageInfo JSON. */
import { type Command, runFrom } from "../command.ts";

export const inspectCommand: Command = {
  name: "inspect",
  summary: "print what a package contains (any .deb, .rpm, Arch, .apk, .pkg or archive)",
  help: `Usage: packyard inspect FILE [--json] [--key PUBLIC_KEY]

Reads a package (made by packyard or by the distribution's own tools) and prints its metadata,
relations, scripts, signatures and files.

Options:
      --json       print the full PackageInfo as JSON on stdout
      --key FILE   public key (armored OpenPGP or PEM) to verify signatures against; may be repeated.
                   Exit status 1 when a signature does not verify, or none does (as gpgv)
      --debug      stack traces on errors
  -h, --help       show this help

A detached signature lying beside the package (FILE.sig) is checked too.
`,
  options: {
    json: { type: "boolean" },
    key: { type: "string", multiple: true },
  },
  positionals: { min: 1, max: 1, name: "FILE (the package to inspect)" },
  run: runFrom(() => import("../run/inspect.ts")),
};
