/**
 * RpmOptions: everything rpm-specific passed beside the PackageSpec, and the `rpm:` block of packyard.yml
 * (nfpm's schema: arch, summary, group, packager, compression, prefixes, buildhost, scripts, requires,
 * signature) that parses into it.
 */
import { type Compression, LEVEL_RANGES, parseCompression } from "../compress/compression.ts";
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, configPath, onlyKeys, plainBool } from "../config/plain.ts";
import { parseRelation } from "../spec/relation.ts";
import type { RelationGroup } from "../spec/types.ts";
import { keyFileSigning } from "../config/signing.ts";

/** Scriptlet phases a `Requires(phase)` may name. */
export const REQUIRE_PHASES = ["pre", "post", "preun", "postun", "pretrans", "posttrans"] as const;
export type RequirePhase = (typeof REQUIRE_PHASES)[number];

/**
 * An rpm payload compression: the shared {@link Compression} (gzip, zstd, xz), or rpm's legacy `.lzma`
 * (LZMA_alone, PAYLOADCOMPRESSOR `lzma`, nfpm's `lzma`) at an xz preset level 0..9, default 6. `lzma` is
 * rpm's alone, so it stays out of the shared type.
 */
export type RpmCompression = Compression | { algo: "lzma"; level?: number };

export interface RpmOptions {
  /** rpm arch string written verbatim (overrides the mapping of `spec.arch`). */
  arch?: string;
  /** Overrides the summary (default: spec.summary, else the first line of the description). */
  summary?: string;
  /** GROUP tag (default: spec.section, else `Unspecified`). */
  group?: string;
  /** PACKAGER tag (default: spec.maintainer). */
  packager?: string;
  /** BUILDHOST tag; never the machine's hostname. Default `localhost`. */
  buildhost?: string;
  /** Payload compression: gzip (default, level 6), zstd, xz, or the legacy lzma; xz and lzma need lzma-native. */
  compression?: RpmCompression;
  /**
   * Relocation prefixes (PREFIXES): files under one of them move with `rpm -i --prefix`/`--relocate`; files
   * outside every prefix are allowed, as rpmbuild allows them, and install where they are.
   */
  prefixes?: string[];
  /** `Requires(pre)` etc.: dependencies needed while a scriptlet runs. */
  requires?: { [P in RequirePhase]?: RelationGroup[] };
  /** Supplements (reverse weak dependency); no PackageSpec counterpart. */
  supplements?: RelationGroup[];
  /** Script files named by the config's `rpm.scripts`, as written (relative to the config); the loader reads them into spec.scripts. */
  scriptFiles?: { pretrans?: string; posttrans?: string; verify?: string };
  /** Where the signing key comes from (the CLI loads it and passes a Signer in the WriteContext). */
  signature?: { keyFile?: string; keyId?: string };
  /**
   * Also write the legacy header+payload signature (tag 1002/1005) that RHEL 7-era yum wanted. Off by
   * default: rpm ≥ 4.16 no longer adds it, and it needs the payload in memory while signing.
   */
  legacySignature?: boolean;
  /** Leave RESERVEDSPACE (4128 bytes) so a signature can be added later without rewriting. Default true. */
  reserveSignatureSpace?: boolean;
  /** Package format version; only 4 is written. */
  format?: 4;
}

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
      pattern: "^(gzip|zstd|xz|lzma)(:\\d+)?$",
      description: "payload compression, default gzip:6; lzma is rpm's legacy .lzma payload",
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
