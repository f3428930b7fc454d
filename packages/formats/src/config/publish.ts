/**
 * The `publish:` block of packyard.yml: where `packyard publish` sends the packages `packyard build` wrote
 * and how the repository is laid out (the same settings as its command-line flags, snake_case like the rest
 * of the config; flags override them), with the RPM-MD settings in its `rpm:` sub-block. Parsed when the
 * config loads, so a typo fails before a build.
 */
import type { ConfigBlock, ConfigContext, JsonSchema } from "./block.ts";
import { DURATION_EXAMPLES, parseDuration } from "./duration.ts";
import { configError, onlyKeys, plainBool, plainMap, plainString } from "./plain.ts";

/** The `publish:` block, parsed (durations in whole seconds). */
export interface PublishConfig {
  /** A folder path or `s3://bucket/prefix`. */
  to?: string;
  /** S3 endpoint URL (MinIO, R2, ...). */
  endpoint?: string;
  region?: string;
  /** Path-style S3 addressing (`https://host/bucket/key`). */
  pathStyle?: boolean;
  /** OpenPGP secret key files that sign the repository: one, or two while rotating keys. */
  keys?: string[];
  /** Stem of the public key files written under `keys/` (`<name>.asc`, `<name>.gpg`). */
  keyName?: string;
  suite?: string;
  codename?: string;
  component?: string;
  origin?: string;
  label?: string;
  architectures?: string[];
  /** Keep only the N newest versions of each package. */
  keep?: number;
  xz?: boolean;
  contents?: boolean;
  sha512?: boolean;
  /** Seconds from Date to Valid-Until (0: none). */
  validForSeconds?: number;
  /** How long to wait for another publisher's lock. */
  lockTimeoutSeconds?: number;
  /** How long an unreferenced file stays before it is deleted. */
  graceSeconds?: number;
  /** A shell command run after a successful publish. */
  afterPublish?: string;
  /**
   * The public http(s) URL the repository root is served from (`base_url`): the install page, install.sh
   * and install.json use it, and the `.repo` files unless `rpm.base_url` says otherwise.
   */
  baseUrl?: string;
  /** The `rpm:` sub-block: where and how .rpm packages are published. */
  rpm?: PublishRpmConfig;
  /** The RSA private key (PEM) that signs the Alpine indexes (`apk_key`). */
  apkKey?: string;
  /** The `archlinux:` sub-block: the pacman repository Arch packages go to. */
  archlinux?: PublishArchlinuxConfig;
  /** The `alpine:` sub-block: the Alpine roots apks go to. */
  alpine?: PublishAlpineConfig;
}

/** The `publish.archlinux:` sub-block, parsed. */
export interface PublishArchlinuxConfig {
  /** The repository (database) name: the pacman.conf section and `<repo>.db`. */
  repo?: string;
  /** Architectures of new roots (`x86_64`, `aarch64`). */
  architectures?: string[];
  /** Embed each package's signature in the database (`embed_signatures`). */
  includeSignatures?: boolean;
  /** Replace a package `.sig` by another key. */
  resign?: boolean;
}

/** The `publish.alpine:` sub-block, parsed. */
export interface PublishAlpineConfig {
  /** Catalogue ids of the Alpine releases served (`alpine-3.22`, `alpine-edge`). */
  targets?: string[];
  /** The repository folder (default `main`). */
  repo?: string;
  /** Architectures of new roots (`x86_64`, `aarch64`). */
  architectures?: string[];
  /** The index DESCRIPTION. */
  description?: string;
  /** Also sign with SHA-1 for apk-tools before 2.7 (`legacy_sha1`). */
  legacySha1?: boolean;
  /** The name apk trusts the key under (`key_name`; `.rsa.pub` appended unless it ends in .pub). */
  keyName?: string;
}

