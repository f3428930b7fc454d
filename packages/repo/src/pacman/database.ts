/**
 * The sync databases pacman downloads: `<repo>.db` (a folder `<name>-<version>/` per package holding
 * `desc`) and `<repo>.files` (the same plus `files`), each a gzip-compressed tar, as repo-add writes its
 * `<repo>.db.tar.gz` and `<repo>.files.tar.gz`. Deterministic: entries sorted by name, folders before their
 * files, root-owned, dated by the package's build date (0 without one), gzip without name or time.
 */
import { createHash } from "node:crypto";
import { type TarHeader, type TarWriteEntry, writeTar } from "@packyard/formats/container/tar";
import { type GzipPieceTable, type GzipPrevious, gzipBytes, gzipItems, itemPieces } from "../gzip.ts";
import { collectBytes } from "../storage/read.ts";
import { compareByteOrder } from "./byte-order.ts";
import { pacmanDescText, pacmanFilesText } from "./desc.ts";
import type { PacmanEntry } from "./types.ts";

/** Options of {@link buildPacmanDatabases}. */
export interface PacmanDatabaseOptions {
  /** Embed each package's detached signature as `%PGPSIG%` (repo-add ≥ 7 `--include-sigs`; 6.x always did). */
  includeSignatures: boolean;
  /**
   * A database a previous build wrote, with its piece table, when the caller has it: its unchanged pieces
   * are copied instead of compressed again (the bytes are the same either way).
   */
  previous?: (which: "db" | "files") => Promise<GzipPrevious | undefined>;
}

