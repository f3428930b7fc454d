/**
 * The archive plan: the options checked against the spec (validateTarball), and the entry list: package
 * contents at their install paths (relative), extra files at the root, all below the optional wrap folder;
 * missing parent folders added (0755 root), sorted bytewise, hard links last (an extractor links to a
 * target that must already exist).
 */
import { SpecError } from "../errors.ts";
import type { ByteSource, PackageSpec } from "../spec/types.ts";
import { sortByPath } from "../spec/order.ts";
import { wrapDirectory } from "./name.ts";
import { ARCHIVE_FORMATS, type ArchiveFormat, type TarballOptions } from "./options.ts";

/** One entry as it goes into a tar or zip. */
export interface ArchiveEntry {
  /** Relative, `/`-separated, no trailing slash. */
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink";
  /** Permission bits (0o7777); symlinks are 0o777. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  /** Content size of files (0 for the rest). */
  size: number;
  content?: ByteSource;
  /** Symlink target as stored, or the archive path of a hard link's target. */
  target?: string;
}

/** Normalises a relative archive path from the config; `..`, absolute and empty paths are SpecError INVALID_PATH. */
export function normalizeArchivePath(input: string, field: string): string {
  const parts = input.split("/").filter((s) => s !== "" && s !== ".");
  if (input.startsWith("/") || parts.length === 0 || parts.includes("..") || input.includes("\0")) {
    throw new SpecError(
      "INVALID_PATH",
      `${field}: expected a relative path inside the archive without "..", found ${JSON.stringify(input)}`,
      { field, found: input },
    );
  }
  return parts.join("/");
}

/** Plans the entries of an archive for a validated spec. Throws SpecError on duplicate paths or missing content. */
export function planArchiveEntries(spec: PackageSpec, options: TarballOptions): ArchiveEntry[] {
  const wrap = wrapDirectory(spec, options);
  const prefix = wrap === undefined ? "" : `${wrap}/`;
  const byPath = new Map<string, ArchiveEntry>();
  const add = (e: ArchiveEntry, field: string) => {
    if (byPath.has(e.path)) {
      throw new SpecError("DUPLICATE_PATH", `${field}: ${JSON.stringify(e.path)} is already in the archive`, {
        field,
        path: e.path,
      });
    }
    byPath.set(e.path, e);
  };
  if ((options.contents ?? "root") === "root") {
    spec.entries.forEach((e, i) => {
      if (e.flags?.ghost) return;
      const base = {
        path: prefix + e.path.slice(1),
        mode: e.type === "symlink" ? 0o777 : e.mode,
        uid: e.owner.id,
        gid: e.group.id,
        uname: e.owner.name,
        gname: e.group.name,
        mtime: e.mtime ?? spec.date,
      };
      const field = `entries[${i}]`;
      switch (e.type) {
        case "file":
          add({ ...base, type: "file", size: e.content.size, content: e.content }, field);
          break;
        case "dir":
          add({ ...base, type: "dir", size: 0 }, field);
          break;
        case "symlink":
          add({ ...base, type: "symlink", size: 0, target: e.target }, field);
          break;
        case "hardlink":
          add({ ...base, type: "hardlink", size: 0, target: prefix + e.target.slice(1) }, field);
          break;
      }
    });
  }
  (options.files ?? []).forEach((f, i) => {
    const field = `archives.files[${i}]`;
    const path = prefix + normalizeArchivePath(f.dst, `${field}.dst`);
    if (f.content === undefined) {
      throw new SpecError(
        "MISSING_SOURCE",
        `${field}: no content was read for ${JSON.stringify(f.src ?? f.dst)}`,
        {
          field,
          path: f.src ?? f.dst,
        },
      );
    }
    const mode = f.mode ?? 0o644;
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
      throw new SpecError(
        "INVALID_MODE",
        `${field}.mode: expected permission bits 0..0o7777, found ${mode}`,
        {
          field: `${field}.mode`,
          found: mode,
        },
      );
    }
    add(
      {
        path,
        type: "file",
        mode,
        uid: 0,
        gid: 0,
        uname: "root",
        gname: "root",
        mtime: f.mtime ?? spec.date,
        size: f.content.size,
        content: f.content,
      },
      field,
    );
  });
  // Parent folders nobody listed (and the wrap folder, even when empty): created explicitly so extraction
  // gives the same modes everywhere.
  const leaves = [...byPath.keys()];
  if (wrap !== undefined) leaves.push(`${wrap}/.`);
  for (const path of leaves) {
    const parts = path.split("/");
    for (let n = 1; n < parts.length; n++) {
      const dir = parts.slice(0, n).join("/");
      const existing = byPath.get(dir);
      if (existing === undefined) {
        byPath.set(dir, {
          path: dir,
          type: "dir",
          mode: 0o755,
          uid: 0,
          gid: 0,
          uname: "root",
          gname: "root",
          mtime: spec.date,
          size: 0,
        });
      } else if (existing.type !== "dir") {
        throw new SpecError(
          "DUPLICATE_PATH",
          `${JSON.stringify(dir)} is a ${existing.type} but ${JSON.stringify(path)} lies below it`,
          {
            field: "entries",
            path: dir,
          },
        );
      }
    }
  }
  const sorted = sortByPath([...byPath.values()]);
  return [...sorted.filter((e) => e.type !== "hardlink"), ...sorted.filter((e) => e.type === "hardlink")];
}

/** Level ranges per archive kind (gzip and zip deflate 0–9, zstd 1–22, xz 0–9). */
const LEVELS: Readonly<Record<ArchiveFormat, readonly [number, number]>> = {
  "tar.gz": [0, 9],
  "tar.zst": [1, 22],
  "tar.xz": [0, 9],
  zip: [0, 9],
};

/** Checks the options against the spec; throws SpecError naming the field. */
export function validateTarball(spec: PackageSpec, options: TarballOptions): ArchiveEntry[] {
  const format = options.format ?? "tar.gz";
  if (!(ARCHIVE_FORMATS as readonly string[]).includes(format)) {
    throw new SpecError(
      "INVALID_FIELD",
      `archives.format: expected one of ${ARCHIVE_FORMATS.join(", ")}, found ${JSON.stringify(format)}`,
      {
        field: "archives.format",
        found: format,
        expected: ARCHIVE_FORMATS,
      },
    );
  }
  if (options.level !== undefined) {
    const [lo, hi] = LEVELS[format];
    if (!Number.isInteger(options.level) || options.level < lo || options.level > hi) {
      throw new SpecError(
        "INVALID_FIELD",
        `archives.level: expected an integer ${format} level from ${lo} to ${hi}, found ${options.level}`,
        {
          field: "archives.level",
          found: options.level,
        },
      );
    }
  }
  return planArchiveEntries(spec, options);
}
