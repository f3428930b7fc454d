/**
 * The `rpm:` block of packyard.yml (nfpm's schema: arch, summary, group, packager, compression, prefixes,
 * buildhost, scripts, requires, signature): its parser into RpmOptions, its JSON schema, its ConfigBlock.
 */
import { LEVEL_RANGES, parseCompression } from "../compress/compression.ts";
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, configPath, onlyKeys, plainBool } from "../config/plain.ts";
import { keyFileSigning } from "../config/signing.ts";
import { parseRelation } from "../spec/relation.ts";
import { REQUIRE_PHASES, type RpmCompression, type RpmOptions } from "./options.ts";

const KEYS = [
  "arch",
  "summary",
  "group",
  "packager",
  "buildhost",
  "compression",
  "prefixes",
  "requires",
  "supplements",
  "scripts",
  "signature",
  "legacy_signature",
  "format",
];

function record(raw: unknown, field: string): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw configError("INVALID_FIELD", field, `expected a mapping, found ${JSON.stringify(raw)}`, raw);
  return raw as Record<string, unknown>;
}

function str(raw: unknown, field: string): string {
  if (typeof raw !== "string" || raw.trim() === "" || /[\r\n]/.test(raw))
    throw configError(
      "INVALID_FIELD",
      field,
      `expected a one-line string, found ${JSON.stringify(raw)}`,
      raw,
    );
  return raw.trim();
}

function strList(raw: unknown, field: string): string[] {
  if (!Array.isArray(raw))
    throw configError(
      "INVALID_FIELD",
      field,
      `expected a list of strings, found ${JSON.stringify(raw)}`,
      raw,
    );
  return raw.map((v, i) => str(v, `${field}[${i}]`));
}

/**
 * Parses `rpm.compression`: what {@link parseCompression} reads for gzip, zstd and xz, plus `lzma` and
 * `lzma:<0-9>` (rpm only). Throws SpecError INVALID_FIELD naming `field`.
 * @example parseRpmCompression("lzma:9", "rpm.compression") // { algo: "lzma", level: 9 }
 */
export function parseRpmCompression(raw: unknown, field: string): RpmCompression {
  const lzma = typeof raw === "string" ? /^lzma(?::(\d+))?$/.exec(raw.trim()) : null;
  if (lzma !== null) {
    if (lzma[1] === undefined) return { algo: "lzma" };
    const level = Number(lzma[1]);
    const [lo, hi] = LEVEL_RANGES.xz;
    if (level < lo || level > hi)
      throw configError(
        "INVALID_FIELD",
        field,
        `expected an lzma level from ${lo} to ${hi}, found ${JSON.stringify(raw)}`,
        raw,
      );
    return { algo: "lzma", level };
  }
  const c = parseCompression(raw as string, field);
  if (c.algo === "none" || c.algo === "bzip2")
    throw configError("INVALID_FIELD", field, `expected gzip, zstd, xz or lzma, found ${c.algo}`, c.algo);
  return c;
}