/** The `publish.rpm:` sub-block, parsed: the RPM-MD roots rpms go to and how their metadata is written. */
export interface PublishRpmConfig {
  /** Catalogue ids of the distro releases served (`el-9`, `fedora-41`, `opensuse-15.6`). */
  targets?: string[];
  /** Base architectures of new roots (`x86_64`, `aarch64`). */
  architectures?: string[];
  /** zstd-compressed metadata instead of gzip. */
  zstd?: boolean;
  /** Changelog entries kept per package in other.xml. */
  changelogLimit?: number;
  /** The http(s) URL users fetch the repository root from (for the `.repo` files). */
  baseUrl?: string;
  /** Name of the `.repo` file and its section. */
  name?: string;
  /** Replace the signature of an rpm signed by another key. */
  resign?: boolean;
}

const STRINGS = {
  to: "to",
  endpoint: "endpoint",
  region: "region",
  key_name: "keyName",
  suite: "suite",
  codename: "codename",
  component: "component",
  origin: "origin",
  label: "label",
  after_publish: "afterPublish",
  apk_key: "apkKey",
} as const;
const BOOLS = { path_style: "pathStyle", xz: "xz", contents: "contents", sha512: "sha512" } as const;
const DURATIONS = {
  valid_for: "validForSeconds",
  lock_timeout: "lockTimeoutSeconds",
  grace: "graceSeconds",
} as const;
const KEYS = [
  ...Object.keys(STRINGS),
  ...Object.keys(BOOLS),
  ...Object.keys(DURATIONS),
  "key",
  "architectures",
  "keep",
  "base_url",
  "rpm",
  "archlinux",
  "alpine",
];
const RPM_KEYS = ["targets", "architectures", "zstd", "changelog_limit", "base_url", "name", "resign"];
const ARCHLINUX_KEYS = ["repo", "architectures", "embed_signatures", "resign"];
const ALPINE_KEYS = ["targets", "repo", "architectures", "description", "legacy_sha1", "key_name"];

// Shapes only (a target id as the catalogue spells its ids): which targets and architectures exist is the
// repository catalogue's to say, at publish.
const TARGET_RE = /^[a-z0-9][a-z0-9.-]*$/;
const RPM_ARCH_RE = /^[a-z0-9_]+$/;
const REPO_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// pacman `$arch` and /etc/apk/arch values are lowercase letters, digits and `_` (x86_64, armv7h, loongarch64).
const ARCH_RE = /^[a-z0-9_]+$/;
// A file name in /etc/apk/keys/ and keys/ (no slash).
const APK_KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9@._+-]*$/;

const str = (description: string, examples?: string[]): JsonSchema => ({
  type: "string",
  description,
  ...(examples !== undefined ? { examples } : {}),
});
const duration = (description: string, examples: string[]): JsonSchema => ({
  type: "string",
  pattern: "^(0|([0-9]+[smhdwSMHDW])+)$",
  description,
  examples,
});

