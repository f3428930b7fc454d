/**
 * expectedInfo(spec, 'apk'): what reading our apk must give back, written as an explicit projection of
 * the spec (reviewed by hand, not derived from the writer's helpers): apk version spelling, Alpine arch,
 * implicit parent directories, `#!` lines, relations as apk keeps them.
 */
import { createHash } from "node:crypto";
import { collect } from "../../src/bytes/bytes.ts";
import type { FileInfo, PackageInfo } from "../../src/info/types.ts";
import type { Arch, PackageSpec, Relations } from "../../src/spec/types.ts";

const ARCH: Partial<Record<Arch, string>> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armv7: "armv7",
  armv6: "armhf",
  i386: "x86",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loongarch64",
  all: "noarch",
};

/** The subset of PackageInfo the round trip compares. */
export type ExpectedApkInfo = Pick<
  PackageInfo,
  "format" | "name" | "versionString" | "archString" | "relations" | "files" | "scripts" | "installedSize"
> & { summary?: string };

function pkgver(spec: PackageSpec): string {
  const v = spec.version;
  const m = v.prerelease === undefined ? null : /^(alpha|beta|pre|rc)\.?([0-9]*)$/.exec(v.prerelease);
  return `${v.upstream}${m ? `_${m[1]}${m[2]}` : ""}-r${v.release ?? "0"}`;
}

/** Projects a (valid, apk-representable) spec onto what the apk reader reports. */
export async function expectedInfo(spec: PackageSpec, _format: "apk"): Promise<ExpectedApkInfo> {
  const files = new Map<string, FileInfo>();
  let size = 0;
  for (const e of spec.entries) {
    const parts = e.path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join("/")}`;
      if (!files.has(dir) && !spec.entries.some((x) => x.path === dir)) {
        files.set(dir, {
          path: dir,
          type: "dir",
          mode: 0o755,
          owner: { name: "root", id: 0 },
          group: { name: "root", id: 0 },
          size: 0,
          mtime: spec.date,
          digests: {},
        });
      }
    }
    const f: FileInfo = {
      path: e.path,
      type: e.type,
      mode: e.mode,
      owner: { name: e.owner.name, id: e.owner.id },
      group: { name: e.group.name, id: e.group.id },
      size: 0,
      mtime: e.mtime ?? spec.date,
      digests: {},
    };
    if (e.type === "file") {
      const bytes = await collect(e.content.open());
      f.size = bytes.length;
      size += bytes.length;
      f.digests = {
        md5: createHash("md5").update(bytes).digest("hex"),
        sha1: createHash("sha1").update(bytes).digest("hex"),
        sha256: createHash("sha256").update(bytes).digest("hex"),
      };
    } else if (e.type === "symlink") {
      f.target = e.target;
      f.digests = { sha1: createHash("sha1").update(e.target).digest("hex") };
    } else if (e.type === "hardlink") {
      f.target = e.target;
    }
    files.set(e.path, f);
  }
  const sorted = [...files.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const ordered = [
    ...sorted.filter((f) => f.type !== "hardlink"),
    ...sorted.filter((f) => f.type === "hardlink"),
  ];
  const relations: Relations = {};
  for (const g of [...(spec.relations.preDepends ?? []), ...(spec.relations.depends ?? [])])
    (relations.depends ??= []).push(g);
  for (const g of [...(spec.relations.conflicts ?? []), ...(spec.relations.breaks ?? [])])
    (relations.conflicts ??= []).push(g);
  if (spec.relations.provides) relations.provides = spec.relations.provides;
  if (spec.relations.replaces) relations.replaces = spec.relations.replaces;
  const scripts: PackageInfo["scripts"] = {};
  for (const [k, s] of Object.entries(spec.scripts)) {
    if (s === undefined || ["pretrans", "posttrans", "verify"].includes(k)) continue;
    const body = s.body.startsWith("#!")
      ? s.body.slice(s.body.indexOf("\n") + 1)
      : s.body === "" || s.body.endsWith("\n")
        ? s.body
        : `${s.body}\n`;
    const interpreter = s.body.startsWith("#!")
      ? s.body.slice(2, s.body.indexOf("\n")).trim()
      : (s.interpreter ?? "/bin/sh");
    scripts[k as keyof PackageInfo["scripts"]] = { interpreter, body };
  }
  const out: ExpectedApkInfo = {
    format: "apk",
    name: spec.name,
    versionString: pkgver(spec),
    archString: ARCH[spec.arch]!,
    relations,
    files: ordered,
    scripts,
    installedSize: size === 0 && ordered.length > 0 ? 1 : size,
  };
  const summary = spec.summary ?? spec.description?.split("\n")[0];
  if (summary !== undefined) out.summary = summary;
  return out;
}
