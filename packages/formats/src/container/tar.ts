/**
 * tar: encoder and decoder side by side.
 *
 * Flavours written (the ustar and pax formats of POSIX pax(1); GNU tar src/tar.h; what dpkg lib/dpkg/tarfn.c,
 * libarchive and apk-tools src/io_archive.c apk_tar_parse accept):
 * - `gnu` (deb: dpkg rejects pax): magic "ustar  \0", GNU 'L'/'K' `././@LongLink` entries for names and
 *   link targets over 100 bytes, GNU base-256 for numbers past the octal range (size >= 8 GiB). The ustar
 *   prefix field is not used (GNU tar keeps other data there).
 * - `pax` (Arch, apk): magic "ustar\0" "00" on every header (apk rejects v7). An ASCII name that fits is
 *   written in the ustar fields, split into prefix/name at a "/" when it is over 100 bytes (GNU tar,
 *   libarchive and apk all honour the prefix); otherwise (non-ASCII, or no split fits) a pax 'x' entry
 *   carries `path`. Link targets over 100 bytes or non-ASCII go in pax `linkpath` (apk ignores 'K').
 *   Numbers past the octal range go in pax records with 0 in the field.
 * Checksums are written as 6 octal digits + NUL + space, as GNU tar and dpkg-deb do.
 *
 * The decoder reads v7, ustar (with prefix), GNU (L/K, base-256) and pax (x and g).
 */
import { ByteReader } from "../bytes/reader.ts";
import {
  collect,
  concatBytes,
  contentStream,
  decodeAscii,
  decodeUtf8,
  encodeAscii,
  encodeUtf8,
  isAscii,
  isZero,
} from "../bytes/bytes.ts";
import { FormatError, SpecError } from "../errors.ts";
import { entryBudget, type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";

/** `gnu` for deb (dpkg rejects pax), `pax` for Arch and apk. */
export type TarFlavour = "gnu" | "pax";

/** How an entry's headers were written, as seen by the decoder. */
export type TarFormat = "v7" | "ustar" | "gnu" | "pax";

/** One tar entry's metadata. */
export interface TarHeader {
  name: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  /** Permission bits (low 12 bits: setuid, setgid, sticky, rwx); the type is `type`. */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extra pax records (e.g. `APK-TOOLS.checksum.SHA1`); pax flavour only. On read: every record not mapped to a field. */
  pax?: Record<string, string>;
}

/** Block size of tar. */
export const TAR_BLOCK = 512;
/** The two zero blocks that end an archive. */
export const TAR_END_BLOCKS: Uint8Array = new Uint8Array(2 * TAR_BLOCK);

/**
 * Header field layout (offset, size) of a 512-byte tar header (POSIX pax(1) ustar; GNU tar src/tar.h
 * posix_header).
 */
export const TAR_FIELD = {
  name: { offset: 0, size: 100 },
  mode: { offset: 100, size: 8 },
  uid: { offset: 108, size: 8 },
  gid: { offset: 116, size: 8 },
  size: { offset: 124, size: 12 },
  mtime: { offset: 136, size: 12 },
  chksum: { offset: 148, size: 8 },
  typeflag: { offset: 156, size: 1 },
  linkname: { offset: 157, size: 100 },
  magic: { offset: 257, size: 6 },
  version: { offset: 263, size: 2 },
  uname: { offset: 265, size: 32 },
  gname: { offset: 297, size: 32 },
  devmajor: { offset: 329, size: 8 },
  devminor: { offset: 337, size: 8 },
  prefix: { offset: 345, size: 155 },
} as const;

type FieldName = keyof typeof TAR_FIELD;

/** "ustar\0" + "00": POSIX ustar and pax. */
const MAGIC_POSIX = encodeAscii("ustar\u000000");
/** "ustar " + " \0": GNU (and dpkg-deb). */
const MAGIC_GNU = encodeAscii("ustar  \u0000");
/** Name of GNU long-name/long-link pseudo entries (GNU tar src/create.c). */
const GNU_LONGLINK_NAME = "././@LongLink";
/** Name we give pax extended headers; readers ignore it, a fixed name keeps output deterministic. */
const PAX_HEADER_NAME = "././@PaxHeader";

const TYPEFLAG: Record<TarHeader["type"], string> = {
  file: "0",
  hardlink: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};

/** pax keys that map to header fields; a user may not set them through `pax`. */
const PAX_FIELD_KEYS = new Set(["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"]);

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? new Uint8Array(0) : new Uint8Array(TAR_BLOCK - rest);
}

