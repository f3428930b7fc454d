/** Options of the release-archive writer: which container and compression, the name, the top folder, extra files. */
import type { ByteSource } from "../spec/types.ts";

/** The archive kinds packyard writes; the CLI's `-p` values of the same spelling map to them. */
export const ARCHIVE_FORMATS = ["tar.gz", "tar.zst", "tar.xz", "zip"] as const;
export type ArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** One file added beside the package contents (README, LICENSE, ...), at a path relative to the archive root. */
export interface ArchiveFile {
  /** Path inside the archive (relative, `/`-separated, below the wrap folder when there is one). */
  dst: string;
  /** Permission bits; default 0o644. */
  mode?: number;
  /** Seconds since the epoch; default the spec's date. */
  mtime?: number;
  /** The content. The writer never reads files: the caller (config `resolve`, the CLI) fills this. */
  content?: ByteSource;
  /** Where the content comes from, as written in packyard.yml (absolute after parsing); read by the config block's `resolve`. */
  src?: string;
}

export interface TarballOptions {
  /** Which archive to write; default `tar.gz`. The CLI sets it from `-p tar.gz|tar.zst|tar.xz|zip`. */
  format?: ArchiveFormat;
  /** The formats the `archives:` block asks for (`formats:`); informational for the CLI. Default `["tar.gz"]`. */
  formats?: ArchiveFormat[];
  /** Compression level for the chosen format (gzip/zip 0–9, zstd 1–22, xz 0–9); default the tool defaults (6, 3, 6, 6). */
  level?: number;
  /**
   * Independent 2 MiB members/frames, compressed side by side on worker threads (the bytes do not depend
   * on the thread count). Default: true for tar.gz (gzip, GNU tar, bsdtar and language libraries read
   * multi-member gzip), false for tar.zst and tar.xz (one stream, as the `zstd`/`xz` tools write; true
   * frames them, which `zstd`, `xz` and bsdtar read). false gives one stream. Not used by zip.
   */
  framing?: boolean;
  /**
   * Base name of the artifact without extension; `{{name}}`, `{{version}}`, `{{os}}`, `{{arch}}`, `{{release}}`
   * (GoReleaser's `{{ .ProjectName }}`, `{{ .Version }}`, `{{ .Os }}`, `{{ .Arch }}` also work).
   * Default `{{name}}_{{version}}_{{os}}_{{arch}}`.
   */
  nameTemplate?: string;
  /** Put every entry under one top folder: `true` uses the rendered name, a string is a template of its own. */
  wrapInDirectory?: boolean | string;
  /** `{{os}}` in templates; default `linux`. */
  os?: string;
  /** Extra files (README, LICENSE, ...) placed at the archive root (inside the wrap folder). */
  files?: ArchiveFile[];
  /**
   * Where the package contents go: `root` keeps the install layout (`usr/bin/hello`); `none` leaves them out
   * so the archive holds only `files`. Default `root`.
   */
  contents?: "root" | "none";
}
