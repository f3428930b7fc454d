/**
 * The data member's tar entries (formats.md §4.6): pax flavour ("ustar" magic on every header), names
 * without "./" or "/", every parent directory as its own entry before its children, and an
 * `APK-TOOLS.checksum.SHA1` pax record on every regular file (SHA-1 of the content) and symlink (SHA-1 of
 * the target); hardlinks carry none and come after every file so that their targets exist.
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import type { TarHeader, TarWriteEntry } from "../container/tar.ts";
import { digestStream, hashBytes } from "../hash/hasher.ts";
import { parentDirs } from "../spec/path.ts";
import { compareBytes } from "../spec/validate.ts";
import { type Entry, type PackageSpec, ROOT } from "../spec/types.ts";

/** The pax record apk reads a file's SHA-1 from (io_archive.c, abuild-tar --hash). */
export const APK_CHECKSUM_SHA1 = "APK-TOOLS.checksum.SHA1";

/** Mode of the parent directories packyard adds. */
const IMPLICIT_DIR_MODE = 0o755;

/**
 * Every entry of the data tar in write order: the spec's entries plus implicit parent directories,
 * sorted bytewise, hardlinks last. Input is a validated spec (absolute, unique, sorted paths).
 */
export function dataEntries(spec: PackageSpec): Entry[] {
  const byPath = new Map<string, Entry>(spec.entries.map((e) => [e.path, e]));
  for (const e of spec.entries) {
    for (const dir of parentDirs(e.path)) {
      if (!byPath.has(dir)) {
        byPath.set(dir, {
          type: "dir",
          path: dir,
          mode: IMPLICIT_DIR_MODE,
          owner: ROOT,
          group: ROOT,
          mtime: spec.date,
        });
      }
    }
  }
  const all = [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path));
  return [...all.filter((e) => e.type !== "hardlink"), ...all.filter((e) => e.type === "hardlink")];
}

/** Installed size in bytes: the sum of regular file sizes, at least 1 when anything is installed (0 = virtual). */
export function installedSize(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) if (e.type === "file") n += e.content.size;
  return n === 0 && entries.length > 0 ? 1 : n;
}

function header(e: Entry, date: number): TarHeader {
  const rel = e.path.slice(1);
  return {
    name: e.type === "dir" ? `${rel}/` : rel,
    type: e.type,
    mode: e.mode,
    uid: e.owner.id,
    gid: e.group.id,
    uname: e.owner.name,
    gname: e.group.name,
    size: e.type === "file" ? e.content.size : 0,
    mtime: e.mtime ?? date,
  };
}

/**
 * Tar entries of the data member. Each file is read twice: once for its SHA-1 (the pax record precedes
 * the content), once while the tar is written.
 */
export async function* dataTarEntries(
  entries: readonly Entry[],
  date: number,
): AsyncGenerator<TarWriteEntry> {
  for (const e of entries) {
    const h = header(e, date);
    if (e.type === "file") {
      const { digests } = await digestStream(e.content.open(), ["sha1"]);
      h.pax = { [APK_CHECKSUM_SHA1]: digests.sha1! };
      yield { header: h, content: e.content };
    } else if (e.type === "symlink") {
      h.linkname = e.target;
      h.pax = { [APK_CHECKSUM_SHA1]: hashBytes(encodeUtf8(e.target), "sha1") };
      yield { header: h };
    } else if (e.type === "hardlink") {
      h.linkname = e.target.slice(1);
      yield { header: h };
    } else {
      yield { header: h };
    }
  }
}
