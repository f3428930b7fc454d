/**
 * The flags `packyard publish` and `packyard repo …` share (parseArgs definitions and their `--help`
 * lines), so both commands spell them alike.
 */
import type { ParseArgsOptionsConfig } from "node:util";

/** Where the repository is and how to reach it. */
export const TARGET_OPTIONS: ParseArgsOptionsConfig = {
  config: { type: "string", short: "f" },
  to: { type: "string" },
  endpoint: { type: "string" },
  region: { type: "string" },
  "path-style": { type: "boolean" },
};

/** The signing keys. */
export const KEY_OPTIONS: ParseArgsOptionsConfig = {
  key: { type: "string", multiple: true },
  "key-name": { type: "string" },
  "passphrase-env": { type: "string" },
  "apk-key": { type: "string" },
  "apk-key-name": { type: "string" },
};

/** The lock. */
export const LOCK_OPTIONS: ParseArgsOptionsConfig = {
  "lock-timeout": { type: "string" },
  "no-lock": { type: "boolean" },
};

/** The APT suite's settings. */
export const SUITE_OPTIONS: ParseArgsOptionsConfig = {
  suite: { type: "string" },
  codename: { type: "string" },
  component: { type: "string" },
  origin: { type: "string" },
  label: { type: "string" },
  arch: { type: "string", multiple: true },
  xz: { type: "boolean" },
  contents: { type: "boolean" },
  sha512: { type: "boolean" },
  "valid-for": { type: "string" },
  "change-identity": { type: "boolean" },
};

/** The RPM-MD settings (`packyard publish` only: the other commands take the roots as they are). */
export const RPM_OPTIONS: ParseArgsOptionsConfig = {
  "rpm-target": { type: "string", multiple: true },
  "rpm-arch": { type: "string", multiple: true },
  "rpm-zstd": { type: "boolean" },
  "changelog-limit": { type: "string" },
  "base-url": { type: "string" },
  resign: { type: "boolean" },
};

/** The pacman settings (`packyard publish` only). `--resign` (RPM_OPTIONS) applies to them too. */
export const PACMAN_OPTIONS: ParseArgsOptionsConfig = {
  "pacman-repo": { type: "string" },
  "pacman-arch": { type: "string", multiple: true },
  "pacman-embed-signatures": { type: "boolean" },
};

/** The Alpine settings (`packyard publish` only). */
export const APK_OPTIONS: ParseArgsOptionsConfig = {
  "apk-target": { type: "string", multiple: true },
  "apk-repo": { type: "string" },
  "apk-arch": { type: "string", multiple: true },
  "apk-description": { type: "string" },
  "apk-sha1": { type: "boolean" },
  "apk-change-key": { type: "boolean" },
};

/** Output and the hook. */
export const RUN_OPTIONS: ParseArgsOptionsConfig = {
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  "after-publish": { type: "string" },
};

/** `--help` lines of the target flags. */
export const TARGET_HELP = `  -f, --config FILE       config whose publish: block gives defaults (default: packyard.yml, else
                          packyard.yaml, nfpm.yaml, nfpm.yml, when one exists)
      --to TARGET         the repository: a folder, or s3://bucket/prefix (or publish.to)
      --endpoint URL      S3 endpoint (MinIO, R2, ...; default AWS); credentials come from the usual
                          AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_PROFILE
      --region R          S3 region
      --path-style        path-style S3 URLs (https://host/bucket/key), as MinIO needs`;

/** `--help` lines of the key flags. */
export const KEY_HELP = `      --key FILE          OpenPGP secret key that signs the repository (or publish.key); give it twice
                          while rotating keys. Passphrase: PACKYARD_REPO_PASSPHRASE, PACKYARD_PASSPHRASE
      --passphrase-env V  env var holding the key's passphrase instead
      --key-name NAME     public key files written as keys/NAME.asc and keys/NAME.gpg (default repository)
      --apk-key FILE      RSA private key (PEM, 2048 bits or more) that signs the Alpine indexes (or
                          publish.apk_key); needed with .apk packages, when --key is not. Passphrase:
                          --passphrase-env, else PACKYARD_APK_PASSPHRASE, PACKYARD_PASSPHRASE
      --apk-key-name NAME the name apk trusts the key under, keys/NAME in the repository and
                          /etc/apk/keys/NAME for users (.rsa.pub appended unless it ends in .pub; or
                          publish.alpine.key_name); default: the name packyard build signs the project's
                          apks with, <maintainer e-mail>-<8 hex>.rsa.pub`;

