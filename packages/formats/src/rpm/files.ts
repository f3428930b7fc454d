/**
 * The rpm file list: one record per spec entry (sorted by path), from which both the header's file arrays and
 * the cpio payload are generated, so the two can never disagree (when they do, rpm stops installing with
 * "Missing file(s)", RPMERR_MISSING_FILE in lib/rpmarchive.h).
 */
import type { ByteSource, Entry, PackageSpec } from "../spec/types.ts";
import { FILE_FLAG } from "./tags.ts";

export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFMT = 0o170000;
/**
 * Files at or above this size need LONGFILESIZES and the stripped payload (rpm docs/manual/large_files.md).
 * rpmbuild switches at UINT32_MAX itself (`fl_size >= UINT32_MAX`, build/files.c), one byte below 4 GiB:
 * follow it.
 */
export const LARGE_FILE_BYTES = 2 ** 32 - 1;

export interface RpmFile {
  path: string;
  dirname: string;
  basename: string;
  /** Full st_mode. */
  mode: number;
  size: number;
  mtime: number;
  user: string;
  group: string;
  flags: number;
  lang: string;
  linkTo: string;
  inode: number;
  /** Content to hash and ship; undefined for dirs, symlinks and ghosts. */
  content?: ByteSource;
  /** Hardlink set size (1 when not hardlinked). */
  nlink: number;
  /** True for the member of a hardlink set that carries the data (the last in payload order). */
  carriesData: boolean;
  ghost: boolean;
}

/** rpmbuild's `%__docdir_path`: regular files below these are marked %doc automatically. */
export const DOC_DIRS: readonly string[] = [
  "/usr/doc/",
  "/usr/man/",
  "/usr/info/",
  "/usr/share/doc/",
  "/usr/share/man/",
  "/usr/share/info/",
];

function entryFlags(e: Entry): number {
  const f = e.flags ?? {};
  let flags = 0;
  if ((e.type === "file" || e.type === "hardlink") && DOC_DIRS.some((d) => e.path.startsWith(d)))
    flags |= FILE_FLAG.DOC;
  if (f.config) flags |= FILE_FLAG.CONFIG;
  if (f.config && f.noreplace) flags |= FILE_FLAG.NOREPLACE;
  if (f.config && f.missingok) flags |= FILE_FLAG.MISSINGOK;
  if (f.doc) flags |= FILE_FLAG.DOC;
  if (f.license) flags |= FILE_FLAG.LICENSE;
  if (f.ghost) flags |= FILE_FLAG.GHOST;
  return flags;
}

/**
 * Builds the file records of a validated spec (entries already sorted by path). Hardlinks take the
 * metadata of the file they point at (they share one inode), and the data goes on the last member.
 */
export function buildFileList(spec: PackageSpec): RpmFile[] {
  const byPath = new Map(spec.entries.map((e) => [e.path, e]));
  const files: RpmFile[] = spec.entries.map((e, i) => {
    const slash = e.path.lastIndexOf("/");
    const ghost = e.flags?.ghost === true;
    const base = {
      path: e.path,
      dirname: e.path.slice(0, slash + 1),
      basename: e.path.slice(slash + 1),
      mtime: e.mtime ?? spec.date,
      user: e.owner.name,
      group: e.group.name,
      flags: entryFlags(e),
      lang: e.lang ?? "",
      inode: i + 1,
      nlink: 1,
      carriesData: true,
      ghost,
      linkTo: "",
    };
    switch (e.type) {
      case "dir":
        return { ...base, mode: S_IFDIR | e.mode, size: 0 };
      case "symlink":
        return {
          ...base,
          mode: S_IFLNK | 0o777,
          size: new TextEncoder().encode(e.target).length,
          linkTo: e.target,
        };
      case "file":
        return ghost
          ? { ...base, mode: S_IFREG | e.mode, size: 0 }
          : { ...base, mode: S_IFREG | e.mode, size: e.content.size, content: e.content };
      default: {
        const t = byPath.get(e.target);
        if (t?.type !== "file")
          throw new Error(`unreachable: hardlink target ${e.target} checked by validateSpec`);
        return {
          ...base,
          mode: S_IFREG | t.mode,
          mtime: t.mtime ?? spec.date,
          user: t.owner.name,
          group: t.group.name,
          size: t.content.size,
          content: t.content,
        };
      }
    }
  });
  // Hardlink sets: every member shares the target's inode; only the last one in path order carries data.
  const index = new Map(files.map((f, i) => [f.path, i]));
  const sets = new Map<number, number[]>();
  spec.entries.forEach((e, i) => {
    if (e.type !== "hardlink") return;
    const t = index.get(e.target)!;
    const members = sets.get(t) ?? [t];
    members.push(i);
    sets.set(t, members);
  });
  for (const [target, members] of sets) {
    members.sort((a, b) => a - b);
    const last = members[members.length - 1]!;
    for (const m of members) {
      const f = files[m]!;
      f.inode = target + 1;
      f.nlink = members.length;
      f.carriesData = m === last;
    }
  }
  return files;
}
