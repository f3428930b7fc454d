/**
 * The FileInfo of one tar entry: what the deb, Arch, apk and release-archive readers list for each
 * member of their payload tar.
 */
import type { TarHeader } from "../container/tar.ts";
import type { FileInfo } from "./types.ts";

/** The header fields a FileInfo is made of (a zip entry supplies them too, with uid and gid 0). */
export type TarFileHeader = Pick<TarHeader, "type" | "mode" | "uid" | "gid" | "size" | "mtime"> &
  Partial<Pick<TarHeader, "uname" | "gname" | "linkname">>;

/**
 * The FileInfo for the entry at `rel` (relative, no leading slash): digests empty, size 0 unless a file,
 * a symlink's target as stored. A hardlink's target is left to the caller, which knows how to resolve
 * it. An owner or group without a name is called `nameless(id)` (each format's tool has its own habit).
 */
export function fileInfoFromTar(
  header: TarFileHeader,
  rel: string,
  nameless: (id: number) => string = String,
): FileInfo {
  const info: FileInfo = {
    path: `/${rel}`,
    type: header.type,
    mode: header.mode,
    owner: { name: header.uname ?? nameless(header.uid), id: header.uid },
    group: { name: header.gname ?? nameless(header.gid), id: header.gid },
    size: header.type === "file" ? header.size : 0,
    mtime: header.mtime,
    digests: {},
  };
  if (header.type === "symlink") info.target = header.linkname ?? "";
  return info;
}