/** `--help` lines of the lock flags. */
export const LOCK_HELP = `      --lock-timeout D    how long to wait for another publisher's lock (default 10m)
      --no-lock           take no lock (a store without conditional writes; one publisher only!)`;

/** `--help` lines of the suite flags. */
export const SUITE_HELP = `      --suite S           APT suite (default stable)
      --codename C        APT codename (default: the suite)
      --component C       component the packages go to (default main)
      --origin O          Release Origin
      --label L           Release Label
      --arch A            the suite's architectures (repeatable or comma-separated; default: its packages')
      --xz                also write Packages.xz (--no-xz: stop)
      --contents          write Contents-<arch>.gz for apt-file (--no-contents: stop)
      --sha512            also list SHA512 sums (--no-sha512: stop)
      --valid-for D       Valid-Until this long after Date (0: none); refresh before it runs out
      --change-identity   allow Origin, Label or Codename of an existing suite to change`;

/** `--help` lines of the RPM-MD flags. */
export const RPM_HELP = `      --rpm-target ID     distro release the rpms are published for, a catalogue id such as el-9,
                          fedora-44 or opensuse-16.0 (repeatable or comma-separated; or
                          publish.rpm.targets); default: the targets the repository already serves
      --rpm-arch A        base architectures of new rpm roots, e.g. x86_64,aarch64 (repeatable or
                          comma-separated; default: the packages', x86_64 when all are noarch)
      --rpm-zstd          zstd-compressed RPM-MD metadata (EL 8+, Fedora; EL 7's yum cannot read it;
                          --no-rpm-zstd: back to gz)
      --changelog-limit N changelog entries kept per package in other.xml (default 10; 0: none; a
                          higher limit applies to packages published from then on)
      --base-url URL      the http(s) URL the repository root is served from (or publish.base_url):
                          the install page, install.sh, install.json and the printed instructions use
                          it (the repository remembers it for them), and each rpm target gets a
                          NAME.repo file for /etc/yum.repos.d (NAME: publish.rpm.name, else the key
                          name)
      --resign            re-sign an rpm, or replace an Arch package's .sig, made by another key (else
                          publishing it fails)`;

/** `--help` lines of the pacman flags. */
export const PACMAN_HELP = `      --pacman-repo NAME  the pacman repository: the [NAME] section of pacman.conf and NAME.db (or
                          publish.archlinux.repo; default: the key name, else the project's name)
      --pacman-arch A     architectures of new pacman roots, e.g. x86_64,aarch64 (repeatable or
                          comma-separated; default: the packages', x86_64 when all are any)
      --pacman-embed-signatures
                          also embed each package's signature in the database (%PGPSIG%), as repo-add
                          before pacman 7 did (--no-pacman-embed-signatures: stop)`;

/** `--help` lines of the Alpine flags. */
export const APK_HELP = `      --apk-target ID     Alpine release the apks are published for, a catalogue id such as
                          alpine-3.22 or alpine-edge (repeatable or comma-separated; or
                          publish.alpine.targets); default: the targets the repository already serves
      --apk-repo NAME     the repository folder, alpine/<branch>/NAME/ (default main)
      --apk-arch A        architectures of new Alpine roots, e.g. x86_64,aarch64 (repeatable or
                          comma-separated; default: the packages', x86_64 when all are noarch)
      --apk-description T the index's DESCRIPTION (default: "<repo> <branch>")
      --apk-sha1          also sign the indexes with SHA-1, for apk-tools before 2.7 (Alpine 3.5 and
                          older; --no-apk-sha1: stop)
      --apk-change-key    sign every Alpine root with --apk-key although they were signed with another
                          key or key name (users must then install the new keys/<name>)`;

/** `--help` lines of the output flags. */
export const RUN_HELP = `      --after-publish CMD run CMD with the shell after a successful publish: the changed keys (what a
                          CDN must purge) one per line on stdin and in PACKYARD_CHANGED_KEYS, the
                          repository in PACKYARD_REPOSITORY; its failure exits 1 (the publish stays done)
      --json              print the result as JSON on stdout
  -q, --quiet             no progress and no summary on stderr`;