// ---------------------------------------------------------------------------------------------------
// encode

/** Largest value an octal field of `size` bytes holds (size-1 digits and a terminator). */
function octalMax(size: number): number {
  return 8 ** (size - 1) - 1;
}

function putBytes(block: Uint8Array, field: FieldName, bytes: Uint8Array): void {
  const f = TAR_FIELD[field];
  block.set(bytes.subarray(0, f.size), f.offset);
}

/** Octal, zero-padded to size-1 digits, NUL-terminated ("0000644\0"), as GNU tar writes. */
function putOctal(block: Uint8Array, field: FieldName, value: number): void {
  const f = TAR_FIELD[field];
  putBytes(block, field, encodeAscii(`${value.toString(8).padStart(f.size - 1, "0")}\0`));
}

/** GNU base-256: first byte 0x80 (positive) or 0xff (negative, two's complement), then big-endian. */
function putBase256(block: Uint8Array, field: FieldName, value: number): void {
  const f = TAR_FIELD[field];
  let v = BigInt(value);
  if (v < 0n) v += 1n << BigInt(8 * f.size);
  for (let i = f.size - 1; i >= 0; i--) {
    block[f.offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  block[f.offset] = value < 0 ? 0xff : 0x80;
}

function computeChecksum(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  const c = TAR_FIELD.chksum;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= c.offset && i < c.offset + c.size ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

/** Writes the checksum as 6 octal digits + NUL + space (GNU tar, dpkg-deb). */
function sealBlock(block: Uint8Array): Uint8Array {
  const sum = computeChecksum(block).unsigned;
  putBytes(block, "chksum", encodeAscii(`${sum.toString(8).padStart(6, "0")}\0 `));
  return block;
}

function specError(field: string, message: string, found?: unknown): SpecError {
  return new SpecError("INVALID_FIELD", message, { field, found });
}

function checkInteger(
  h: TarHeader,
  key: "mode" | "uid" | "gid" | "size" | "mtime" | "devmajor" | "devminor",
): void {
  const v = h[key];
  if (v === undefined) return;
  if (!Number.isSafeInteger(v) || (key !== "mtime" && v < 0)) {
    throw specError(
      key,
      `tar header ${key} of ${JSON.stringify(h.name)} must be a ${key === "mtime" ? "" : "non-negative "}integer`,
      v,
    );
  }
}

interface RawHeader {
  name: Uint8Array;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: Uint8Array;
  uname?: Uint8Array;
  gname?: Uint8Array;
  prefix?: Uint8Array;
  devmajor?: number;
  devminor?: number;
}

/** Builds one 512-byte header block. Numbers outside the octal range: base-256 (gnu) or 0 (pax, with records). */
function encodeBlock(r: RawHeader, flavour: TarFlavour): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  putBytes(block, "name", r.name);
  putOctal(block, "mode", r.mode);
  for (const key of ["uid", "gid", "size", "mtime"] as const) {
    const v = r[key];
    if (v >= 0 && v <= octalMax(TAR_FIELD[key].size)) putOctal(block, key, v);
    else if (flavour === "gnu") putBase256(block, key, v);
    else putOctal(block, key, 0);
  }
  block[TAR_FIELD.typeflag.offset] = r.typeflag.charCodeAt(0);
  if (r.linkname) putBytes(block, "linkname", r.linkname);
  // magic and version together: "ustar  \0" (GNU) or "ustar\0" "00" (POSIX)
  block.set(flavour === "gnu" ? MAGIC_GNU : MAGIC_POSIX, TAR_FIELD.magic.offset);
  if (r.uname) putBytes(block, "uname", r.uname);
  if (r.gname) putBytes(block, "gname", r.gname);
  if (r.devmajor !== undefined) putOctal(block, "devmajor", r.devmajor);
  if (r.devminor !== undefined) putOctal(block, "devminor", r.devminor);
  if (r.prefix) putBytes(block, "prefix", r.prefix);
  return sealBlock(block);
}

/** A header block plus its data, padded: used for `././@LongLink` and pax entries. */
function encodeExtension(
  name: string,
  typeflag: string,
  data: Uint8Array,
  mtime: number,
  flavour: TarFlavour,
): Uint8Array {
  // GNU tar writes its LongLink entries with mode 0644, ids 0 and mtime 0
  const ext: RawHeader = {
    name: encodeAscii(name),
    typeflag,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: data.length,
    mtime,
  };
  if (flavour === "pax") {
    ext.devmajor = 0;
    ext.devminor = 0;
  }
  const head = encodeBlock(ext, flavour);
  const out = new Uint8Array(TAR_BLOCK + data.length + tarPadding(data.length).length);
  out.set(head, 0);
  out.set(data, TAR_BLOCK);
  return out;
}

/** One pax record "<len> <key>=<value>\n", where len counts the whole record including itself. */
function paxRecord(key: string, value: string): Uint8Array {
  const body = encodeUtf8(` ${key}=${value}\n`);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return encodeUtf8(`${len}${decodeUtf8(body)}`);
}

/**
 * Splits an ASCII name over 100 bytes into ustar prefix (<= 155) and name (<= 100) at the first "/" that
 * leaves a name that fits, as GNU tar does (src/create.c split_long_name), so our headers match its bytes.
 */
function splitUstar(name: string): { prefix: string; name: string } | undefined {
  if (name.length <= 100) return { prefix: "", name };
  for (let i = Math.max(1, name.length - 101); i <= Math.min(155, name.length - 2); i++) {
    if (name[i] === "/") return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  return undefined;
}

/**
 * Encodes one entry's header as one or more 512-byte blocks (long-name/pax entries first, then the
 * ustar header). Content and its padding are not included. Deterministic.
 */
export function encodeTarHeader(h: TarHeader, flavour: TarFlavour): Uint8Array {
  if (h.name.length === 0) throw specError("name", "tar entry name must not be empty", h.name);
  if (h.name.includes("\0")) throw specError("name", "tar entry name must not contain NUL", h.name);
  for (const k of ["mode", "uid", "gid", "size", "mtime", "devmajor", "devminor"] as const)
    checkInteger(h, k);
  if (h.mode > 0o7777) throw specError("mode", `tar mode ${h.mode.toString(8)} has bits above 07777`, h.mode);
  const typeflag = TYPEFLAG[h.type];
  if (typeflag === undefined)
    throw specError("type", `unknown tar entry type ${JSON.stringify(h.type)}`, h.type);
  if ((h.type === "symlink" || h.type === "hardlink") && !h.linkname) {
    throw specError("linkname", `tar ${h.type} ${JSON.stringify(h.name)} needs a linkname`);
  }
  // GNU tar leaves the device fields NUL in gnu format for non-devices; POSIX writers always fill them
  const withDevice = h.type === "char" || h.type === "block" || flavour === "pax";
  const devmajor = withDevice ? (h.devmajor ?? 0) : undefined;
  const devminor = withDevice ? (h.devminor ?? 0) : undefined;
  for (const [k, v] of [
    ["devmajor", devmajor],
    ["devminor", devminor],
  ] as const) {
    if (v !== undefined && v > octalMax(8)) throw specError(k, `tar ${k} ${v} does not fit the header`, v);
  }
  const nameBytes = encodeUtf8(h.name);
  const linkBytes = encodeUtf8(h.linkname ?? "");
  const unameBytes = encodeUtf8(h.uname ?? "");
  const gnameBytes = encodeUtf8(h.gname ?? "");
  const parts: Uint8Array[] = [];
  const raw: RawHeader = {
    name: nameBytes,
    typeflag,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
    linkname: linkBytes,
    uname: unameBytes,
    gname: gnameBytes,
  };
  if (devmajor !== undefined) raw.devmajor = devmajor;
  if (devminor !== undefined) raw.devminor = devminor;
  const extMtime = h.mtime >= 0 && h.mtime <= octalMax(12) ? h.mtime : 0;

  if (flavour === "gnu") {
    if (h.pax && Object.keys(h.pax).length > 0) {
      throw new SpecError(
        "UNSUPPORTED_FEATURE",
        "pax records cannot be written in the gnu tar flavour (dpkg rejects pax headers)",
        {
          field: "pax",
          found: Object.keys(h.pax),
        },
      );
    }
    for (const [k, b] of [
      ["uname", unameBytes],
      ["gname", gnameBytes],
    ] as const) {
      if (b.length > 32) throw specError(k, `tar ${k} ${JSON.stringify(h[k])} is over 32 bytes`, h[k]);
    }
    // GNU tar src/create.c: the pseudo entry's data is the full name plus a NUL, counted in its size.
    if (nameBytes.length > 100) {
      parts.push(encodeExtension(GNU_LONGLINK_NAME, "L", concat0(nameBytes), 0, flavour));
      raw.name = nameBytes.subarray(0, 100);
    }
    if (linkBytes.length > 100) {
      parts.push(encodeExtension(GNU_LONGLINK_NAME, "K", concat0(linkBytes), 0, flavour));
      raw.linkname = linkBytes.subarray(0, 100);
    }
  } else {
    const records = new Map<string, string>();
    const split = isAscii(h.name) ? splitUstar(h.name) : undefined;
    if (split) {
      raw.name = encodeAscii(split.name);
      if (split.prefix) raw.prefix = encodeAscii(split.prefix);
    } else {
      records.set("path", h.name);
      raw.name = nameBytes.subarray(0, 100);
    }
    if (linkBytes.length > 100 || !isAscii(h.linkname ?? "")) {
      records.set("linkpath", h.linkname ?? "");
      raw.linkname = linkBytes.subarray(0, 100);
    }
    if (h.size > octalMax(12)) records.set("size", String(h.size));
    if (h.uid > octalMax(8)) records.set("uid", String(h.uid));
    if (h.gid > octalMax(8)) records.set("gid", String(h.gid));
    for (const k of ["uname", "gname"] as const) {
      const v = h[k] ?? "";
      if (v.length > 0 && (!isAscii(v) || v.length > 32)) {
        records.set(k, v);
        raw[k] = new Uint8Array(0);
      }
    }
    if (h.mtime < 0 || h.mtime > octalMax(12)) records.set("mtime", String(h.mtime));
    for (const key of Object.keys(h.pax ?? {}).sort()) {
      if (PAX_FIELD_KEYS.has(key)) {
        throw specError(
          `pax.${key}`,
          `pax record ${key} is derived from the header; set the header field instead`,
          key,
        );
      }
      if (key.length === 0 || key.includes("=") || key.includes("\0")) {
        throw specError(
          `pax.${key}`,
          `pax record key ${JSON.stringify(key)} must be non-empty without "=" or NUL`,
          key,
        );
      }
      records.set(key, h.pax![key]!);
    }
    if (records.size > 0) {
      const data = concatBytes([...records].map(([k, v]) => paxRecord(k, v)));
      parts.push(encodeExtension(PAX_HEADER_NAME, "x", data, extMtime, flavour));
    }
  }
  const block = encodeBlock(raw, flavour);
  if (parts.length === 0) return block; // the usual case: no copy on the writer's hot path
  parts.push(block);
  return concatBytes(parts);
}

function concat0(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** One entry to write: header and, for files, content of exactly `header.size` bytes. */
export interface TarWriteEntry {
  header: TarHeader;
  content?: Uint8Array | ByteSource;
}

/** Options of {@link writeTar}. */
export interface WriteTarOptions {
  flavour: TarFlavour;
  /** Write the two zero end blocks (default true). apk's signature and control segments leave them out. */
  end?: boolean;
}

/** Entries up to this size are yielded as one chunk: header, content and padding together. */
const SMALL_ENTRY_BYTES = 64 * 1024;

/** Streams a tar archive: headers, content (streamed from its source) and padding, in entry order. */
export async function* writeTar(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
  opts: WriteTarOptions,
): AsyncGenerator<Uint8Array> {
  for await (const e of entries) {
    const head = encodeTarHeader(e.header, opts.flavour);
    const size = e.header.size;
    if (size <= SMALL_ENTRY_BYTES) {
      // One chunk per small entry (header, content, padding): with thousands of small files, the
      // per-chunk cost of every consumer downstream (hashing, rechunking, compression) dominates.
      const out = new Uint8Array(head.length + size + ((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK));
      out.set(head, 0);
      if (e.content instanceof Uint8Array && e.content.length === size) out.set(e.content, head.length);
      else if (size > 0 || e.content !== undefined) {
        let at = head.length;
        for await (const c of contentStream(e.content, size, e.header.name)) {
          out.set(c, at);
          at += c.length;
        }
      }
      yield out;
      continue;
    }
    yield head;
    yield* contentStream(e.content, size, e.header.name);
    const pad = tarPadding(size);
    if (pad.length > 0) yield pad;
  }
  if (opts.end !== false) yield TAR_END_BLOCKS;
}

// ---------------------------------------------------------------------------------------------------
// decode

/** One decoded entry. The body is skipped automatically when the consumer moves to the next entry. */
export interface TarEntry {
  header: TarHeader;
  /** How the entry was written: v7, ustar, gnu (GNU magic) or pax (an 'x' or earlier 'g' header applied). */
  format: TarFormat;
  /** Offset of the entry's first header block (its long-name or pax block if any). */
  offset: number;
  /** Streams the content; callable once, before moving on. */
  body(): AsyncIterable<Uint8Array>;
  /** Collects the content (subject to maxUnpackedBytes). */
  bytes(): Promise<Uint8Array>;
}

/** Options of {@link readTar}. */
export interface ReadTarOptions {
  limits?: Partial<ReadLimits>;
  /**
   * Accept input that ends at an entry boundary without the two zero blocks (default false). Off by
   * default because a cut there is indistinguishable from a truncated archive; apk segments need it.
   */
  allowMissingEnd?: boolean;
}

function fieldBytes(block: Uint8Array, field: FieldName): Uint8Array {
  const f = TAR_FIELD[field];
  return block.subarray(f.offset, f.offset + f.size);
}

/** Bytes of a string field up to its first NUL. */
function cString(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z === -1 ? b : b.subarray(0, z);
}

/** UTF-8 when valid, else Latin-1 (one character per byte), so non-UTF-8 names from old tools still read. */
function decodeName(b: Uint8Array): string {
  try {
    return decodeUtf8(b);
  } catch {
    return decodeAscii(b);
  }
}

function badHeader(message: string, offset: number, extra: Record<string, unknown> = {}): FormatError {
  return new FormatError("BAD_HEADER", `${message} (tar header at offset ${offset})`, { offset, ...extra });
}

/**
 * Reads an octal (spaces/NUL terminated) or GNU base-256 number. Base-256 can say anything from -2^95 to
 * 2^95: only mtime may be negative (a date before 1970, GNU tar src/list.c); every field must fit a
 * safe integer.
 */
function parseNumber(block: Uint8Array, field: FieldName, headerOffset: number): number {
  const b = fieldBytes(block, field);
  const first = b[0]!;
  if (first & 0x80) {
    if (first !== 0x80 && first !== 0xff) {
      throw badHeader(`${field} has an unknown base-256 marker 0x${first.toString(16)}`, headerOffset, {
        field,
        found: first,
      });
    }
    let v = 0n;
    for (const byte of b) v = (v << 8n) | BigInt(byte);
    const bits = BigInt(8 * b.length);
    v = first === 0xff ? BigInt.asIntN(Number(bits), v) : v - (0x80n << (bits - 8n));
    const min = field === "mtime" ? -Number.MAX_SAFE_INTEGER : 0;
    if (v < BigInt(min) || v > BigInt(Number.MAX_SAFE_INTEGER)) {
      const expected = `a number from ${min} to ${Number.MAX_SAFE_INTEGER}`;
      throw badHeader(`${field} field holds ${v} in GNU base-256; expected ${expected}`, headerOffset, {
        field,
        expected,
        found: v.toString(),
      });
    }
    return Number(v);
  }
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0)) {
    if (b[i] === 0) {
      // an all-NUL field (GNU writes NUL devmajor/devminor)
      if (isZero(b.subarray(i))) return 0;
    }
    i++;
  }
  let v = 0;
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) {
      throw badHeader(`${field} field is not octal: ${JSON.stringify(decodeAscii(b))}`, headerOffset, {
        field,
        found: decodeAscii(b),
      });
    }
    v = v * 8 + (c - 0x30);
  }
  if (!Number.isSafeInteger(v)) throw badHeader(`${field} value is out of range`, headerOffset, { field });
  return v;
}

/** Parses pax records "<len> <key>=<value>\n". */
function parsePax(data: Uint8Array, offset: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const lenText = decodeAscii(data.subarray(pos, sp));
    const len = /^[0-9]+$/.test(lenText) ? Number(lenText) : Number.NaN;
    if (!(len > sp - pos + 1) || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw badHeader(`malformed pax record at byte ${pos} of the extended header`, offset, {
        found: lenText,
      });
    }
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw badHeader(`pax record at byte ${pos} has no key=value`, offset);
    let key: string;
    let value: string;
    try {
      key = decodeUtf8(rec.subarray(0, eq));
      value = decodeUtf8(rec.subarray(eq + 1));
    } catch (cause) {
      throw new FormatError(
        "BAD_HEADER",
        `pax record at byte ${pos} is not UTF-8 (tar header at offset ${offset})`,
        { offset },
        { cause },
      );
    }
    if (value === "") out.delete(key);
    else out.set(key, value);
    pos += len;
  }
  return out;
}

