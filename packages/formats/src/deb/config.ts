/**
 * The `deb:` block of packyard.yml: nfpm's schema (www/content/docs/configuration.md). Every nfpm key is
 * implemented or rejected by name; unknown keys are rejected by name.
 */
import { parseCompression } from "../compress/compression.ts";
import type { BlockResolveContext, ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, onlyKeys, plainMap } from "../config/plain.ts";
import { parseRelation } from "../spec/relation.ts";
import type { RelationGroup } from "../spec/types.ts";
import type { DebMultiArch, DebOptions, DebSignatureType, DebTriggers } from "./options.ts";
import { keyFileSigning } from "../config/signing.ts";

const TRIGGER_KEYS: Readonly<Record<string, keyof DebTriggers>> = {
  interest: "interest",
  interest_await: "interestAwait",
  interest_noawait: "interestNoawait",
  activate: "activate",
  activate_await: "activateAwait",
  activate_noawait: "activateNoawait",
};

const TOP = [
  "arch",
  "arch_variant",
  "compression",
  "breaks",
  "predepends",
  "fields",
  "triggers",
  "scripts",
  "signature",
  "multi_arch",
];
/** nfpm keys rejected by name, per mapping of the block. */
const UNSUPPORTED = {
  top: { metadata: "deb.metadata was removed from nfpm; use the top-level version_metadata" },
  scripts: {
    rules:
      "deb.scripts.rules is not supported: debian/rules belongs to source packages; use scripts.* for maintainer scripts",
  },
  signature: {
    signer: "deb.signature.signer only applies to dpkg-sig, which packyard does not write; remove it",
  },
};

function str(v: unknown, field: string): string {
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v !== "string") throw configError("INVALID_FIELD", field, "expected a string", v);
  return v;
}

function strList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw configError("INVALID_FIELD", field, "expected a list of strings", v);
  return v.map((x, i) => str(x, `${field}[${i}]`).trim()).filter((s) => s !== "");
}

function relations(v: unknown, field: string): RelationGroup[] {
  return strList(v, field).map((s, i) => parseRelation(s, `${field}[${i}]`));
}

/** Parses the `deb:` block into DebOptions (pure: file paths are read later by `resolve`). */
export function parseDebBlock(raw: unknown, ctx: ConfigContext): DebOptions {
  const f = ctx.field;
  if (raw === undefined || raw === null) return {};
  const map = plainMap(raw, f);
  onlyKeys(map, TOP, f, { unsupported: UNSUPPORTED.top });
  const out: DebOptions = {};
  if (map.arch !== undefined && map.arch !== null) out.arch = str(map.arch, `${f}.arch`).trim();
  if (map.arch_variant !== undefined && map.arch_variant !== null) {
    const v = str(map.arch_variant, `${f}.arch_variant`).trim();
    // nfpm: bare v1..v4 get the amd64 prefix.
    out.archVariant = /^v[1-4]$/.test(v) ? `amd64${v}` : v;
  }
  if (map.compression !== undefined && map.compression !== null) {
    const c = parseCompression(str(map.compression, `${f}.compression`), `${f}.compression`);
    if (c.algo === "bzip2")
      throw configError("INVALID_FIELD", `${f}.compression`, "expected gzip, xz, zstd or none", "bzip2");
    out.compression = c;
  }
  const breaks = relations(map.breaks, `${f}.breaks`);
  if (breaks.length > 0) out.breaks = breaks;
  const pre = relations(map.predepends, `${f}.predepends`);
  if (pre.length > 0) out.preDepends = pre;
  if (map.fields !== undefined && map.fields !== null) {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(plainMap(map.fields, `${f}.fields`))) {
      // nfpm skips fields whose value is empty
      const value = v === null || v === undefined ? "" : str(v, `${f}.fields.${k}`);
      if (value.trim() !== "") fields[k] = value;
    }
    if (Object.keys(fields).length > 0) out.fields = fields;
  }
  if (map.triggers !== undefined && map.triggers !== null) {
    const t = plainMap(map.triggers, `${f}.triggers`);
    onlyKeys(t, Object.keys(TRIGGER_KEYS), `${f}.triggers`);
    const triggers: DebTriggers = {};
    for (const [k, key] of Object.entries(TRIGGER_KEYS)) {
      const names = strList(t[k], `${f}.triggers.${k}`);
      if (names.length > 0) triggers[key] = names;
    }
    if (Object.keys(triggers).length > 0) out.triggers = triggers;
  }
  if (map.scripts !== undefined && map.scripts !== null) {
    const s = plainMap(map.scripts, `${f}.scripts`);
    onlyKeys(s, ["templates", "config"], `${f}.scripts`, { unsupported: UNSUPPORTED.scripts });
    const files: { templates?: string; config?: string } = {};
    if (s.templates !== undefined && s.templates !== null)
      files.templates = str(s.templates, `${f}.scripts.templates`);
    if (s.config !== undefined && s.config !== null) files.config = str(s.config, `${f}.scripts.config`);
    if (Object.keys(files).length > 0) out.debconfFiles = files;
  }
  if (map.signature !== undefined && map.signature !== null) {
    const s = plainMap(map.signature, `${f}.signature`);
    onlyKeys(s, ["method", "key_file", "key_id", "type"], `${f}.signature`, {
      unsupported: UNSUPPORTED.signature,
    });
    const sig: NonNullable<DebOptions["signature"]> = {};
    if (s.method !== undefined && s.method !== null) {
      const method = str(s.method, `${f}.signature.method`);
      if (method === "dpkg-sig") {
        throw configError(
          "UNSUPPORTED_KEY",
          `${f}.signature.method`,
          "dpkg-sig signatures are not written (dpkg-sig left Debian in 12); use debsign (debsigs _gpgorigin)",
          method,
        );
      }
      if (method !== "debsign")
        throw configError("INVALID_FIELD", `${f}.signature.method`, "expected debsign", method);
    }
    if (s.key_file !== undefined && s.key_file !== null)
      sig.keyFile = str(s.key_file, `${f}.signature.key_file`);
    if (s.key_id !== undefined && s.key_id !== null) sig.keyId = str(s.key_id, `${f}.signature.key_id`);
    if (s.type !== undefined && s.type !== null) {
      const type = str(s.type, `${f}.signature.type`);
      if (type !== "origin" && type !== "maint" && type !== "archive") {
        throw configError("INVALID_FIELD", `${f}.signature.type`, "expected origin, maint or archive", type);
      }
      sig.type = type as DebSignatureType;
      out.signatureType = sig.type;
    }
    if (Object.keys(sig).length > 0) out.signature = sig;
  }
  if (map.multi_arch !== undefined && map.multi_arch !== null) {
    const v = str(map.multi_arch, `${f}.multi_arch`);
    if (!["no", "same", "foreign", "allowed"].includes(v))
      throw configError("INVALID_FIELD", `${f}.multi_arch`, "expected no, same, foreign or allowed", v);
    out.multiArch = v as DebMultiArch;
  }
  return out;
}

