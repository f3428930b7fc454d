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

/** The manifest as JSON text (two-space indented, a final newline). */
export function serializeBuildManifest(manifest: BuildManifest): string {
  const replacer = (_key: string, value: unknown) =>
    value instanceof Uint8Array ? { base64: encodeBase64(value) } : value;
  return `${JSON.stringify(manifest, replacer, 2)}\n`;
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
