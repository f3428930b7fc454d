/**
 * The `apk:` block of packyard.yml: nfpm's keys (`arch`, `scripts.preupgrade/postupgrade`,
 * `signature.key_file/key_name`) plus packyard's own (`origin`, `commit`, `packager`, `install_if`,
 * `triggers`, `provider_priority`, `replaces_priority`, `compression`, `signature.legacy_sha1`).
 */
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, configPath, onlyKeys, plainBool, plainMap, plainString } from "../config/plain.ts";
import type { ApkOptions } from "./options.ts";
import { keyFileSigning } from "../config/signing.ts";

const TOP = [
  "arch",
  "scripts",
  "signature",
  "origin",
  "commit",
  "packager",
  "install_if",
  "triggers",
  "provider_priority",
  "replaces_priority",
  "compression",
];
const SIGNATURE = ["key_file", "key_name", "key_id", "legacy_sha1"];
const SIGNATURE_UNSUPPORTED = {
  key_id:
    "apk signatures use raw RSA keys, which have no key id (nfpm ignores it); name the key with key_name",
};

const SCHEMA: JsonSchema = {
  type: "object",
  description: "Alpine apk (v2) options: nfpm's apk block plus packyard's additions.",
  additionalProperties: false,
  properties: {
    arch: {
      type: "string",
      description: "Alpine arch written verbatim (x86_64, aarch64, armv7, armhf, x86, noarch, ...).",
    },
    scripts: {
      type: "object",
      additionalProperties: false,
      properties: {
        preupgrade: {
          type: "string",
          description: "Script run as .pre-upgrade (arguments: new version, old version).",
        },
        postupgrade: {
          type: "string",
          description: "Script run as .post-upgrade (arguments: new version, old version).",
        },
      },
    },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: {
        key_file: {
          type: "string",
          description: "RSA private key (PEM) that signs the package (`packyard keygen --type rsa`).",
        },
        key_name: {
          type: "string",
          description:
            "Public key file name as installed in /etc/apk/keys (`.rsa.pub` appended unless it ends in .pub). Default: <maintainer e-mail>-<8 hex>.rsa.pub.",
        },
        key_id: { not: {}, description: "Not supported: RSA keys have no key id; use key_name." },
        legacy_sha1: {
          type: "boolean",
          description: "Also write a SHA-1 signature (.SIGN.RSA.) for apk-tools older than 2.7.",
        },
      },
    },
    origin: { type: "string", description: "origin (source package name); default the package name." },
    commit: { type: "string", description: "commit (source revision) written to .PKGINFO." },
    packager: { type: "string", description: "packager; default the maintainer." },
    install_if: {
      type: "array",
      items: { type: "string" },
      description: "install_if dependencies in apk syntax.",
    },
    triggers: {
      type: "array",
      items: { type: "string" },
      description: "Directory globs that run the trigger script (scripts.trigger).",
    },
    provider_priority: { type: "integer", minimum: 0 },
    replaces_priority: { type: "integer", minimum: 0 },
    compression: {
      type: "string",
      pattern: "^gzip(:[1-9])?$",
      description: "apk v2 is always gzip; the level defaults to 9 (abuild).",
    },
  },
};

function strings(raw: unknown, field: string): string[] {
  if (typeof raw === "string") return raw.split(/\s+/).filter(Boolean);
  if (!Array.isArray(raw)) throw configError("INVALID_FIELD", field, "expected a list of strings", raw);
  return raw.map((v, i) => plainString(v, `${field}[${i}]`));
}

function int(raw: unknown, field: string): number {
  const n = typeof raw === "string" && /^[0-9]+$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
    throw configError("INVALID_FIELD", field, "expected a non-negative integer", raw);
  return n;
}

/** Parses the `apk:` block; unknown keys throw SpecError UNKNOWN_KEY, nfpm's `signature.key_id` UNSUPPORTED_KEY. */
export function parseApkConfig(raw: unknown, ctx: ConfigContext): ApkOptions {
  if (raw === undefined || raw === null) return {};
  const f = ctx.field;
  const o = plainMap(raw, f);
  onlyKeys(o, TOP, f);
  const out: ApkOptions = {};
  if (o.arch !== undefined) out.arch = plainString(o.arch, `${f}.arch`);
  if (o.origin !== undefined) out.origin = plainString(o.origin, `${f}.origin`);
  if (o.commit !== undefined) out.commit = plainString(o.commit, `${f}.commit`);
  if (o.packager !== undefined) out.packager = plainString(o.packager, `${f}.packager`);
  if (o.install_if !== undefined) out.installIf = strings(o.install_if, `${f}.install_if`);
  if (o.triggers !== undefined) out.triggers = strings(o.triggers, `${f}.triggers`);
  if (o.provider_priority !== undefined)
    out.providerPriority = int(o.provider_priority, `${f}.provider_priority`);
  if (o.replaces_priority !== undefined)
    out.replacesPriority = int(o.replaces_priority, `${f}.replaces_priority`);
  if (o.compression !== undefined) {
    const c = plainString(o.compression, `${f}.compression`);
    const m = /^gzip(?::([1-9]))?$/.exec(c);
    if (m === null)
      throw configError(
        "INVALID_FIELD",
        `${f}.compression`,
        `apk v2 packages are gzip only; expected gzip or gzip:1..9, found "${c}"`,
        c,
      );
    if (m[1] !== undefined) out.gzipLevel = Number(m[1]);
  }
  if (o.scripts !== undefined && o.scripts !== null) {
    const s = plainMap(o.scripts, `${f}.scripts`);
    onlyKeys(s, ["preupgrade", "postupgrade"], `${f}.scripts`);
    const files: NonNullable<ApkOptions["scriptFiles"]> = {};
    for (const k of ["preupgrade", "postupgrade"] as const) {
      if (s[k] !== undefined) files[k] = plainString(s[k], `${f}.scripts.${k}`);
    }
    out.scriptFiles = files;
  }
  if (o.signature !== undefined && o.signature !== null) {
    const s = plainMap(o.signature, `${f}.signature`);
    onlyKeys(s, SIGNATURE, `${f}.signature`, { unsupported: SIGNATURE_UNSUPPORTED });
    const sig: NonNullable<ApkOptions["signature"]> = {};
    if (s.key_file !== undefined)
      sig.keyFile = configPath(ctx.baseDir, plainString(s.key_file, `${f}.signature.key_file`));
    if (s.key_name !== undefined) {
      const name = plainString(s.key_name, `${f}.signature.key_name`);
      if (/[/\\]/.test(name))
        throw configError(
          "INVALID_FIELD",
          `${f}.signature.key_name`,
          "expected a file name without slashes",
          name,
        );
      sig.keyName = name;
    }
    if (s.legacy_sha1 !== undefined) sig.legacySha1 = plainBool(s.legacy_sha1, `${f}.signature.legacy_sha1`);
    out.signature = sig;
  }
  return out;
}

/** The `apk:` block: parse, JSON schema, and the script files the loader reads into the spec. */
export const apkConfig: ConfigBlock<ApkOptions> = {
  key: "apk",
  schema: SCHEMA,
  parse: parseApkConfig,
  signing: (o) => keyFileSigning(o.signature),
  scripts: (o) => ({
    ...(o.scriptFiles?.preupgrade !== undefined ? { preupgrade: o.scriptFiles.preupgrade } : {}),
    ...(o.scriptFiles?.postupgrade !== undefined ? { postupgrade: o.scriptFiles.postupgrade } : {}),
  }),
};
