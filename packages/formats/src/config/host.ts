/**
 * What the loader needs from the machine it runs on: file metadata, directory listings, links, file
 * contents and globbing. Injected so the loader itself stays free of node:* imports; `nodeConfigHost`
 * is the Node implementation.
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
