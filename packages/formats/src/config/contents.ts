/**
 * nfpm's `contents:` list: parsed and checked when the config loads, turned into PackageSpec entries
 * per packager (globbing, trees, symlinks found on disk, file_info, umask) when it is resolved.
 */
import { SpecError } from "../errors.ts";
import { normalizeDestination } from "../spec/path.ts";
import { compareBytes, sortBytewise, sortByPath } from "../spec/order.ts";
import { type Entry, type EntryFlags, type Principal, ROOT } from "../spec/types.ts";
import { expandEnv } from "./expand.ts";
import { checkKeys, invalid, isNull, readBool, readMap, readOctal, readString, readTime } from "./fields.ts";
import type { ConfigHost, HostStat } from "../source/host.ts";
import { CONTENT_KEYS, FILE_INFO_KEYS } from "./keys.ts";
import { basename, dirname, relativeTo, resolvePath } from "./posix-path.ts";
import type { ConfigNode } from "./tree.ts";

export interface FileInfo {
  mode?: number;
  owner?: string;
  group?: string;
  mtime?: number;
  lang?: string;
}

/** One `contents[]` item as written (after `expand`). */
export interface ContentItem {
  field: string;
  src?: string;
  dst: string;
  type: string;
  packager?: string;
  fileInfo: FileInfo;
}

const TYPES = new Set(CONTENT_KEYS.type!.enum);
/** Types nfpm keeps only for rpm (files.go isRelevantForPackager). */
const RPM_ONLY = new Set(["ghost", "doc", "license", "licence", "readme"]);

/** Parses `contents` (a list) into items; `expand: true` items get `$VAR` expansion in src and dst. */
export function parseContents(
  node: ConfigNode,
  field: string,
  env: Record<string, string | undefined>,
): ContentItem[] {
  if (isNull(node)) return [];
  if (node.kind !== "seq") throw invalid(node, field, "a list of { src, dst, type }");
  return node.items.map((itemNode, i) => {
    const f = `${field}[${i}]`;
    const m = readMap(itemNode, f);
    checkKeys(m, CONTENT_KEYS, f);
    const get = (k: string) => {
      const n = m.entries.get(k);
      return n === undefined || isNull(n) ? undefined : readString(n, `${f}.${k}`);
    };
    const expandNode = m.entries.get("expand");
    const expand = expandNode !== undefined && !isNull(expandNode) && readBool(expandNode, `${f}.expand`);
    const x = (s: string | undefined) => (s === undefined || !expand ? s : expandEnv(s, env).trim());
    const type = get("type") ?? "";
    if (!TYPES.has(type)) {
      throw new SpecError(
        "INVALID_FIELD",
        `${f}.type: unknown type "${type}"; expected one of ${[...TYPES].filter(Boolean).join(", ")}`,
        {
          field: `${f}.type`,
          found: type,
        },
      );
    }
    const dst = x(get("dst"));
    if (dst === undefined || dst === "") {
      throw new SpecError("MISSING_FIELD", `${f}.dst: every contents item needs a destination`, {
        field: `${f}.dst`,
      });
    }
    const item: ContentItem = { field: f, dst, type: type === "" ? "file" : type, fileInfo: {} };
    const src = x(get("src"));
    if (src !== undefined && src !== "") item.src = src;
    const packager = get("packager");
    if (packager !== undefined && packager !== "") item.packager = packager;
    const fiNode = m.entries.get("file_info");
    if (fiNode !== undefined) item.fileInfo = parseFileInfo(fiNode, `${f}.file_info`);
    if (item.src === undefined && !["dir", "ghost"].includes(item.type)) {
      throw new SpecError("MISSING_FIELD", `${f}.src: a "${item.type}" entry needs a src`, {
        field: `${f}.src`,
      });
    }
    // Fail early on destinations that can never be valid.
    normalizeDestination(item.dst.replace(/\/+$/, "") || "/x", `${f}.dst`);
    return item;
  });
}

