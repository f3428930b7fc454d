/**
 * What the RPM-MD documents need of one rpm, taken from its PackageInfo the way createrepo_c takes it
 * from the header (src/parsehdr.c `cr_package_from_header`): the package's own fields, its dependency
 * lists filtered and split as createrepo_c does, every path typed, and the changelog cut and ordered as
 * other.xml lists it. Pure: the result is stored in the repository state and the documents are rebuilt
 * from it alone.
 */
import type { ChangelogInfo, FileInfo, PackageInfo, RpmDependencies, RpmDependency } from "@packyard/formats";
import { compareRpmVersions } from "@packyard/formats/rpm";
import { RepoError } from "../errors.ts";
import type { RpmDepEntry, RpmDepLists, RpmIndexInfo } from "../publish/state.ts";
import { isPrimaryFile } from "./primary.ts";
import { codePointName, findForbiddenXmlChar } from "./xml.ts";

/** Options of {@link rpmIndexInfo}. */
export interface RpmIndexInfoOptions {
  /**
   * Where the main header starts in the file as stored (96 + signature header size). Default: where it
   * started in the file read; a package re-signed at publish has a new signature header, so give it.
   */
  headerStart?: number;
  /** Changelog entries kept (createrepo_c `--changelog-limit`, default 10); the newest are kept. */
  changelogLimit: number;
}

// RPMSENSE bits (rpm include/rpm/rpmds.h `rpmsenseFlags_e`).
const SENSE_POSTTRANS = 1 << 5;
const SENSE_PREREQ = 1 << 6;
const SENSE_PRETRANS = 1 << 7;
const SENSE_SCRIPT_PRE = 1 << 9;
const SENSE_SCRIPT_POST = 1 << 10;
/** Old SUSE/Mandriva weak requirement: createrepo_c (built with legacy weak deps, the default) lists it under recommends. */
const SENSE_MISSINGOK = 1 << 19;

/**
 * A requirement needed before its package's scriptlets run: `pre="1"`. createrepo_c ≥ 1.1.1 counts
 * PRETRANS and POSTTRANS too (commit f02f17a); 0.x counted PREREQ, SCRIPT_PRE and SCRIPT_POST only.
 */
const PRE_BITS = SENSE_PREREQ | SENSE_SCRIPT_PRE | SENSE_SCRIPT_POST | SENSE_PRETRANS | SENSE_POSTTRANS;

/** The comparison of a flags word as primary.xml spells it; none for 0 and for impossible mixes (src/misc.c `cr_flag_to_str`). */
function comparison(flags: number): RpmDepEntry["flags"] {
  switch (flags & 0xf) {
    case 2:
      return "LT";
    case 4:
      return "GT";
    case 8:
      return "EQ";
    case 10:
      return "LE";
    case 12:
      return "GE";
    default:
      return undefined;
  }
}

/** What strtol(3) consumes entirely: optional blanks, an optional sign, decimal digits. */
const STRTOL_NUMBER = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/;

/**
 * Splits a dependency's `[E:]V[-R]` as createrepo_c does (src/misc.c `cr_str_to_evr`): the epoch is what
 * precedes the first `:` when strtol reads all of it ("0" when there is no colon or nothing before it),
 * the version runs to the first `-` after that, the release is the rest. Returns undefined for a
 * non-numeric epoch: createrepo_c then leaves the dependency out ("Bad epoch in version string").
 */
export function splitDependencyEvr(s: string): { epoch?: string; ver?: string; rel?: string } | undefined {
  if (s === "") return {};
  let epoch = "0";
  let rest = s;
  const colon = s.indexOf(":");
  if (colon >= 0) {
    const prefix = s.slice(0, colon);
    if (prefix !== "") {
      if (!STRTOL_NUMBER.test(prefix)) return undefined;
      epoch = prefix;
    }
    rest = s.slice(colon + 1);
  }
  const dash = rest.indexOf("-");
  if (dash < 0) return { epoch, ver: rest };
  const out: { epoch: string; ver: string; rel?: string } = { epoch, ver: rest.slice(0, dash) };
  const rel = rest.slice(dash + 1);
  if (rel !== "") out.rel = rel;
  return out;
}

/**
 * Which of two `libc.so.6(...)` requirements names the higher glibc symbol version (src/parsehdr.c
 * `cr_compare_dependency`): 0 same, 1 the first, 2 the second, -1 neither is comparable. The version is
 * read from the first digit inside the first parentheses; a name without parentheses loses.
 */