const RPM_SCHEMA: JsonSchema = {
  type: "object",
  description:
    "How `packyard publish` publishes .rpm packages: one RPM-MD root per distro target and architecture (rpm/<distro>/<release>/<arch>/); the rpms are signed with the repository key as they are published",
  additionalProperties: false,
  properties: {
    targets: {
      type: "array",
      items: { type: "string", pattern: TARGET_RE.source },
      description:
        "Distro releases the rpms are published for, as catalogue ids (default: the targets the repository already serves)",
      examples: [["el-9"], ["el-9", "fedora-41", "opensuse-15.6"]],
    },
    architectures: {
      type: "array",
      items: { type: "string", pattern: RPM_ARCH_RE.source, not: { const: "noarch" } },
      description:
        "Base architectures of new roots (default: those of the packages; x86_64 when all are noarch); noarch packages go to every root",
      examples: [["x86_64", "aarch64"]],
    },
    zstd: {
      type: "boolean",
      description: "zstd-compressed metadata (.xml.zst) instead of gzip; EL 7's yum cannot read it",
    },
    changelog_limit: {
      type: "integer",
      minimum: 0,
      description: "Changelog entries kept per package in other.xml (default 10)",
    },
    base_url: {
      type: "string",
      pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[^?#]+$",
      description:
        "The http(s) URL users fetch the repository root from; with it each target gets a .repo file (rpm/<distro>/<release>/<name>.repo)",
      examples: ["https://packages.example.org/repo"],
    },
    name: {
      type: "string",
      pattern: REPO_NAME_RE.source,
      description: "Name of the .repo file and its section (default: the key name)",
      examples: ["example"],
    },
    resign: {
      type: "boolean",
      description: "Replace the signature of an rpm already signed by another key (else publishing it fails)",
    },
  },
};

const ARCHLINUX_SCHEMA: JsonSchema = {
  type: "object",
  description:
    "How `packyard publish` publishes Arch packages: one pacman root per architecture (archlinux/<repo>/os/<arch>/) with the signed <repo>.db; each package keeps its .sig",
  additionalProperties: false,
  properties: {
    repo: {
      type: "string",
      pattern: REPO_NAME_RE.source,
      description:
        "The repository: the [section] users add to pacman.conf and <repo>.db (default: the key name, else the project's name)",
      examples: ["example"],
    },
    architectures: {
      type: "array",
      items: { type: "string", pattern: ARCH_RE.source, not: { const: "any" } },
      description: "Architectures of new roots (default: those of the packages; x86_64 when all are any)",
      examples: [["x86_64", "aarch64"]],
    },
    embed_signatures: {
      type: "boolean",
      description:
        "Also embed each package's signature in the database (%PGPSIG%), as repo-add before pacman 7",
    },
    resign: {
      type: "boolean",
      description: "Replace a package's .sig made by another key (else publishing it fails)",
    },
  },
};

const ALPINE_SCHEMA: JsonSchema = {
  type: "object",
  description:
    "How `packyard publish` publishes .apk packages: one root per Alpine release and architecture (alpine/<branch>/<repo>/<arch>/) with an APKINDEX.tar.gz signed by publish.apk_key",
  additionalProperties: false,
  properties: {
    targets: {
      type: "array",
      items: { type: "string", pattern: TARGET_RE.source },
      description:
        "Alpine releases the apks are published for, as catalogue ids (default: the targets the repository already serves)",
      examples: [["alpine-3.22"], ["alpine-3.22", "alpine-edge"]],
    },
    repo: {
      type: "string",
      pattern: REPO_NAME_RE.source,
      description: "The repository folder, the last part of the /etc/apk/repositories line (default main)",
      examples: ["main"],
    },
    architectures: {
      type: "array",
      items: { type: "string", pattern: ARCH_RE.source, not: { const: "noarch" } },
      description: "Architectures of new roots (default: those of the packages; x86_64 when all are noarch)",
      examples: [["x86_64", "aarch64"]],
    },
    description: { type: "string", description: 'The index\'s DESCRIPTION (default: "<repo> <branch>")' },
    legacy_sha1: {
      type: "boolean",
      description: "Also sign the indexes with SHA-1, for apk-tools before 2.7",
    },
    key_name: {
      type: "string",
      pattern: APK_KEY_NAME_RE.source,
      description:
        "The name apk trusts the key under (keys/<name>, /etc/apk/keys/<name>; .rsa.pub appended unless it ends in .pub); default: the project's apk.signature.key_name, else <maintainer e-mail>-<8 hex>.rsa.pub",
      examples: ["you@example.org-5f3a1b2c.rsa.pub"],
    },
  },
};

const SCHEMA: JsonSchema = {
  type: "object",
  description:
    "Where `packyard publish` sends the built packages (a signed APT repository, and RPM-MD repositories for rpms); its flags override these.",
  additionalProperties: false,
  properties: {
    to: str("Repository: a folder, or s3://bucket/prefix", ["s3://my-bucket/repo", "public/repo"]),
    endpoint: str("S3 endpoint URL (MinIO, Cloudflare R2, ...); default AWS", ["http://127.0.0.1:9000"]),
    region: str("S3 region", ["us-east-1"]),
    path_style: {
      type: "boolean",
      description: "Path-style S3 URLs (https://host/bucket/key), as MinIO needs",
    },
    key: {
      oneOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1, maxItems: 2 }],
      description:
        "OpenPGP secret key file that signs the repository (two while rotating keys); passphrase from PACKYARD_REPO_PASSPHRASE or PACKYARD_PASSPHRASE",
      examples: ["keys/repo.secret.asc"],
    },
    key_name: str("Name of the public key files under keys/ (default repository)", ["repository"]),
    suite: str("APT suite (default stable)", ["stable", "testing"]),
    codename: str("APT codename (default: the suite)"),
    component: str("APT component packages go to (default main)", ["main"]),
    origin: str("APT Origin"),
    label: str("APT Label"),
    architectures: {
      type: "array",
      items: { type: "string" },
      description: "Architectures the suite lists (default: those of its packages)",
      examples: [["amd64", "arm64"]],
    },
    keep: { type: "integer", minimum: 1, description: "Keep only the N newest versions of each package" },
    xz: { type: "boolean", description: "Also write Packages.xz" },
    contents: { type: "boolean", description: "Write Contents-<arch>.gz for apt-file" },
    sha512: { type: "boolean", description: "Also list SHA512 sums in Release" },
    valid_for: duration("Time from Date to Valid-Until (0: none)", ["7d"]),
    lock_timeout: duration("How long to wait for another publisher's lock (default 10m)", ["10m"]),
    grace: duration("How long unreferenced files stay before deletion (default 2d)", ["2d"]),
    after_publish: str(
      "Shell command run after a successful publish; changed keys on stdin and in PACKYARD_CHANGED_KEYS",
      ["./invalidate-cdn.sh"],
    ),
    base_url: {
      type: "string",
      pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[^?#]+$",
      description:
        "Public http(s) URL the repository root is served from: the install page, install.sh, install.json and the .repo files use it",
      examples: ["https://packages.example.org/repo"],
    },
    rpm: RPM_SCHEMA,
    apk_key: str(
      "RSA private key (PEM, 2048 bits or more) that signs the Alpine indexes; passphrase from PACKYARD_APK_PASSPHRASE or PACKYARD_PASSPHRASE",
      ["keys/repo.rsa"],
    ),
    archlinux: ARCHLINUX_SCHEMA,
    alpine: ALPINE_SCHEMA,
  },
};

