/**
 * expectedInfo(spec, 'deb'): the reviewed projection of a spec onto what a deb reader must return. Each rule
 * is restated here from deb(5), deb-control(5) and dpkg-deb (src/deb/build.c) rather than imported from the
 * writer, except the contents of the two generated documentation files (their text is tested on its own and
 * judged by lintian).
 */
import { createHash } from "node:crypto";
import { collect } from "../../src/bytes/bytes.ts";
import { compressChangelog, renderChangelog, renderCopyright } from "../../src/deb/docs.ts";
import type { DebOptions } from "../../src/deb/options.ts";
import type { ChangelogInfo, FileInfo, PackageInfo } from "../../src/info/types.ts";
import { parseVersion } from "../../src/spec/version.ts";
import type { Arch, Entry, PackageSpec, Relations, RelationGroup } from "../../src/spec/types.ts";

/** Debian architecture names (dpkg data/cputable). */
const DEB_ARCH: Record<Arch, string> = {
  amd64: "amd64",
  arm64: "arm64",
  armv7: "armhf",
  armv6: "armhf",
  armv5: "armel",
  i386: "i386",
  ppc64le: "ppc64el",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips64le: "mips64el",
  all: "all",
};

/** What readDeb returns for a spec, minus the artifact's own size/digests and the verbatim control text. */
export type ExpectedDebInfo = Omit<PackageInfo, "artifact" | "raw"> & {
  raw: { format: "deb"; members: string[] };
};

function sortBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The generated changelog.Debian as the reader returns it: the spec's entries, or one "Release <version>."
 * entry by the maintainer at the spec's date; each change is a `  * ` line, its further lines indented by
 * four spaces (blank ones kept empty); an entry version gets the package's epoch and release when it has
 * none; author and date come from the ` -- Name <email>  date` trailer.
 */
function expectedChangelog(spec: PackageSpec, versionString: string): ChangelogInfo[] {
  const maintainer = spec.maintainer ?? "Unset Maintainer <unset@localhost>";
  const entries =
    spec.changelog.length > 0
      ? spec.changelog
      : [{ version: "", date: spec.date, author: maintainer, changes: [`Release ${versionString}.`] }];
  return entries.map((e) => {
    let version = versionString;
    if (e.version !== "") {
      const v = parseVersion(e.version);
      const epoch = v.epoch ?? spec.version.epoch;
      const release = v.release ?? spec.version.release;
      version =
        (epoch ? `${epoch}:` : "") +
        v.upstream +
        (v.prerelease ? `~${v.prerelease}` : "") +
        (v.metadata ? `+${v.metadata}` : "") +
        (release ? `-${release}` : "");
    }
    const lines = e.changes.flatMap((c) => {
      const [first = "", ...rest] = c.replace(/\r\n?/g, "\n").split("\n");
      return [`  * ${first}`.trimEnd(), ...rest.map((l) => (l.trim() === "" ? "" : `    ${l.trim()}`))];
    });
    while (lines.at(-1) === "") lines.pop();
    const signed = /^.* <.*>$/.test(e.author);
    return { author: signed ? e.author : "", date: signed ? e.date : 0, version, text: lines.join("\n") };
  });
}

