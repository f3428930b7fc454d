/**
 * The one table of packyard.yml's common keys (nfpm's schema plus a few packyard extensions). It drives
 * the loader's known-key check, which keys get `$VAR` expansion, what `overrides.<packager>` accepts,
 * and the generated JSON schema.
 */

export type KeyType =
  | "string"
  | "strings"
  | "bool"
  | "octal"
  | "time"
  | "contents"
  | "scripts"
  | "overrides"
  | "file_info";

export interface KeyDef {
  type: KeyType;
  description: string;
  /** nfpm expands `$VAR`/`${VAR}` in this key (string lists: each item, trimmed, empty items dropped). */
  expand?: boolean;
  /** May also appear under `overrides.<packager>`. */
  overridable?: boolean;
  enum?: readonly string[];
  examples?: readonly unknown[];
  /** Set when the key is recognised but rejected: says what to do instead. */
  unsupported?: string;
}

const RELATION = (what: string): KeyDef => ({
  type: "strings",
  description: `${what}, one relation per item as nfpm writes them (\`foo\`, \`foo (>= 1.2)\`, \`foo >= 1.2\`, \`a | b\`)`,
  expand: true,
  overridable: true,
});

/** Top-level keys of packyard.yml, besides the format blocks. */
export const TOP_KEYS: Readonly<Record<string, KeyDef>> = {
  name: { type: "string", description: "Package name (required)", expand: true, examples: ["foo"] },
  arch: {
    type: "string",
    description:
      "Architecture: amd64, arm64, armv7, armv6, armv5, i386, ppc64le, s390x, riscv64, loong64, mips64le, all (Go and uname -m names accepted)",
    expand: true,
    examples: ["amd64"],
  },
  platform: {
    type: "string",
    description: "Target OS: linux (default); darwin only for the macos format",
    expand: true,
    enum: ["linux", "darwin"],
  },
  version: {
    type: "string",
    description: "Version (required), e.g. 1.2.3 or v1.2.3-rc.1+git.abc",
    expand: true,
    examples: ["1.2.3"],
  },
  version_schema: {
    type: "string",
    description:
      "semver (default: strip a leading v, split prerelease and metadata) or none (use the version as is)",
    enum: ["semver", "none"],
  },
  epoch: {
    type: "string",
    description: "Version epoch (a non-negative integer)",
    overridable: true,
    examples: ["2"],
  },
  release: {
    type: "string",
    description: "Packaging revision (deb revision, rpm release, Arch pkgrel, apk -rN)",
    expand: true,
    overridable: true,
    examples: ["1"],
  },
  prerelease: {
    type: "string",
    description: "Prerelease; default taken from the semver version",
    expand: true,
    overridable: true,
  },
  version_metadata: {
    type: "string",
    description: "Build metadata; default taken from the semver version",
    overridable: true,
  },
  section: { type: "string", description: "Section (deb) / group", examples: ["utils"] },
  priority: { type: "string", description: "Priority (deb)", examples: ["optional"] },
  maintainer: { type: "string", description: "Maintainer, `Name <email>`", expand: true },
  description: { type: "string", description: "Description; the first line is the summary", expand: true },
  vendor: { type: "string", description: "Vendor (rpm)", expand: true },
  homepage: { type: "string", description: "Project homepage URL", expand: true },
  license: { type: "string", description: "License (SPDX expression)", examples: ["MIT"] },
  changelog: { type: "string", description: "Path to a changelog in goreleaser/chglog YAML format" },
  disable_globbing: {
    type: "bool",
    description: "Treat every contents src literally (globbing is on by default)",
  },
  mtime: {
    type: "time",
    description: "Build date and default mtime of every entry (RFC 3339); default SOURCE_DATE_EPOCH or now",
  },
  umask: {
    type: "octal",
    description: "Bits removed from the on-disk mode of files without file_info.mode (default 0o002)",
    overridable: true,
    examples: ["0o022"],
  },
  depends: RELATION("Dependencies"),
  recommends: RELATION("Recommended packages"),
  suggests: RELATION("Suggested packages"),
  conflicts: RELATION("Conflicting packages"),
  replaces: RELATION("Packages this one replaces"),
  provides: RELATION("Virtual packages this one provides"),
  contents: {
    type: "contents",
    description: "Files, directories and symlinks to put in the package",
    overridable: true,
  },
  scripts: { type: "scripts", description: "Maintainer scripts (paths to files)", overridable: true },
  overrides: { type: "overrides", description: "Per-packager overrides of the overridable keys" },
  // nfpm v1 keys removed in nfpm v2: recognised so that the error says what to do.
  bindir: {
    type: "string",
    description: "nfpm v1",
    unsupported: "nfpm v1's `bindir` was removed; give full destinations in `contents`",
  },
  files: {
    type: "string",
    description: "nfpm v1",
    unsupported: "nfpm v1's `files` was removed; list them under `contents` (src/dst)",
  },
  config_files: {
    type: "string",
    description: "nfpm v1",
    unsupported: "nfpm v1's `config_files` was removed; list them under `contents` with `type: config`",
  },
  symlinks: {
    type: "string",
    description: "nfpm v1",
    unsupported: "nfpm v1's `symlinks` was removed; list them under `contents` with `type: symlink`",
  },
  empty_folders: {
    type: "string",
    description: "nfpm v1",
    unsupported: "nfpm v1's `empty_folders` was removed; list them under `contents` with `type: dir`",
  },
};

