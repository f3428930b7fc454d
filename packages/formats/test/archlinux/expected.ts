/**
 * expectedInfo(spec, 'archlinux'): the reviewed projection of a spec onto what reading our Arch package
 * must give back (everything but `artifact` and `raw`, which tests check separately). Written from the
 * mapping rules in the top README (Arch Linux section), not from the writer's code.
 */
import { createHash } from "node:crypto";
import type { FileInfo, PackageInfo } from "../../src/info/types.ts";
import type { Entry, PackageSpec, Relation, Relations } from "../../src/spec/types.ts";

export type ExpectedInfo = Omit<PackageInfo, "artifact" | "raw">;

const ARCH: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armv7: "armv7h",
  armv6: "armv6h",
  armv5: "arm",
  i386: "i686",
  riscv64: "riscv64",
  ppc64le: "powerpc64le",
  loong64: "loong64",
  all: "any",
};

async function digest(e: Entry & { type: "file" }): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  for await (const c of e.content.open()) {
    md5.update(c);
    sha.update(c);
  }
  return { md5: md5.digest("hex"), sha256: sha.digest("hex") };
}

function rel(r: Relation, withDescription: boolean): Relation {
  const out: Relation = { name: r.name };
  if (r.op !== undefined) {
    out.op = r.op;
    out.version = r.version!;
  }
  if (withDescription && r.description?.trim()) out.description = r.description.trim();
  return out;
}

/** The PackageInfo our reader must return for `write(spec, options)`, minus artifact and raw. */
export async function expectedInfo(
  spec: PackageSpec,
  format: "archlinux",
  options: { packager?: string; pkgbase?: string } = {},
): Promise<ExpectedInfo> {
  void format;
  const v = spec.version;
  const pkgver = v.upstream + (v.prerelease ?? "");
  const pkgrel = v.release ?? "1";
  const epoch = v.epoch !== undefined && v.epoch > 0 ? v.epoch : undefined;
  const versionString = `${epoch !== undefined ? `${epoch}:` : ""}${pkgver}-${pkgrel}`;

  // payload: the spec's entries minus ghosts, plus every missing parent directory (0755 root, spec date)
  const entries = spec.entries
    .filter((e) => !e.flags?.ghost)
    .map((e) => ({ ...e, path: `/${e.path.split("/").filter(Boolean).join("/")}` }));
  const paths = new Set(entries.map((e) => e.path));
  for (const e of [...entries]) {
    const parts = e.path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join("/")}`;
      if (!paths.has(dir)) {
        paths.add(dir);
        entries.push({
          type: "dir",
          path: dir,
          mode: 0o755,
          owner: { name: "root", id: 0 },
          group: { name: "root", id: 0 },
        });
      }
    }
  }
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const digests = new Map<string, { md5: string; sha256: string }>();
  for (const e of entries) if (e.type === "file") digests.set(e.path, await digest(e));
  const files: FileInfo[] = entries.map((e) => {
    const f: FileInfo = {
      path: e.path,
      type: e.type,
      mode: e.type === "symlink" ? 0o777 : e.mode,
      owner: e.owner,
      group: e.group,
      size: 0,
      mtime: e.mtime ?? spec.date,
      digests: {},
    };
    if (e.type === "file") {
      f.size = e.content.size;
      f.digests = digests.get(e.path)!;
      if (e.flags?.config) f.flags = { config: true };
    }
    if (e.type === "symlink") f.target = e.target;
    if (e.type === "hardlink") {
      // a hard link shares its target's inode: mode, owner, group and mtime are the target's
      const t = byPath.get(e.target) as Entry & { type: "file" };
      f.mode = t.mode;
      f.owner = t.owner;
      f.group = t.group;
      f.mtime = t.mtime ?? spec.date;
      f.target = e.target;
      f.size = t.content.size;
      f.digests = digests.get(e.target)!;
    }
    return f;
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const relations: Relations = {};
  const r = spec.relations;
  const put = (kind: keyof Relations, groups: Relation[][] | undefined, withDescription = false) => {
    const list = (groups ?? []).map((g) => [rel(g[0]!, withDescription)]);
    if (list.length > 0) relations[kind] = [...(relations[kind] ?? []), ...list];
  };
  put("depends", r.preDepends);
  put("depends", r.depends);
  put("recommends", r.recommends, true);
  put("recommends", r.suggests, true);
  put("conflicts", r.conflicts);
  put("conflicts", r.breaks);
  put("provides", r.provides);
  put("replaces", r.replaces);

  const scripts: PackageInfo["scripts"] = {};
  for (const kind of [
    "preinstall",
    "postinstall",
    "preupgrade",
    "postupgrade",
    "preremove",
    "postremove",
  ] as const) {
    const s = spec.scripts[kind];
    if (s)
      scripts[kind] = {
        interpreter: s.interpreter ?? "/bin/sh",
        body: s.body.endsWith("\n") ? s.body : `${s.body}\n`,
      };
  }

  const out: ExpectedInfo = {
    format: "archlinux",
    name: spec.name,
    versionString,
    version: { upstream: pkgver, release: pkgrel, ...(epoch !== undefined ? { epoch } : {}) },
    archString: ARCH[spec.arch]!,
    arch: spec.arch,
    maintainer: options.packager ?? spec.maintainer ?? "Unknown Packager",
    installedSize: files.filter((f) => f.type === "file").reduce((n, f) => n + f.size, 0),
    buildDate: spec.date,
    relations,
    // .CHANGELOG blocks: the header's day at midnight UTC, changes as "- " lines continued by "  "
    changelog: spec.changelog.map((e) => ({
      author: e.author.trim(),
      date: Math.floor(e.date / 86400) * 86400,
      version: e.version.trim(),
      text: e.changes.map((c) => `- ${c.replace(/\n/g, "\n  ")}`).join("\n"),
    })),
    files,
    scripts,
    signatures: [],
  };
  const desc =
    spec.summary ??
    spec.description
      ?.split("\n")
      .find((l) => l.trim() !== "")
      ?.trim();
  if (desc) {
    out.summary = desc;
    out.description = desc;
  }
  if (spec.license !== undefined) out.license = spec.license;
  if (spec.homepage !== undefined) out.homepage = spec.homepage;
  if (spec.section !== undefined) out.section = spec.section;
  return out;
}

/** The reader's result minus artifact/raw, files sorted by path, ready to compare with {@link expectedInfo}. */
export function comparable(info: PackageInfo): ExpectedInfo {
  const { artifact: _a, raw: _r, ...rest } = info;
  return { ...rest, files: [...rest.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}