function parseFileInfo(node: ConfigNode, field: string): FileInfo {
  const m = readMap(node, field);
  checkKeys(m, FILE_INFO_KEYS, field);
  const fi: FileInfo = {};
  for (const [k, v] of m.entries) {
    if (isNull(v)) continue;
    const f = `${field}.${k}`;
    if (k === "mode") {
      const mode = readOctal(v, f);
      if (mode > 0o7777) throw invalid(v, f, "permission bits between 0 and 0o7777");
      // nfpm treats 0 as "not set" (Go zero value).
      if (mode !== 0) fi.mode = mode;
    } else if (k === "mtime") fi.mtime = readTime(v, f);
    else if (k === "owner" || k === "group" || k === "lang") {
      const s = readString(v, f);
      if (s !== "") fi[k] = s;
    }
  }
  return fi;
}

export interface ResolveContentsOptions {
  /** Names this build answers to in `packager:` (format id and config key). */
  packagers: readonly string[];
  /** True when building rpm: ghost/doc/license/readme items are kept (nfpm drops them elsewhere). */
  rpm: boolean;
  umask: number;
  disableGlobbing: boolean;
  baseDir: string;
  host: ConfigHost;
}

/** Turns content items into spec entries for one packager. Entries are sorted by path. */
export async function resolveContents(
  items: readonly ContentItem[],
  o: ResolveContentsOptions,
): Promise<Entry[]> {
  const out = new Map<string, { entry: Entry; field: string }>();
  const add = (entry: Entry, field: string) => {
    const prev = out.get(entry.path);
    if (prev) {
      throw new SpecError(
        "DUPLICATE_PATH",
        `${field}: destination ${entry.path} is already used by ${prev.field}`,
        { field, path: entry.path, found: prev.field },
      );
    }
    out.set(entry.path, { entry, field });
  };
  for (const item of items) {
    if (item.packager !== undefined && !o.packagers.includes(item.packager)) continue;
    if (RPM_ONLY.has(item.type) && !o.rpm) continue;
    for (const e of await resolveItem(item, o)) add(e, item.field);
  }
  // A file or symlink cannot also be the parent directory of another entry.
  for (const [path, { entry, field }] of out) {
    if (entry.type === "dir") continue;
    for (let p = dirname(path); p !== "/"; p = dirname(p)) {
      const parent = out.get(p);
      if (parent && parent.entry.type !== "dir") {
        throw new SpecError(
          "DUPLICATE_PATH",
          `${field}: ${path} needs ${p} to be a directory, but ${parent.field} puts a ${parent.entry.type} there`,
          { field, path: p, found: parent.field },
        );
      }
    }
  }
  return sortByPath([...out.values()].map((v) => v.entry));
}

function principal(name: string | undefined): Principal {
  // nfpm only carries names; ids stay 0 (root) unless the name is root's anyway. Root is the one frozen
  // ROOT (two fresh objects per entry were 3 MiB of a 50,000-file tree).
  return name === undefined || name === "root" ? ROOT : { name, id: 0 };
}

function flagsOf(type: string): EntryFlags | undefined {
  const parts = type.split("|").filter((p) => p !== "tree");
  const flags: EntryFlags = {};
  if (parts[0] === "config") flags.config = true;
  if (parts.includes("noreplace")) flags.noreplace = true;
  if (parts.includes("missingok")) flags.missingok = true;
  if (type === "doc" || type === "readme") flags.doc = true;
  if (type === "license" || type === "licence") flags.license = true;
  if (type === "ghost") flags.ghost = true;
  return Object.keys(flags).length === 0 ? undefined : flags;
}

function base(item: ContentItem, path: string, mode: number) {
  const e: { path: string; mode: number; owner: Principal; group: Principal; mtime?: number; lang?: string } =
    {
      path,
      mode,
      owner: principal(item.fileInfo.owner),
      group: principal(item.fileInfo.group),
    };
  if (item.fileInfo.mtime !== undefined) e.mtime = item.fileInfo.mtime;
  if (item.fileInfo.lang !== undefined) e.lang = item.fileInfo.lang;
  return e;
}

