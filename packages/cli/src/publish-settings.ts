/**
 * The settings of `packyard publish` and `packyard repo …`: the `publish:` block of packyard.yml with the
 * command-line flags over it (a flag given wins; a boolean flag can only turn a setting on). Pure: flags
 * and the parsed block in, settings out; usage errors name the flag.
 */
import type { Flags } from "./command.ts";
import { DURATION_EXAMPLES, type PublishConfig, parseDuration } from "./formats.ts";
import type { AptPublishSettings, PublishOptions } from "./repo.ts";
import { listFlag, stringFlag } from "./flags.ts";
import { UsageError } from "./usage-error.ts";

export { listFlag, stringFlag } from "./flags.ts";

/** Where the repository lives, as storageFromUrl takes it. */
export interface TargetSettings {
  /** A folder path or `s3://bucket/prefix`, as given. */
  to: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

/** The RPM-MD settings of a publish, as the engine takes them. */
export type RpmSettings = NonNullable<PublishOptions["rpm"]>;

/** The pacman settings of a publish, as the engine takes them. */
export type ArchlinuxSettings = NonNullable<PublishOptions["archlinux"]>;

/** The Alpine settings of a publish, as the engine takes them. */
export type AlpineSettings = NonNullable<PublishOptions["alpine"]>;

/**
 * The `publish:` keys for pacman and Alpine repositories, as the config loader gives them parsed
 * (`apk_key`, and the `archlinux:` and `alpine:` blocks, snake_case in packyard.yml).
 */
export interface PublishFamiliesConfig {
  /** The RSA private key (PEM) that signs the Alpine indexes (`publish.apk_key`). */
  apkKey?: string;
  /** `publish.archlinux:` (`repo`, `architectures`, `embed_signatures`, `resign`). */
  archlinux?: ArchlinuxSettings;
  /** `publish.alpine:` (`targets`, `repo`, `architectures`, `description`, `legacy_sha1`, `key_name`). */
  alpine?: AlpineSettings & { keyName?: string };
}

/** The `publish:` block as the settings read it: the loader's PublishConfig with the pacman and Alpine keys. */
export type PublishBlock = PublishConfig & PublishFamiliesConfig;

/** Everything a publish, removal, copy or refresh needs besides the packages. */
export interface RepoSettings {
  target: TargetSettings;
  /** Signing key files as given (relative to the working folder). */
  keys: string[];
  keyName?: string;
  /** Env var holding the keys' passphrase (else PACKYARD_REPO_PASSPHRASE, PACKYARD_PASSPHRASE, ...). */
  passphraseEnv?: string;
  apt: AptPublishSettings;
  /** For the rpms of a publish (`--rpm-target`, ... over `publish.rpm`). */
  rpm: RpmSettings;
  /** For the Arch packages of a publish (`--pacman-repo`, ... over `publish.archlinux`). */
  archlinux: ArchlinuxSettings;
  /** For the apks of a publish (`--apk-target`, ... over `publish.alpine`). */
  alpine: AlpineSettings;
  /** The RSA key file that signs Alpine indexes, as given (relative to the working folder). */
  apkKey?: string;
  /** The name apk trusts that key under (`--apk-key-name`, `publish.alpine.key_name`), as given. */
  apkKeyName?: string;
  keep?: number;
  replace: boolean;
  /** False with `--no-lock`. */
  lock: boolean;
  lockTimeoutMs?: number;
  graceMs?: number;
  afterPublish?: string;
  /** The public URL the repository root is served from (`--base-url`, `publish.base_url`). */
  baseUrl?: string;
}

/** Seconds of a duration flag (`--grace 2d`), or a UsageError naming the flag. */
export function durationFlag(flags: Flags, name: string, command: string): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    throw new UsageError(`--${name}: expected ${DURATION_EXAMPLES}, found '${text}'`, command);
  }
  return seconds;
}

/** A whole number of at least `min` from `--name`, or a UsageError naming the flag. */
export function countFlag(flags: Flags, name: string, command: string, min = 1): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name}: expected a whole number, ${min} or more, found '${text}'`, command);
  }
  return n;
}

/** An http(s) URL without query or fragment from `--name`, as given, or a UsageError naming the flag. */
export function urlFlag(flags: Flags, name: string, command: string): string | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  const url = URL.parse(text.trim());
  if (
    url === null ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  ) {
    throw new UsageError(
      `--${name}: expected a public http(s) URL without user:password@, ?query or #fragment, such as https://packages.example.org/repo, found '${url !== null && (url.username !== "" || url.password !== "") ? `${url.protocol}//…@${url.host}${url.pathname}` : text}'`,
      command,
    );
  }
  return text.trim();
}

/** A boolean flag: true, false (`--no-NAME`), or undefined when not given. */
const on = (flags: Flags, name: string): boolean | undefined =>
  flags[name] === true ? true : flags[name] === false ? false : undefined;

/** Copies the defined values of `from` into a fresh object (exactOptionalPropertyTypes: no `undefined`s). */
function defined<T extends object>(from: { [K in keyof T]: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined) out[k] = v;
  return out as T;
}

/**
 * The settings for `command` from its flags over the config's `publish:` block. `--to` (or `publish.to`)
 * is required; at most two keys (two while rotating).
 */
