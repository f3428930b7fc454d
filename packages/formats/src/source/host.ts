/**
 * What the config loader and the build need from the machine they run on, as interfaces, beside their Node
 * implementations (nodeConfigHost, nodeBuildHost): file metadata, listings, links, contents and globbing
 * for the loader; reads, folders, atomic writes and re-openable sources for the build. Injected, so
 * config/ and build/ stay free of node:fs.
 */
import type { ByteSource } from "../spec/types.ts";

export interface HostStat {
  type: "file" | "dir" | "symlink" | "other";
  /** Permission bits (0o7777). */
  mode: number;
  size: number;
}

export interface ConfigHost {
  /** Metadata without following a final symlink; undefined when nothing exists at `path`. */
  lstat(path: string): Promise<HostStat | undefined>;
  /** Metadata following symlinks; undefined when missing or dangling. */
  stat(path: string): Promise<HostStat | undefined>;
  /** Names in a directory, sorted bytewise. */
  readdir(path: string): Promise<string[]>;
  readlink(path: string): Promise<string>;
  readFile(path: string): Promise<Uint8Array>;
  /** Re-openable content of a regular file of known size. */
  file(path: string, size: number): Promise<ByteSource>;
  /** Absolute paths (files, directories, links, no trailing `/`) matching `pattern` relative to `cwd`. */
  glob(pattern: string, cwd: string): Promise<string[]>;
  /** True when `pattern` contains glob syntax (`*`, `?`, `[...]`, `{a,b}`, ...). */
  isGlob(pattern: string): boolean;
}

/**
 * What the build needs: reading config and key files, creating the target folder, atomic writes, and
 * re-openable sources over what it wrote.
 */
export interface BuildHost {
  /** Reads a whole (small) file: the config, key files. Missing files reject with an IOError. */
  readFile(path: string): Promise<Uint8Array>;
  /** Creates a folder and its parents (no error when it exists). */
  mkdir(path: string): Promise<void>;
  /** Writes `chunks` to a temp file beside `path` and renames it over `path`; nothing is left on failure. */
  writeFileAtomic(path: string, chunks: AsyncIterable<Uint8Array>, mode: number): Promise<void>;
  /** A re-openable source over a file the build wrote (read back for PackageInfo and detached signatures). */
  fileSource(path: string): Promise<ByteSource>;
  /** What the config loader uses to read `contents`, scripts and changelogs. */
  config: ConfigHost;
}
