/** `packyard publish`: adds what `packyard build` wrote (or the files named) to a signed APT repository. */
import type { Command } from "../command.ts";
import { findPublishConfig } from "../publish-config.ts";
import { DEFAULT_MANIFEST, gatherInputs, leftOutLine } from "../publish-inputs.ts";
import { loadRepoSigners } from "../publish-keys.ts";
import {
  KEY_HELP,
  KEY_OPTIONS,
  LOCK_HELP,
  LOCK_OPTIONS,
  RUN_HELP,
  RUN_OPTIONS,
  SUITE_HELP,
  SUITE_OPTIONS,
  TARGET_HELP,
  TARGET_OPTIONS,
} from "../publish-options.ts";
import { finishPublish, openRepository, withProgress } from "../publish-run.ts";
import { repoSettings } from "../publish-settings.ts";
import { publish, RepoError } from "../repo.ts";

export const publishCommand: Command = {
  name: "publish",
  summary: "publish built packages to a signed APT repository (a folder or S3)",
  help: `Usage: packyard publish --to <folder | s3://bucket/prefix> [-f packyard.yml] [--endpoint URL] [--region R] [--path-style] [--key KEY] [--key-name NAME] [--passphrase-env VAR] [--suite S] [--codename C] [--component C] [--origin O] [--label L] [--arch A] [--xz] [--contents] [--sha512] [--valid-for D] [--change-identity] [--keep N] [--replace] [--grace D] [--lock-timeout D] [--no-lock] [--after-publish CMD] [--json] [-q] [FILES...]

Adds packages to one suite of a signed APT repository in a folder or S3-compatible storage: copies them
into the pool, writes the indexes, signs Release/InRelease, and writes the public key as keys/NAME.asc
and keys/NAME.gpg. Crash-safe and incremental: clients see the old repository or the new one, never a
mix; publishing the same package again changes nothing; another version of the same package is added
beside it (--keep N keeps the newest N).

Without FILES it publishes what packyard build wrote: ${DEFAULT_MANIFEST}, whose package metadata means no
package is read again (each file's size and SHA-256 are checked against it). Only .deb packages are
published for now; the build's other packages are named in one line and left out. FILES may be .deb
packages, a package's detached .sig beside it, SHA256SUMS (the listed sums of the given files must match)
and SHA256SUMS.asc (checked with the key), and packyard-build.json files or folders holding one.

Settings come from the publish: block of packyard.yml (same names in snake_case: to, endpoint,
region, path_style, key, key_name, suite, codename, component, origin, label, architectures, keep,
xz, contents, sha512, valid_for, lock_timeout, grace, after_publish); flags override it, so
\`packyard build && packyard publish\` makes a release. Durations are written 90s, 10m, 2h, 7d, 1h30m.

Options:
${TARGET_HELP}
${KEY_HELP}
${SUITE_HELP}
      --keep N            keep only the N newest versions of each package (per arch and component)
      --replace           overwrite a held name/version/arch whose content differs (else an error)
      --grace D           how long unreferenced files stay before deletion (default 2d)
${LOCK_HELP}
${RUN_HELP}
      --debug             stack traces on errors
  -h, --help              show this help

The repository is served from its root: apt's source is <url>/deb with the suite and component, and
users fetch the key from <url>/keys/NAME.asc. Progress goes to stderr on a terminal; otherwise one
summary line at the end.

Examples:
  packyard keygen --type openpgp --name repo --email you@example.org
  packyard build -p deb && packyard publish --to public/repo --key repo.secret.asc
  packyard publish --to s3://my-bucket/apt --key repo.secret.asc --keep 3 --valid-for 7d
  packyard publish --to s3://apt/repo --endpoint http://127.0.0.1:9000 --path-style --key repo.secret.asc \\
      --suite testing dist/*.deb dist/SHA256SUMS dist/SHA256SUMS.asc
  packyard publish --to public/repo --key repo.secret.asc --after-publish ./purge-cdn.sh --json
`,
  options: {
    ...TARGET_OPTIONS,
    ...KEY_OPTIONS,
    ...SUITE_OPTIONS,
    keep: { type: "string" },
    replace: { type: "boolean" },
    grace: { type: "string" },
    ...LOCK_OPTIONS,
    ...RUN_OPTIONS,
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  async run(flags, positionals, io) {
    const config = await findPublishConfig(flags, io);
    const settings = repoSettings(flags, config, "publish");
    const quiet = flags.quiet === true;
    const signers = await loadRepoSigners(settings.keys, {
      cwd: io.cwd,
      env: io.env,
      command: "publish",
      ...(settings.passphraseEnv !== undefined ? { passphraseEnv: settings.passphraseEnv } : {}),
    });
    const gathered = await gatherInputs(positionals, { cwd: io.cwd, signers });
    if (!quiet) for (const note of gathered.notes) io.err(`${note}\n`);
    const left = leftOutLine(gathered.leftOut);
    if (left !== undefined) io.err(`${left}\n`);
    if (gathered.inputs.length === 0) {
      throw new RepoError(
        "UNSUPPORTED_PACKAGE",
        `nothing to publish: ${positionals.length > 0 ? "the files hold" : `${DEFAULT_MANIFEST} lists`} no .deb package (packyard publish writes APT repositories only, for now)`,
        { expected: "deb" },
      );
    }
    const { storage, locking } = openRepository(settings, io);
    const result = await withProgress(io, quiet, (onProgress) =>
      publish(storage, {
        add: gathered.inputs,
        signers,
        apt: settings.apt,
        replace: settings.replace,
        ...locking,
        ...(settings.keep !== undefined ? { keep: settings.keep } : {}),
        ...(settings.graceMs !== undefined ? { graceMs: settings.graceMs } : {}),
        ...(settings.keyName !== undefined ? { keyName: settings.keyName } : {}),
        ...(onProgress !== undefined ? { onProgress } : {}),
      }),
    );
    return finishPublish(result, settings, io, { json: flags.json === true, quiet, verb: "published to" });
  },
};