export function repoSettings(
  flags: Flags,
  config: PublishBlock | undefined,
  command: string,
  projectName?: string,
): RepoSettings {
  const c = config ?? {};
  const to = stringFlag(flags, "to") ?? c.to;
  if (to === undefined || to.trim() === "") {
    throw new UsageError(
      "missing --to (a folder or s3://bucket/prefix; or publish.to in packyard.yml)",
      command,
    );
  }
  const keys = listFlag(flags, "key");
  if (keys.length > 2) {
    throw new UsageError(
      `--key: expected one key, or two while rotating keys, found ${keys.length}`,
      command,
    );
  }
  const archs = listFlag(flags, "arch");
  const validFor = durationFlag(flags, "valid-for", command);
  const lockTimeout = durationFlag(flags, "lock-timeout", command);
  const grace = durationFlag(flags, "grace", command);
  const apt = defined<AptPublishSettings>({
    suite: stringFlag(flags, "suite") ?? c.suite,
    codename: stringFlag(flags, "codename") ?? c.codename,
    component: stringFlag(flags, "component") ?? c.component,
    origin: stringFlag(flags, "origin") ?? c.origin,
    label: stringFlag(flags, "label") ?? c.label,
    architectures: archs.length > 0 ? archs : c.architectures,
    xz: on(flags, "xz") ?? c.xz,
    contents: on(flags, "contents") ?? c.contents,
    sha512: on(flags, "sha512") ?? c.sha512,
    validFor: validFor ?? c.validForSeconds,
    changeIdentity: on(flags, "change-identity"),
  });
  // Target ids and architectures are checked by the engine, against its catalogue of distro releases.
  const r = c.rpm ?? {};
  const baseUrl = urlFlag(flags, "base-url", command);
  const rpmTargets = listFlag(flags, "rpm-target");
  const rpmArchs = listFlag(flags, "rpm-arch");
  const rpm = defined<RpmSettings>({
    targets: rpmTargets.length > 0 ? rpmTargets : r.targets,
    architectures: rpmArchs.length > 0 ? rpmArchs : r.architectures,
    zstd: on(flags, "rpm-zstd") ?? r.zstd,
    changelogLimit: countFlag(flags, "changelog-limit", command, 0) ?? r.changelogLimit,
    baseUrl: baseUrl ?? r.baseUrl ?? c.baseUrl,
    // The .repo file users add is named after the project unless a name is given (every vendor's
    // `repository.repo` would overwrite another's in /etc/yum.repos.d).
    name: r.name ?? stringFlag(flags, "key-name") ?? c.keyName ?? projectName,
    resign: on(flags, "resign") ?? r.resign,
  });
  const p = c.archlinux ?? {};
  const pacmanArchs = listFlag(flags, "pacman-arch");
  const archlinux = defined<ArchlinuxSettings>({
    // The [section] users add to pacman.conf: named like the .repo file, so that two vendors' repositories
    // do not both arrive as [repository].
    repo:
      stringFlag(flags, "pacman-repo") ?? p.repo ?? stringFlag(flags, "key-name") ?? c.keyName ?? projectName,
    architectures: pacmanArchs.length > 0 ? pacmanArchs : p.architectures,
    includeSignatures: on(flags, "pacman-embed-signatures") ?? p.includeSignatures,
    resign: on(flags, "resign") ?? p.resign,
  });
  const a = c.alpine ?? {};
  const apkTargets = listFlag(flags, "apk-target");
  const apkArchs = listFlag(flags, "apk-arch");
  const alpine = defined<AlpineSettings>({
    targets: apkTargets.length > 0 ? apkTargets : a.targets,
    repo: stringFlag(flags, "apk-repo") ?? a.repo,
    architectures: apkArchs.length > 0 ? apkArchs : a.architectures,
    description: stringFlag(flags, "apk-description") ?? a.description,
    legacySha1: on(flags, "apk-sha1") ?? a.legacySha1,
    // Per run only, like --change-identity: a key change is never a standing setting.
    changeKey: on(flags, "apk-change-key"),
  });
  const lockTimeoutSeconds = lockTimeout ?? c.lockTimeoutSeconds;
  const graceSeconds = grace ?? c.graceSeconds;
  return defined<RepoSettings>({
    target: defined<TargetSettings>({
      to,
      endpoint: stringFlag(flags, "endpoint") ?? c.endpoint,
      region: stringFlag(flags, "region") ?? c.region,
      pathStyle: on(flags, "path-style") ?? c.pathStyle,
    }),
    keys: keys.length > 0 ? keys : (c.keys ?? []),
    keyName: stringFlag(flags, "key-name") ?? c.keyName,
    passphraseEnv: stringFlag(flags, "passphrase-env"),
    apt,
    rpm,
    archlinux,
    alpine,
    apkKey: stringFlag(flags, "apk-key") ?? c.apkKey,
    apkKeyName: stringFlag(flags, "apk-key-name") ?? a.keyName,
    keep: countFlag(flags, "keep", command) ?? c.keep,
    replace: flags.replace === true,
    lock: flags["no-lock"] !== true,
    lockTimeoutMs: lockTimeoutSeconds === undefined ? undefined : lockTimeoutSeconds * 1000,
    graceMs: graceSeconds === undefined ? undefined : graceSeconds * 1000,
    afterPublish: stringFlag(flags, "after-publish") ?? c.afterPublish,
    baseUrl: baseUrl ?? c.baseUrl ?? r.baseUrl,
  });
}