/** Parses the `publish:` block; unknown keys throw SpecError UNKNOWN_KEY, bad values INVALID_FIELD. */
export function parsePublishConfig(raw: unknown, ctx: ConfigContext): PublishConfig {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  const at = (k: string) => `${ctx.field}.${k}`;
  onlyKeys(o, KEYS, ctx.field);
  const out: PublishConfig = {};
  for (const [k, name] of Object.entries(STRINGS)) {
    if (o[k] !== undefined && o[k] !== null) out[name] = plainString(o[k], at(k));
  }
  for (const [k, name] of Object.entries(BOOLS)) {
    if (o[k] !== undefined && o[k] !== null) out[name] = plainBool(o[k], at(k));
  }
  for (const [k, name] of Object.entries(DURATIONS)) {
    if (o[k] === undefined || o[k] === null) continue;
    // YAML reads a bare 0 as a number; every other duration is text with a unit.
    const text = o[k] === 0 ? "0" : plainString(o[k], at(k));
    const seconds = parseDuration(text);
    if (seconds === undefined)
      throw configError("INVALID_FIELD", at(k), `expected ${DURATION_EXAMPLES}`, o[k]);
    out[name] = seconds;
  }
  if (o.key !== undefined && o.key !== null) {
    const list = Array.isArray(o.key) ? o.key : [o.key];
    if (list.length === 0 || list.length > 2)
      throw configError(
        "INVALID_FIELD",
        at("key"),
        "expected one key file, or a list of two while rotating keys",
        o.key,
      );
    out.keys = list.map((k, i) => plainString(k, Array.isArray(o.key) ? `${at("key")}[${i}]` : at("key")));
  }
  if (o.architectures !== undefined && o.architectures !== null) {
    if (!Array.isArray(o.architectures))
      throw configError(
        "INVALID_FIELD",
        at("architectures"),
        "expected a list such as [amd64, arm64]",
        o.architectures,
      );
    out.architectures = o.architectures.map((a, i) => plainString(a, `${at("architectures")}[${i}]`));
  }
  if (o.keep !== undefined && o.keep !== null) {
    if (typeof o.keep !== "number" || !Number.isSafeInteger(o.keep) || o.keep < 1)
      throw configError(
        "INVALID_FIELD",
        at("keep"),
        "expected a whole number of versions, 1 or more",
        o.keep,
      );
    out.keep = o.keep;
  }
  if (o.base_url !== undefined && o.base_url !== null) out.baseUrl = httpUrl(o.base_url, at("base_url"));
  if (o.rpm !== undefined && o.rpm !== null) out.rpm = parseRpm(o.rpm, at("rpm"));
  if (o.archlinux !== undefined && o.archlinux !== null)
    out.archlinux = parseArchlinux(o.archlinux, at("archlinux"));
  if (o.alpine !== undefined && o.alpine !== null) out.alpine = parseAlpine(o.alpine, at("alpine"));
  return out;
}

