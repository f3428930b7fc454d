/**
 * cpio: encoder and decoder side by side (libarchive cpio(5) for newc and odc; rpm lib/cpio.cc for rpm's
 * payload and its stripped 07070X entries).
 *
 * - newc "070701" (rpm payload): 110-byte header of 8-digit hex fields; header+name padded with NULs to a
 *   multiple of 4, data padded to 4. "070702" (same + checksum) is read and its checksum verified.
 * - odc "070707" (macOS Payload): 76-byte header of octal fields, no padding anywhere. odc has one `dev`
 *   and one `rdev` field; they are mapped to/from major/minor as (major << 8) | minor.
 * - rpm stripped "07070X": magic + 8 hex digits (the file's index in the rpm header), padded to 4, then data
 *   padded to 4; the size comes from the rpm header (LONGFILESIZES), so the reader asks `strippedSize`.
 * Hex digits are lower-case, as rpm (lib/cpio.cc "%8.8lx") and GNU cpio write them.
 * Every archive ends with a "TRAILER!!!" entry (rpm writes nlink 1, every other field 0).
 */
import { collect, contentSizeError, decodeAscii, utf8Length, writeUtf8 } from "../bytes/bytes.ts";
import { Coalescer } from "../bytes/coalesce.ts";
import { writeHexDigits, writeOctalDigits } from "../bytes/digits.ts";
import { ByteReader } from "../bytes/reader.ts";
import { FormatError, SpecError } from "../errors.ts";
import { entryBudget, type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";

/** The cpio variants written and read. */
export type CpioFormat = "newc" | "odc";

/** Magic strings. */
export const CPIO_MAGIC = { newc: "070701", crc: "070702", odc: "070707", stripped: "07070X" } as const;
/** Name of the last entry. */
export const CPIO_TRAILER = "TRAILER!!!";
/** Header sizes: newc 6 + 13*8, odc 6 + 70, stripped 6 + 8. */
export const CPIO_HEADER_SIZE = { newc: 110, odc: 76, stripped: 14 } as const;

/** newc field order, each 8 hex digits after the 6-byte magic. */
const NEWC_FIELDS = [
  "ino",
  "mode",
  "uid",
  "gid",
  "nlink",
  "mtime",
  "filesize",
  "devMajor",
  "devMinor",
  "rdevMajor",
  "rdevMinor",
  "namesize",
  "check",
] as const;
/** odc fields (name, octal width) after the 6-byte magic. */
const ODC_FIELDS = [
  ["dev", 6],
  ["ino", 6],
  ["mode", 6],
  ["uid", 6],
  ["gid", 6],
  ["nlink", 6],
  ["rdev", 6],
  ["mtime", 11],
  ["namesize", 6],
  ["filesize", 11],
] as const;

/** One cpio entry's metadata. `mode` includes the file type bits (0o100000 file, 0o040000 dir, 0o120000 symlink…). */
export interface CpioHeader {
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  size: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
}

/** What a writer needs: name, mode and size; every other field defaults to 0 (nlink to 1). */
export type CpioHeaderInput = Pick<CpioHeader, "name" | "mode" | "size"> & Partial<CpioHeader>;

/** An entry to write; for symlinks the content is the target. */
export interface CpioWriteEntry {
  header: CpioHeaderInput;
  content?: Uint8Array | ByteSource | AsyncIterable<Uint8Array>;
}

/** Options of {@link writeCpio}. */
export interface WriteCpioOptions {
  format: CpioFormat;
  /**
   * Yield every piece but the last as a whole buffer of exactly COALESCE_BYTES, large contents copied
   * too (default false: a content chunk of COALESCE_BYTES or more passes through uncopied). For a
   * consumer that cuts its input into pieces of that size (isOwnedPiece of bytes/coalesce.ts).
   */
  exact?: boolean;
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function cpioFieldError(value: number, radix: 8 | 16, width: number, field: string, name: string): SpecError {
  return new SpecError(
    "INVALID_FIELD",
    `cpio ${field} ${value} of ${JSON.stringify(name)} does not fit ${width} ${radix === 8 ? "octal" : "hex"} digits`,
    {
      field,
      path: name,
      found: value,
    },
  );
}

/** One newc field: 8 hex digits at `out[at]`; throws when `value` does not fit them. */
function putHex8(out: Uint8Array, at: number, value: number, field: string, name: string): void {
  if (!(Number.isSafeInteger(value) && value >= 0 && value <= 0xffffffff)) {
    throw cpioFieldError(value, 16, 8, field, name);
  }
  writeHexDigits(out, at, 8, value);
}

/** One odc field: `width` octal digits at `out[at]`; throws when `value` does not fit them. */
function putOctalField(
  out: Uint8Array,
  at: number,
  width: 6 | 11,
  value: number,
  field: string,
  name: string,
): void {
  if (!(Number.isSafeInteger(value) && value >= 0 && value < (width === 6 ? 0o1000000 : 8 ** 11))) {
    throw cpioFieldError(value, 8, width, field, name);
  }
  writeOctalDigits(out, at, width, value);
}

/** Bytes of a header whose name takes `nameBytes` bytes: fixed part, name, NUL and (newc) padding to 4. */
function headerLength(nameBytes: number, format: CpioFormat): number {
  const n = CPIO_HEADER_SIZE[format] + nameBytes + 1;
  return format === "newc" ? n + pad4(n) : n;
}

/** Bytes {@link encodeCpioHeader} gives for `input`: the header, its name and (newc) padding to 4. */
export function cpioHeaderLength(input: CpioHeaderInput, format: CpioFormat): number {
  return headerLength(utf8Length(input.name), format);
}

function putMagic(out: Uint8Array, at: number, magic: string): void {
  for (let i = 0; i < 6; i++) out[at + i] = magic.charCodeAt(i);
}

/**
 * Writes the header of `input` (fields in place, then name, NUL and padding) at `out[at]`, where
 * `headerLength(nameBytes)` bytes must be free; returns that length. Unset fields are 0 (nlink 1).
 * Throws SpecError for a field that does not fit, in field order.
 */
function putHeader(
  input: CpioHeaderInput,
  format: CpioFormat,
  nameBytes: number,
  out: Uint8Array,
  at: number,
): number {
  const name = input.name;
  if (name.length === 0 || name.includes("\0")) {
    throw new SpecError(
      "INVALID_FIELD",
      `cpio entry name ${JSON.stringify(name)} must be non-empty without NUL`,
      {
        field: "name",
      },
    );
  }
  const namesize = nameBytes + 1;
  const devMajor = input.devMajor ?? 0;
  const devMinor = input.devMinor ?? 0;
  const rdevMajor = input.rdevMajor ?? 0;
  const rdevMinor = input.rdevMinor ?? 0;
  let p = at + 6;
  if (format === "newc") {
    putMagic(out, at, CPIO_MAGIC.newc);
    putHex8(out, p, input.ino ?? 0, "ino", name);
    putHex8(out, (p += 8), input.mode, "mode", name);
    putHex8(out, (p += 8), input.uid ?? 0, "uid", name);
    putHex8(out, (p += 8), input.gid ?? 0, "gid", name);
    putHex8(out, (p += 8), input.nlink ?? 1, "nlink", name);
    putHex8(out, (p += 8), input.mtime ?? 0, "mtime", name);
    putHex8(out, (p += 8), input.size, "filesize", name);
    putHex8(out, (p += 8), devMajor, "devMajor", name);
    putHex8(out, (p += 8), devMinor, "devMinor", name);
    putHex8(out, (p += 8), rdevMajor, "rdevMajor", name);
    putHex8(out, (p += 8), rdevMinor, "rdevMinor", name);
    putHex8(out, (p += 8), namesize, "namesize", name);
    putHex8(out, (p += 8), 0, "check", name);
    p += 8;
  } else {
    // odc has one dev and one rdev field: (major << 8) | minor
    if (devMinor > 0xff) {
      throw new SpecError("INVALID_FIELD", `cpio odc devMinor ${devMinor} is over 255`, {
        field: "devMinor",
        path: name,
      });
    }
    if (rdevMinor > 0xff) {
      throw new SpecError("INVALID_FIELD", `cpio odc rdevMinor ${rdevMinor} is over 255`, {
        field: "rdevMinor",
        path: name,
      });
    }
    putMagic(out, at, CPIO_MAGIC.odc);
    putOctalField(out, p, 6, devMajor * 256 + devMinor, "dev", name);
    putOctalField(out, (p += 6), 6, input.ino ?? 0, "ino", name);
    putOctalField(out, (p += 6), 6, input.mode, "mode", name);
    putOctalField(out, (p += 6), 6, input.uid ?? 0, "uid", name);
    putOctalField(out, (p += 6), 6, input.gid ?? 0, "gid", name);
    putOctalField(out, (p += 6), 6, input.nlink ?? 1, "nlink", name);
    putOctalField(out, (p += 6), 6, rdevMajor * 256 + rdevMinor, "rdev", name);
    putOctalField(out, (p += 6), 11, input.mtime ?? 0, "mtime", name);
    putOctalField(out, (p += 11), 6, namesize, "namesize", name);
    putOctalField(out, (p += 6), 11, input.size, "filesize", name);
    p += 11;
  }
  writeUtf8(name, out, p, nameBytes);
  const end = at + headerLength(nameBytes, format);
  out.fill(0, p + nameBytes, end); // the NUL and the padding
  return end - at;
}

/** Encodes one header followed by its name (and, for newc, NUL padding to 4). */
export function encodeCpioHeader(input: CpioHeaderInput, format: CpioFormat): Uint8Array {
  const nameBytes = utf8Length(input.name);
  const out = new Uint8Array(headerLength(nameBytes, format));
  putHeader(input, format, nameBytes, out, 0);
  return out;
}

/**
 * Writes the header of `input` as {@link encodeCpioHeader} encodes it into `out` at `at`, where
 * {@link cpioHeaderLength} bytes must be free; returns that length. For writers that fill their own
 * output block (a {@link Coalescer}).
 */
export function encodeCpioHeaderInto(
  input: CpioHeaderInput,
  format: CpioFormat,
  out: Uint8Array,
  at: number,
): number {
  return putHeader(input, format, utf8Length(input.name), out, at);
}

/** Encodes the rpm stripped header "07070X" + 8 hex digits of the file index, padded to 4 (16 bytes). */
export function encodeCpioStrippedHeader(index: number): Uint8Array {
  const out = new Uint8Array(CPIO_HEADER_SIZE.stripped + pad4(CPIO_HEADER_SIZE.stripped));
  putMagic(out, 0, CPIO_MAGIC.stripped);
  putHex8(out, 6, index, "index", String(index));
  return out;
}

/** The trailer entry, as rpm writes it (nlink 1, all other fields 0). */
export function encodeCpioTrailer(format: CpioFormat): Uint8Array {
  return encodeCpioHeader({ name: CPIO_TRAILER, mode: 0, size: 0, nlink: 1 }, format);
}

/**
 * Adds one entry's content and padding to `w`, yielding each full piece as soon as it is full (memory
 * stays at one piece, whatever the file's size). The content must yield exactly `size` bytes (SpecError
 * otherwise, as contentStream).
 */
async function* addContent(
  w: Coalescer,
  content: Uint8Array | ByteSource | AsyncIterable<Uint8Array> | undefined,
  size: number,
  pad: number,
  where: string,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  if (content !== undefined) {
    const it = content instanceof Uint8Array ? [content] : "open" in content ? content.open() : content;
    for await (const chunk of it) {
      n += chunk.length;
      if (n > size) break;
      if (chunk.length > 0) yield* w.write(chunk);
    }
  }
  if (n !== size) throw contentSizeError(where, size, n);
  if (pad > 0) {
    const full = w.zeros(pad);
    if (full !== undefined) yield full;
  }
}

/** Streams a newc or odc archive ending with the trailer (no 512-byte record padding, as rpm). */
export async function* writeCpio(
  entries: Iterable<CpioWriteEntry> | AsyncIterable<CpioWriteEntry>,
  opts: WriteCpioOptions,
): AsyncGenerator<Uint8Array> {
  const format = opts.format;
  const w = new Coalescer({ exact: opts.exact === true });
  for await (const e of entries) {
    const h = e.header;
    const nameBytes = utf8Length(h.name);
    const len = headerLength(nameBytes, format);
    // a header is written in place, whole, into the output block (in exact mode: split when it must)
    if (len > w.room && !w.exact) {
      const pending = w.take();
      if (pending !== undefined) yield pending;
    }
    if (len <= w.room) {
      putHeader(h, format, nameBytes, w.buf, w.pos);
      w.pos += len;
    } else for (const p of w.write(encodeCpioHeader(h, format))) yield p;
    const c = e.content;
    const size = h.size;
    const pad = format === "newc" ? pad4(size) : 0;
    if (c instanceof Uint8Array && c.length === size && size < w.size) {
      // the usual small file or symlink target: no promise in between
      const full = w.put(c);
      if (full !== undefined) yield full;
      const padded = w.zeros(pad);
      if (padded !== undefined) yield padded;
    } else {
      yield* addContent(w, c, size, pad, h.name);
    }
  }
  yield* finish(w, encodeCpioTrailer(format));
}

/** The trailer, then what is pending. */
function* finish(w: Coalescer, trailer: Uint8Array): Generator<Uint8Array> {
  const full = w.put(trailer);
  if (full !== undefined) yield full;
  yield w.take()!;
}

/** An entry of an rpm stripped payload: the file index and its content. */
export interface CpioStrippedWriteEntry {
  index: number;
  size: number;
  content?: Uint8Array | ByteSource | AsyncIterable<Uint8Array>;
}

/** Streams an rpm stripped ("07070X") payload, ending with the newc trailer as rpm's writer does. */
export async function* writeCpioStripped(
  entries: Iterable<CpioStrippedWriteEntry> | AsyncIterable<CpioStrippedWriteEntry>,
  opts: Pick<WriteCpioOptions, "exact"> = {},
): AsyncGenerator<Uint8Array> {
  const w = new Coalescer({ exact: opts.exact === true });
  for await (const e of entries) {
    const full = w.put(encodeCpioStrippedHeader(e.index));
    if (full !== undefined) yield full;
    yield* addContent(w, e.content, e.size, pad4(e.size), `#${e.index}`);
  }
  yield* finish(w, encodeCpioTrailer("newc"));
}

// ---------------------------------------------------------------------------------------------------
// decode

/** A decoded entry; the body is skipped automatically when the consumer moves on. */
export interface CpioEntry {
  /** Variant of this entry's header ("crc" = 070702). */
  format: "newc" | "crc" | "odc" | "stripped";
  /** For stripped entries only `size` is meaningful (and `name` is ""). */
  header: CpioHeader;
  /** File index of a stripped entry. */
  index?: number;
  /** Offset of the entry's header. */
  offset: number;
  body(): AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
}

/** Options of {@link readCpio}. */
export interface ReadCpioOptions {
  limits?: Partial<ReadLimits>;
  /** Size of the file with this index, for rpm stripped entries (from the rpm header's LONGFILESIZES). */
  strippedSize?: (index: number) => number;
}

function parseField(text: string, radix: 8 | 16, field: string, offset: number): number {
  const re = radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  if (!re.test(text)) {
    throw new FormatError(
      "BAD_HEADER",
      `cpio header at offset ${offset}: ${field} ${JSON.stringify(text)} is not ${radix === 16 ? "hex" : "octal"}`,
      {
        offset,
        field,
        found: text,
      },
    );
  }
  return Number.parseInt(text, radix);
}

/** Reads a newc/crc/odc/stripped cpio stream up to and including its trailer. */
export async function* readCpio(
  input: AsyncIterable<Uint8Array>,
  opts: ReadCpioOptions = {},
): AsyncGenerator<CpioEntry> {
  const limits = resolveLimits(opts.limits);
  const reader = new ByteReader(input);
  let bodyEnd = 0;
  const count = entryBudget(limits, "cpio archive");
  while (true) {
    if (reader.offset < bodyEnd) await reader.skip(bodyEnd - reader.offset);
    const offset = reader.offset;
    const magic = decodeAscii(await reader.read(6));
    let format: CpioEntry["format"];
    let header: CpioHeader;
    let index: number | undefined;
    let dataPad: number;
    let check = 0;
    if (magic === CPIO_MAGIC.newc || magic === CPIO_MAGIC.crc) {
      format = magic === CPIO_MAGIC.newc ? "newc" : "crc";
      const text = decodeAscii(await reader.read(CPIO_HEADER_SIZE.newc - 6));
      const v: Record<string, number> = {};
      NEWC_FIELDS.forEach((f, i) => {
        v[f] = parseField(text.slice(i * 8, i * 8 + 8), 16, f, offset);
      });
      const namesize = v.namesize!;
      check = v.check!;
      const name = await readName(reader, namesize, offset, limits);
      await reader.skip(pad4(CPIO_HEADER_SIZE.newc + namesize));
      header = {
        name,
        ino: v.ino!,
        mode: v.mode!,
        uid: v.uid!,
        gid: v.gid!,
        nlink: v.nlink!,
        mtime: v.mtime!,
        size: v.filesize!,
        devMajor: v.devMajor!,
        devMinor: v.devMinor!,
        rdevMajor: v.rdevMajor!,
        rdevMinor: v.rdevMinor!,
      };
      dataPad = pad4(header.size);
    } else if (magic === CPIO_MAGIC.odc) {
      format = "odc";
      const text = decodeAscii(await reader.read(CPIO_HEADER_SIZE.odc - 6));
      const v: Record<string, number> = {};
      let pos = 0;
      for (const [f, w] of ODC_FIELDS) {
        v[f] = parseField(text.slice(pos, pos + w), 8, f, offset);
        pos += w;
      }
      const name = await readName(reader, v.namesize!, offset, limits);
      header = {
        name,
        ino: v.ino!,
        mode: v.mode!,
        uid: v.uid!,
        gid: v.gid!,
        nlink: v.nlink!,
        mtime: v.mtime!,
        size: v.filesize!,
        devMajor: Math.floor(v.dev! / 256),
        devMinor: v.dev! % 256,
        rdevMajor: Math.floor(v.rdev! / 256),
        rdevMinor: v.rdev! % 256,
      };
      dataPad = 0;
    } else if (magic === CPIO_MAGIC.stripped) {
      format = "stripped";
      index = parseField(decodeAscii(await reader.read(8)), 16, "index", offset);
      await reader.skip(pad4(CPIO_HEADER_SIZE.stripped));
      // rpm lib/cpio.cc: a stripped header with index 0xffffffff also ends the archive
      if (index === 0xffffffff) return;
      if (!opts.strippedSize) {
        throw new FormatError(
          "UNSUPPORTED",
          `rpm stripped cpio entry at offset ${offset} needs the file sizes from the rpm header`,
          { offset },
        );
      }
      const size = opts.strippedSize(index);
      header = {
        name: "",
        ino: 0,
        mode: 0,
        uid: 0,
        gid: 0,
        nlink: 0,
        mtime: 0,
        size,
        devMajor: 0,
        devMinor: 0,
        rdevMajor: 0,
        rdevMinor: 0,
      };
      dataPad = pad4(size);
    } else {
      throw new FormatError(
        "BAD_MAGIC",
        `expected a cpio header (070701, 070702, 070707 or 07070X) at offset ${offset}, found ${JSON.stringify(magic)}`,
        {
          offset,
          found: magic,
        },
      );
    }
    if (format !== "stripped" && header.name === CPIO_TRAILER) return;
    count(header.name, header.size, offset);
    const dataStart = reader.offset;
    const size = header.size;
    bodyEnd = dataStart + size + dataPad;
    const expectedCheck = format === "crc" ? check : undefined;
    const data = reader.entryBody(dataStart, size, `cpio entry ${JSON.stringify(header.name)}`);
    const body = (): AsyncIterable<Uint8Array> =>
      expectedCheck === undefined ? data() : verifyCrc(data(), expectedCheck, offset);
    const entry: CpioEntry = { format, header, offset, body, bytes: () => collect(body()) };
    if (index !== undefined) entry.index = index;
    yield entry;
  }
}

async function readName(
  reader: ByteReader,
  namesize: number,
  offset: number,
  limits: ReadLimits,
): Promise<string> {
  if (namesize > limits.maxHeaderBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `cpio name at offset ${offset} has ${namesize} bytes, over the limit of ${limits.maxHeaderBytes}`,
      {
        offset,
        found: namesize,
      },
    );
  }
  if (namesize === 0)
    throw new FormatError("BAD_HEADER", `cpio header at offset ${offset} has a name size of 0`, { offset });
  const bytes = await reader.read(namesize);
  if (bytes[namesize - 1] !== 0) {
    throw new FormatError("BAD_HEADER", `cpio name at offset ${offset} is not NUL-terminated`, { offset });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, namesize - 1));
  } catch {
    return decodeAscii(bytes.subarray(0, namesize - 1));
  }
}

/** The 070702 "crc" is the 32-bit sum of the data bytes; verified when the body is fully read. */
async function* verifyCrc(
  stream: AsyncIterable<Uint8Array>,
  expected: number,
  offset: number,
): AsyncGenerator<Uint8Array> {
  let sum = 0;
  for await (const c of stream) {
    for (let i = 0; i < c.length; i++) sum = (sum + c[i]!) >>> 0;
    yield c;
  }
  if (sum !== expected) {
    throw new FormatError(
      "BAD_CHECKSUM",
      `cpio 070702 data checksum mismatch for the entry at offset ${offset}`,
      {
        offset,
        expected,
        found: sum,
      },
    );
  }
}