const strings = { type: "array", items: { type: "string" } };

/** JSON schema of the block (draft 2020-12). */
export const DEB_SCHEMA: JsonSchema = {
  type: "object",
  additionalProperties: false,
  description: "Debian package options (nfpm's deb block)",
  properties: {
    arch: { type: "string", description: "Debian architecture overriding the mapped one, e.g. armhf" },
    arch_variant: {
      type: "string",
      description: "Architecture-Variant, e.g. amd64v3 (bare v1..v4 get the amd64 prefix)",
    },
    compression: {
      type: "string",
      description:
        "data.tar compression: gzip (default, level 9), xz, zstd (dpkg >= 1.21.18 only), none; optional :level. gzip is written in 2 MiB members (dpkg reads them all; compressed side by side on worker threads, same bytes for any count); /stream gives one stream (gzip:9/stream), /SIZE another member size (gzip:9/8MiB). zstd and xz are one stream: dpkg reads only their first frame.",
      pattern: "^(gzip|xz|zstd|none)(:[0-9]+)?(/(stream|[0-9]+([kKmMgG]([iI][bB])?)?))?$",
    },
    breaks: { ...strings, description: "Breaks relations, e.g. foo (<< 2)" },
    predepends: { ...strings, description: "Pre-Depends relations" },
    fields: {
      type: "object",
      additionalProperties: { type: "string" },
      description: "Extra control fields (empty values skipped)",
    },
    triggers: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(Object.keys(TRIGGER_KEYS).map((k) => [k, strings])),
    },
    scripts: {
      type: "object",
      additionalProperties: false,
      properties: {
        templates: { type: "string", description: "debconf templates file" },
        config: { type: "string", description: "debconf config script" },
      },
    },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: {
        method: { type: "string", enum: ["debsign"] },
        key_file: {
          type: "string",
          description: "OpenPGP secret key (passphrase from PACKYARD_DEB_PASSPHRASE)",
        },
        key_id: { type: "string", description: "Key id or fingerprint of the signing (sub)key" },
        type: {
          type: "string",
          enum: ["origin", "maint", "archive"],
          description: "Member _gpg<type>, default origin",
        },
      },
    },
    multi_arch: {
      type: "string",
      enum: ["no", "same", "foreign", "allowed"],
      description: "Multi-Arch field (packyard extension)",
    },
  },
};

/** Reads the debconf files the block names. */
async function resolveDebBlock(options: DebOptions, ctx: BlockResolveContext): Promise<DebOptions> {
  const files = options.debconfFiles;
  if (files === undefined) return options;
  const debconf: NonNullable<DebOptions["debconf"]> = {};
  if (files.templates !== undefined)
    debconf.templates = await ctx.readBytes(files.templates, `${ctx.field}.scripts.templates`);
  if (files.config !== undefined)
    debconf.config = await ctx.readBytes(files.config, `${ctx.field}.scripts.config`);
  return { ...options, debconf };
}

/** The deb block registered with the config loader. */
export const debConfig: ConfigBlock<DebOptions> = {
  key: "deb",
  schema: DEB_SCHEMA,
  parse: parseDebBlock,
  signing: (o) => keyFileSigning(o.signature),
  resolve: resolveDebBlock,
};