/** A name of `re`'s shape, or INVALID_FIELD. */
function named(raw: unknown, field: string, re: RegExp, expected: string): string {
  const v = plainString(raw, field);
  if (!re.test(v)) throw configError("INVALID_FIELD", field, `expected ${expected}`, raw);
  return v;
}

/** The `publish.archlinux:` sub-block; `field` is its path (`publish.archlinux`). */
function parseArchlinux(raw: unknown, field: string): PublishArchlinuxConfig {
  const o = plainMap(raw, field);
  const at = (k: string) => `${field}.${k}`;
  onlyKeys(o, ARCHLINUX_KEYS, field);
  const out: PublishArchlinuxConfig = {};
  const given = (k: string) => o[k] !== undefined && o[k] !== null;
  if (given("repo"))
    out.repo = named(
      o.repo,
      at("repo"),
      REPO_NAME_RE,
      "a repository name: letters, digits, '.', '_' and '-'",
    );
  if (given("architectures"))
    out.architectures = stringList(
      o.architectures,
      at("architectures"),
      /^(?!any$)[a-z0-9_]+$/,
      "pacman architectures such as [x86_64, aarch64] (not any: any packages go to every one)",
    );
  if (given("embed_signatures"))
    out.includeSignatures = plainBool(o.embed_signatures, at("embed_signatures"));
  if (given("resign")) out.resign = plainBool(o.resign, at("resign"));
  return out;
}

/** The `publish.alpine:` sub-block; `field` is its path (`publish.alpine`). */
function parseAlpine(raw: unknown, field: string): PublishAlpineConfig {
  const o = plainMap(raw, field);
  const at = (k: string) => `${field}.${k}`;
  onlyKeys(o, ALPINE_KEYS, field);
  const out: PublishAlpineConfig = {};
  const given = (k: string) => o[k] !== undefined && o[k] !== null;
  if (given("targets"))
    out.targets = stringList(
      o.targets,
      at("targets"),
      TARGET_RE,
      "Alpine target ids such as [alpine-3.22, alpine-edge]",
    );
  if (given("repo"))
    out.repo = named(
      o.repo,
      at("repo"),
      REPO_NAME_RE,
      "a repository folder name such as main: letters, digits, '.', '_' and '-'",
    );
  if (given("architectures"))
    out.architectures = stringList(
      o.architectures,
      at("architectures"),
      /^(?!noarch$)[a-z0-9_]+$/,
      "Alpine architectures such as [x86_64, aarch64] (not noarch: noarch packages go to every one)",
    );
  if (given("description")) out.description = plainString(o.description, at("description"));
  if (given("legacy_sha1")) out.legacySha1 = plainBool(o.legacy_sha1, at("legacy_sha1"));
  if (given("key_name"))
    out.keyName = named(
      o.key_name,
      at("key_name"),
      APK_KEY_NAME_RE,
      "a key file name such as you@example.org-5f3a1b2c.rsa.pub (no slashes)",
    );
  return out;
}

