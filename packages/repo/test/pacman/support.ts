/**
 * Inputs for the pacman database tests: Arch packages written by @packyard/formats' own writer and read
 * back (so the PackageInfo is what publish really gets), packages whose `.PKGINFO` is hand-written text
 * (tar + gzip by @packyard/formats, read by no strict reader: only repo-add and pacmanIndexInfo see them),
 * and PacmanEntry records made from package bytes.
 */
import { createHash } from "node:crypto";
import {
  bytesSource,
  type FileInfo,
  type PackageInfo,
  type PackageSpec,
  packageFileName,
  readPackage,
  writePackage,
} from "@packyard/formats";
import type { ArchlinuxOptions } from "@packyard/formats/archlinux";
import { compressBytes } from "@packyard/formats/compress";
import { type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import type { PacmanEntry, PacmanIndexInfo } from "../../src/pacman/types.ts";

const enc = new TextEncoder();
const root = { name: "root", id: 0 };
const own = { owner: root, group: root };

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An Arch package as publish gets it: bytes, file name and the PackageInfo read back from the bytes. */
export interface ArchPackage {
  bytes: Uint8Array;
  fileName: string;
  info: PackageInfo;
}

/** Writes `spec` with packyard's Arch writer and reads it back. */
export async function archPackage(spec: PackageSpec, options: ArchlinuxOptions = {}): Promise<ArchPackage> {
  const bytes = await collect(writePackage("archlinux", spec, options));
  const fileName = packageFileName("archlinux", spec, options);
  return { bytes, fileName, info: await readPackage(bytesSource(bytes), fileName) };
}

/**
 * A package with everything the `desc` and `files` entries carry: an epoch, every relation pacman has
 * (depends, optdepends with a description, provides, conflicts, replaces), a group (section), a license,
 * a summary with runs of spaces and a tab, an empty directory, a symlink, a hard link, a nested dot file,
 * and names bsdtar lists with escapes (backslash, tab, U+0085) or as they are (UTF-8, space).
 */
export function relationsSpec(): PackageSpec {
  const file = (path: string, text = `${path}\n`) => ({
    type: "file" as const,
    path,
    mode: 0o644,
    ...own,
    content: bytesSource(enc.encode(text)),
  });
  return {
    name: "relations",
    version: { epoch: 2, upstream: "3.1.4", release: "2" },
    arch: "amd64",
    date: 1700000123,
    maintainer: "Packyard Test <test@packyard.invalid>",
    summary: "Relations,   spaces\tand all",
    description: "A package with every pacman relation.",
    homepage: "https://packyard.invalid/relations",
    license: "GPL-2.0-or-later",
    section: "devel",
    relations: {
      depends: [[{ name: "glibc", op: ">=", version: "2.30" }], [{ name: "bash" }]],
      recommends: [[{ name: "python", description: "for the helper  script" }], [{ name: "perl" }]],
      provides: [[{ name: "relations-api", op: "=", version: "3" }]],
      conflicts: [[{ name: "relations-legacy" }]],
      replaces: [[{ name: "relations-old" }]],
    },
    scripts: {},
    changelog: [],
    entries: [
      { ...file("/usr/bin/relations", "#!/bin/sh\necho relations\n"), mode: 0o755 },
      {
        type: "hardlink",
        path: "/usr/bin/relations-hard",
        mode: 0o755,
        ...own,
        target: "/usr/bin/relations",
      },
      { type: "symlink", path: "/usr/bin/rel", mode: 0o777, ...own, target: "relations" },
      { type: "dir", path: "/var/lib/relations", mode: 0o750, ...own },
      file("/usr/share/relations/.keep"),
      file("/usr/share/relations/with space.txt"),
      file("/usr/share/relations/ünï cödé ☃.txt"),
      file("/usr/share/relations/back\\slash"),
      file("/usr/share/relations/tab\tname"),
      file("/usr/share/relations/nel\u0085char"),
    ],
  } as PackageSpec;
}

/** A package file made by hand: `.PKGINFO` with the given text, then the members, gzip-compressed. */
export async function craftedPackage(
  pkginfo: string,
  members: { path: string; type: "dir" | "file" }[],
): Promise<Uint8Array> {
  const entries: TarWriteEntry[] = [];
  const header = (name: string, type: "dir" | "file", size: number) => ({
    name,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: "root",
    gname: "root",
    size,
    mtime: 1700000000,
  });
  const info = enc.encode(pkginfo);
  entries.push({ header: header(".PKGINFO", "file", info.length), content: info });
  for (const m of members) {
    if (m.type === "dir") entries.push({ header: header(`${m.path}/`, "dir", 0) });
    else {
      const body = enc.encode(`${m.path}\n`);
      entries.push({ header: header(m.path, "file", body.length), content: body });
    }
  }
  const tar = await collect(writeTar(entries, { flavour: "pax" }));
  return compressBytes(tar, { algo: "gzip" });
}

/**
 * `info` with its `.PKGINFO` text replaced and, when given, its files (relative member paths; a dir type
 * for folders), the shape a reader gives: what pacmanIndexInfo reads of a crafted package.
 */
export function withPkginfo(
  info: PackageInfo,
  pkginfo: string,
  members?: { path: string; type: "dir" | "file" }[],
): PackageInfo {
  const out: PackageInfo = { ...info, raw: { format: "archlinux", pkginfo } };
  if (members !== undefined) {
    const template = info.files.find((f) => f.type === "file")!;
    out.files = members.map((m): FileInfo => ({ ...template, path: `/${m.path}`, type: m.type }));
  }
  return out;
}

/** The PacmanEntry of package bytes (as repo-add computes CSIZE, MD5SUM and SHA256SUM from the file). */
export function entryOf(
  info: PacmanIndexInfo,
  bytes: Uint8Array,
  filename: string,
  signature?: Uint8Array,
): PacmanEntry {
  const entry: PacmanEntry = {
    info,
    filename,
    csize: bytes.length,
    md5: createHash("md5").update(bytes).digest("hex"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
  if (signature !== undefined) entry.signature = signature;
  return entry;
}

/** An index record with every field set to a distinct value (lists of two), for layout tests. */
export function fullIndexInfo(overrides: Partial<PacmanIndexInfo> = {}): PacmanIndexInfo {
  return {
    name: "full",
    base: "full-base",
    version: "1:2.0-3",
    desc: "A full record",
    groups: ["g1", "g2"],
    isize: "4096",
    url: "https://packyard.invalid/full",
    licenses: ["MIT", "BSD"],
    arch: "x86_64",
    builddate: "1700000000",
    packager: "Packyard Test <test@packyard.invalid>",
    replaces: ["old-full", "older-full"],
    conflicts: ["anti-full", "contra-full"],
    provides: ["full-api=1", "full-abi=2"],
    depends: ["glibc>=2.30", "bash"],
    optdepends: ["python: for the helper", "perl"],
    makedepends: ["make", "gcc"],
    checkdepends: ["check", "pytest"],
    files: ["usr/", "usr/bin/", "usr/bin/full"],
    ...overrides,
  };
}

/** A PacmanEntry around `info` with fixed file facts. */
export function fullEntry(info: PacmanIndexInfo = fullIndexInfo(), signature?: Uint8Array): PacmanEntry {
  const entry: PacmanEntry = {
    info,
    filename: `${info.name}-${info.version}-${info.arch}.pkg.tar.zst`,
    csize: 12345,
    md5: "0123456789abcdef0123456789abcdef",
    sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  };
  if (signature !== undefined) entry.signature = signature;
  return entry;
}