/** The two compressed databases. */
export interface PacmanDatabases {
  /** `<repo>.db`: `desc` per package. */
  db: Uint8Array;
  /** `<repo>.files`: `desc` and `files` per package. */
  files: Uint8Array;
  /** How each was cut into gzip pieces (gzipItems), when it was: for the next build to copy the unchanged ones. */
  dbTable?: GzipPieceTable;
  filesTable?: GzipPieceTable;
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

/** The entry's package name and version (given beside its info, or its info's). */
const nameOf = (e: PacmanEntry): string => e.name ?? e.info.name;
const versionOf = (e: PacmanEntry): string => e.version ?? e.info.version;

/** Entries by name, then (for callers that give one name twice) version, file name and digest. */
function sorted(entries: readonly PacmanEntry[]): PacmanEntry[] {
  return [...entries].sort(
    (a, b) =>
      compareByteOrder(nameOf(a), nameOf(b)) ||
      compareByteOrder(versionOf(a), versionOf(b)) ||
      compareByteOrder(a.filename, b.filename) ||
      compareByteOrder(a.sha256, b.sha256),
  );
}

/** The uncompressed tar, through @packyard/formats' writer (any name). */
function tarOf(members: readonly TarWriteEntry[]): Promise<Uint8Array> {
  return collectBytes(writeTar(members, { flavour: "pax" }));
}

const BLOCK = 512;
/** A ustar header field as the formats' pax-flavour writer fills it: offset and size. */
const F = {
  mode: 100,
  uid: 108,
  gid: 116,
  size: 124,
  mtime: 136,
  chksum: 148,
  type: 156,
  magic: 257,
} as const;
const OWNER = encoder.encode("root");

/** Writes `value` in octal, zero-padded to `digits`, NUL-terminated, at `at`. */
function octal(block: Uint8Array, at: number, value: number, digits: number): void {
  for (let i = digits - 1, v = value; i >= 0; i--, v = Math.floor(v / 8)) block[at + i] = 0x30 + (v % 8);
  block[at + digits] = 0;
}

/** A name the ustar name field holds as it is: printable ASCII, 1-100 bytes. */
function plainName(name: string): boolean {
  return name.length > 0 && name.length <= 100 && /^[\x20-\x7e]+$/.test(name);
}

/**
 * The uncompressed tar of a database, written straight into one buffer: the bytes @packyard/formats'
 * `writeTar` (pax flavour) writes for these members — ustar headers (magic "ustar\0" "00", root-owned,
 * device fields 0, checksum as 6 octal digits, NUL, space), content padded to 512 bytes, two zero blocks —
 * without its per-entry work. Members whose name or numbers need a pax record or a prefix go through
 * `writeTar` instead (tarOf), which is what this reproduces for the rest.
 */
export function fastTar(members: readonly TarWriteEntry[]): Uint8Array | undefined {
  const body = tarMembers(members);
  if (body === undefined) return undefined;
  const out = new Uint8Array(body.length + END.length);
  out.set(body);
  return out;
}

/** The two zero blocks that end a tar. */
const END = new Uint8Array(2 * BLOCK);

/** {@link fastTar} without the end blocks: the members' headers and contents, or undefined as fastTar. */
function tarMembers(members: readonly TarWriteEntry[]): Uint8Array | undefined {
  let size = 0;
  for (const m of members) {
    const h = m.header;
    if (!plainName(h.name) || !(m.content === undefined || m.content instanceof Uint8Array)) return undefined;
    if (!Number.isSafeInteger(h.mtime) || h.mtime < 0 || h.mtime > 0o77777777777) return undefined;
    if ((h.type !== "dir" && h.type !== "file") || !Number.isInteger(h.mode) || h.mode < 0 || h.mode > 0o7777)
      return undefined;
    const length = m.content?.length ?? 0;
    if (length !== h.size || h.uname !== "root" || h.gname !== "root" || h.uid !== 0 || h.gid !== 0)
      return undefined;
    size += BLOCK + Math.ceil(length / BLOCK) * BLOCK;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const m of members) {
    const h = m.header;
    const block = out.subarray(at, at + BLOCK);
    encoder.encodeInto(h.name, block);
    octal(block, F.mode, h.mode, 7);
    octal(block, F.uid, 0, 7);
    octal(block, F.gid, 0, 7);
    octal(block, F.size, h.size, 11);
    octal(block, F.mtime, h.mtime, 11);
    block[F.type] = h.type === "dir" ? 0x35 : 0x30;
    block.set(MAGIC, F.magic);
    block.set(OWNER, 265);
    block.set(OWNER, 297);
    octal(block, 329, 0, 7);
    octal(block, 337, 0, 7);
    let sum = 8 * 0x20;
    for (let i = 0; i < BLOCK; i++) sum += block[i]!;
    octal(block, F.chksum, sum, 6);
    block[F.chksum + 7] = 0x20;
    at += BLOCK;
    if (m.content instanceof Uint8Array) {
      out.set(m.content, at);
      at += Math.ceil(m.content.length / BLOCK) * BLOCK;
    }
  }
  return out;
}

/** "ustar\0" then version "00". */
const MAGIC = new Uint8Array([0x75, 0x73, 0x74, 0x61, 0x72, 0, 0x30, 0x30]);

/** gzip's (and repo-add's) default level. */
const GZIP_LEVEL = 6;

/** Bumped whenever the text made of an entry changes, so that no piece made by the old text is copied. */
const TEXT_VERSION = "pacman-db-1";

/** What an entry's database text is made of, when the caller gives no `id`: its fields as JSON. */
function entryId(entry: PacmanEntry): Uint8Array {
  const { signature, ...rest } = entry;
  const sig = signature === undefined ? null : Buffer.from(signature).toString("base64");
  return encoder.encode(JSON.stringify([rest, sig]));
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
  const list = sorted(entries);
  const members = (entry: PacmanEntry, withFiles: boolean): TarWriteEntry[] => {
    const folder = `${entry.info.name}-${entry.info.version}`;
    const mtime = mtimeOf(entry);
    const out: TarWriteEntry[] = [
      { header: header(`${folder}/`, "dir", 0, mtime) },
      fileMember(`${folder}/desc`, pacmanDescText(entry, options.includeSignatures), mtime),
    ];
    if (withFiles) out.push(fileMember(`${folder}/files`, pacmanFilesText(entry.info), mtime));
    return out;
  };
  // Names the ustar header holds as they are (nearly always): each package's members are made only for
  // the pieces that changed (gzipItems). Otherwise the whole tar through @packyard/formats' writer.
  if (!list.every((e) => plainName(`${nameOf(e)}-${versionOf(e)}/files`))) {
    const [db, files] = await Promise.all(
      [false, true].map(async (withFiles) =>
        gzipBytes(await tarOf(list.flatMap((e) => members(e, withFiles))), GZIP_LEVEL),
      ),
    );
    return { db: db!, files: files! };
  }
  // Where pieces are cut: the package's SHA-256 (random, and stable while the package is); one set of
  // pieces, known by the entries' ids, for both databases.
  const pieces = itemPieces(
    list.map((entry) => {
      const id = entry.id ?? entryId(entry);
      const cut = /^[0-9a-f]{8}/.test(entry.sha256)
        ? entry.sha256
        : createHash("sha256").update(id).digest("hex");
      return { cut, id };
    }),
  );
  const [dbPrevious, filesPrevious] = await Promise.all([
    options.previous?.("db"),
    options.previous?.("files"),
  ]);
  const salt = `${TEXT_VERSION} signatures=${options.includeSignatures}`;
  const texts = (withFiles: boolean) => list.map((entry) => () => tarMembers(members(entry, withFiles))!);
  const [db, files] = await Promise.all([
    gzipItems(texts(false), pieces, { level: GZIP_LEVEL, close: END, previous: dbPrevious, salt }),
    gzipItems(texts(true), pieces, { level: GZIP_LEVEL, close: END, previous: filesPrevious, salt }),
  ]);
  const out: PacmanDatabases = { db: db.bytes, files: files.bytes };
  if (db.table !== undefined) out.dbTable = db.table;
  if (files.table !== undefined) out.filesTable = files.table;
  return out;
}
