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
  contentSizeError,
  decodeAscii,
  decodeUtf8,
  encodeAscii,
  encodeUtf8,
  isAscii,
  isZero,
  utf8Length,
  writeAscii,
  writeUtf8,
} from "../bytes/bytes.ts";
import { Coalescer } from "../bytes/coalesce.ts";
import { writeOctalDigits } from "../bytes/digits.ts";
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

/** pax keys that map to header fields; a user may not set them through `pax`. */
const PAX_FIELD_KEYS = new Set(["path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime"]);

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? new Uint8Array(0) : new Uint8Array(TAR_BLOCK - rest);
}

// ---------------------------------------------------------------------------------------------------
// encode
//
// A header is written in place: octal digits straight into the block, names by an ASCII loop (or
// TextEncoder.encodeInto), the checksum summed once. writeTar writes headers, small contents and padding
// of many entries into one output block (bytes/coalesce.ts).

const NAME = TAR_FIELD.name.offset;
const MODE = TAR_FIELD.mode.offset;
const UID = TAR_FIELD.uid.offset;
const GID = TAR_FIELD.gid.offset;
const SIZE = TAR_FIELD.size.offset;
const MTIME = TAR_FIELD.mtime.offset;
const CHKSUM = TAR_FIELD.chksum.offset;
const TYPEFLAG_AT = TAR_FIELD.typeflag.offset;
const LINKNAME = TAR_FIELD.linkname.offset;
const MAGIC = TAR_FIELD.magic.offset;
const UNAME = TAR_FIELD.uname.offset;
const GNAME = TAR_FIELD.gname.offset;
const DEVMAJOR = TAR_FIELD.devmajor.offset;
const DEVMINOR = TAR_FIELD.devminor.offset;
const PREFIX = TAR_FIELD.prefix.offset;

/** Largest value an octal field of `size` bytes holds (size-1 digits and a terminator). */
function octalMax(size: number): number {
  return 8 ** (size - 1) - 1;
}
/** Largest value of the 8-byte fields (mode, uid, gid, devmajor, devminor): 0o7777777. */
const OCTAL_MAX_8 = octalMax(8);
/** Largest value of the 12-byte fields (size, mtime): 0o77777777777, 8 GiB - 1. */
const OCTAL_MAX_12 = octalMax(12);

/** The typeflag byte of a type, or -1 for an unknown one. */
function typeflagOf(type: TarHeader["type"]): number {
  switch (type) {
    case "file":
      return 0x30;
    case "hardlink":
      return 0x31;
    case "symlink":
      return 0x32;
    case "char":
      return 0x33;
    case "block":
      return 0x34;
    case "dir":
      return 0x35;
    case "fifo":
      return 0x36;
    default:
      return -1;
  }
}

/** Octal, zero-padded to size-1 digits, NUL-terminated ("0000644\0"), as GNU tar writes. */
function putOctal(out: Uint8Array, at: number, size: number, value: number): void {
  writeOctalDigits(out, at, size - 1, value);
  out[at + size - 1] = 0;
}

