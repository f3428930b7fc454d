/**
 * `packyard publish`: adds what `packyard build` wrote (or the files named) to a signed repository: debs
 * to an APT suite, rpms to the RPM-MD roots of their distro targets, Arch packages to a pacman repository
 * per architecture, apks to the Alpine roots of their targets, in one commit.
 */
import { type Command, type CommandIo, type Flags, runFrom } from "../command.ts";
import { DEFAULT_MANIFEST } from "../library-names.ts";
import {
  APK_HELP,
  APK_OPTIONS,
  KEY_HELP,
  KEY_OPTIONS,
  LOCK_HELP,
  LOCK_OPTIONS,
  PACMAN_HELP,
  PACMAN_OPTIONS,
  RPM_HELP,
  RPM_OPTIONS,
  RUN_HELP,
  RUN_OPTIONS,
  SUITE_HELP,
  SUITE_OPTIONS,
  TARGET_HELP,
  TARGET_OPTIONS,
} from "../publish-options.ts";
import type { Family } from "../publish-run.ts";

/** Each family's own flags, and what a warning says when they are given to a publish without its packages. */
const FAMILY_FLAGS: readonly { families: readonly Family[]; flags: readonly string[]; why: string }[] = [
  {
    families: ["rpm"],
    flags: Object.keys(RPM_OPTIONS).filter((f) => f !== "resign"),
    why: "this publish has no .rpm package (RPM-MD settings apply when rpms are published)",
  },
  {
    families: ["rpm", "archlinux"],
    flags: ["resign"],
    why: "this publish has no .rpm and no Arch package (it re-signs those)",
  },
  {
    families: ["archlinux"],
    flags: Object.keys(PACMAN_OPTIONS),
    why: "this publish has no Arch package (pacman settings apply when Arch packages are published)",
  },
  {
    families: ["alpine"],
    flags: Object.keys(APK_OPTIONS),
    why: "this publish has no .apk package (Alpine settings apply when apks are published)",
  },
];

/** Warns about the flags of families this publish has no package of: they change nothing. */
export function warnIgnoredFlags(
  flags: Flags,
  families: readonly Family[],
  io: Pick<CommandIo, "err">,
): void {
  for (const group of FAMILY_FLAGS) {
    if (group.families.some((f) => families.includes(f))) continue;
    const given = group.flags.filter((f) => flags[f] !== undefined);
    if (given.length > 0) io.err(`warning: ${given.map((f) => `--${f}`).join(", ")} ignored: ${group.why}\n`);
  }
}