/** Keys of one `contents[]` item. */
export const CONTENT_KEYS: Readonly<Record<string, KeyDef>> = {
  src: {
    type: "string",
    description:
      "Source path (relative to the config file; a glob unless disable_globbing), or a symlink's target",
  },
  dst: {
    type: "string",
    description: "Absolute destination in the package; a trailing / places files under it",
  },
  type: {
    type: "string",
    description: "Entry type",
    enum: [
      "",
      "file",
      "dir",
      "tree",
      "symlink",
      "config",
      "config|noreplace",
      "config|missingok",
      "config|tree",
      "config|noreplace|tree",
      "config|missingok|tree",
      "ghost",
      "doc",
      "license",
      "licence",
      "readme",
    ],
  },
  packager: {
    type: "string",
    description: "Only include this entry for this packager (deb, rpm, archlinux, apk, ...)",
  },
  file_info: { type: "file_info", description: "Mode, owner, group and mtime of the entry" },
  expand: { type: "bool", description: "Expand $VAR/${VAR} in src and dst" },
  disown_subtree: {
    type: "bool",
    description: "nfpm",
    unsupported: "`disown_subtree` is not supported; list the directories you own with `type: dir` instead",
  },
  force_implicit_dirs: {
    type: "bool",
    description: "nfpm",
    unsupported: "`force_implicit_dirs` is not supported; add the parent directories with `type: dir`",
  },
};

/** Keys of `contents[].file_info`. */
export const FILE_INFO_KEYS: Readonly<Record<string, KeyDef>> = {
  mode: { type: "octal", description: "Permission bits, octal (0644, 0o644)", examples: ["0o644"] },
  owner: { type: "string", description: "Owner name (default root)" },
  group: { type: "string", description: "Group name (default root)" },
  mtime: { type: "time", description: "Modification time (RFC 3339)" },
  lang: { type: "string", description: "rpm %lang of the file" },
};

/** Keys of `scripts` (each a path to a script file). nfpm has the first four; the rest are packyard's. */
export const SCRIPT_KEYS: Readonly<Record<string, string>> = {
  preinstall: "Runs before installation",
  postinstall: "Runs after installation",
  preremove: "Runs before removal",
  postremove: "Runs after removal",
  preupgrade: "Runs before an upgrade (apk, archlinux; others run pre/postinstall)",
  postupgrade: "Runs after an upgrade (apk, archlinux)",
  pretrans: "rpm %pretrans",
  posttrans: "rpm %posttrans",
  verify: "rpm %verifyscript",
};

/** Blocks that apply to the whole build or release, not to one packager: never under `overrides.<packager>`. */
export const BUILD_BLOCKS: readonly string[] = ["build", "checksum", "publish"];

/** Format blocks packyard knows of, and the build-wide blocks. Blocks of formats not registered yet are kept raw. */
export const KNOWN_BLOCKS: readonly string[] = [
  "deb",
  "rpm",
  "archlinux",
  "apk",
  "macos",
  "archives",
  ...BUILD_BLOCKS,
];

/** nfpm packagers packyard does not build: their blocks and overrides are kept but never applied. */
export const FOREIGN_PACKAGERS: readonly string[] = ["ipk", "msix", "srpm"];
