/**
 * `packyard-build.json`: what one build wrote, with each package's PackageInfo, so that publishing
 * (`packyard publish`, `@packyard/repo`, the server) indexes packages without reading them again.
 *
 * Schema `packyard-build/1` (a JSON object):
 * - `schema`: `"packyard-build/1"`; a reader refuses any other value.
 * - `name`, `version` (semver as written in the config), `date` (the build date, seconds since the epoch).
 * - `artifacts`: in the order written; each `{ file, packager, kind, size, sha256, signs?, info? }`:
 *   `file` is the name relative to the manifest's folder; `packager` the `-p` name (`deb`, `tar.gz`, ...,
 *   or `checksums`); `kind` `package`, `signature` (a detached signature: Arch `.sig`, `SHA256SUMS.asc`) or
 *   `checksums`; `signs` the file a signature is over; `info` the package's PackageInfo (packages only).
 *   Byte arrays inside `info` (the Arch `.sig` in `raw.signature`) are written as `{ "base64": "..." }`.
 */
import { decodeBase64, encodeBase64 } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";
import type { PackageInfo } from "../info/types.ts";

/** The file name of the manifest in the target folder. */
export const BUILD_MANIFEST_NAME = "packyard-build.json";
/** The schema id this version writes and reads. */
export const BUILD_MANIFEST_SCHEMA = "packyard-build/1";

/** What an artifact is. */
export type ArtifactKind = "package" | "signature" | "checksums";

/** One file a build wrote. */
export interface BuildArtifact {
  /** File name relative to the manifest's folder. */
  file: string;
  /** The packager that wrote it (`deb`, `rpm`, `tar.gz`, ...), or `checksums`. */
  packager: string;
  kind: ArtifactKind;
  size: number;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
  /** For a signature: the file it signs. */
  signs?: string;
  /** For a package: what a reader finds in it. */
  info?: PackageInfo;
}

/** The manifest: `packyard-build.json` parsed. */
export interface BuildManifest {
  schema: typeof BUILD_MANIFEST_SCHEMA;
  name: string;
  version: string;
  date: number;
  artifacts: BuildArtifact[];
}

/** Byte arrays in the manifest are written as `{ "base64": "..." }` (parseBuildManifest turns them back). */
function manifestReplacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { base64: encodeBase64(value) } : value;
}

/** The manifest as JSON text (two-space indented, a final newline). */
export function serializeBuildManifest(manifest: BuildManifest): string {
  return `${JSON.stringify(manifest, manifestReplacer, 2)}\n`;
}

/** Containers this deep or deeper are written by one JSON.stringify (a package's file record is at 5). */
const WHOLE_DEPTH = 5;
/** Text gathered before a piece is handed out. */
const MANIFEST_PIECE_CHARS = 64 * 1024;

/**
 * {@link serializeBuildManifest}'s text, the same bytes, as UTF-8 pieces of about 64 KiB: the build
 * writes the manifest this way, so a package of 50,000 files never holds its manifest as one string
 * (tens of MiB while JSON.stringify builds it, plus its UTF-8 copy: +20 MiB of peak on 50,000 small
 * files, at the end of the build, where the peak was).
 */
export function* serializeBuildManifestPieces(manifest: BuildManifest): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  let text = "";
  for (const part of jsonParts(manifest, "", 0)) {
    text += part;
    if (text.length >= MANIFEST_PIECE_CHARS) {
      yield encoder.encode(text);
      text = "";
    }
  }
  yield encoder.encode(`${text}\n`);
}

/** The value JSON.stringify writes for `value` under `key`: its toJSON, then the replacer. */
function jsonValue(key: string, value: unknown): unknown {
  const withToJSON =
    typeof value === "object" &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
      ? (value as { toJSON(key: string): unknown }).toJSON(key)
      : value;
  return manifestReplacer(key, withToJSON);
}

