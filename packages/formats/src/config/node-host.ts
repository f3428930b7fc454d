/**
 * The Node implementation of ConfigHost. This is the config loader's only contact with node:fs; it
 * belongs with the other runtime seams (src/source/) and moves there once `fileSource` lands.
 */
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink, stat } from "node:fs/promises";
import { glob, isDynamicPattern } from "tinyglobby";
import { IOError } from "../errors.ts";
import type { ByteSource } from "../spec/types.ts";
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

/** A re-openable ByteSource over a local file of known size. */
export function localFileSource(path: string, size: number): ByteSource {
  return {
    size,
    async *open(range?: { start: number; end: number }): AsyncIterable<Uint8Array> {
      const start = range?.start ?? 0;
      const end = range?.end ?? size;
      if (end <= start) return;
      for await (const chunk of createReadStream(path, { start, end: end - 1 })) {
        const b = chunk as Buffer;
        yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }
    },
  };
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
  file: async (p, size) => localFileSource(p, size),
  glob: async (pattern, cwd) =>
    (
      await glob(pattern, {
        cwd,
        absolute: true,
        dot: true,
        onlyFiles: false,
        followSymbolicLinks: false,
        expandDirectories: false,
      })
    ).map((p) => (p.length > 1 ? p.replace(/\/+$/, "") : p)),
  isGlob: (pattern) => isDynamicPattern(pattern),
};
