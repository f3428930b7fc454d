/**
 * `packyard publish`: adds what `packyard build` wrote (or the files named) to a signed repository: debs
 * to an APT suite, rpms to the RPM-MD roots of their distro targets, in one commit.
 */
import type { Command } from "../command.ts";
import { findPublishSetup } from "../publish-config.ts";
import {
  DEFAULT_MANIFEST,
  gatherInputs,
  leftOutLine,
  PUBLISHED_FORMATS,
  WHAT_PUBLISH_WRITES,
} from "../publish-inputs.ts";
import { loadRepoSigners } from "../publish-keys.ts";
import {
  KEY_HELP,
  KEY_OPTIONS,
  LOCK_HELP,
  LOCK_OPTIONS,
  RPM_HELP,
  RPM_OPTIONS,
  RUN_HELP,
  RUN_OPTIONS,
  SUITE_HELP,
  SUITE_OPTIONS,
  TARGET_HELP,
  TARGET_OPTIONS,
} from "../publish-options.ts";
import { finishPublish, openRepository, publishRequest, withProgress } from "../publish-run.ts";
import { repoSettings } from "../publish-settings.ts";
import { publish, RepoError } from "../repo.ts";

export const publishCommand: Command = {
  name: "publish",
  summary: "publish built packages to a signed APT and RPM-MD repository (a folder or S3)",
  help: `Usage: packyard publish --to <folder | s3://bucket/prefix> [-f packyard.yml] [--endpoint URL] [--region R] [--path-style] [--key KEY] [--key-name NAME] [--passphrase-env VAR] [--suite S] [--codename C] [--component C] [--origin O] [--label L] [--arch A] [--xz] [--contents] [--sha512] [--valid-for D] [--change-identity] [--rpm-target ID] [--rpm-arch A] [--rpm-zstd] [--changelog-limit N] [--base-url URL] [--resign] [--keep N] [--replace] [--grace D] [--lock-timeout D] [--no-lock] [--after-publish CMD] [--json] [-q] [FILES...]

Adds packages to a signed repository in a folder or S3-compatible storage, in one commit: .deb packages
to one suite of its APT repository, .rpm packages to its RPM-MD roots. Copies each package into the pool,
writes the indexes, signs them (Release/InRelease, repomd.xml), and writes the public key as
keys/NAME.asc and keys/NAME.gpg. Crash-safe and incremental: clients see the old repository or the new
one, never a mix; publishing the same package again changes nothing; another version of the same package
is added beside it (--keep N keeps the newest N).

rpms go to one root per distro release and architecture, rpm/<distro>/<release>/<arch>/ (rpm/el/9/x86_64),
each with its own repodata/; a noarch rpm goes to every architecture of its targets. The targets are
catalogue ids given with --rpm-target or publish.rpm.targets (el-9, fedora-44, opensuse-16.0, ...); without
them the rpms go to the targets the repository already serves, and a repository that serves none refuses
them, listing the known ids. Each rpm is signed with the repository key as it is published (users import
keys/NAME.asc); one already signed by another key is refused unless --resign. With --base-url (the URL
the repository is served from) each target also gets a .repo file, rpm/<distro>/<release>/NAME.repo,
that users put into /etc/yum.repos.d (or /etc/zypp/repos.d).

Without FILES it publishes what packyard build wrote: ${DEFAULT_MANIFEST}, whose package metadata means no
package is read again (each file's size and SHA-256 are checked against it). .deb and .rpm packages are
published; the build's others (Arch, apk, macOS, archives) are named in one line and left out. FILES may
be .deb and .rpm packages, a package's detached .sig beside it, SHA256SUMS (the listed sums of the given
files must match) and SHA256SUMS.asc (checked with the key), and packyard-build.json files or folders
holding one.

Settings come from the publish: block of packyard.yml (same names in snake_case: to, endpoint,
region, path_style, key, key_name, suite, codename, component, origin, label, architectures, keep,
xz, contents, sha512, valid_for, lock_timeout, grace, after_publish; and its rpm: block with targets,
architectures, zstd, changelog_limit, base_url, name, resign); flags override it, so
\`packyard build && packyard publish\` makes a release. Durations are written 90s, 10m, 2h, 7d, 1h30m.

Options:
${TARGET_HELP}
${KEY_HELP}
${SUITE_HELP}
${RPM_HELP}
      --keep N            keep only the N newest versions of each package (per arch and component or
                          root)
      --replace           overwrite a held name/version/arch whose content differs (else an error)
      --grace D           how long unreferenced files stay before deletion (default 2d)
${LOCK_HELP}
${RUN_HELP}
      --debug             stack traces on errors
  -h, --help              show this help

The repository is served from its root: apt's source is <url>/deb with the suite and component; dnf and
zypper read <url>/rpm/<distro>/<release>/$basearch/ (the .repo file says so); users fetch the key from
<url>/keys/NAME.asc. Progress goes to stderr on a terminal; otherwise one summary line at the end.

Examples:
  packyard keygen --type openpgp --name repo --email you@example.org
  packyard build -p deb && packyard publish --to public/repo --key repo.secret.asc
  packyard build -p deb,rpm && packyard publish --to public/repo --key repo.secret.asc \\
      --rpm-target el-9,fedora-44 --base-url https://packages.example.org/repo
  packyard publish --to s3://my-bucket/apt --key repo.secret.asc --keep 3 --valid-for 7d
  packyard publish --to s3://apt/repo --endpoint http://127.0.0.1:9000 --path-style --key repo.secret.asc \\
      --suite testing dist/*.deb dist/SHA256SUMS dist/SHA256SUMS.asc
  packyard publish --to public/repo --key repo.secret.asc --after-publish ./purge-cdn.sh --json
`,
  options: {
    ...TARGET_OPTIONS,
    ...KEY_OPTIONS,
    ...SUITE_OPTIONS,
    ...RPM_OPTIONS,
    keep: { type: "string" },
    replace: { type: "boolean" },
    grace: { type: "string" },
    ...LOCK_OPTIONS,
    ...RUN_OPTIONS,
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  async run(flags, positionals, io) {
    const setup = await findPublishSetup(flags, io);
    const settings = repoSettings(flags, setup.publish, "publish", setup.projectName);
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
        `nothing to publish: ${positionals.length > 0 ? "the files hold" : `${DEFAULT_MANIFEST} lists`} no .deb package and no .rpm package (${WHAT_PUBLISH_WRITES})`,
        { expected: PUBLISHED_FORMATS.join(", ") },
      );
    }
    const { storage, locking } = openRepository(settings, io);
    const request = publishRequest(settings, gathered.inputs);
    const rpmFlags = Object.keys(RPM_OPTIONS).filter((f) => flags[f] !== undefined);
    if (request.rpm === undefined && rpmFlags.length > 0)
      io.err(
        `warning: ${rpmFlags.map((f) => `--${f}`).join(", ")} ignored: this publish has no .rpm package (RPM-MD settings apply when rpms are published)\n`,
      );
    const result = await withProgress(io, quiet, (onProgress) =>
      publish(storage, {
        ...request,
        signers,
        ...locking,
        ...(onProgress !== undefined ? { onProgress } : {}),
      }),
    );
    return finishPublish(result, settings, io, { json: flags.json === true, quiet, verb: "published to" });
  },
};
