/**
 * expectedInfo(spec, 'rpm'): the reviewed projection of a PackageSpec onto what reading our rpm back must
 * give. Written out rule by rule (not by calling the writer's helpers), so a writer bug shows up as a
 * difference:
 * - VERSION = upstream[~prerelease][+metadata] with `-` → `_`; RELEASE = release or "1"; epoch 0 dropped.
 * - summary = spec.summary, else the description's first line, else the name; description defaults to
 *   "no description given"; GROUP = section or "Unspecified".
 * - breaks merge into conflicts; replaces are Obsoletes; duplicates collapse; self-provides, config()
 *   provides/requires, interpreter and rpmlib() requires are not relations of the spec.
 * - hardlink sets: the first member in path order is the file, the others hardlinks to it, all with the
 *   metadata of the spec's target file; symlinks are mode 0777; ghosts have size 0 and no digest.
 * - regular files under /usr/share/{doc,man,info} (and /usr/{doc,man,info}) are %doc, as rpmbuild marks them.
 * - rpm stores owner names only: ids read back as 0 for root, -1 otherwise.
 */
import { hashBytes } from "../../src/hash/index.ts";
import type { FileInfo, PackageInfo } from "../../src/info/types.ts";
import type { Entry, PackageSpec, RelationGroup, Relations } from "../../src/spec/types.ts";

export type ExpectedInfo = Omit<PackageInfo, "artifact" | "raw" | "signatures">;

const RPM_ARCH: Record<string, string> = {
  amd64: "x86_64",
  arm64: "aarch64",
  armv7: "armv7hl",
  armv6: "armv6hl",
  armv5: "armv5tel",
  i386: "i686",
  ppc64le: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loongarch64",
  mips64le: "mips64el",
  all: "noarch",
};

