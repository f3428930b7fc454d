/**
 * The main header as PackageInfo: the file arrays as rows (DIRNAMES or the old OLDFILENAMES layout), and
 * the neutral metadata plus what RPM-MD indexes need verbatim in `raw` (SOURCERPM, BUILDHOST, the
 * uncompressed payload size, every dependency list with its flags) and the changelog.
 */
import { FormatError } from "../errors.ts";
import type { HashAlgo } from "../hash/index.ts";
import type { FileInfo, PackageInfo, RawInfo, SignatureInfo } from "../info/types.ts";
import type { EntryFlags, ScriptKind } from "../spec/types.ts";
import { archFromRpm } from "./arch.ts";
import { readChangelog } from "./changelog-info.ts";
import { readDependencies, relationsOf } from "./deps-info.ts";
import { type DecodedHeader, headerNumbers, headerString, headerStrings } from "./header.ts";
import { SCRIPT_SLOTS } from "./scripts.ts";
import { FILE_FLAG, TAG } from "./tags.ts";

/** FILEDIGESTALGO values (rpm include/rpm/rpmpgp.h `pgpHashAlgo`) the reader can check. */
export const DIGEST_NAMES: Record<number, HashAlgo> = { 1: "md5", 2: "sha1", 8: "sha256", 10: "sha512" };

/** One file of the header's parallel arrays. */
export interface FileRow {
  path: string;
  mode: number;
  size: number;
  mtime: number;
  digest: string;
  linkTo: string;
  flags: number;
  user: string;
  group: string;
  inode: number;
  device: number;
  lang: string;
}