export const publishCommand: Command = {
  name: "publish",
  summary:
    "publish built packages to signed APT, RPM-MD, pacman and Alpine repositories and downloads (a folder or S3)",
  help: `Usage: packyard publish --to <folder | s3://bucket/prefix> [-f packyard.yml] [--endpoint URL] [--region R] [--path-style] [--key KEY] [--key-name NAME] [--apk-key KEY] [--apk-key-name NAME] [--passphrase-env VAR] [--suite S] [--codename C] [--component C] [--origin O] [--label L] [--arch A] [--xz] [--contents] [--sha512] [--valid-for D] [--change-identity] [--rpm-target ID] [--rpm-arch A] [--rpm-zstd] [--changelog-limit N] [--base-url URL] [--resign] [--pacman-repo NAME] [--pacman-arch A] [--pacman-embed-signatures] [--apk-target ID] [--apk-repo NAME] [--apk-arch A] [--apk-description T] [--apk-sha1] [--apk-change-key] [--keep N] [--replace] [--grace D] [--lock-timeout D] [--no-lock] [--after-publish CMD] [--json] [-q] [FILES...]

Adds packages to a signed repository in a folder or S3-compatible storage, in one commit: .deb packages
to one suite of its APT repository, .rpm packages to its RPM-MD roots, Arch packages to its pacman
repository, .apk packages to its Alpine roots. Copies each package into the pool, writes the indexes,
signs them (Release/InRelease, repomd.xml, NAME.db, APKINDEX.tar.gz), and writes the public keys
(keys/NAME.asc and keys/NAME.gpg; keys/RPM-GPG-KEY-NAME; the Alpine key under its apk name). Crash-safe
and incremental: clients see the old repository or the new one, never a mix; publishing the same package
again changes nothing; another version of the same package is added beside it (--keep N keeps the
newest N).

rpms go to one root per distro release and architecture, rpm/<distro>/<release>/<arch>/ (rpm/el/9/x86_64),
each with its own repodata/; a noarch rpm goes to every architecture of its targets. The targets are
catalogue ids given with --rpm-target or publish.rpm.targets (el-9, fedora-44, opensuse-16.0, ...); without
them the rpms go to the targets the repository already serves, and a repository that serves none refuses
them, listing the known ids. Each rpm is signed with the repository key as it is published (users import
keys/NAME.asc); one already signed by another key is refused unless --resign. With --base-url (the URL
the repository is served from) each target also gets a .repo file, rpm/<distro>/<release>/NAME.repo,
that users put into /etc/yum.repos.d (or /etc/zypp/repos.d).

Arch packages go to archlinux/REPO/os/<arch>/ (REPO: --pacman-repo), one root per architecture with the
signed REPO.db and REPO.files; an "any" package goes to every architecture. Each package keeps the .sig
packyard build wrote beside it (signed with the repository key when it has none); a .sig by another key
is refused unless --resign. A pacman database lists one version of each package: an older version than
the one held is not added (a warning says so).

apks go to one root per Alpine release and architecture, alpine/<branch>/<repo>/<arch>/
(alpine/v3.22/main/x86_64), each with its APKINDEX.tar.gz signed by the RSA key --apk-key; a noarch apk
goes to every architecture of its targets. The targets are catalogue ids given with --apk-target or
publish.alpine.targets (alpine-3.22, alpine-edge, ...); without them the apks go to the targets the
repository already serves, and a repository that serves none refuses them, listing the known ids. The
public key is written as keys/<apk key name>: users save it under that same name in /etc/apk/keys/.
--key is not needed when only .apk packages are published.

macOS .pkg files and release archives (.tar.gz, .zip, ...) have no repository index: they go to
downloads/NAME/VERSION/, with a SHA256SUMS over that version's files and its signature SHA256SUMS.asc (by
--key), and the newest .pkg gets a Homebrew cask, downloads/NAME/NAME.rb, for a tap. A published download
never changes: other bytes under the same name and version are refused, even with --replace.

After every publish the repository root gets its install files for users: install.json (every served
distro target's steps, the keys and downloads), install.sh (detects the distribution and adds the
repository: curl -fsSL <url>/install.sh | sh), index.html (a static install page) and badge.svg (the
latest version). They are written from --base-url (or publish.base_url), the public URL the repository is
served from, which the repository remembers for later publishes. The instructions for what was published
are printed on stdout (not with --json or -q): without a public URL they name the folder or s3:// location
and say one is needed; packyard repo instructions prints them again.

Without FILES it publishes what packyard build wrote: ${DEFAULT_MANIFEST}, whose package metadata means no
package is read again (each file's size and SHA-256 are checked against it): every package of the build
(an Arch package with its .sig). FILES may be .deb, .rpm, .pkg.tar.zst and .apk packages, macOS .pkg
files and release archives, a package's detached .sig (an Arch package's is also taken from beside it
when not named), SHA256SUMS (the listed sums of the given files must match) and SHA256SUMS.asc (checked
with the key), and packyard-build.json files or folders holding one.

Settings come from the publish: block of packyard.yml (same names in snake_case: to, endpoint,
region, path_style, key, key_name, apk_key, suite, codename, component, origin, label, architectures,
keep, xz, contents, sha512, valid_for, lock_timeout, grace, after_publish, base_url; its
rpm: block with targets, architectures, zstd, changelog_limit, base_url, name, resign; its
archlinux: block with repo, architectures, embed_signatures, resign; and its alpine: block with targets,
repo, architectures, description, legacy_sha1, key_name); flags override it, so \`packyard build &&
packyard publish\` makes a release. Durations are written 90s, 10m, 2h, 7d, 1h30m.

Options:
${TARGET_HELP}
${KEY_HELP}
${SUITE_HELP}
${RPM_HELP}
${PACMAN_HELP}
${APK_HELP}
      --keep N            keep only the N newest versions of each package (per arch and component or
                          root)
      --replace           overwrite a held name/version/arch whose content differs (else an error)
      --grace D           how long unreferenced files stay before deletion (default 2d)
${LOCK_HELP}
${RUN_HELP}
      --debug             stack traces on errors
  -h, --help              show this help

The repository is served from its root: apt's source is <url>/deb with the suite and component; dnf and
zypper read <url>/rpm/<distro>/<release>/$basearch/ (the .repo file says so); pacman.conf gets
[REPO] with Server = <url>/archlinux/$repo/os/$arch; /etc/apk/repositories gets
<url>/alpine/<branch>/<repo>. Users fetch the keys from <url>/keys/, the downloads from
<url>/downloads/, and open <url>/index.html. Progress goes to stderr on a terminal; otherwise one summary
line at the end.

Examples:
  packyard keygen --type openpgp --name repo --email you@example.org
  packyard build -p deb && packyard publish --to public/repo --key repo.secret.asc
  packyard build -p deb,macos,tar.gz && packyard publish --to public/repo --key repo.secret.asc \\
      --base-url https://packages.example.org/repo
  packyard build -p deb,rpm && packyard publish --to public/repo --key repo.secret.asc \\
      --rpm-target el-9,fedora-44 --base-url https://packages.example.org/repo
  packyard keygen --type rsa --name apk --email you@example.org
  packyard build -p archlinux,apk && packyard publish --to public/repo --key repo.secret.asc \\
      --apk-key apk.rsa --pacman-repo example --apk-target alpine-3.22
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
    ...PACMAN_OPTIONS,
    ...APK_OPTIONS,
    keep: { type: "string" },
    replace: { type: "boolean" },
    grace: { type: "string" },
    ...LOCK_OPTIONS,
    ...RUN_OPTIONS,
  },
  positionals: { min: 0, max: Number.POSITIVE_INFINITY },
  run: runFrom(() => import("../run/publish.ts")),
};
