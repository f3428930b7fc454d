/**
 * The sync databases pacman downloads: `<repo>.db` (a folder `<name>-<version>/` per package holding
 * `desc`) and `<repo>.files` (the same plus `files`), each a gzip-compressed tar, as repo-add writes its
 * `<repo>.db.tar.gz` and `<repo>.files.tar.gz`. Deterministic: entries sorted by name, folders before their
 * files, root-owned, dated by the package's build date (0 without one), gzip without name or time.
 */
import { compressBytes } from "@packyard/formats/compress";
import { type TarHeader, type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import { compareByteOrder } from "./byte-order.ts";
import { pacmanDescText, pacmanFilesText } from "./desc.ts";
import type { PacmanEntry } from "./types.ts";

/** Options of {@link buildPacmanDatabases}. */
export interface PacmanDatabaseOptions {
  /** Embed each package's detached signature as `%PGPSIG%` (repo-add ≥ 7 `--include-sigs`; 6.x always did). */
  includeSignatures: boolean;
}

/** The two compressed databases. */
export interface PacmanDatabases {
  /** `<repo>.db`: `desc` per package. */
  db: Uint8Array;
  /** `<repo>.files`: `desc` and `files` per package. */
  files: Uint8Array;
}

/** The largest mtime the ustar field holds without a pax record. */
const MAX_OCTAL_MTIME = 0o77777777777;

const encoder = new TextEncoder();

/** The entry's tar mtime: `.PKGINFO` builddate when it is a plain decimal the header holds, else 0. */
function mtimeOf(entry: PacmanEntry): number {
  const b = entry.info.builddate;
  if (b === undefined || !/^[0-9]{1,12}$/.test(b)) return 0;
  const n = Number(b);
  return n <= MAX_OCTAL_MTIME ? n : 0;
}

function header(name: string, type: "dir" | "file", size: number, mtime: number): TarHeader {
  return {
    name,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: "root",
    gname: "root",
    size,
    mtime,
  };
}

function fileMember(name: string, text: string, mtime: number): TarWriteEntry {
  const content = encoder.encode(text);
  return { header: header(name, "file", content.length, mtime), content };
}

/** Entries by name, then (for callers that give one name twice) version, file name and digest. */
function sorted(entries: readonly PacmanEntry[]): PacmanEntry[] {
  return [...entries].sort(
    (a, b) =>
      compareByteOrder(a.info.name, b.info.name) ||
      compareByteOrder(a.info.version, b.info.version) ||
      compareByteOrder(a.filename, b.filename) ||
      compareByteOrder(a.sha256, b.sha256),
  );
}

async function gzipTar(members: TarWriteEntry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const c of writeTar(members, { flavour: "pax" })) {
    parts.push(c);
    size += c.length;
  }
  const tar = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    tar.set(p, at);
    at += p.length;
  }
  return compressBytes(tar, { algo: "gzip" });
}

/**
 * Builds `<repo>.db` and `<repo>.files` from the entries (one per package name; pacman lists one version
 * per name): tar archives of `<name>-<version>/` folders holding `desc` (and `files` in the files
 * database), gzip-compressed. Same entries in any order give the same bytes. No entries give valid empty
 * databases.
 * @example const { db, files } = await buildPacmanDatabases(entries, { includeSignatures: false });
 */
export async function buildPacmanDatabases(
  entries: readonly PacmanEntry[],
  options: PacmanDatabaseOptions,
): Promise<PacmanDatabases> {
  const db: TarWriteEntry[] = [];
  const files: TarWriteEntry[] = [];
  for (const entry of sorted(entries)) {
    const folder = `${entry.info.name}-${entry.info.version}`;
    const mtime = mtimeOf(entry);
    const dir: TarWriteEntry = { header: header(`${folder}/`, "dir", 0, mtime) };
    const desc = fileMember(`${folder}/desc`, pacmanDescText(entry, options.includeSignatures), mtime);
    db.push(dir, desc);
    files.push(dir, desc, fileMember(`${folder}/files`, pacmanFilesText(entry.info), mtime));
  }
  return { db: await gzipTar(db), files: await gzipTar(files) };
}