/** GNU base-256: first byte 0x80 (positive) or 0xff (negative, two's complement), then big-endian. */
function putBase256(out: Uint8Array, at: number, size: number, value: number): void {
  let v = BigInt(value);
  if (v < 0n) v += 1n << BigInt(8 * size);
  for (let i = size - 1; i >= 0; i--) {
    out[at + i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[at] = value < 0 ? 0xff : 0x80;
}

/** A number field: octal when it fits, else GNU base-256 (the pax flavour puts 0 and a record instead). */
function putNumber(out: Uint8Array, at: number, size: number, value: number, flavour: TarFlavour): void {
  if (value >= 0 && value <= (size === 8 ? OCTAL_MAX_8 : OCTAL_MAX_12)) putOctal(out, at, size, value);
  else if (flavour === "gnu") putBase256(out, at, size, value);
  else putOctal(out, at, size, 0);
}

/** Magic and version together: "ustar  \0" (GNU) or "ustar\0" "00" (POSIX). */
function putMagic(out: Uint8Array, at: number, flavour: TarFlavour): void {
  const m = flavour === "gnu" ? MAGIC_GNU : MAGIC_POSIX;
  for (let i = 0; i < 8; i++) out[at + MAGIC + i] = m[i]!;
}

/**
 * Sums the block with the checksum field counted as spaces and writes the sum as 6 octal digits + NUL +
 * space (GNU tar, dpkg-deb). Bytes are unsigned (POSIX); the largest sum, 0o377000, fits 6 digits.
 */
function sealHeader(out: Uint8Array, at: number): void {
  let sum = 8 * 0x20;
  for (let i = at, end = at + CHKSUM; i < end; i++) sum += out[i]!;
  for (let i = at + CHKSUM + 8, end = at + TAR_BLOCK; i < end; i++) sum += out[i]!;
  writeOctalDigits(out, at + CHKSUM, 6, sum);
  out[at + CHKSUM + 6] = 0;
  out[at + CHKSUM + 7] = 0x20;
}

/** The header's checksum both ways readers compute it: bytes unsigned (POSIX) and signed (old Sun tar). */
function computeChecksum(block: Uint8Array): { unsigned: number; signed: number } {
  let unsigned = 8 * 0x20;
  let high = 0; // bytes over 127, each 256 less when signed
  for (let i = 0; i < TAR_BLOCK; i++) {
    if (i === CHKSUM) i += 8;
    const b = block[i]!;
    unsigned += b;
    high += b >>> 7;
  }
  return { unsigned, signed: unsigned - 256 * high };
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

/** GNU tar leaves the device fields NUL in gnu format for non-devices; POSIX writers always fill them. */
function withDevice(h: TarHeader, flavour: TarFlavour): boolean {
  return h.type === "char" || h.type === "block" || flavour === "pax";
}

function hasKeys(o: Record<string, string> | undefined): boolean {
  if (o === undefined) return false;
  for (const _ in o) return true;
  return false;
}

/** Checks `h` for `flavour`; returns its typeflag byte. Throws SpecError naming the field. */
function checkHeader(h: TarHeader, flavour: TarFlavour): number {
  if (h.name.length === 0) throw specError("name", "tar entry name must not be empty", h.name);
  if (h.name.includes("\0")) throw specError("name", "tar entry name must not contain NUL", h.name);
  checkInteger(h, "mode");
  checkInteger(h, "uid");
  checkInteger(h, "gid");
  checkInteger(h, "size");
  checkInteger(h, "mtime");
  checkInteger(h, "devmajor");
  checkInteger(h, "devminor");
  if (h.mode > 0o7777) throw specError("mode", `tar mode ${h.mode.toString(8)} has bits above 07777`, h.mode);
  const typeflag = typeflagOf(h.type);
  if (typeflag < 0) throw specError("type", `unknown tar entry type ${JSON.stringify(h.type)}`, h.type);
  if ((h.type === "symlink" || h.type === "hardlink") && !h.linkname) {
    throw specError("linkname", `tar ${h.type} ${JSON.stringify(h.name)} needs a linkname`);
  }
  if (withDevice(h, flavour)) {
    for (const k of ["devmajor", "devminor"] as const) {
      const v = h[k] ?? 0;
      if (v > OCTAL_MAX_8) throw specError(k, `tar ${k} ${v} does not fit the header`, v);
    }
  }
  if (flavour === "gnu") {
    if (hasKeys(h.pax)) {
      throw new SpecError(
        "UNSUPPORTED_FEATURE",
        "pax records cannot be written in the gnu tar flavour (dpkg rejects pax headers)",
        { field: "pax", found: Object.keys(h.pax!) },
      );
    }
    for (const k of ["uname", "gname"] as const) {
      const v = h[k];
      // 10 characters are at most 30 bytes
      if (v !== undefined && v.length > 10 && utf8Length(v) > 32) {
        throw specError(k, `tar ${k} ${JSON.stringify(v)} is over 32 bytes`, v);
      }
    }
  } else if (h.pax !== undefined) {
    for (const key of Object.keys(h.pax).sort()) {
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
    }
  }
  return typeflag;
}

/**
 * Where an ASCII name over 100 bytes splits into ustar prefix (<= 155) and name (<= 100): the first "/"
 * that leaves a name that fits, as GNU tar does (src/create.c split_long_name), so our headers match its
 * bytes; -1 when none does.
 */
function ustarSplitAt(name: string): number {
  for (let i = Math.max(1, name.length - 101); i <= Math.min(155, name.length - 2); i++) {
    if (name.charCodeAt(i) === 0x2f) return i;
  }
  return -1;
}

/**
 * The usual case, in place: writes the header of a checked `h` as one block at `out[at..at+512)` (zero
 * before) when it needs no extension entry (GNU long name/link, pax records). Returns false, leaving
 * the block zero, when it does.
 */
function putPlainHeader(
  h: TarHeader,
  typeflag: number,
  flavour: TarFlavour,
  out: Uint8Array,
  at: number,
): boolean {
  const gnu = flavour === "gnu";
  if (!gnu) {
    // pax: numbers past the octal range, and any extra record, go in an extended header
    if (h.size > OCTAL_MAX_12 || h.uid > OCTAL_MAX_8 || h.gid > OCTAL_MAX_8) return false;
    if (h.mtime < 0 || h.mtime > OCTAL_MAX_12 || hasKeys(h.pax)) return false;
  }
  const name = h.name;
  const link = h.linkname ?? "";
  let fits: boolean;
  if (gnu) {
    fits =
      writeUtf8(name, out, at + NAME, 100) >= 0 &&
      (link === "" || writeUtf8(link, out, at + LINKNAME, 100) >= 0);
  } else {
    fits = writeAscii(name, out, at + NAME, 100) >= 0;
    if (!fits && name.length > 100 && isAscii(name)) {
      const cut = ustarSplitAt(name);
      fits = cut >= 0;
      if (fits) {
        writeAscii(name.slice(0, cut), out, at + PREFIX, 155);
        writeAscii(name.slice(cut + 1), out, at + NAME, 100);
      }
    }
    // pax: a link target over 100 bytes or not ASCII goes in linkpath; a uname or gname in records
    fits &&= link === "" || writeAscii(link, out, at + LINKNAME, 100) >= 0;
    fits &&= h.uname === undefined || h.uname === "" || writeAscii(h.uname, out, at + UNAME, 32) >= 0;
    fits &&= h.gname === undefined || h.gname === "" || writeAscii(h.gname, out, at + GNAME, 32) >= 0;
  }
  if (!fits) {
    out.fill(0, at, at + TAR_BLOCK);
    return false;
  }
  if (gnu) {
    // checked: at most 32 bytes
    if (h.uname !== undefined) writeUtf8(h.uname, out, at + UNAME, 32);
    if (h.gname !== undefined) writeUtf8(h.gname, out, at + GNAME, 32);
  }
  putOctal(out, at + MODE, 8, h.mode);
  putNumber(out, at + UID, 8, h.uid, flavour);
  putNumber(out, at + GID, 8, h.gid, flavour);
  putNumber(out, at + SIZE, 12, h.size, flavour);
  putNumber(out, at + MTIME, 12, h.mtime, flavour);
  out[at + TYPEFLAG_AT] = typeflag;
  putMagic(out, at, flavour);
  if (withDevice(h, flavour)) {
    putOctal(out, at + DEVMAJOR, 8, h.devmajor ?? 0);
    putOctal(out, at + DEVMINOR, 8, h.devminor ?? 0);
  }
  sealHeader(out, at);
  return true;
}

/** The fields of a header block whose strings are already bytes (extension entries, long names). */
interface RawHeader {
  name: Uint8Array;
  typeflag: number;
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

/** `bytes` cut to `size` at `out[at]`. */
function putBytes(out: Uint8Array, at: number, size: number, bytes: Uint8Array): void {
  out.set(bytes.length > size ? bytes.subarray(0, size) : bytes, at);
}

/** Builds one 512-byte header block. Numbers outside the octal range: base-256 (gnu) or 0 (pax, with records). */
function encodeBlock(r: RawHeader, flavour: TarFlavour): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  putBytes(block, NAME, 100, r.name);
  putOctal(block, MODE, 8, r.mode);
  putNumber(block, UID, 8, r.uid, flavour);
  putNumber(block, GID, 8, r.gid, flavour);
  putNumber(block, SIZE, 12, r.size, flavour);
  putNumber(block, MTIME, 12, r.mtime, flavour);
  block[TYPEFLAG_AT] = r.typeflag;
  if (r.linkname) putBytes(block, LINKNAME, 100, r.linkname);
  putMagic(block, 0, flavour);
  if (r.uname) putBytes(block, UNAME, 32, r.uname);
  if (r.gname) putBytes(block, GNAME, 32, r.gname);
  if (r.devmajor !== undefined) putOctal(block, DEVMAJOR, 8, r.devmajor);
  if (r.devminor !== undefined) putOctal(block, DEVMINOR, 8, r.devminor);
  if (r.prefix) putBytes(block, PREFIX, 155, r.prefix);
  sealHeader(block, 0);
  return block;
}

/** A header block plus its data, padded: used for `././@LongLink` and pax entries. */
function encodeExtension(
  name: string,
  typeflag: number,
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
 * The rare case: a checked header that needs extension entries first (GNU 'L'/'K' long name and link,
 * or a pax 'x' header), as one array: the extension entries, then the ustar header.
 */
function encodeExtendedHeader(h: TarHeader, typeflag: number, flavour: TarFlavour): Uint8Array {
  const nameBytes = encodeUtf8(h.name);
  const linkBytes = encodeUtf8(h.linkname ?? "");
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
    uname: encodeUtf8(h.uname ?? ""),
    gname: encodeUtf8(h.gname ?? ""),
  };
  if (withDevice(h, flavour)) {
    raw.devmajor = h.devmajor ?? 0;
    raw.devminor = h.devminor ?? 0;
  }
  const extMtime = h.mtime >= 0 && h.mtime <= OCTAL_MAX_12 ? h.mtime : 0;

  if (flavour === "gnu") {
    // GNU tar src/create.c: the pseudo entry's data is the full name plus a NUL, counted in its size.
    if (nameBytes.length > 100) {
      parts.push(encodeExtension(GNU_LONGLINK_NAME, 0x4c /* L */, concat0(nameBytes), 0, flavour));
      raw.name = nameBytes.subarray(0, 100);
    }
    if (linkBytes.length > 100) {
      parts.push(encodeExtension(GNU_LONGLINK_NAME, 0x4b /* K */, concat0(linkBytes), 0, flavour));
      raw.linkname = linkBytes.subarray(0, 100);
    }
  } else {
    const records = new Map<string, string>();
    const cut = isAscii(h.name) ? (h.name.length <= 100 ? -2 : ustarSplitAt(h.name)) : -1;
    if (cut >= 0) {
      raw.name = encodeAscii(h.name.slice(cut + 1));
      raw.prefix = encodeAscii(h.name.slice(0, cut));
    } else if (cut === -1) {
      records.set("path", h.name);
      raw.name = nameBytes.subarray(0, 100);
    }
    if (linkBytes.length > 100 || !isAscii(h.linkname ?? "")) {
      records.set("linkpath", h.linkname ?? "");
      raw.linkname = linkBytes.subarray(0, 100);
    }
    if (h.size > OCTAL_MAX_12) records.set("size", String(h.size));
    if (h.uid > OCTAL_MAX_8) records.set("uid", String(h.uid));
    if (h.gid > OCTAL_MAX_8) records.set("gid", String(h.gid));
    for (const k of ["uname", "gname"] as const) {
      const v = h[k] ?? "";
      if (v.length > 0 && (!isAscii(v) || v.length > 32)) {
        records.set(k, v);
        raw[k] = new Uint8Array(0);
      }
    }
    if (h.mtime < 0 || h.mtime > OCTAL_MAX_12) records.set("mtime", String(h.mtime));
    for (const key of Object.keys(h.pax ?? {}).sort()) records.set(key, h.pax![key]!);
    if (records.size > 0) {
      const data = concatBytes([...records].map(([k, v]) => paxRecord(k, v)));
      parts.push(encodeExtension(PAX_HEADER_NAME, 0x78 /* x */, data, extMtime, flavour));
    }
  }
  parts.push(encodeBlock(raw, flavour));
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/**
 * Encodes one entry's header as one or more 512-byte blocks (long-name/pax entries first, then the
 * ustar header). Content and its padding are not included. Deterministic.
 */
export function encodeTarHeader(h: TarHeader, flavour: TarFlavour): Uint8Array {
  return headerBytes(h, checkHeader(h, flavour), flavour);
}

/** The header blocks of a checked `h`, in a new array. */
function headerBytes(h: TarHeader, typeflag: number, flavour: TarFlavour): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK);
  if (putPlainHeader(h, typeflag, flavour, block, 0)) return block;
  return encodeExtendedHeader(h, typeflag, flavour);
}

function concat0(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/**
 * The header {@link readTar} decodes from the blocks {@link writeTar} encodes for `h` (a header it
 * accepts, in either flavour): the fields as they are, an empty uname or gname absent, a link target only
 * on links, device numbers only on devices, a name ending in "/" a directory, pax records kept. What a
 * writer uses to list its payload as the reader would without reading it back (KnownPayload); a property
 * test holds it to readTar.
 */
export function headerAsRead(h: TarHeader): TarHeader {
  const type = h.type === "file" && h.name.endsWith("/") ? "dir" : h.type;
  const out: TarHeader = {
    name: h.name,
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
  };
  if (h.uname) out.uname = h.uname;
  if (h.gname) out.gname = h.gname;
  if (type === "symlink" || type === "hardlink") out.linkname = h.linkname ?? "";
  if (type === "char" || type === "block") {
    out.devmajor = h.devmajor ?? 0;
    out.devminor = h.devminor ?? 0;
  }
  if (hasKeys(h.pax)) out.pax = { ...h.pax };
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
  /**
   * Yield every piece but the last as a whole buffer of exactly COALESCE_BYTES, large contents copied
   * too (default false: a content chunk of COALESCE_BYTES or more passes through uncopied). For a
   * consumer that cuts its input into pieces of that size and may take owned pieces as they are
   * (isOwnedPiece of bytes/coalesce.ts).
   */
  exact?: boolean;
}

/**
 * Streams a tar archive: headers, content (streamed from its source) and padding, in entry order. The
 * output comes in pieces of 1 MiB (COALESCE_BYTES) holding the headers, contents and padding of many
 * entries, written in place; a content chunk of 1 MiB or more passes through without a copy. A piece is
 * never touched again once yielded. The bytes do not depend on how contents are chunked.
 */
export async function* writeTar(
  entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>,
  opts: WriteTarOptions,
): AsyncGenerator<Uint8Array> {
  const flavour = opts.flavour;
  const w = new Coalescer({ exact: opts.exact === true });
  for await (const e of entries) {
    const h = e.header;
    const typeflag = checkHeader(h, flavour);
    // The usual header is written in place into the output block. (Everything written is a whole
    // number of blocks, so in exact mode too the room is 0 when it is under a block: a full piece.)
    if (w.room < TAR_BLOCK && (w.room === 0 || !w.exact)) yield w.take()!;
    if (w.room >= TAR_BLOCK && putPlainHeader(h, typeflag, flavour, w.buf, w.pos)) w.pos += TAR_BLOCK;
    else for (const p of w.write(headerBytes(h, typeflag, flavour))) yield p;
    const size = h.size;
    const c = e.content;
    if (c instanceof Uint8Array && c.length === size) {
      if (size > 0) for (const p of w.write(c)) yield p;
    } else if (c !== undefined || size > 0) {
      // contentStream's checks, inline: one async iteration per entry, not a generator around it
      let n = 0;
      if (c !== undefined) {
        for await (const chunk of c instanceof Uint8Array ? [c] : c.open()) {
          n += chunk.length;
          if (n > size) break;
          if (chunk.length > 0) for (const p of w.write(chunk)) yield p;
        }
      }
      if (n !== size) throw contentSizeError(h.name, size, n);
    }
    const rest = size % TAR_BLOCK;
    if (rest !== 0) {
      const full = w.zeros(TAR_BLOCK - rest);
      if (full !== undefined) yield full;
    }
  }
  if (opts.end !== false) {
    const full = w.zeros(TAR_END_BLOCKS.length);
    if (full !== undefined) yield full;
  }
  const last = w.take();
  if (last !== undefined) yield last;
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