function joinDst(dst: string, rel: string): string {
  return rel === "" ? dst : `${dst.replace(/\/+$/, "")}/${rel}`;
}

async function resolveItem(item: ContentItem, o: ResolveContentsOptions): Promise<Entry[]> {
  const f = item.field;
  const dstPath = () => normalizeDestination(item.dst, `${f}.dst`);
  const flags = flagsOf(item.type);
  const withFlags = <E extends Entry>(e: E): E => (flags ? { ...e, flags: { ...flags } } : e);
  const srcAbs = item.src === undefined ? undefined : resolvePath(o.baseDir, item.src);

  if (item.type === "symlink") {
    return [withFlags({ ...base(item, dstPath(), 0o777), type: "symlink", target: item.src! })];
  }
  if (item.type === "ghost") {
    const empty = { size: 0, async *open() {} };
    return [
      withFlags({ ...base(item, dstPath(), item.fileInfo.mode ?? 0o644), type: "file", content: empty }),
    ];
  }
  if (item.type === "dir") {
    let mode = item.fileInfo.mode ?? 0o755;
    if (srcAbs !== undefined && item.fileInfo.mode === undefined) {
      const st = await mustExist(srcAbs, item, o);
      mode = st.mode & ~o.umask;
    }
    return [{ ...base(item, dstPath(), mode), type: "dir" }];
  }
  if (item.type.endsWith("tree")) {
    const st = await mustExist(srcAbs!, item, o);
    if (st.type !== "dir")
      throw invalid(
        { kind: "scalar", text: item.src!, value: item.src, quoted: false, pos: { line: 0, col: 0 } },
        `${f}.src`,
        "a directory for type tree",
      );
    const root = item.dst.replace(/\/+$/, "") === "" ? undefined : dstPath();
    const entries: Entry[] = [];
    if (root !== undefined)
      entries.push({ ...base(item, root, item.fileInfo.mode ?? st.mode & ~o.umask), type: "dir" });
    const dst = item.dst.replace(/\/+$/, "");
    const dstField = `${f}.dst`;
    for (const w of await walk(srcAbs!, o.host)) {
      const path = normalizeDestination(w.rel === "" ? item.dst : `${dst}/${w.rel}`, dstField);
      entries.push(await entryFor(item, path, w.abs, w.stat, o, flags));
    }
    return entries;
  }

  // Regular files: a glob, a directory (its files, structure kept) or one file.
  const globbing = !o.disableGlobbing && o.host.isGlob(item.src!);
  let matches: string[];
  let prefix: string | undefined;
  if (globbing) {
    matches = (await o.host.glob(item.src!, o.baseDir)).sort(compareBytes);
    if (matches.length === 0) {
      throw new SpecError(
        "GLOB_NO_MATCH",
        `${f}.src: the pattern "${item.src}" matches no file (relative to ${o.baseDir})`,
        {
          field: `${f}.src`,
          path: srcAbs ?? "",
        },
      );
    }
  } else {
    await mustExist(srcAbs!, item, o);
    matches = [srcAbs!];
    prefix = srcAbs!;
  }
  // A matched directory stands for every file below it (nfpm's MatchDirectoryIncludesContents);
  // `dir/**/*` matches both the directory and its files, so keep each file once.
  const found = new Map<string, HostStat>();
  const links: string[] = [];
  for (const m of matches) {
    const st = await o.host.lstat(m);
    if (st === undefined) continue;
    // The glob follows links to find them; what lies behind a matched link belongs to its target.
    if (links.some((l) => m.startsWith(`${l}/`))) continue;
    if (st.type === "symlink") links.push(m);
    if (st.type !== "dir") found.set(m, st);
    else for (const w of await walk(m, o.host)) if (w.stat.type !== "dir") found.set(w.abs, w.stat);
  }
  const files = sortBytewise(
    [...found].map(([abs, stat]) => ({ abs, stat })),
    (f) => f.abs,
  );
  if (files.length === 0) {
    throw new SpecError("GLOB_NO_MATCH", `${f}.src: "${item.src}" contains no file`, {
      field: `${f}.src`,
      path: srcAbs ?? "",
    });
  }
  // nfpm: destinations are relative to the source itself, or for a glob to the directory holding the
  // longest common prefix of the matches.
  if (prefix === undefined) {
    // Go's filepath.Dir: the part before the last `/` (so ".../share/" gives ".../share").
    const lcp = commonPrefix(files.map((x) => x.abs));
    prefix = lcp.slice(0, lcp.lastIndexOf("/")) || "/";
  }
  const entries: Entry[] = [];
  for (const file of files) {
    const rel = relativeTo(prefix, file.abs) ?? basename(file.abs);
    const dst =
      rel === ""
        ? item.dst.endsWith("/")
          ? joinDst(item.dst, basename(file.abs))
          : item.dst
        : joinDst(item.dst, rel);
    entries.push(await entryFor(item, normalizeDestination(dst, `${f}.dst`), file.abs, file.stat, o, flags));
  }
  return entries;
}