export function compareLibcDependency(a: string, b: string): -1 | 0 | 1 | 2 {
  if (a === b) return 0;
  const openA = a.indexOf("(");
  const openB = b.indexOf("(");
  if (openA < 0 && openB < 0) return 0;
  if (openA < 0) return 2;
  if (openB < 0) return 1;
  const closeA = a.indexOf(")", openA);
  const closeB = b.indexOf(")", openB);
  if (closeA < 0 && closeB < 0) return -1;
  if (closeA < 0) return 2;
  if (closeB < 0) return 1;
  let va = openA + 1;
  let vb = openB + 1;
  if (va === closeA && vb === closeB) return 0;
  if (va === closeA) return 2;
  if (vb === closeB) return 1;
  // The first digit may lie past the closing parenthesis (or nowhere): then there is no version.
  while (va < a.length && !(a[va]! >= "0" && a[va]! <= "9")) va++;
  while (vb < b.length && !(b[vb]! >= "0" && b[vb]! <= "9")) vb++;
  if (va > closeA && vb > closeB) return 0;
  if (va > closeA) return 2;
  if (vb > closeB) return 1;
  const r = compareRpmVersions(a.slice(va, closeA), b.slice(vb, closeB));
  return r < 0 ? 2 : r > 0 ? 1 : 0;
}

/** An entry as primary.xml writes it: epoch/ver/rel only with a comparison, since they are written only then. */
function entryOf(d: RpmDependency, evr: { epoch?: string; ver?: string; rel?: string }): RpmDepEntry {
  const e: RpmDepEntry = { name: d.name };
  const flags = comparison(d.flags);
  if (flags !== undefined) {
    e.flags = flags;
    if (evr.epoch) e.epoch = evr.epoch;
    if (evr.ver) e.ver = evr.ver;
    if (evr.rel) e.rel = evr.rel;
  }
  return e;
}

/**
 * The dependency lists as createrepo_c's parsehdr.c leaves them. Lists are read in its order (provides,
 * conflicts, obsoletes, requires, then the weak ones), so every provide is known when requires are read.
 * A requirement is left out when it starts with `rpmlib(`, names one of the package's own primary files,
 * equals one of its provides (name, comparison and version string, compared as createrepo_c's
 * concatenated key), or repeats the last kept requirement of that name with the same comparison,
 * version and pre. Of the `libc.so.6*` requirements only the highest glibc version is kept, and it goes
 * last. Any dependency whose version has a non-numeric epoch is dropped.
 */
function dependencyLists(deps: RpmDependencies, files: readonly FileInfo[]): RpmDepLists {
  const paths = new Set(files.map((f) => f.path));
  const provided = new Set<string>();
  const lastRequire = new Map<string, { flags: string; version: string; pre: boolean }>();
  const out: RpmDepLists = {
    provides: [],
    requires: [],
    conflicts: [],
    obsoletes: [],
    suggests: [],
    enhances: [],
    recommends: [],
    supplements: [],
  };
  const legacyRecommends: RpmDepEntry[] = [];
  let libcHighest: RpmDepEntry | undefined;
  const order = [
    "provides",
    "conflicts",
    "obsoletes",
    "requires",
    "suggests",
    "enhances",
    "recommends",
    "supplements",
  ] as const;
  for (const kind of order) {
    for (const d of deps[kind]) {
      const flags = comparison(d.flags) ?? "";
      // createrepo_c's key: name, comparison and version glued together without a separator.
      const key = d.name + flags + d.version;
      let pre = false;
      if (kind === "requires") {
        if (d.name.startsWith("rpmlib(")) continue;
        if (d.name.startsWith("/") && paths.has(d.name) && isPrimaryFile(d.name)) continue;
        if (provided.has(key)) continue;
        pre = (d.flags & PRE_BITS) !== 0;
        const last = lastRequire.get(d.name);
        if (last !== undefined && last.flags === flags && last.version === d.version && last.pre === pre)
          continue;
      }
      const evr = splitDependencyEvr(d.version);
      if (evr === undefined) continue;
      const entry = entryOf(d, evr);
      if (kind === "provides") provided.add(key);
      if (kind !== "requires") {
        out[kind].push(entry);
        continue;
      }
      if (d.flags & SENSE_MISSINGOK) {
        legacyRecommends.push(entry);
        continue;
      }
      if (pre) entry.pre = true;
      if (d.name.startsWith("libc.so.6")) {
        if (libcHighest === undefined || compareLibcDependency(libcHighest.name, d.name) === 2)
          libcHighest = entry;
        continue;
      }
      out.requires.push(entry);
      lastRequire.set(d.name, { flags, version: d.version, pre });
    }
  }
  if (libcHighest !== undefined) out.requires.push(libcHighest);
  out.recommends.unshift(...legacyRecommends);
  return out;
}

/** CHANGELOGNAME as the header has it: the reader splits off ` - <version>`, createrepo_c keeps it. */
function changelogName(c: ChangelogInfo): string {
  const name = c.version === undefined ? c.author : `${c.author} - ${c.version}`;
  // createrepo_c trims trailing spaces from the author, never its first character.
  let end = name.length;
  while (end > 1 && name[end - 1] === " ") end--;
  return name.slice(0, end);
}

/**
 * The changelog as other.xml lists it: the first `limit` entries of the header (rpmbuild stores them
 * newest first), written oldest first. When consecutive entries share a date, createrepo_c bumps the
 * newer ones by a second each so dates stay distinct (src/parsehdr.c "Ugly but works!").
 */
