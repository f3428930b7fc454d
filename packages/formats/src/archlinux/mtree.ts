/**
 * .MTREE: libarchive's mtree text (gzip'd in the package) listing every member with type, mode, owner,
 * time, size and digests. pacman takes the package's file list from it: a member missing here is skipped
 * at install ("file not found in file list"), so the writer lists every directory and file
 * (libalpm be_package.c build_filelist_from_mtree; the gap nfpm had, goreleaser/nfpm#638).
 */
import { decodeAscii, decodeUtf8, encodeUtf8 } from "../bytes/bytes.ts";
import { FormatError } from "../errors.ts";

/** One mtree line, as packyard models it. */
export interface MtreeEntry {
  /** Relative path without `./` (`usr/bin/foo`, `.PKGINFO`). */
  path: string;
  type: "file" | "dir" | "link";
  /** Permission bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  time: number;
  size?: number;
  md5?: string;
  sha256?: string;
  link?: string;
}

/** Defaults written in the `/set` line (makepkg's bsdtar use-set output). */
const SET = { type: "file", uid: 0, gid: 0, mode: 0o644 } as const;

/** libarchive-style escaping: bytes outside printable ASCII, space, `\`, `#` and `=` become `\ooo`. */
export function escapeMtreeName(name: string): string {
  let s = "";
  for (const b of encodeUtf8(name)) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x23 || b === 0x3d)
      s += `\\${b.toString(8).padStart(3, "0")}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** Reverses {@link escapeMtreeName} and libarchive's other escapes (`\\`, `\s`, `\t`, `\n`, `\ooo`). */
export function unescapeMtreeName(text: string, line: number): string {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      out.push(c & 0xff);
      continue;
    }
    const oct = /^[0-3][0-7]{2}/.exec(text.slice(i + 1, i + 4));
    if (oct) {
      out.push(Number.parseInt(oct[0], 8));
      i += 3;
      continue;
    }
    const next = text[i + 1];
    const simple: Record<string, number> = {
      "\\": 0x5c,
      s: 0x20,
      t: 0x09,
      n: 0x0a,
      r: 0x0d,
      a: 0x07,
      b: 0x08,
      f: 0x0c,
      v: 0x0b,
      "0": 0,
    };
    if (next !== undefined && simple[next] !== undefined) {
      out.push(simple[next]!);
      i += 1;
      continue;
    }
    throw new FormatError(
      "BAD_HEADER",
      `.MTREE line ${line}: bad escape in ${JSON.stringify(text.slice(0, 80))}`,
      { path: ".MTREE", line, found: text.slice(0, 200) },
    );
  }
  const bytes = Uint8Array.from(out);
  try {
    return decodeUtf8(bytes);
  } catch {
    return decodeAscii(bytes);
  }
}

/** Renders the mtree text (before gzip): `#mtree`, the `/set` line, then one line per entry in order. */
export function encodeMtree(entries: readonly MtreeEntry[]): string {
  let s = `#mtree\n/set type=${SET.type} uid=${SET.uid} gid=${SET.gid} mode=${SET.mode.toString(8)}\n`;
  for (const e of entries) {
    let line = `./${escapeMtreeName(e.path)} time=${e.time}.0`;
    if (e.mode !== SET.mode) line += ` mode=${e.mode.toString(8)}`;
    if (e.uid !== SET.uid) line += ` uid=${e.uid}`;
    if (e.gid !== SET.gid) line += ` gid=${e.gid}`;
    if (e.type !== SET.type) line += ` type=${e.type}`;
    if (e.size !== undefined) line += ` size=${e.size}`;
    if (e.md5 !== undefined) line += ` md5digest=${e.md5}`;
    if (e.sha256 !== undefined) line += ` sha256digest=${e.sha256}`;
    if (e.link !== undefined) line += ` link=${escapeMtreeName(e.link)}`;
    s += `${line}\n`;
  }
  return s;
}

function badLine(line: number, message: string, found: string): FormatError {
  return new FormatError("BAD_HEADER", `.MTREE line ${line}: ${message}`, {
    path: ".MTREE",
    line,
    found: found.slice(0, 200),
  });
}

function parseNumber(v: string, radix: 8 | 10, line: number, key: string): number {
  const re = radix === 8 ? /^[0-7]{1,7}$/ : /^[0-9]{1,15}$/;
  if (!re.test(v))
    throw badLine(line, `${key} must be a ${radix === 8 ? "octal" : "decimal"} number, found "${v}"`, v);
  return Number.parseInt(v, radix);
}

/**
 * Parses mtree text as written by bsdtar/makepkg or packyard: `/set`, `/unset`, `#` comments, entries with
 * type, mode, uid, gid, time, size, md5digest, sha256digest, link (other keywords are ignored, as pacman
 * ignores them). Entry names are returned relative (`./usr/bin` → `usr/bin`).
 */
export function decodeMtree(text: string, maxEntries: number): MtreeEntry[] {
  const out: MtreeEntry[] = [];
  let set: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!.trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const words = raw.split(/[ \t]+/);
    const first = words[0]!;
    const kv = (w: string): [string, string] => {
      const eq = w.indexOf("=");
      if (eq <= 0) throw badLine(n, `expected keyword=value, found "${w}"`, raw);
      return [w.slice(0, eq), w.slice(eq + 1)];
    };
    if (first === "/set") {
      for (const w of words.slice(1)) {
        const [k, v] = kv(w);
        set[k] = v;
      }
      continue;
    }
    if (first === "/unset") {
      if (words.includes("all")) set = {};
      else for (const w of words.slice(1)) delete set[w];
      continue;
    }
    if (first.startsWith("/")) throw badLine(n, `unknown command "${first}"`, raw);
    const keys: Record<string, string> = { ...set };
    for (const w of words.slice(1)) {
      const [k, v] = kv(w);
      keys[k] = v;
    }
    const name = unescapeMtreeName(first, n);
    const path = name.replace(/^\.\//, "").replace(/\/+$/, "");
    if (path === "" || path === ".") continue;
    const type = keys.type ?? "file";
    if (type !== "file" && type !== "dir" && type !== "link")
      throw badLine(n, `unsupported type "${type}" for ${JSON.stringify(path)}`, raw);
    const e: MtreeEntry = {
      path,
      type,
      mode:
        keys.mode === undefined
          ? type === "dir"
            ? 0o755
            : 0o644
          : parseNumber(keys.mode, 8, n, "mode") & 0o7777,
      uid: keys.uid === undefined ? 0 : parseNumber(keys.uid, 10, n, "uid"),
      gid: keys.gid === undefined ? 0 : parseNumber(keys.gid, 10, n, "gid"),
      time: keys.time === undefined ? 0 : parseNumber(keys.time.split(".")[0]!, 10, n, "time"),
    };
    if (keys.size !== undefined) e.size = parseNumber(keys.size, 10, n, "size");
    const md5 = keys.md5digest ?? keys.md5;
    const sha256 = keys.sha256digest ?? keys.sha256;
    if (md5 !== undefined) {
      if (!/^[0-9a-f]{32}$/.test(md5))
        throw badLine(n, `md5digest must be 32 hex digits, found "${md5}"`, raw);
      e.md5 = md5;
    }
    if (sha256 !== undefined) {
      if (!/^[0-9a-f]{64}$/.test(sha256))
        throw badLine(n, `sha256digest must be 64 hex digits, found "${sha256}"`, raw);
      e.sha256 = sha256;
    }
    if (keys.link !== undefined) e.link = unescapeMtreeName(keys.link, n);
    out.push(e);
    if (out.length > maxEntries) {
      throw new FormatError("LIMIT_ENTRIES", `.MTREE has more than ${maxEntries} entries`, {
        path: ".MTREE",
        expected: maxEntries,
      });
    }
  }
  return out;
}