/** Values JSON.stringify leaves out of an object (and writes as null in an array). */
function skipped(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

/**
 * The text of `JSON.stringify(value, manifestReplacer, 2)` nested `depth` levels deep, in parts:
 * containers above WHOLE_DEPTH are opened here, key by key and item by item; anything deeper is one
 * JSON.stringify, re-indented (JSON escapes newlines inside strings, so every newline in its text is
 * layout).
 */
function* jsonParts(raw: unknown, key: string, depth: number): Generator<string> {
  const value = jsonValue(key, raw);
  if (typeof value !== "object" || value === null || depth >= WHOLE_DEPTH) {
    const text = JSON.stringify(value, manifestReplacer, 2);
    yield depth === 0 ? text : text.replaceAll("\n", `\n${"  ".repeat(depth)}`);
    return;
  }
  const inner = "  ".repeat(depth + 1);
  const outer = "  ".repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield "[]";
      return;
    }
    yield "[";
    for (let i = 0; i < value.length; i++) {
      yield `${i === 0 ? "" : ","}\n${inner}`;
      const item = value[i];
      if (skipped(jsonValue(String(i), item))) yield "null";
      else yield* jsonParts(item, String(i), depth + 1);
    }
    yield `\n${outer}]`;
    return;
  }
  let first = true;
  for (const k of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[k];
    if (skipped(jsonValue(k, item))) continue;
    yield `${first ? "{" : ","}\n${inner}${JSON.stringify(k)}: `;
    first = false;
    yield* jsonParts(item, k, depth + 1);
  }
  yield first ? "{}" : `\n${outer}}`;
}

function bad(path: string, expected: string, found: unknown): never {
  const shown = typeof found === "string" ? JSON.stringify(found) : typeof found;
  throw new FormatError("INVALID_VALUE", `${path}: expected ${expected}, found ${shown}`, {
    path,
    expected,
    found: shown,
  });
}

/**
 * Parses `packyard-build.json`. Throws FormatError INVALID_VALUE (not JSON, a wrong field type) or UNSUPPORTED_VERSION
 * (another schema version), naming the field.
 */
export function parseBuildManifest(text: string, path = BUILD_MANIFEST_NAME): BuildManifest {
  let data: unknown;
  try {
    data = JSON.parse(text, (_key, value) =>
      typeof value === "object" &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).length === 1 &&
      typeof (value as { base64?: unknown }).base64 === "string"
        ? decodeBase64((value as { base64: string }).base64)
        : value,
    );
  } catch (e) {
    throw new FormatError(
      "INVALID_VALUE",
      `${path}: not JSON (${(e as Error).message})`,
      { path, expected: "JSON" },
      { cause: e },
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) bad(path, "a JSON object", data);
  const m = data as Record<string, unknown>;
  if (m.schema !== BUILD_MANIFEST_SCHEMA) {
    if (typeof m.schema === "string" && m.schema.startsWith("packyard-build/")) {
      throw new FormatError(
        "UNSUPPORTED_VERSION",
        `${path}: schema ${m.schema} is not one this version reads (expected ${BUILD_MANIFEST_SCHEMA})`,
        { path, expected: BUILD_MANIFEST_SCHEMA, found: m.schema },
      );
    }
    bad(`${path}: schema`, JSON.stringify(BUILD_MANIFEST_SCHEMA), m.schema);
  }
  if (typeof m.name !== "string") bad(`${path}: name`, "a string", m.name);
  if (typeof m.version !== "string") bad(`${path}: version`, "a string", m.version);
  if (typeof m.date !== "number") bad(`${path}: date`, "a number", m.date);
  if (!Array.isArray(m.artifacts)) bad(`${path}: artifacts`, "an array", m.artifacts);
  m.artifacts.forEach((a: unknown, i: number) => {
    const at = `${path}: artifacts[${i}]`;
    if (typeof a !== "object" || a === null) bad(at, "an object", a);
    const r = a as Record<string, unknown>;
    if (typeof r.file !== "string" || r.file === "" || r.file.includes("/") || r.file.includes("\\"))
      bad(`${at}.file`, "a file name without folders", r.file);
    if (typeof r.packager !== "string") bad(`${at}.packager`, "a string", r.packager);
    if (r.kind !== "package" && r.kind !== "signature" && r.kind !== "checksums")
      bad(`${at}.kind`, "package, signature or checksums", r.kind);
    if (typeof r.size !== "number") bad(`${at}.size`, "a number", r.size);
    if (typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256))
      bad(`${at}.sha256`, "64 lowercase hex digits", r.sha256);
    if (r.kind === "package" && (typeof r.info !== "object" || r.info === null))
      bad(`${at}.info`, "the package's PackageInfo", r.info);
  });
  return m as unknown as BuildManifest;
}