function changelogOf(entries: readonly ChangelogInfo[], limit: number): RpmIndexInfo["changelog"] {
  const list: RpmIndexInfo["changelog"] = [];
  let lastTime = 0;
  for (const c of entries.slice(0, limit)) {
    list.unshift({ author: changelogName(c), date: c.date, text: c.text });
    if (lastTime === c.date) {
      let t = c.date;
      for (let i = 1; i < list.length && list[i]!.date === t; i++) {
        list[i]!.date++;
        t++;
      }
    } else lastTime = c.date;
  }
  return list;
}

/** VERSION and RELEASE of the header, recovered exactly from `[E:]V-R` (the reader's versionString). */
function versionAndRelease(info: PackageInfo): { ver: string; rel: string } {
  let rest = info.versionString;
  if (info.version.epoch !== undefined) rest = rest.slice(`${info.version.epoch}:`.length);
  const rel = info.version.release ?? "";
  return { ver: rest.slice(0, rest.length - rel.length - 1), rel };
}

/** Refuses what createrepo_c refuses (C0 controls, src/xml_dump.c) and what XML cannot carry at all. */
function checkText(info: RpmIndexInfo, file: string): void {
  const fields: [string, string][] = [
    ["name", info.name],
    ["arch", info.arch],
    ["epoch", info.epoch],
    ["version", info.ver],
    ["release", info.rel],
    ["summary", info.summary],
    ["description", info.description],
    ["packager", info.packager],
    ["url", info.url],
    ["license", info.license],
    ["vendor", info.vendor],
    ["group", info.group],
    ["buildhost", info.buildhost],
    ["sourcerpm", info.sourcerpm],
  ];
  for (const [kind, list] of Object.entries(info.deps) as [string, RpmDepEntry[]][])
    for (const d of list)
      for (const v of [d.name, d.epoch, d.ver, d.rel])
        if (v !== undefined) fields.push([`${kind} ${d.name}`, v]);
  for (const f of info.files) fields.push(["file", f.path]);
  for (const c of info.changelog) fields.push(["changelog author", c.author], ["changelog text", c.text]);
  for (const [field, value] of fields) {
    const bad = findForbiddenXmlChar(value);
    if (bad !== undefined)
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${file}: the rpm's ${field} holds ${codePointName(bad.code)} (character ${bad.index} of ${JSON.stringify(value)}), which XML cannot carry; createrepo_c refuses such packages too`,
        { package: file, field, found: codePointName(bad.code), offset: bad.index },
      );
  }
}

/**
 * Everything primary, filelists and other need of an rpm, from its PackageInfo (of the file as stored,
 * so after signing). Throws RepoError CORRUPT_PACKAGE when `info` is not an rpm's, or when a field holds
 * a character XML 1.0 cannot carry.
 * @example rpmIndexInfo(await rpmFormat.read(source), { changelogLimit: 10 })
 */
export function rpmIndexInfo(info: PackageInfo, options: RpmIndexInfoOptions): RpmIndexInfo {
  const raw = info.raw;
  const file = `${info.name} ${info.versionString} ${info.archString}`;
  if (info.format !== "rpm" || raw.format !== "rpm")
    throw new RepoError(
      "CORRUPT_PACKAGE",
      `RPM-MD: expected the PackageInfo of an rpm, found a ${raw.format} package (${file})`,
      { expected: "rpm", found: raw.format },
    );
  const limit = options.changelogLimit;
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new RepoError(
      "INVALID_SETTING",
      `RPM-MD changelog limit: expected a whole number of entries (0 or more), found ${limit}`,
      { field: "changelogLimit", found: limit },
    );
  const start = options.headerStart ?? raw.headerStart;
  const { ver, rel } = versionAndRelease(info);
  const result: RpmIndexInfo = {
    name: info.name,
    // rpm's own test for a source package (headerIsSource): no SOURCERPM. createrepo_c reads
    // SOURCEPACKAGE, which rpmbuild sets exactly when it leaves SOURCERPM out.
    arch: raw.sourcerpm === undefined ? "src" : info.archString,
    epoch: String(info.version.epoch ?? 0),
    ver,
    rel,
    summary: info.summary ?? "",
    description: info.description ?? "",
    packager: info.maintainer ?? "",
    url: info.homepage ?? "",
    buildTime: info.buildDate ?? 0,
    installedSize: info.installedSize ?? 0,
    archiveSize: raw.archiveSize ?? 0,
    license: info.license ?? "",
    vendor: info.vendor ?? "",
    group: info.section ?? "",
    buildhost: raw.buildhost ?? "",
    sourcerpm: raw.sourcerpm ?? "",
    headerRange: { start, end: start + (raw.headerEnd - raw.headerStart) },
    deps: dependencyLists(raw.dependencies, info.files),
    // Header order; a directory is `dir` even when it is also a ghost (src/parsehdr.c tests S_ISDIR first).
    files: info.files.map((f) =>
      f.type === "dir"
        ? { path: f.path, type: "dir" }
        : f.flags?.ghost
          ? { path: f.path, type: "ghost" }
          : { path: f.path },
    ),
    changelog: changelogOf(info.changelog ?? [], limit),
  };
  checkText(result, file);
  return result;
}
