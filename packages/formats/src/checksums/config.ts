/**
 * The `checksum:` block of packyard.yml, after GoReleaser's: `algorithm` (sha256 default, sha512),
 * `name_template` (default SHA256SUMS / SHA512SUMS), `disable`, and packyard's `signature` (an OpenPGP key
 * that signs the file as `<name>.asc`). GoReleaser keys tied to its build graph are rejected by name.
 */
import type { ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, onlyKeys, plainBool, plainMap, plainString } from "../config/plain.ts";
import { type ChecksumAlgo, CHECKSUM_ALGOS } from "./checksums.ts";
import { keyFileSigning } from "../config/signing.ts";

export interface ChecksumOptions {
  algorithm?: ChecksumAlgo;
  /** File name; `{{name}}` and `{{version}}` are expanded by the caller (see `checksumsName`). */
  nameTemplate?: string;
  disable?: boolean;
  signature?: { keyFile?: string; keyId?: string };
}

const UNSUPPORTED: Readonly<Record<string, string>> = {
  split: "one checksums file lists every artifact; per-artifact files are not written",
  ids: "packyard has no build ids; every artifact of the build is listed",
  extra_files: "list only build outputs; hash other files yourself",
  templated_extra_files: "list only build outputs; hash other files yourself",
};
const KEYS = ["algorithm", "name_template", "disable", "signature"];

const SCHEMA: JsonSchema = {
  type: "object",
  description:
    "Checksums file over every artifact of `packyard build` (sha256sum -c format), optionally signed.",
  additionalProperties: false,
  properties: {
    algorithm: { enum: [...CHECKSUM_ALGOS], description: "sha256 (default) or sha512." },
    name_template: {
      type: "string",
      description: "File name; default SHA256SUMS or SHA512SUMS. {{name}} and {{version}} expand.",
    },
    disable: { type: "boolean", description: "Do not write a checksums file." },
    signature: {
      type: "object",
      additionalProperties: false,
      properties: {
        key_file: {
          type: "string",
          description: "OpenPGP secret key; writes <name>.asc (armored, detached).",
        },
        key_id: { type: "string", pattern: "^[0-9A-Fa-f]{16}$" },
      },
    },
  },
};

/** Parses the `checksum:` block; unknown keys throw SpecError UNKNOWN_KEY, GoReleaser-only keys UNSUPPORTED_KEY. */
export function parseChecksumConfig(raw: unknown, ctx: ConfigContext): ChecksumOptions {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  const at = (k: string) => `${ctx.field}.${k}`;
  onlyKeys(o, KEYS, ctx.field, { unsupported: UNSUPPORTED });
  const out: ChecksumOptions = {};
  if (o.algorithm !== undefined) {
    const a = plainString(o.algorithm, at("algorithm")).toLowerCase();
    if (!(CHECKSUM_ALGOS as readonly string[]).includes(a))
      throw configError("INVALID_FIELD", at("algorithm"), "expected sha256 or sha512", o.algorithm);
    out.algorithm = a as ChecksumAlgo;
  }
  if (o.name_template !== undefined) {
    const n = plainString(o.name_template, at("name_template"));
    if (/[/\\\0]/.test(n))
      throw configError("INVALID_FIELD", at("name_template"), "expected a file name without / or \\", n);
    out.nameTemplate = n;
  }
  if (o.disable !== undefined) out.disable = plainBool(o.disable, at("disable"));
  if (o.signature !== undefined && o.signature !== null) {
    const s = plainMap(o.signature, at("signature"));
    onlyKeys(s, ["key_file", "key_id"], at("signature"), { expected: "key_file or key_id" });
    const sig: NonNullable<ChecksumOptions["signature"]> = {};
    if (s.key_file !== undefined) sig.keyFile = plainString(s.key_file, `${at("signature")}.key_file`);
    if (s.key_id !== undefined) {
      const id = plainString(s.key_id, `${at("signature")}.key_id`);
      if (!/^[0-9A-Fa-f]{16}$/.test(id))
        throw configError("INVALID_FIELD", `${at("signature")}.key_id`, "expected 16 hex digits", id);
      sig.keyId = id.toUpperCase();
    }
    out.signature = sig;
  }
  return out;
}

/** The checksums file name for these options (`{{name}}`, `{{version}}` expanded). */
export function checksumsName(options: ChecksumOptions, vars: { name: string; version: string }): string {
  const algo = options.algorithm ?? "sha256";
  const t = options.nameTemplate ?? (algo === "sha256" ? "SHA256SUMS" : "SHA512SUMS");
  return t.replace(/\{\{\s*\.?(name|ProjectName|version|Version)\s*\}\}/g, (_, k: string) =>
    k.toLowerCase().includes("version") ? vars.version : vars.name,
  );
}

/** The `checksum:` block (top-level key `checksum`). */
export const checksumConfig: ConfigBlock<ChecksumOptions> = {
  key: "checksum",
  schema: SCHEMA,
  parse: parseChecksumConfig,
  signing: (o) => (o.disable === true ? undefined : keyFileSigning(o.signature)),
};
