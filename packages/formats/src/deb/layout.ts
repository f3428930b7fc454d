/**
 * The data.tar entry list of a deb: the spec's entries (ghosts dropped), generated documentation, every
 * parent directory, and the root "./", sorted bytewise as dpkg-deb sorts them.
 */
import { bytesSource } from "../bytes/bytes.ts";
import { SpecError } from "../errors.ts";
import { parentDirs } from "../spec/path.ts";
import { type Entry, type PackageSpec, ROOT } from "../spec/types.ts";
import { compareBytes, sortByPath } from "../spec/order.ts";
import { compressChangelog, docDir, renderChangelog, renderCopyright } from "./docs.ts";

/**
 * Paths of the documentation files lintian requires. A version without a revision is a "native" package
 * to lintian, whose changelog is `changelog.gz`; otherwise it is `changelog.Debian.gz`.
 */
export function debDocPaths(name: string, version: string): { copyright: string; changelog: string } {
  const native = !version.includes("-");
  return {
    copyright: `${docDir(name)}/copyright`,
    changelog: `${docDir(name)}/${native ? "changelog.gz" : "changelog.Debian.gz"}`,
  };
}

/**
 * The data entries in archive order (without the root). Implicit parents are 0755 root:root at the
 * spec's date; an entry whose parent is a file or symlink is rejected.
 */
export async function debDataEntries(
  spec: PackageSpec,
  version: string,
  generateDocs: boolean,
): Promise<Entry[]> {
  const entries = spec.entries.filter((e) => !e.flags?.ghost);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const generated = (path: string, bytes: Uint8Array): Entry => ({
    type: "file",
    path,
    mode: 0o644,
    owner: ROOT,
    group: ROOT,
    mtime: spec.date,
    content: bytesSource(bytes),
  });
  if (generateDocs) {
    const docs = debDocPaths(spec.name, version);
    if (!byPath.has(docs.copyright)) {
      byPath.set(docs.copyright, generated(docs.copyright, new TextEncoder().encode(renderCopyright(spec))));
    }
    if (!byPath.has(docs.changelog)) {
      byPath.set(
        docs.changelog,
        generated(docs.changelog, await compressChangelog(renderChangelog(spec, version))),
      );
    }
  }
  for (const e of [...byPath.values()]) {
    for (const dir of parentDirs(e.path)) {
      const existing = byPath.get(dir);
      if (existing === undefined) {
        byPath.set(dir, { type: "dir", path: dir, mode: 0o755, owner: ROOT, group: ROOT, mtime: spec.date });
      } else if (existing.type !== "dir") {
        throw new SpecError(
          "INVALID_PATH",
          `entries: "${dir}" is a ${existing.type} but "${e.path}" is inside it`,
          {
            field: "entries",
            path: e.path,
            found: existing.type,
          },
        );
      }
    }
  }
  return hardlinksAfterTargets(sortByPath([...byPath.values()]));
}

/**
 * In a tar archive a hardlink must come after the file it links to, and entries are sorted by name. So
 * in each group of paths sharing content, the bytewise-first path carries the content and every other
 * path links to it (what GNU tar does under dpkg-deb). Each path keeps its own mode, owner and mtime.
 */
export function hardlinksAfterTargets(sorted: Entry[]): Entry[] {
  const groups = new Map<string, string[]>();
  for (const e of sorted)
    if (e.type === "hardlink") groups.set(e.target, [...(groups.get(e.target) ?? [e.target]), e.path]);
  if (groups.size === 0) return sorted;
  const byPath = new Map(sorted.map((e) => [e.path, e]));
  const replaced = new Map<string, Entry>();
  for (const [target, paths] of groups) {
    const file = byPath.get(target);
    if (file?.type !== "file") continue;
    const first = paths.reduce((a, b) => (compareBytes(a, b) <= 0 ? a : b));
    for (const p of paths) {
      const {
        target: _t,
        content: _c,
        ...base
      } = byPath.get(p) as Entry & { target?: string; content?: unknown };
      replaced.set(
        p,
        p === first
          ? { ...base, type: "file", content: file.content }
          : { ...base, type: "hardlink", target: first },
      );
    }
  }
  return sorted.map((e) => replaced.get(e.path) ?? e);
}

/**
 * Installed-Size in KiB as dpkg-gencontrol computes it (deb-substvars(5)): ceil(size/1024) for each
 * regular file and symlink (a symlink's size is its target's length), 1 for every other object including
 * the root directory, hardlinks counted once.
 */
export function installedSizeKiB(entries: readonly Entry[]): number {
  let total = 1; // the package root "./"
  for (const e of entries) {
    if (e.type === "file") total += Math.ceil(e.content.size / 1024);
    else if (e.type === "symlink") total += Math.ceil(new TextEncoder().encode(e.target).length / 1024);
    else if (e.type === "dir") total += 1;
  }
  return total;
}
