/**
 * The Node implementation of ConfigHost: the config loader's only contact with node:fs, kept here in the
 * runtime seam (src/source/) beside the file sources it hands out. config/ re-exports it.
 */
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { glob, isDynamicPattern } from "tinyglobby";
import type { ConfigHost, HostStat } from "./host.ts";
import { IOError } from "../errors.ts";
import { fileSource } from "./file.ts";

function toStat(s: import("node:fs").Stats): HostStat {
  const type = s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "symlink" : "other";
  return { type, mode: s.mode & 0o7777, size: s.size };
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR")
      return undefined;
    throw new IOError("READ_FAILED", `cannot read metadata: ${(e as Error).message}`, {}, { cause: e });
  }
}

/** ConfigHost on the local file system (node:fs and tinyglobby). */
export const nodeConfigHost: ConfigHost = {
  lstat: async (p) => {
    const s = await orUndefined(lstat(p));
    return s && toStat(s);
  },
  stat: async (p) => {
    const s = await orUndefined(stat(p));
    return s && toStat(s);
  },
  readdir: async (p) => (await readdir(p)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
  readlink: (p) => readlink(p),
  readFile: async (p) => {
    try {
      const b = await readFile(p);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      throw new IOError(
        "READ_FAILED",
        `cannot read ${p}: ${(e as Error).message}`,
        { path: p },
        { cause: e },
      );
    }
  },
  // The loader has just stat'ed the file: its size is passed on instead of a second stat.
  file: (p, size) => fileSource(p, size),
  glob: async (pattern, cwd) =>
    (
      await glob(pattern, {
        cwd,
        absolute: true,
        dot: true,
        onlyFiles: false,
        followSymbolicLinks: true,
        expandDirectories: false,
      })
    ).map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)),
  isGlob: (pattern) => isDynamicPattern(pattern),
};
