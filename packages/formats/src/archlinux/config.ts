/** The `archlinux:` block of packyard.yml: nfpm's keys, plus `compression` and `signature`. */
import { parseCompression } from "../compress/compression.ts";
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, configPath, onlyKeys, plainMap, plainString } from "../config/plain.ts";
import type { ArchlinuxOptions } from "./options.ts";
import { keyFileSigning } from "../config/signing.ts";

const SCHEMA: JsonSchema = {
  type: "object",
  description: "Arch Linux package options (nfpm's archlinux block).",
  additionalProperties: false,
  properties: {
    arch: {
      type: "string",
      description: "pacman architecture written verbatim (x86_64, aarch64, any, ...).",
    },
    pkgbase: { type: "string", description: "pkgbase in .PKGINFO; defaults to the package name." },
    packager: {
      type: "string",
      description: "packager in .PKGINFO; defaults to the maintainer, then 'Unknown Packager'.",
    },
    scripts: {
      type: "object",
      additionalProperties: false,
      properties: {
        preupgrade: { type: "string", description: "Path of a script run as pre_upgrade." },
        postupgrade: { type: "string", description: "Path of a script run as post_upgrade." },
      },
    },
    compression: {
      type: "string",
      pattern: "^(zstd|gzip|xz|none)(:[0-9]+)?(/(stream|[0-9]+([kKmMgG]([iI][bB])?)?))?$",
      description:
        "Package compression, default zstd (level 3), one stream; /SIZE frames it (zstd:3/8MiB: independent frames compressed on worker threads, same bytes for any count). gzip is written in 2 MiB members unless /stream (gzip:6/stream).",
    },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: {
        key_file: {
          type: "string",
          description: "OpenPGP secret key; the package gets a detached FILE.sig.",
        },
        key_id: {
          type: "string",
          pattern: "^[0-9A-Fa-f]{16}$",
          description: "Key id of the signing (sub)key.",
        },
      },
    },
  },
};

/** Parses the `archlinux:` block; unknown keys throw SpecError UNKNOWN_KEY naming the key. */
export function parseArchlinuxConfig(raw: unknown, ctx: ConfigContext): ArchlinuxOptions {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  onlyKeys(o, ["arch", "pkgbase", "packager", "scripts", "compression", "signature"], ctx.field);
  const out: ArchlinuxOptions = {};
  if (o.arch !== undefined) out.arch = plainString(o.arch, `${ctx.field}.arch`);
  if (o.pkgbase !== undefined) out.pkgbase = plainString(o.pkgbase, `${ctx.field}.pkgbase`);
  if (o.packager !== undefined) out.packager = plainString(o.packager, `${ctx.field}.packager`);
  if (o.compression !== undefined) {
    out.compression = parseCompression(
      plainString(o.compression, `${ctx.field}.compression`),
      `${ctx.field}.compression`,
    );
  }
  if (o.scripts !== undefined && o.scripts !== null) {
    const s = plainMap(o.scripts, `${ctx.field}.scripts`);
    onlyKeys(s, ["preupgrade", "postupgrade"], `${ctx.field}.scripts`);
    const files: NonNullable<ArchlinuxOptions["scriptFiles"]> = {};
    for (const k of ["preupgrade", "postupgrade"] as const) {
      if (s[k] !== undefined)
        files[k] = configPath(ctx.baseDir, plainString(s[k], `${ctx.field}.scripts.${k}`));
    }
    out.scriptFiles = files;
  }
  if (o.signature !== undefined && o.signature !== null) {
    const s = plainMap(o.signature, `${ctx.field}.signature`);
    onlyKeys(s, ["key_file", "key_id"], `${ctx.field}.signature`);
    const sig: NonNullable<ArchlinuxOptions["signature"]> = {};
    if (s.key_file !== undefined)
      sig.keyFile = configPath(ctx.baseDir, plainString(s.key_file, `${ctx.field}.signature.key_file`));
    if (s.key_id !== undefined) {
      const id = plainString(s.key_id, `${ctx.field}.signature.key_id`);
      if (!/^[0-9A-Fa-f]{16}$/.test(id))
        throw configError("INVALID_FIELD", `${ctx.field}.signature.key_id`, "expected 16 hex digits", id);
      sig.keyId = id.toUpperCase();
    }
    out.signature = sig;
  }
  return out;
}

/** The `archlinux:` block: parse, JSON schema, and the upgrade script files the loader reads into the spec. */
export const archlinuxConfig: ConfigBlock<ArchlinuxOptions> = {
  key: "archlinux",
  schema: SCHEMA,
  parse: parseArchlinuxConfig,
  signing: (o) => keyFileSigning(o.signature),
  scripts: (o) => ({ ...o.scriptFiles }),
};