/** Parses the `rpm:` block of packyard.yml into RpmOptions; throws SpecError naming the bad key. */
export function parseRpmOptions(raw: unknown, ctx: ConfigContext): RpmOptions {
  const f = ctx.field;
  if (raw === undefined || raw === null) return {};
  const obj = record(raw, f);
  onlyKeys(obj, KEYS, f);
  const o: RpmOptions = {};
  if (obj.arch !== undefined) o.arch = str(obj.arch, `${f}.arch`);
  if (obj.summary !== undefined) o.summary = str(obj.summary, `${f}.summary`);
  if (obj.group !== undefined) o.group = str(obj.group, `${f}.group`);
  if (obj.packager !== undefined) o.packager = str(obj.packager, `${f}.packager`);
  if (obj.buildhost !== undefined) o.buildhost = str(obj.buildhost, `${f}.buildhost`);
  if (obj.compression !== undefined) o.compression = parseRpmCompression(obj.compression, `${f}.compression`);
  if (obj.prefixes !== undefined) o.prefixes = strList(obj.prefixes, `${f}.prefixes`);
  if (obj.requires !== undefined) {
    const req = record(obj.requires, `${f}.requires`);
    onlyKeys(req, REQUIRE_PHASES, `${f}.requires`);
    o.requires = {};
    for (const phase of REQUIRE_PHASES) {
      if (req[phase] !== undefined)
        o.requires[phase] = strList(req[phase], `${f}.requires.${phase}`).map((s, i) =>
          parseRelation(s, `${f}.requires.${phase}[${i}]`),
        );
    }
  }
  if (obj.supplements !== undefined)
    o.supplements = strList(obj.supplements, `${f}.supplements`).map((s, i) =>
      parseRelation(s, `${f}.supplements[${i}]`),
    );
  if (obj.scripts !== undefined) {
    const s = record(obj.scripts, `${f}.scripts`);
    onlyKeys(s, ["pretrans", "posttrans", "verify"], `${f}.scripts`);
    o.scriptFiles = {};
    for (const k of ["pretrans", "posttrans", "verify"] as const) {
      if (s[k] !== undefined) o.scriptFiles[k] = str(s[k], `${f}.scripts.${k}`);
    }
  }
  if (obj.signature !== undefined) {
    const s = record(obj.signature, `${f}.signature`);
    onlyKeys(s, ["key_file", "key_id", "key_passphrase"], `${f}.signature`, {
      unsupported: {
        key_passphrase:
          "passphrases are read from NFPM_RPM_PASSPHRASE / NFPM_PASSPHRASE, never from the file",
      },
    });
    o.signature = {};
    if (s.key_file !== undefined)
      o.signature.keyFile = configPath(ctx.baseDir, str(s.key_file, `${f}.signature.key_file`));
    if (s.key_id !== undefined) o.signature.keyId = str(s.key_id, `${f}.signature.key_id`);
  }
  if (obj.legacy_signature !== undefined)
    o.legacySignature = plainBool(obj.legacy_signature, `${f}.legacy_signature`);
  if (obj.format !== undefined) {
    if (obj.format !== 4 && obj.format !== "4") {
      throw configError(
        "UNSUPPORTED_FEATURE",
        `${f}.format`,
        `only rpm format 4 is written (rpm 6's v6 format is not implemented), found ${JSON.stringify(obj.format)}`,
        obj.format,
      );
    }
    o.format = 4;
  }
  return o;
}

const stringList: JsonSchema = { type: "array", items: { type: "string" } };

/** JSON schema of the `rpm:` block. */
export const RPM_SCHEMA: JsonSchema = {
  type: "object",
  additionalProperties: false,
  description: "rpm-specific options (nfpm's rpm block)",
  properties: {
    arch: { type: "string", description: "rpm arch written verbatim (x86_64, aarch64, noarch, ...)" },
    summary: { type: "string", description: "one-line summary; default: first line of description" },
    group: { type: "string", description: "rpm Group; default Unspecified" },
    packager: { type: "string", description: "Packager; default: maintainer" },
    buildhost: { type: "string", description: "Build host recorded in the header; default localhost" },
    compression: {
      type: "string",
      pattern: "^(gzip|zstd|xz|lzma)(:\\d+)?(/(stream|[0-9]+([kKmMgG]([iI][bB])?)?))?$",
      description:
        "payload compression, default gzip:6; lzma is rpm's legacy .lzma payload. gzip is written in 2 MiB members (rpm reads them all; compressed side by side on worker threads, same bytes for any count), /stream gives one stream (gzip:6/stream); zstd is one stream unless framed on request (zstd:3/8MiB); xz and lzma are never framed.",
    },
    prefixes: { ...stringList, description: "relocation prefixes" },
    requires: {
      type: "object",
      additionalProperties: false,
      description: "Requires(phase): dependencies needed while a scriptlet runs",
      properties: Object.fromEntries(REQUIRE_PHASES.map((p) => [p, stringList])),
    },
    supplements: { ...stringList, description: "Supplements (packyard extension)" },
    scripts: {
      type: "object",
      additionalProperties: false,
      properties: { pretrans: { type: "string" }, posttrans: { type: "string" }, verify: { type: "string" } },
    },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: { key_file: { type: "string" }, key_id: { type: "string" } },
    },
    legacy_signature: {
      type: "boolean",
      description: "also add the header+payload signature (tag 1002) for RHEL 7 yum",
    },
    format: { enum: [4, "4"], description: "rpm package format version (only 4)" },
  },
};

/** The `rpm:` config block. */
export const rpmConfig: ConfigBlock<RpmOptions> = {
  key: "rpm",
  schema: RPM_SCHEMA,
  parse: parseRpmOptions,
  signing: (o) => keyFileSigning(o.signature),
  scripts: (o) => ({ ...o.scriptFiles }),
};