function paxNumber(
  records: Map<string, string>,
  key: string,
  offset: number,
  allowFraction = false,
): number | undefined {
  const v = records.get(key);
  if (v === undefined) return undefined;
  const re = allowFraction ? /^-?[0-9]+(\.[0-9]*)?$/ : /^[0-9]+$/;
  const n = re.test(v) ? Math.floor(Number(v)) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw badHeader(`pax record ${key}=${JSON.stringify(v)} is not a valid number`, offset, {
      field: key,
      found: v,
    });
  return n;
}

const TYPE_BY_FLAG: Record<string, TarHeader["type"]> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

function verifyChecksum(block: Uint8Array, offset: number): void {
  const stored = parseNumber(block, "chksum", offset);
  const { unsigned, signed } = computeChecksum(block);
  if (stored !== unsigned && stored !== signed) {
    throw new FormatError(
      "BAD_CHECKSUM",
      `tar header checksum mismatch at offset ${offset}: stored ${stored.toString(8)}, computed ${unsigned.toString(8)}`,
      { offset, expected: unsigned, found: stored },
    );
  }
}

function magicOf(block: Uint8Array): "gnu" | "ustar" | "v7" {
  const m = block.subarray(TAR_FIELD.magic.offset, TAR_FIELD.magic.offset + 8);
  if (m.every((b, i) => b === MAGIC_GNU[i])) return "gnu";
  if (m.subarray(0, 6).every((b, i) => b === MAGIC_POSIX[i])) return "ustar";
  return "v7";
}