async function entryFor(
  item: ContentItem,
  path: string,
  abs: string,
  st: HostStat,
  o: ResolveContentsOptions,
  flags: EntryFlags | undefined,
): Promise<Entry> {
  if (st.type === "symlink") {
    return { ...base(item, path, 0o777), type: "symlink", target: await o.host.readlink(abs) };
  }
  const mode = item.fileInfo.mode ?? st.mode & ~o.umask;
  if (st.type === "dir") return { ...base(item, path, mode), type: "dir" };
  if (st.type !== "file") {
    throw new SpecError(
      "INVALID_FIELD",
      `${item.field}.src: ${abs} is neither a file, a directory nor a symlink`,
      {
        field: `${item.field}.src`,
        path: abs,
      },
    );
  }
  const e: Entry = { ...base(item, path, mode), type: "file", content: await o.host.file(abs, st.size) };
  if (flags) e.flags = { ...flags };
  return e;
}

async function mustExist(abs: string, item: ContentItem, o: ResolveContentsOptions): Promise<HostStat> {
  const st = await o.host.stat(abs);
  if (st === undefined) {
    throw new SpecError(
      "MISSING_SOURCE",
      `${item.field}.src: ${item.src} does not exist (looked for ${abs})`,
      {
        field: `${item.field}.src`,
        path: abs,
      },
    );
  }
  return st;
}

/** lstat calls in flight at once while walking a folder (each one a thread-pool round trip). */
const WALK_BATCH = 64;

/**
 * Every file, link and directory below `dir` (not `dir` itself), depth first, sorted per directory. The
 * entries of a folder are lstat'ed a batch at a time (the order of the result does not change), and the
 * result is one array filled in place: no spread of a subtree's entries, which overflows the stack past
 * ~100,000 of them.
 */
async function walk(
  dir: string,
  host: ConfigHost,
  rel = "",
  out: { abs: string; rel: string; stat: HostStat }[] = [],
): Promise<{ abs: string; rel: string; stat: HostStat }[]> {
  const names = await host.readdir(dir);
  for (let i = 0; i < names.length; i += WALK_BATCH) {
    const batch = names.slice(i, i + WALK_BATCH);
    const stats = await Promise.all(batch.map((name) => host.lstat(`${dir}/${name}`)));
    for (const [j, name] of batch.entries()) {
      const st = stats[j];
      if (st === undefined) continue;
      const abs = `${dir}/${name}`;
      const r = rel === "" ? name : `${rel}/${name}`;
      out.push({ abs, rel: r, stat: st });
      if (st.type === "dir") await walk(abs, host, r, out);
    }
  }
  return out;
}

function commonPrefix(paths: readonly string[]): string {
  let p = paths[0] ?? "";
  for (const s of paths) {
    let i = 0;
    while (i < p.length && i < s.length && p[i] === s[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}