/** Builds the expected PackageInfo of the deb written from `spec` with `options`. */
export async function expectedInfo(
  spec: PackageSpec,
  format: "deb",
  options: DebOptions = {},
): Promise<ExpectedDebInfo> {
  if (format !== "deb") throw new Error("only deb here");
  const v = spec.version;
  // [epoch:]upstream[~prerelease][+metadata][-release]
  const versionString =
    (v.epoch ? `${v.epoch}:` : "") +
    v.upstream +
    (v.prerelease ? `~${v.prerelease}` : "") +
    (v.metadata ? `+${v.metadata}` : "") +
    (v.release ? `-${v.release}` : "");
  const date = spec.date;
  const entries: Entry[] = spec.entries
    .filter((e) => !e.flags?.ghost)
    .map((e) => ({ ...e, path: `/${e.path.split("/").filter(Boolean).join("/")}` }));
  const paths = new Set(entries.map((e) => e.path));
  const docDir = `/usr/share/doc/${spec.name}`;
  const gen: { path: string; bytes: Uint8Array }[] = [];
  if (options.generateDocs !== false) {
    const changelog = `${docDir}/${versionString.includes("-") ? "changelog.Debian.gz" : "changelog.gz"}`;
    if (!paths.has(`${docDir}/copyright`))
      gen.push({ path: `${docDir}/copyright`, bytes: new TextEncoder().encode(renderCopyright(spec)) });
    if (!paths.has(changelog))
      gen.push({ path: changelog, bytes: await compressChangelog(renderChangelog(spec, versionString)) });
  }
  const files: FileInfo[] = [];
  const md5 = new Map<string, string>();
  const root = { name: "root", id: 0 };
  for (const g of gen) {
    const sum = createHash("md5").update(g.bytes).digest("hex");
    md5.set(g.path, sum);
    files.push({
      path: g.path,
      type: "file",
      mode: 0o644,
      owner: root,
      group: root,
      size: g.bytes.length,
      mtime: date,
      digests: { md5: sum },
    });
  }
  // a hardlink group's bytewise-first path carries the content, the others link to it (tar order)
  const groups = new Map<string, string[]>();
  for (const e of entries)
    if (e.type === "hardlink") groups.set(e.target, [...(groups.get(e.target) ?? [e.target]), e.path]);
  for (const [target, members] of groups) {
    const first = [...members].sort(sortBytes)[0]!;
    const content = (entries.find((e) => e.path === target) as Entry & { type: "file" }).content;
    for (const [i, e] of entries.entries()) {
      if (!members.includes(e.path)) continue;
      const { target: _t, content: _c, ...base } = e as Entry & { target?: string; content?: unknown };
      entries[i] =
        e.path === first ? { ...base, type: "file", content } : { ...base, type: "hardlink", target: first };
    }
  }
  for (const e of entries) {
    if (e.type === "file")
      md5.set(
        e.path,
        createHash("md5")
          .update(await collect(e.content.open()))
          .digest("hex"),
      );
  }
  for (const e of entries) {
    const f: FileInfo = {
      path: e.path,
      type: e.type,
      mode: e.mode,
      owner: e.owner,
      group: e.group,
      size: e.type === "file" ? e.content.size : 0,
      mtime: e.mtime ?? date,
      digests: {},
    };
    if (e.type === "file") f.digests = { md5: md5.get(e.path)! };
    if (e.type === "symlink" || e.type === "hardlink") f.target = e.target;
    if (e.type === "file" && e.flags?.config) f.flags = { config: true };
    files.push(f);
  }
  // every ancestor directory is listed, 0755 root:root at the spec's date
  const all = new Set(files.map((f) => f.path));
  for (const f of [...files]) {
    const parts = f.path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join("/")}`;
      if (!all.has(dir)) {
        all.add(dir);
        files.push({
          path: dir,
          type: "dir",
          mode: 0o755,
          owner: root,
          group: root,
          size: 0,
          mtime: date,
          digests: {},
        });
      }
    }
  }
  files.sort((a, b) => sortBytes(a.path, b.path));
  // Installed-Size: ceil(size/1024) per file and symlink (target length), 1 per directory and for "./"
  let kib = 1;
  for (const f of files) {
    if (f.type === "file") kib += Math.ceil(f.size / 1024);
    else if (f.type === "symlink") kib += Math.ceil(Buffer.byteLength(f.target!) / 1024);
    else if (f.type === "dir") kib += 1;
  }
  const relations: Relations = {};
  for (const [kind, groups] of Object.entries(spec.relations) as [keyof Relations, RelationGroup[]][]) {
    const extra =
      kind === "breaks" ? (options.breaks ?? []) : kind === "preDepends" ? (options.preDepends ?? []) : [];
    const all = [...groups, ...extra].map((g) => g.map(({ description: _d, ...r }) => r));
    if (all.length > 0) relations[kind] = all;
  }
  for (const [kind, extra] of [
    ["breaks", options.breaks],
    ["preDepends", options.preDepends],
  ] as const) {
    if (relations[kind] === undefined && extra !== undefined && extra.length > 0) relations[kind] = extra;
  }
  const scripts: ExpectedDebInfo["scripts"] = {};
  for (const kind of ["preinstall", "postinstall", "preremove", "postremove"] as const) {
    const s = spec.scripts[kind];
    if (s === undefined) continue;
    const body = s.body.startsWith("#!") ? s.body : `#!${s.interpreter ?? "/bin/sh"}\n${s.body}`;
    scripts[kind] = { interpreter: /^#!\s*(\S+)/.exec(body)![1]!, body };
  }
  const text = (spec.description ?? "").trim();
  const summary = spec.summary?.trim() || text.split("\n")[0]!.trim() || spec.name;
  const extendedSource = spec.summary?.trim()
    ? text === spec.summary.trim()
      ? ""
      : text
    : text.split("\n").slice(1).join("\n");
  const extended = extendedSource
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n")
    .replace(/^\n+|\n+$/g, "");
  const members = [
    "debian-binary",
    "control.tar.gz",
    `data.tar${{ gzip: ".gz", xz: ".xz", zstd: ".zst", none: "", bzip2: ".bz2" }[options.compression?.algo ?? "gzip"]}`,
  ];
  const info: ExpectedDebInfo = {
    format: "deb",
    name: spec.name,
    versionString,
    version: {
      upstream: v.upstream,
      ...(v.prerelease ? { prerelease: v.prerelease } : {}),
      ...(v.metadata ? { metadata: v.metadata } : {}),
      ...(v.epoch ? { epoch: v.epoch } : {}),
      ...(v.release ? { release: v.release } : {}),
    },
    archString: options.arch ?? DEB_ARCH[spec.arch],
    maintainer: spec.maintainer ?? "Unset Maintainer <unset@localhost>",
    summary,
    priority: spec.priority ?? "optional",
    installedSize: kib * 1024,
    relations,
    // read back from the generated changelog; none is generated without docs or when the spec ships one
    changelog: gen.some((g) => g.path.startsWith(`${docDir}/changelog`))
      ? expectedChangelog(spec, versionString)
      : [],
    files,
    scripts,
    signatures: [],
    raw: { format: "deb", members },
  };
  // the reader maps the Debian name back; armhf is read as armv7, names outside the table give no arch
  const back = (Object.keys(DEB_ARCH) as Arch[]).find((a) => DEB_ARCH[a] === info.archString);
  if (back !== undefined) info.arch = back;
  if (extended !== "") info.description = extended;
  if (spec.homepage) info.homepage = spec.homepage;
  if (spec.section) info.section = spec.section;
  return info;
}
