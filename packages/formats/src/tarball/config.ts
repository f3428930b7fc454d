/**
 * The `archives:` block of packyard.yml, after GoReleaser's `archives` entry (one mapping here, not a list):
 * `formats`, `name_template`, `wrap_in_directory`, `files`, plus packyard's `level`, `framing`, `os` and `contents`.
 * GoReleaser keys that need its build graph are rejected by name.
 */
import { bytesSource } from "../bytes/bytes.ts";
import type { BlockResolveContext, ConfigBlock, ConfigContext, JsonSchema } from "../config/block.ts";
import { configError, onlyKeys, plainBool, plainMap, plainString } from "../config/plain.ts";
import { normalizeArchivePath } from "./plan.ts";
import { ARCHIVE_FORMATS, type ArchiveFile, type ArchiveFormat, type TarballOptions } from "./options.ts";

/** GoReleaser `archives` keys packyard recognises but does not implement, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  id: "packyard builds one archive set per config; remove `id`",
  ids: "packyard has no build ids; remove `ids`",
  builds: "packyard has no builds graph; put the files in `contents` or `archives.files`",
  format_overrides: "per-OS formats are not supported; choose the formats with `-p`",
  meta: "meta archives are not supported; use `contents: none` with `files`",
  allow_different_binary_count: "packyard has no builds graph; remove it",
  builds_info: "set modes per entry in `contents` (file_info) instead",
  strip_binary_directory: "give destinations in `contents` instead",
  hooks: "archive hooks are not supported; run them around `packyard build`",
  templated_files: "templated files are not supported; render them before the build",
};

const KEYS = [
  "formats",
  "format",
  "name_template",
  "wrap_in_directory",
  "files",
  "level",
  "framing",
  "os",
  "contents",
] as const;

const SCHEMA: JsonSchema = {
  type: "object",
  description: "Release archives (.tar.gz, .tar.zst, .tar.xz, .zip), after GoReleaser's `archives`.",
  additionalProperties: false,
  properties: {
    formats: {
      type: "array",
      items: { enum: [...ARCHIVE_FORMATS] },
      description:
        "Archive kinds this config builds (default [tar.gz]); `packyard build -p` picks among them.",
    },
    format: { enum: [...ARCHIVE_FORMATS], description: "GoReleaser v1 spelling of a single format." },
    name_template: {
      type: "string",
      description:
        "Artifact name without extension: {{name}}, {{version}}, {{os}}, {{arch}}, {{release}}. Default {{name}}_{{version}}_{{os}}_{{arch}}.",
    },
    wrap_in_directory: {
      type: ["boolean", "string"],
      description: "Put everything in one top folder: true for the artifact name, or a template.",
    },
    files: {
      type: "array",
      description:
        "Extra files at the archive root (README, LICENSE): a path, or {src, dst, strip_parent, info: {mode, mtime}}.",
      items: {
        oneOf: [
          { type: "string" },
          {
            type: "object",
            additionalProperties: false,
            required: ["src"],
            properties: {
              src: { type: "string" },
              dst: { type: "string" },
              strip_parent: { type: "boolean" },
              info: {
                type: "object",
                additionalProperties: false,
                properties: {
                  mode: { type: ["integer", "string"] },
                  mtime: { type: "string", format: "date-time" },
                },
              },
            },
          },
        ],
      },
    },
    level: { type: "integer", description: "Compression level (gzip/zip 0-9, zstd 1-22, xz 0-9)." },
    framing: {
      type: "boolean",
      description:
        "Independent 2 MiB gzip members / zstd or xz frames, compressed on worker threads (same bytes for any thread count). Default true for tar.gz, false (one stream) for tar.zst and tar.xz; not used by zip.",
    },
    os: { type: "string", description: "{{os}} in templates; default linux." },
    contents: {
      enum: ["root", "none"],
      description: "root: package contents at their install paths (default); none: only `files`.",
    },
  },
};

function archiveFormat(raw: unknown, field: string): ArchiveFormat {
  const s = plainString(raw, field);
  const f = s === "tgz" ? "tar.gz" : s;
  if (!(ARCHIVE_FORMATS as readonly string[]).includes(f)) {
    throw configError("INVALID_FIELD", field, `expected one of ${ARCHIVE_FORMATS.join(", ")}`, raw);
  }
  return f as ArchiveFormat;
}

function mode(raw: unknown, field: string): number {
  let n: number | undefined;
  if (typeof raw === "number" && Number.isInteger(raw)) n = raw;
  if (typeof raw === "string" && /^(0o?)?[0-7]{1,4}$/.test(raw.trim()))
    n = Number.parseInt(raw.trim().replace(/^0o/, ""), 8);
  if (n === undefined || n < 0 || n > 0o7777)
    throw configError("INVALID_FIELD", field, "expected permission bits such as 0o644", raw);
  return n;
}

function time(raw: unknown, field: string): number {
  const s = raw instanceof Date ? raw.toISOString() : typeof raw === "string" ? raw.trim() : "";
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s)
    ? Date.parse(s)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw configError("INVALID_FIELD", field, "expected an RFC 3339 time such as 2024-01-02T03:04:05Z", raw);
  return Math.floor(ms / 1000);
}

function baseName(p: string): string {
  const parts = p.split(/[/\\]/).filter((s) => s !== "");
  return parts[parts.length - 1] ?? p;
}

function parseFile(raw: unknown, field: string): ArchiveFile {
  const item = typeof raw === "string" ? { src: raw } : plainMap(raw, field);
  onlyKeys(item, ["src", "dst", "strip_parent", "info"], field, {
    expected: "src, dst, strip_parent or info",
  });
  const src = plainString(item.src, `${field}.src`);
  if (/[*?[{]/.test(src)) {
    throw configError(
      "UNSUPPORTED_FEATURE",
      `${field}.src`,
      "globs are not expanded in archives.files; list each file",
      src,
    );
  }
  const strip =
    item.strip_parent === undefined ? false : plainBool(item.strip_parent, `${field}.strip_parent`);
  let dst: string;
  if (item.dst !== undefined) {
    // GoReleaser: dst is a folder; the file keeps its name (its base name with strip_parent).
    const folder = normalizeArchivePath(plainString(item.dst, `${field}.dst`), `${field}.dst`);
    dst = `${folder}/${strip || src.startsWith("/") ? baseName(src) : normalizeArchivePath(src, `${field}.src`)}`;
  } else {
    dst = strip || src.startsWith("/") ? baseName(src) : normalizeArchivePath(src, `${field}.src`);
  }
  const out: ArchiveFile = { src, dst };
  if (item.info !== undefined && item.info !== null) {
    const info = plainMap(item.info, `${field}.info`);
    onlyKeys(info, ["mode", "mtime"], `${field}.info`, {
      unsupported: { owner: "extra files are owned by root/0", group: "extra files are owned by root/0" },
      expected: "mode or mtime",
    });
    if (info.mode !== undefined) out.mode = mode(info.mode, `${field}.info.mode`);
    if (info.mtime !== undefined) out.mtime = time(info.mtime, `${field}.info.mtime`);
  }
  return out;
}

/** Parses the `archives:` block; unknown keys throw SpecError UNKNOWN_KEY, GoReleaser-only keys UNSUPPORTED_KEY. */
export function parseTarballConfig(raw: unknown, ctx: ConfigContext): TarballOptions {
  if (raw === undefined || raw === null) return {};
  const o = plainMap(raw, ctx.field);
  const at = (k: string) => `${ctx.field}.${k}`;
  onlyKeys(o, KEYS, ctx.field, { unsupported: UNSUPPORTED });
  const out: TarballOptions = {};
  if (o.formats !== undefined && o.format !== undefined)
    throw configError("INVALID_FIELD", at("format"), "give either formats or format, not both", o.format);
  if (o.formats !== undefined) {
    const list = typeof o.formats === "string" ? [o.formats] : o.formats;
    if (!Array.isArray(list) || list.length === 0)
      throw configError("INVALID_FIELD", at("formats"), "expected a list of archive formats", o.formats);
    out.formats = [...new Set(list.map((f, i) => archiveFormat(f, `${at("formats")}[${i}]`)))];
  }
  if (o.format !== undefined) out.formats = [archiveFormat(o.format, at("format"))];
  if (o.name_template !== undefined) out.nameTemplate = plainString(o.name_template, at("name_template"));
  if (o.wrap_in_directory !== undefined) {
    const w = o.wrap_in_directory;
    if (typeof w === "boolean") out.wrapInDirectory = w;
    else if (w === "true" || w === "false") out.wrapInDirectory = w === "true";
    else out.wrapInDirectory = plainString(w, at("wrap_in_directory"));
  }
  if (o.level !== undefined) {
    if (typeof o.level !== "number" || !Number.isInteger(o.level) || o.level < 0 || o.level > 22) {
      throw configError("INVALID_FIELD", at("level"), "expected an integer compression level", o.level);
    }
    out.level = o.level;
  }
  if (o.framing !== undefined) out.framing = plainBool(o.framing, at("framing"));
  if (o.os !== undefined) out.os = plainString(o.os, at("os"));
  if (o.contents !== undefined) {
    if (o.contents !== "root" && o.contents !== "none")
      throw configError("INVALID_FIELD", at("contents"), "expected root or none", o.contents);
    out.contents = o.contents;
  }
  if (o.files !== undefined && o.files !== null) {
    if (!Array.isArray(o.files)) throw configError("INVALID_FIELD", at("files"), "expected a list", o.files);
    out.files = o.files.map((f, i) => parseFile(f, `${at("files")}[${i}]`));
  }
  return out;
}

/** Reads the bytes of every `files` entry (the writer never touches the file system). */
export async function resolveTarballConfig(
  options: TarballOptions,
  ctx: BlockResolveContext,
): Promise<TarballOptions> {
  if (options.files === undefined) return options;
  const files: ArchiveFile[] = [];
  for (const [i, f] of options.files.entries()) {
    if (f.content !== undefined || f.src === undefined) {
      files.push(f);
      continue;
    }
    const bytes = await ctx.readBytes(f.src, `${ctx.field}.files[${i}].src`);
    files.push({ ...f, content: bytesSource(bytes) });
  }
  return { ...options, files };
}

/** The `archives:` block: parse, file reads, and JSON schema. */
export const tarballConfig: ConfigBlock<TarballOptions> = {
  key: "archives",
  schema: SCHEMA,
  parse: parseTarballConfig,
  resolve: resolveTarballConfig,
};