/** The header's file arrays as rows; throws when the arrays disagree or the count is over `maxEntries`. */
export function fileRows(h: DecodedHeader, maxEntries: number): FileRow[] {
  let paths: string[];
  const basenames = headerStrings(h, TAG.BASENAMES);
  if (basenames !== undefined) {
    const dirnames = headerStrings(h, TAG.DIRNAMES) ?? [];
    const dirindexes = headerNumbers(h, TAG.DIRINDEXES) ?? [];
    paths = basenames.map((b, i) => {
      const d = dirnames[dirindexes[i] ?? -1];
      if (d === undefined)
        throw new FormatError(
          "BAD_HEADER",
          `rpm header: file ${i} (${b}) has no directory (DIRINDEXES ${dirindexes[i]} of ${dirnames.length})`,
          { found: dirindexes[i] },
        );
      return d + b;
    });
  } else {
    paths = headerStrings(h, TAG.OLDFILENAMES) ?? [];
  }
  if (paths.length > maxEntries)
    throw new FormatError(
      "LIMIT_ENTRIES",
      `rpm header lists ${paths.length} files, over the limit of ${maxEntries}`,
      { found: paths.length },
    );
  const sizes = headerNumbers(h, TAG.LONGFILESIZES) ?? headerNumbers(h, TAG.FILESIZES) ?? [];
  const modes = headerNumbers(h, TAG.FILEMODES) ?? [];
  const mtimes = headerNumbers(h, TAG.FILEMTIMES) ?? [];
  const digests = headerStrings(h, TAG.FILEDIGESTS) ?? [];
  const links = headerStrings(h, TAG.FILELINKTOS) ?? [];
  const flags = headerNumbers(h, TAG.FILEFLAGS) ?? [];
  const users = headerStrings(h, TAG.FILEUSERNAME) ?? [];
  const groups = headerStrings(h, TAG.FILEGROUPNAME) ?? [];
  const inodes = headerNumbers(h, TAG.FILEINODES) ?? [];
  const devices = headerNumbers(h, TAG.FILEDEVICES) ?? [];
  const langs = headerStrings(h, TAG.FILELANGS) ?? [];
  for (const [name, arr] of [
    ["FILESIZES", sizes],
    ["FILEMODES", modes],
  ] as const) {
    if (paths.length > 0 && arr.length !== paths.length) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm header: ${name} has ${arr.length} elements for ${paths.length} files`,
        { found: arr.length, expected: paths.length },
      );
    }
  }
  return paths.map((path, i) => ({
    path,
    mode: modes[i]!,
    size: sizes[i]!,
    mtime: mtimes[i] ?? 0,
    digest: digests[i] ?? "",
    linkTo: links[i] ?? "",
    flags: flags[i] ?? 0,
    user: users[i] ?? "root",
    group: groups[i] ?? "root",
    inode: inodes[i] ?? i + 1,
    device: devices[i] ?? 1,
    lang: langs[i] ?? "",
  }));
}

function entryFlagsOf(flags: number): EntryFlags | undefined {
  const f: EntryFlags = {};
  if (flags & FILE_FLAG.CONFIG) f.config = true;
  if (flags & FILE_FLAG.NOREPLACE) f.noreplace = true;
  if (flags & FILE_FLAG.MISSINGOK) f.missingok = true;
  if (flags & FILE_FLAG.DOC) f.doc = true;
  if (flags & FILE_FLAG.LICENSE) f.license = true;
  if (flags & FILE_FLAG.GHOST) f.ghost = true;
  return Object.keys(f).length > 0 ? f : undefined;
}

/** The PackageInfo of a verified rpm whose main header `h` spans `at.headerStart` to `at.payloadStart`. */
export function packageInfoOf(
  h: DecodedHeader,
  at: { headerStart: number; payloadStart: number },
  rows: FileRow[],
  signatures: SignatureInfo[],
  artifact: PackageInfo["artifact"],
  headerSha256: string,
  archiveSize: number,
): PackageInfo {
  const name = headerString(h, TAG.NAME) ?? "";
  const version = headerString(h, TAG.VERSION) ?? "";
  const release = headerString(h, TAG.RELEASE) ?? "";
  const epoch = headerNumbers(h, TAG.EPOCH)?.[0];
  if (name === "" || version === "")
    throw new FormatError("BAD_HEADER", "rpm header: NAME or VERSION missing", {
      offset: at.headerStart,
    });
  const archString = headerString(h, TAG.ARCH) ?? "";
  const v = /^([^~+]*)(?:~([^+]*))?(?:\+(.*))?$/.exec(version)!;
  const structured: PackageInfo["version"] = { upstream: v[1] || version };
  if (v[2] !== undefined) structured.prerelease = v[2];
  if (v[3] !== undefined) structured.metadata = v[3];
  if (release !== "") structured.release = release;
  if (epoch !== undefined) structured.epoch = epoch;
  const firstOfSet = new Map<string, string>();
  const files: FileInfo[] = rows.map((r) => {
    const kind = r.mode & 0o170000;
    let type: FileInfo["type"] =
      kind === 0o040000
        ? "dir"
        : kind === 0o120000
          ? "symlink"
          : kind === 0o020000
            ? "char"
            : kind === 0o060000
              ? "block"
              : kind === 0o010000
                ? "fifo"
                : "file";
    let target: string | undefined = kind === 0o120000 ? r.linkTo : undefined;
    if (type === "file" && !(r.flags & FILE_FLAG.GHOST)) {
      const key = `${r.device}:${r.inode}`;
      const first = firstOfSet.get(key);
      if (first === undefined) firstOfSet.set(key, r.path);
      else {
        type = "hardlink";
        target = first;
      }
    }
    const f: FileInfo = {
      path: r.path,
      type,
      mode: r.mode & 0o7777,
      owner: { name: r.user, id: r.user === "root" ? 0 : -1 },
      group: { name: r.group, id: r.group === "root" ? 0 : -1 },
      size: r.size,
      mtime: r.mtime,
      digests: {},
    };
    if (target !== undefined) f.target = target;
    if (r.digest !== "") {
      const algo = DIGEST_NAMES[headerNumbers(h, TAG.FILEDIGESTALGO)?.[0] ?? 1];
      if (algo !== undefined) f.digests[algo] = r.digest;
    }
    const flags = entryFlagsOf(r.flags);
    if (flags !== undefined) f.flags = flags;
    if (r.lang !== "") f.lang = r.lang;
    return f;
  });
  const scripts: PackageInfo["scripts"] = {};
  for (const slot of SCRIPT_SLOTS) {
    const body = headerString(h, slot.body);
    const prog = headerStrings(h, slot.prog);
    if (body === undefined && prog === undefined) continue;
    const s: { interpreter?: string; body: string } = { body: body ?? "" };
    if (prog !== undefined) s.interpreter = prog.join(" ");
    scripts[slot.kind as ScriptKind] = s;
  }
  const dependencies = readDependencies(h);
  const raw: RawInfo & { format: "rpm" } = {
    format: "rpm",
    headerStart: at.headerStart,
    headerEnd: at.payloadStart,
    headerSha256,
    archiveSize,
    dependencies,
  };
  const sourcerpm = headerString(h, TAG.SOURCERPM);
  if (sourcerpm !== undefined) raw.sourcerpm = sourcerpm;
  const buildhost = headerString(h, TAG.BUILDHOST);
  if (buildhost !== undefined) raw.buildhost = buildhost;
  const info: PackageInfo = {
    format: "rpm",
    name,
    versionString: `${epoch !== undefined ? `${epoch}:` : ""}${version}-${release}`,
    version: structured,
    archString,
    relations: relationsOf(dependencies, name),
    changelog: readChangelog(h),
    files,
    scripts,
    signatures,
    artifact,
    raw,
  };
  const arch = archFromRpm(archString);
  if (arch !== undefined) info.arch = arch;
  const opt: [keyof PackageInfo, number][] = [
    ["maintainer", TAG.PACKAGER],
    ["summary", TAG.SUMMARY],
    ["description", TAG.DESCRIPTION],
    ["license", TAG.LICENSE],
    ["homepage", TAG.URL],
    ["vendor", TAG.VENDOR],
    ["section", TAG.GROUP],
  ];
  for (const [key, tag] of opt) {
    const s = headerString(h, tag);
    if (s !== undefined && s !== "") (info as unknown as Record<string, unknown>)[key] = s;
  }
  const size = headerNumbers(h, TAG.LONGSIZE)?.[0] ?? headerNumbers(h, TAG.SIZE)?.[0];
  if (size !== undefined) info.installedSize = size;
  const built = headerNumbers(h, TAG.BUILDTIME)?.[0];
  if (built !== undefined) info.buildDate = built;
  return info;
}
