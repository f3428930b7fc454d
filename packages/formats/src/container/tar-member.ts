/**
 * Tar members made from the spec's entries, and the root-owned files a format adds beside them (control
 * files, package metadata, signatures): one mapping for deb, apk, Arch and the release archives, with the
 * differences between them (member names, symlink modes, the default mtime) passed in.
 */
import type { ByteSource, Principal } from "../spec/types.ts";
import type { TarHeader, TarWriteEntry } from "./tar.ts";

/** What a tar member is made from: a spec `Entry` has these fields (release archives map theirs). */
export interface TarMemberSource {
  /** The entry's path, before `name` maps it. */
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink";
  /** Permission bits (0o7777). */
  mode: number;
  owner: Principal;
  group: Principal;
  /** Seconds since the epoch; the options' `mtime` when absent. */
  mtime?: number;
  /** The content of a file (its size is the member's size). */
  content?: ByteSource;
  /** A symlink's target (written as is) or a hardlink's target path (mapped by `name`). */
  target?: string;
}

/** How a format names and dates its members. */
export interface TarMemberOptions {
  /**
   * The member name of a path: `./usr/bin/x` in a deb's data.tar (dpkg-deb), `usr/bin/x` in apk and Arch
   * packages. A directory's name then gets a trailing `/`. A hardlink's target is named the same way.
   */
  name: (path: string) => string;
  /** The mtime of entries that carry none: the package date. */
  mtime: number;
  /** The mode written for symlinks (Arch writes 0o777, as bsdtar does); default the entry's mode. */
  symlinkMode?: number;
}

/**
 * The tar member of one entry: owner and group by id and name, size and content for files, the link
 * target for symlinks and hardlinks.
 * @example entryTarMember(dirEntry, { name: (p) => `.${p}`, mtime: 0 }).header.name // "./usr/"
 */
export function entryTarMember(e: TarMemberSource, o: TarMemberOptions): TarWriteEntry {
  const header: TarHeader = {
    name: e.type === "dir" ? `${o.name(e.path)}/` : o.name(e.path),
    type: e.type,
    mode: e.type === "symlink" && o.symlinkMode !== undefined ? o.symlinkMode : e.mode,
    uid: e.owner.id,
    gid: e.group.id,
    uname: e.owner.name,
    gname: e.group.name,
    size: e.type === "file" && e.content !== undefined ? e.content.size : 0,
    mtime: e.mtime ?? o.mtime,
  };
  if (e.type === "symlink" && e.target !== undefined) header.linkname = e.target;
  if (e.type === "hardlink" && e.target !== undefined) header.linkname = o.name(e.target);
  return e.type === "file" && e.content !== undefined ? { header, content: e.content } : { header };
}

/** A root-owned (uid/gid 0, root/root) regular file: a control file, package metadata, a signature. */
export function rootFileMember(name: string, bytes: Uint8Array, mode: number, mtime: number): TarWriteEntry {
  return {
    header: {
      name,
      type: "file",
      mode,
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
      size: bytes.length,
      mtime,
    },
    content: bytes,
  };
}

/** A root-owned directory (`./`, the first member of a deb's control.tar and data.tar). */
export function rootDirMember(name: string, mode: number, mtime: number): TarWriteEntry {
  return {
    header: { name, type: "dir", mode, uid: 0, gid: 0, uname: "root", gname: "root", size: 0, mtime },
  };
}
