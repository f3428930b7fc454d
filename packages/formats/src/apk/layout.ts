/**
 * The data member's tar entries (abuild create_apks and abuild-tar --hash; apk-tools src/io_archive.c): pax
 * flavour ("ustar" magic on every header), names without "./" or "/", every parent directory as its own entry
 * before its children, and an
 * `APK-TOOLS.checksum.SHA1` pax record on every regular file (SHA-1 of the content) and symlink (SHA-1 of
 * the target); hardlinks carry none and come after every file so that their targets exist.
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import type { TarWriteEntry } from "../container/tar.ts";
import { entryTarMember } from "../container/tar-member.ts";
import { digestStream, hashBytes } from "../hash/hasher.ts";
import { parentDirs } from "../spec/path.ts";
import { sortByPath } from "../spec/order.ts";
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
  const all = sortByPath([...byPath.values()]);
  return [...all.filter((e) => e.type !== "hardlink"), ...all.filter((e) => e.type === "hardlink")];
}

/** Installed size in bytes: the sum of regular file sizes, at least 1 when anything is installed (0 = virtual). */
export function installedSize(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) if (e.type === "file") n += e.content.size;
  return n === 0 && entries.length > 0 ? 1 : n;
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
    // Names without the leading "/" (abuild-tar, apk's io_archive.c).
    const member = entryTarMember(e, { name: (path) => path.slice(1), mtime: date });
    if (e.type === "file") {
      const { digests } = await digestStream(e.content.open(), ["sha1"]);
      member.header.pax = { [APK_CHECKSUM_SHA1]: digests.sha1! };
    } else if (e.type === "symlink") {
      member.header.pax = { [APK_CHECKSUM_SHA1]: hashBytes(encodeUtf8(e.target), "sha1") };
    }
    yield member;
  }
}