async function contentBytes(e: Entry): Promise<Uint8Array> {
  if (e.type !== "file") return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for await (const c of e.content.open()) parts.push(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Sorts groups and drops exact duplicates, so relation lists compare as sets. */
export function canonicalRelations(r: Relations): Relations {
  const out: Relations = {};
  for (const [k, groups] of Object.entries(r) as [keyof Relations, RelationGroup[]][]) {
    const seen = new Map<string, RelationGroup>();
    for (const g of groups) {
      const clean = g.map((x) => ({ name: x.name, ...(x.op ? { op: x.op, version: x.version } : {}) }));
      seen.set(JSON.stringify(clean), clean);
    }
    if (seen.size > 0) out[k] = [...seen.keys()].sort().map((key) => seen.get(key)!);
  }
  return out;
}

/** The PackageInfo (minus artifact digests, raw offsets and signatures) reading our rpm of `spec` gives. */
export async function expectedInfo(spec: PackageSpec, _format: "rpm" = "rpm"): Promise<ExpectedInfo> {
  const version =
    spec.version.upstream +
    (spec.version.prerelease ? `~${spec.version.prerelease.replaceAll("-", "_")}` : "") +
    (spec.version.metadata ? `+${spec.version.metadata.replaceAll("-", "_")}` : "");
  const release = spec.version.release || "1";
  const epoch = spec.version.epoch ? spec.version.epoch : undefined;
  const structured: ExpectedInfo["version"] = { upstream: spec.version.upstream };
  if (spec.version.prerelease) structured.prerelease = spec.version.prerelease.replaceAll("-", "_");
  if (spec.version.metadata) structured.metadata = spec.version.metadata.replaceAll("-", "_");
  structured.release = release;
  if (epoch !== undefined) structured.epoch = epoch;

  const entries = [...spec.entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const byPath = new Map(entries.map((e) => [e.path, e]));
  // hardlink sets keyed by their target file
  const setOf = new Map<string, string[]>();
  for (const e of entries) {
    if (e.type === "hardlink") setOf.set(e.target, [...(setOf.get(e.target) ?? [e.target]), e.path]);
  }
  const firstOf = new Map<string, string>();
  for (const [target, members] of setOf) {
    const sorted = [...members].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const m of sorted) firstOf.set(m, sorted[0]!);
    firstOf.set(target, sorted[0]!);
  }
  const files: FileInfo[] = [];
  let installed = 0;
  for (const e of entries) {
    const src = e.type === "hardlink" ? byPath.get(e.target)! : e;
    const ghost = e.flags?.ghost === true;
    const content = await contentBytes(src);
    const f: FileInfo = {
      path: e.path,
      type: e.type === "hardlink" || e.type === "file" ? "file" : e.type,
      mode: e.type === "symlink" ? 0o777 : src.mode,
      owner: { name: src.owner.name, id: src.owner.name === "root" ? 0 : -1 },
      group: { name: src.group.name, id: src.group.name === "root" ? 0 : -1 },
      size:
        e.type === "symlink"
          ? new TextEncoder().encode(e.target).length
          : e.type === "dir" || ghost
            ? 0
            : content.length,
      mtime: src.mtime ?? spec.date,
      digests: {},
    };
    if (e.type === "symlink") f.target = e.target;
    const first = firstOf.get(e.path);
    if (first !== undefined && first !== e.path) {
      f.type = "hardlink";
      f.target = first;
    }
    if ((e.type === "file" || e.type === "hardlink") && !ghost) {
      f.digests.sha256 = hashBytes(content, "sha256");
      if (f.type === "file") installed += content.length;
    }
    const fl = e.flags ?? {};
    const flags: FileInfo["flags"] = {};
    if (fl.config) flags.config = true;
    if (fl.config && fl.noreplace) flags.noreplace = true;
    if (fl.config && fl.missingok) flags.missingok = true;
    // rpmbuild's %__docdir_path: regular files under the doc/man/info trees are %doc.
    const inDocDir = [
      "/usr/doc/",
      "/usr/man/",
      "/usr/info/",
      "/usr/share/doc/",
      "/usr/share/man/",
      "/usr/share/info/",
    ].some((d) => e.path.startsWith(d));
    if (fl.doc || ((e.type === "file" || e.type === "hardlink") && inDocDir)) flags.doc = true;
    if (fl.license) flags.license = true;
    if (fl.ghost) flags.ghost = true;
    if (Object.keys(flags).length > 0) f.flags = flags;
    if (e.lang) f.lang = e.lang;
    files.push(f);
  }

  const r = spec.relations;
  const relations = canonicalRelations({
    ...(r.depends ? { depends: r.depends } : {}),
    ...(r.preDepends ? { preDepends: r.preDepends } : {}),
    ...(r.provides ? { provides: r.provides } : {}),
    ...(r.conflicts || r.breaks ? { conflicts: [...(r.conflicts ?? []), ...(r.breaks ?? [])] } : {}),
    ...(r.replaces ? { replaces: r.replaces } : {}),
    ...(r.recommends ? { recommends: r.recommends } : {}),
    ...(r.suggests ? { suggests: r.suggests } : {}),
    ...(r.enhances ? { enhances: r.enhances } : {}),
  });

  const scripts: ExpectedInfo["scripts"] = {};
  for (const kind of [
    "pretrans",
    "preinstall",
    "postinstall",
    "preremove",
    "postremove",
    "posttrans",
    "verify",
  ] as const) {
    const s = spec.scripts[kind];
    if (!s) continue;
    const shebang = /^#!\s*([^\n]+)/.exec(s.body)?.[1]?.trim().split(/\s+/).join(" ");
    scripts[kind] = {
      body: s.body,
      interpreter: s.interpreter?.trim().split(/\s+/).join(" ") || shebang || "/bin/sh",
    };
  }

  const description = spec.description === undefined ? "no description given" : spec.description;
  const summary = spec.summary ?? (spec.description ?? "").split("\n")[0]!.trim();
  const info: ExpectedInfo = {
    format: "rpm",
    name: spec.name,
    versionString: `${epoch !== undefined ? `${epoch}:` : ""}${version}-${release}`,
    version: structured,
    archString: RPM_ARCH[spec.arch]!,
    arch: spec.arch,
    summary: summary || spec.name,
    section: spec.section ?? "Unspecified",
    installedSize: installed,
    buildDate: spec.date,
    relations,
    changelog: spec.changelog.map((c) => ({
      author: c.author,
      date: c.date,
      version: c.version,
      text: c.changes.map((l) => `- ${l}`).join("\n"),
    })),
    files,
    scripts,
  };
  if (spec.maintainer) info.maintainer = spec.maintainer;
  if (description !== "") info.description = description;
  if (spec.license) info.license = spec.license;
  if (spec.homepage) info.homepage = spec.homepage;
  if (spec.vendor) info.vendor = spec.vendor;
  return info;
}

/** The comparable part of a PackageInfo. */
export function comparable(info: PackageInfo): ExpectedInfo {
  const { artifact: _a, raw: _r, signatures: _s, ...rest } = info;
  return { ...rest, relations: canonicalRelations(rest.relations) };
}