/** A list of strings each matching `re`, or INVALID_FIELD naming the list or the item. */
function stringList(raw: unknown, field: string, re: RegExp, expected: string): string[] {
  if (!Array.isArray(raw)) throw configError("INVALID_FIELD", field, `expected a list of ${expected}`, raw);
  return raw.map((item, i) => {
    const v = plainString(item, `${field}[${i}]`);
    if (!re.test(v)) throw configError("INVALID_FIELD", `${field}[${i}]`, `expected ${expected}`, item);
    return v;
  });
}

/** The `publish.rpm:` sub-block; `field` is its path (`publish.rpm`). */
function parseRpm(raw: unknown, field: string): PublishRpmConfig {
  const o = plainMap(raw, field);
  const at = (k: string) => `${field}.${k}`;
  onlyKeys(o, RPM_KEYS, field);
  const out: PublishRpmConfig = {};
  const given = (k: string) => o[k] !== undefined && o[k] !== null;
  if (given("targets"))
    out.targets = stringList(
      o.targets,
      at("targets"),
      TARGET_RE,
      "distro target ids such as [el-9, fedora-41, opensuse-15.6]",
    );
  if (given("architectures")) {
    out.architectures = stringList(
      o.architectures,
      at("architectures"),
      RPM_ARCH_RE,
      "rpm base architectures such as [x86_64, aarch64]",
    );
    const i = out.architectures.indexOf("noarch");
    if (i >= 0)
      throw configError(
        "INVALID_FIELD",
        `${at("architectures")}[${i}]`,
        "expected a base architecture such as x86_64 (noarch packages go to every root)",
        "noarch",
      );
  }
  if (given("zstd")) out.zstd = plainBool(o.zstd, at("zstd"));
  if (given("resign")) out.resign = plainBool(o.resign, at("resign"));
  if (given("changelog_limit")) {
    const n = o.changelog_limit;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
      throw configError(
        "INVALID_FIELD",
        at("changelog_limit"),
        "expected a whole number of changelog entries, 0 or more",
        n,
      );
    out.changelogLimit = n;
  }
  if (given("base_url")) out.baseUrl = httpUrl(o.base_url, at("base_url"));
  if (given("name")) {
    const name = plainString(o.name, at("name"));
    if (!REPO_NAME_RE.test(name))
      throw configError(
        "INVALID_FIELD",
        at("name"),
        "expected a .repo file name: letters, digits, '.', '_' and '-'",
        o.name,
      );
    out.name = name;
  }
  return out;
}

/** An http(s) URL without query or fragment, as given; anything else is INVALID_FIELD. */
function httpUrl(raw: unknown, field: string): string {
  const text = plainString(raw, field);
  const url = URL.parse(text);
  if (
    url === null ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  )
    throw configError(
      "INVALID_FIELD",
      field,
      "expected a public http(s) URL without user:password@, ?query or #fragment, such as https://packages.example.org/repo",
      url !== null && (url.username !== "" || url.password !== "") ? "a URL with credentials" : raw,
    );
  return text;
}

/** The `publish:` block (top-level key `publish`). */
export const publishConfig: ConfigBlock<PublishConfig> = {
  key: "publish",
  schema: SCHEMA,
  parse: parsePublishConfig,
};