/**
 * Reads a tar stream entry by entry (v7, ustar, GNU, pax). Verifies header checksums, enforces limits,
 * stops at the end blocks (a lone zero block followed by end of input is accepted). However it stops (end
 * blocks, an error, or the consumer leaving early) it returns `input`'s iterator, so a decompressor
 * feeding it is closed rather than left suspended; a caller that must read on after the end blocks passes
 * an iterable whose iterator has no `return`.
 */
export async function* readTar(
  input: AsyncIterable<Uint8Array>,
  opts: ReadTarOptions = {},
): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(input);
  try {
    yield* readEntries(reader, opts);
  } finally {
    // The input is no longer needed; a failure while closing it says nothing about the tar.
    await reader.close().catch(() => undefined);
  }
}

async function* readEntries(reader: ByteReader, opts: ReadTarOptions): AsyncGenerator<TarEntry> {
  const limits = resolveLimits(opts.limits);
  let globals = new Map<string, string>();
  let sawGlobal = false;
  const count = entryBudget(limits, "tar");
  let bodyEnd = 0;
  // pending extensions for the next real entry
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let entryStart: number | undefined;

  while (true) {
    if (reader.offset < bodyEnd) await reader.skip(bodyEnd - reader.offset);
    const offset = reader.offset;
    const block = await reader.readUpTo(TAR_BLOCK);
    const pending = pax !== undefined || longName !== undefined || longLink !== undefined;
    if (block.length === 0) {
      if (opts.allowMissingEnd && !pending) return;
      throw new FormatError(
        "TRUNCATED",
        `tar input ended at offset ${offset} without the end-of-archive blocks`,
        { offset },
      );
    }
    if (block.length < TAR_BLOCK) {
      throw new FormatError(
        "TRUNCATED",
        `tar header at offset ${offset} is cut short: ${block.length} of 512 bytes`,
        {
          offset: offset + block.length,
        },
      );
    }
    if (isZero(block)) {
      if (pending) throw badHeader("extended header is not followed by an entry", offset);
      const second = await reader.readUpTo(TAR_BLOCK);
      if (!isZero(second)) throw badHeader("a zero block is followed by data", offset + TAR_BLOCK);
      return;
    }
    verifyChecksum(block, offset);
    entryStart ??= offset;
    const flag = String.fromCharCode(block[TAR_FIELD.typeflag.offset]!);
    const size = parseNumber(block, "size", offset);
    const dataStart = reader.offset;
    bodyEnd = dataStart + size + tarPadding(size).length;

    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > limits.maxHeaderBytes) {
        throw new FormatError(
          "LIMIT_HEADER_BYTES",
          `tar extended header at offset ${offset} has ${size} bytes, over the limit of ${limits.maxHeaderBytes}`,
          {
            offset,
            expected: limits.maxHeaderBytes,
            found: size,
          },
        );
      }
      const data = await reader.read(size);
      if (flag === "x") pax = new Map([...(pax ?? []), ...parsePax(data, offset)]);
      else if (flag === "g") {
        globals = new Map([...globals, ...parsePax(data, offset)]);
        sawGlobal = true;
        entryStart = undefined;
      } else {
        const text = decodeName(cString(data));
        if (flag === "L") longName = text;
        else longLink = text;
      }
      continue;
    }

    let type = TYPE_BY_FLAG[flag];
    if (type === undefined) {
      throw new FormatError(
        "UNSUPPORTED",
        `unsupported tar entry type ${JSON.stringify(flag)} at offset ${offset}`,
        { offset, found: flag },
      );
    }
    const magic = magicOf(block);
    const records = new Map([...globals, ...(pax ?? [])]);
    let name = decodeName(cString(fieldBytes(block, "name")));
    if (magic === "ustar") {
      const prefix = cString(fieldBytes(block, "prefix"));
      if (prefix.length > 0) name = `${decodeName(prefix)}/${name}`;
    }
    name = records.get("path") ?? longName ?? name;
    // v7 archives mark directories by a trailing slash on a regular-file entry
    if (type === "file" && name.endsWith("/")) type = "dir";
    const linkname =
      records.get("linkpath") ?? longLink ?? decodeName(cString(fieldBytes(block, "linkname")));
    const header: TarHeader = {
      name,
      type,
      mode: parseNumber(block, "mode", offset) & 0o7777,
      uid: paxNumber(records, "uid", offset) ?? parseNumber(block, "uid", offset),
      gid: paxNumber(records, "gid", offset) ?? parseNumber(block, "gid", offset),
      size: paxNumber(records, "size", offset) ?? size,
      mtime: paxNumber(records, "mtime", offset, true) ?? parseNumber(block, "mtime", offset),
    };
    if (magic !== "v7") {
      const uname = records.get("uname") ?? decodeName(cString(fieldBytes(block, "uname")));
      const gname = records.get("gname") ?? decodeName(cString(fieldBytes(block, "gname")));
      if (uname) header.uname = uname;
      if (gname) header.gname = gname;
    }
    if (type === "symlink" || type === "hardlink") header.linkname = linkname;
    if (type === "char" || type === "block") {
      header.devmajor = parseNumber(block, "devmajor", offset);
      header.devminor = parseNumber(block, "devminor", offset);
    }
    const extra: Record<string, string> = {};
    for (const [k, v] of records) if (!PAX_FIELD_KEYS.has(k)) extra[k] = v;
    if (Object.keys(extra).length > 0) header.pax = extra;
    const format: TarFormat = pax !== undefined || sawGlobal ? "pax" : magic;
    const first = entryStart;
    pax = undefined;
    longName = undefined;
    longLink = undefined;
    entryStart = undefined;

    if (header.size !== size) bodyEnd = dataStart + header.size + tarPadding(header.size).length;
    count(name, header.size, first);
    const body = reader.entryBody(dataStart, header.size, `tar entry ${JSON.stringify(name)}`);
    yield { header, format, offset: first, body, bytes: () => collect(body()) };
  }
}

/**
 * Normalises an archive member name to a relative path: strips leading "./" and "/", drops "." and empty
 * segments and a trailing "/"; rejects ".." segments with FormatError UNSAFE_PATH. The root ("./") gives "".
 */
export function normalizeMemberPath(name: string, offset: number): string {
  const segments: string[] = [];
  for (const s of name.split("/")) {
    if (s === "" || s === ".") continue;
    if (s === "..") {
      throw new FormatError(
        "UNSAFE_PATH",
        `member name ${JSON.stringify(name)} at offset ${offset} contains a ".." segment`,
        {
          offset,
          path: name,
        },
      );
    }
    segments.push(s);
  }
  return segments.join("/");
}
