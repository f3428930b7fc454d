/**
 * expectedInfo: the reviewed projection of a spec onto what a reader must report for each archive kind.
 * tar keeps owners (uid/gid and names), hard links and exact mtimes. zip has no owners (root/0 is
 * reported), stores a hard link as a copy of its target, and keeps the mtime through Info-ZIP's "UT"
 * field when it fits a signed 32-bit value (else the DOS time clamped to 1980–2107, seconds rounded down to even).
 */
import { hashBytes } from "../../src/hash/hasher.ts";
import { collect } from "../../src/bytes/bytes.ts";
import type { PackageSpec } from "../../src/spec/types.ts";
import { parentDirs } from "../../src/spec/path.ts";
import type { ArchiveFormat } from "../../src/tarball/options.ts";
import { DOS_MAX, DOS_MIN } from "../../src/tarball/zip-layout.ts";

export interface ExpectedFile {
  path: string;
  type: string;
  mode: number;
  size: number;
  mtime: number;
  uid: number;
  gid: number;
  target?: string;
  sha256?: string;
}

function zipTime(t: number): number {
  if (t >= -0x80000000 && t <= 0x7fffffff) return t;
  const c = Math.min(Math.max(t, DOS_MIN), DOS_MAX);
  return c - (c % 2);
}

/** What reading `write(spec, { format, wrapInDirectory: wrap })` must give, sorted by path. */
export async function expectedInfo(
  spec: PackageSpec,
  format: ArchiveFormat,
  wrap?: string,
): Promise<ExpectedFile[]> {
  const zip = format === "zip";
  const pre = wrap === undefined ? "" : `/${wrap}`;
  const out = new Map<string, ExpectedFile>();
  const byPath = new Map(spec.entries.map((e) => [e.path, e]));
  for (const e of spec.entries) {
    const mtime = e.mtime ?? spec.date;
    const f: ExpectedFile = {
      path: pre + e.path,
      type: e.type,
      mode: e.type === "symlink" ? 0o777 : e.mode,
      size: 0,
      mtime: zip ? zipTime(mtime) : mtime,
      uid: zip ? 0 : e.owner.id,
      gid: zip ? 0 : e.group.id,
    };
    const src = e.type === "hardlink" && zip ? byPath.get(e.target) : e;
    if (src?.type === "file") {
      const bytes = await collect(src.content.open());
      f.type = "file";
      f.size = bytes.length;
      f.sha256 = hashBytes(bytes, "sha256");
    }
    if (e.type === "symlink") f.target = e.target;
    if (e.type === "hardlink" && !zip) f.target = pre + e.target;
    out.set(f.path, f);
  }
  const parents = new Set<string>(wrap === undefined ? [] : [pre]);
  for (const p of out.keys()) for (const d of parentDirs(p)) parents.add(d);
  for (const d of parents) {
    if (!out.has(d)) {
      out.set(d, {
        path: d,
        type: "dir",
        mode: 0o755,
        size: 0,
        mtime: zip ? zipTime(spec.date) : spec.date,
        uid: 0,
        gid: 0,
      });
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
