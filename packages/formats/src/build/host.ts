/**
 * What the build needs from the machine: reading config and key files, creating the target folder,
 * atomic writes, and re-openable sources over what it wrote. Injected like the config loader's ConfigHost;
 * `nodeBuildHost` (source/) is the local file system.
 */
import type { ConfigHost } from "../config/host.ts";
import type { ByteSource } from "../spec/types.ts";

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
