/**
 * The Node implementation of ConfigHost: the config loader's only contact with node:fs. It belongs with
 * the runtime seams in src/source/ (file contents already come from there); move it when that folder's
 * owner agrees.
 */
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { glob, isDynamicPattern } from "tinyglobby";
import { IOError } from "../errors.ts";
import { fileSource } from "../source/file.ts";
import type { ConfigHost, HostStat } from "./host.ts";

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
  file: (p) => fileSource(p),
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
