/**
 * The zip reader: finds the end record (and Zip64 end record), reads the central directory within the
 * header limit, checks every local header against its central record, refuses overlapping or out-of-range
 * entries (the non-recursive zip bomb trick), unsafe names, encryption and unknown methods, then inflates
 * each entry (fflate) with its declared size as a hard bound and its CRC-32 checked.
 */
import { Inflate } from "fflate";
import { decodeAscii, decodeUtf8, readRange } from "../bytes/bytes.ts";
import { rechunk } from "../compress/compress.ts";
import { FormatError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
import { crc32 } from "./crc32.ts";
import {
  CENTRAL,
  DOS_DIRECTORY,
  decodeDosDateTime,
  END,
  EXTRA_TIMESTAMP,
  EXTRA_ZIP64,
  FLAG_DATA_DESCRIPTOR,
  FLAG_ENCRYPTED,
  FLAG_UTF8,
  LOCAL,
  METHOD_DEFLATED,
  METHOD_STORED,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  ZIP_SIG,
  ZIP_SIZE,
  ZIP64_END,
  ZIP64_LOCATOR,
  ZIP64_MARK16,
  ZIP64_MARK32,
} from "./zip-layout.ts";

/** One entry of the central directory, checked against its local header. */
export interface ZipEntry {
  /** Name as stored (folders end with `/`). */
  name: string;
  type: "file" | "dir" | "symlink";
  mode: number;
  mtime: number;
  method: number;
  crc: number;
  size: number;
  compressedSize: number;
  /** Offset of the local header. */
  offset: number;
  /** Offset of the entry's data. */
  dataOffset: number;
  /** Made by a Unix host (version made by high byte 3): mode and type come from the external attributes. */
  unix: boolean;
}

/** What {@link readZipDirectory} found. */
export interface ZipDirectory {
  entries: ZipEntry[];
  zip64: boolean;
}

const MAX_COMMENT = 0xffff;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function bad(message: string, offset: number, extra: Record<string, unknown> = {}): FormatError {
  return new FormatError("BAD_HEADER", `zip: ${message} (offset ${offset})`, { offset, ...extra });
}

function u64(v: DataView, at: number, offset: number): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw bad("a Zip64 value is out of range", offset);
  return Number(n);
}

function decodeName(bytes: Uint8Array, flags: number, offset: number): string {
  try {
    return decodeUtf8(bytes);
  } catch (cause) {
    if (flags & FLAG_UTF8) {
      throw new FormatError(
        "BAD_HEADER",
        `zip: name at offset ${offset} is flagged UTF-8 but is not`,
        { offset },
        { cause },
      );
    }
    return decodeAscii(bytes); // CP437 in theory; Latin-1 keeps every byte visible
  }
}

/** Rejects absolute names, drive letters and `..` segments (with `/` or `\` separators). */
export function checkZipName(name: string, offset: number): void {
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) {
    throw new FormatError(
      "UNSAFE_PATH",
      `zip entry ${JSON.stringify(name)} at offset ${offset} is absolute`,
      { offset, path: name },
    );
  }
  if (name.split(/[/\\]/).includes("..")) {
    throw new FormatError(
      "UNSAFE_PATH",
      `zip entry ${JSON.stringify(name)} at offset ${offset} contains a ".." segment`,
      {
        offset,
        path: name,
      },
    );
  }
}

interface Extras {
  zip64?: DataView;
  mtime?: number;
}

function parseExtras(b: Uint8Array, offset: number): Extras {
  const out: Extras = {};
  const v = view(b);
  let pos = 0;
  while (pos + 4 <= b.length) {
    const id = v.getUint16(pos, true);
    const len = v.getUint16(pos + 2, true);
    if (pos + 4 + len > b.length) throw bad("an extra field runs past its header", offset);
    const data = b.subarray(pos + 4, pos + 4 + len);
    if (id === EXTRA_ZIP64) out.zip64 = view(data);
    if (id === EXTRA_TIMESTAMP && len >= 5 && data[0]! & 1) out.mtime = view(data).getInt32(1, true);
    pos += 4 + len;
  }
  return out;
}

/** Finds the end records and reads the central directory; checks local headers and layout. */
export async function readZipDirectory(
  source: ByteSource,
  limitsIn?: Partial<ReadLimits>,
): Promise<ZipDirectory> {
  const limits = resolveLimits(limitsIn);
  const size = source.size;
  if (size < ZIP_SIZE.end) {
    throw new FormatError(
      "TRUNCATED",
      `zip: ${size} bytes is shorter than an end of central directory record`,
      { offset: size },
    );
  }
  const tailStart = Math.max(0, size - (ZIP_SIZE.end + MAX_COMMENT + ZIP_SIZE.zip64Locator));
  const tail = await readRange(source, tailStart, size, "zip end of central directory");
  const tv = view(tail);
  let endAt = -1;
  for (let i = tail.length - ZIP_SIZE.end; i >= 0; i--) {
    if (
      tv.getUint32(i, true) === ZIP_SIG.end &&
      i + ZIP_SIZE.end + tv.getUint16(i + END.commentLength, true) === tail.length
    ) {
      endAt = i;
      break;
    }
  }
  if (endAt === -1) {
    throw new FormatError("BAD_MAGIC", "zip: no end of central directory record in the last 64 KiB", {
      offset: size,
    });
  }
  const endOffset = tailStart + endAt;
  let disk = tv.getUint16(endAt + END.disk, true);
  let cdDisk = tv.getUint16(endAt + END.cdDisk, true);
  let count = tv.getUint16(endAt + END.entries, true);
  let countOnDisk = tv.getUint16(endAt + END.entriesOnDisk, true);
  let cdSize = tv.getUint32(endAt + END.cdSize, true);
  let cdOffset = tv.getUint32(endAt + END.cdOffset, true);
  let directoryEnd = endOffset;
  let zip64 = false;
  const locAt = endAt - ZIP_SIZE.zip64Locator;
  if (locAt >= 0 && tv.getUint32(locAt, true) === ZIP_SIG.zip64Locator) {
    zip64 = true;
    const recOffset = u64(tv, locAt + ZIP64_LOCATOR.endOffset, endOffset);
    if (recOffset + ZIP_SIZE.zip64End > tailStart + locAt)
      throw bad("Zip64 end record offset points past its locator", tailStart + locAt);
    const rec = await readRange(source, recOffset, recOffset + ZIP_SIZE.zip64End, "zip64 end record");
    const rv = view(rec);
    if (rv.getUint32(0, true) !== ZIP_SIG.zip64End)
      throw bad("Zip64 end of central directory record has a bad signature", recOffset);
    disk = rv.getUint32(ZIP64_END.disk, true);
    cdDisk = rv.getUint32(ZIP64_END.cdDisk, true);
    count = u64(rv, ZIP64_END.entries, recOffset);
    countOnDisk = u64(rv, ZIP64_END.entriesOnDisk, recOffset);
    cdSize = u64(rv, ZIP64_END.cdSize, recOffset);
    cdOffset = u64(rv, ZIP64_END.cdOffset, recOffset);
    directoryEnd = recOffset;
  } else if (count === ZIP64_MARK16 || cdSize === ZIP64_MARK32 || cdOffset === ZIP64_MARK32) {
    throw bad("end record points to Zip64 data but there is no Zip64 locator", endOffset);
  }
  if (disk !== 0 || cdDisk !== 0 || count !== countOnDisk) {
    throw new FormatError(
      "UNSUPPORTED",
      `zip: multi-disk (split) archives are not supported (offset ${endOffset})`,
      {
        offset: endOffset,
      },
    );
  }
  if (count > limits.maxEntries) {
    throw new FormatError(
      "LIMIT_ENTRIES",
      `zip has ${count} entries, over the limit of ${limits.maxEntries}`,
      {
        offset: endOffset,
        expected: limits.maxEntries,
        found: count,
      },
    );
  }
  if (cdSize > limits.maxHeaderBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `zip central directory has ${cdSize} bytes, over the limit of ${limits.maxHeaderBytes}`,
      {
        offset: cdOffset,
        expected: limits.maxHeaderBytes,
        found: cdSize,
      },
    );
  }
  if (cdOffset + cdSize > directoryEnd) {
    throw bad(
      `central directory (${cdSize} bytes at ${cdOffset}) runs past the end record at ${directoryEnd}`,
      endOffset,
    );
  }
  const cd = await readRange(source, cdOffset, cdOffset + cdSize, "zip central directory");
  const cv = view(cd);
  const entries: ZipEntry[] = [];
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const at = cdOffset + pos;
    if (pos + ZIP_SIZE.central > cd.length)
      throw bad(`central directory ends after ${i} of ${count} entries`, at);
    if (cv.getUint32(pos, true) !== ZIP_SIG.central)
      throw bad(`central directory entry ${i} has a bad signature`, at);
    const flags = cv.getUint16(pos + CENTRAL.flags, true);
    const method = cv.getUint16(pos + CENTRAL.method, true);
    const nameLength = cv.getUint16(pos + CENTRAL.nameLength, true);
    const extraLength = cv.getUint16(pos + CENTRAL.extraLength, true);
    const commentLength = cv.getUint16(pos + CENTRAL.commentLength, true);
    const next = pos + ZIP_SIZE.central + nameLength + extraLength + commentLength;
    if (next > cd.length) throw bad(`central directory entry ${i} runs past the directory`, at);
    const nameBytes = cd.subarray(pos + ZIP_SIZE.central, pos + ZIP_SIZE.central + nameLength);
    const name = decodeName(nameBytes, flags, at);
    const extras = parseExtras(
      cd.subarray(pos + ZIP_SIZE.central + nameLength, pos + ZIP_SIZE.central + nameLength + extraLength),
      at,
    );
    let size = cv.getUint32(pos + CENTRAL.size, true);
    let compressedSize = cv.getUint32(pos + CENTRAL.compressedSize, true);
    let offset = cv.getUint32(pos + CENTRAL.localOffset, true);
    let z = 0;
    const z64 = (): number => {
      if (extras.zip64 === undefined || z + 8 > extras.zip64.byteLength)
        throw bad(`entry ${JSON.stringify(name)} lacks its Zip64 extra field`, at);
      const n = u64(extras.zip64, z, at);
      z += 8;
      return n;
    };
    if (size === ZIP64_MARK32) size = z64();
    if (compressedSize === ZIP64_MARK32) compressedSize = z64();
    if (offset === ZIP64_MARK32) offset = z64();
    if (flags & FLAG_ENCRYPTED) {
      throw new FormatError("UNSUPPORTED", `zip entry ${JSON.stringify(name)} is encrypted (offset ${at})`, {
        offset: at,
        path: name,
      });
    }
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      throw new FormatError(
        "UNSUPPORTED",
        `zip entry ${JSON.stringify(name)} uses compression method ${method}; only stored (0) and deflate (8) are read`,
        {
          offset: at,
          path: name,
          found: method,
        },
      );
    }
    checkZipName(name, at);
    const madeBy = cv.getUint16(pos + CENTRAL.versionMadeBy, true) >> 8;
    const attrs = cv.getUint32(pos + CENTRAL.externalAttrs, true);
    const unixMode = attrs >>> 16;
    const unix = madeBy === 3 && unixMode !== 0;
    let type: ZipEntry["type"];
    if (unix) {
      const fmt = unixMode & S_IFMT;
      if (fmt === S_IFDIR) type = "dir";
      else if (fmt === S_IFLNK) type = "symlink";
      else if (fmt === S_IFREG || fmt === 0) type = name.endsWith("/") ? "dir" : "file";
      else {
        throw new FormatError(
          "UNSUPPORTED",
          `zip entry ${JSON.stringify(name)} has unsupported file type 0o${fmt.toString(8)}`,
          {
            offset: at,
            path: name,
          },
        );
      }
    } else {
      type = name.endsWith("/") || attrs & DOS_DIRECTORY ? "dir" : "file";
    }
    const mode = unix ? unixMode & 0o7777 : type === "dir" ? 0o755 : 0o644;
    const mtime =
      extras.mtime ??
      decodeDosDateTime(cv.getUint16(pos + CENTRAL.date, true), cv.getUint16(pos + CENTRAL.time, true));
    entries.push({
      name,
      type,
      mode,
      mtime,
      method,
      crc: cv.getUint32(pos + CENTRAL.crc, true),
      size,
      compressedSize,
      offset,
      dataOffset: 0,
      unix,
    });
    pos = next;
  }
  // Local headers: each must agree with its central record, and entries may not overlap.
  const byOffset = [...entries].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < byOffset.length; i++) {
    const e = byOffset[i]!;
    const limit = i + 1 < byOffset.length ? byOffset[i + 1]!.offset : cdOffset;
    if (e.offset + ZIP_SIZE.local > limit)
      throw bad(
        `local header of ${JSON.stringify(e.name)} overlaps the next entry or the directory`,
        e.offset,
        { path: e.name },
      );
    const head = await readRange(
      source,
      e.offset,
      e.offset + ZIP_SIZE.local,
      `zip local header of ${JSON.stringify(e.name)}`,
    );
    const hv = view(head);
    if (hv.getUint32(0, true) !== ZIP_SIG.local)
      throw bad(`local header of ${JSON.stringify(e.name)} has a bad signature`, e.offset, { path: e.name });
    const flags = hv.getUint16(LOCAL.flags, true);
    const nameLength = hv.getUint16(LOCAL.nameLength, true);
    const extraLength = hv.getUint16(LOCAL.extraLength, true);
    const varEnd = e.offset + ZIP_SIZE.local + nameLength + extraLength;
    if (varEnd > limit)
      throw bad(`local header of ${JSON.stringify(e.name)} runs into the next entry`, e.offset, {
        path: e.name,
      });
    const rest = await readRange(
      source,
      e.offset + ZIP_SIZE.local,
      varEnd,
      `zip local header of ${JSON.stringify(e.name)}`,
    );
    const localName = decodeName(rest.subarray(0, nameLength), flags, e.offset);
    const disagree = (field: string, central: unknown, local: unknown): FormatError =>
      bad(
        `local header of ${JSON.stringify(e.name)} disagrees with the central directory: ${field} is ${JSON.stringify(local)}, central says ${JSON.stringify(central)}`,
        e.offset,
        {
          path: e.name,
          field,
          expected: central,
          found: local,
        },
      );
    if (localName !== e.name) throw disagree("name", e.name, localName);
    const method = hv.getUint16(LOCAL.method, true);
    if (method !== e.method) throw disagree("method", e.method, method);
    if (!(flags & FLAG_DATA_DESCRIPTOR)) {
      const ex = parseExtras(rest.subarray(nameLength), e.offset);
      let lsize = hv.getUint32(LOCAL.size, true);
      let lcsize = hv.getUint32(LOCAL.compressedSize, true);
      if (lsize === ZIP64_MARK32 || lcsize === ZIP64_MARK32) {
        if (ex.zip64 === undefined || ex.zip64.byteLength < 16)
          throw disagree("zip64", "sizes", "no Zip64 extra field");
        lsize = u64(ex.zip64, 0, e.offset);
        lcsize = u64(ex.zip64, 8, e.offset);
      }
      const lcrc = hv.getUint32(LOCAL.crc, true);
      if (lcrc !== e.crc) throw disagree("crc32", e.crc, lcrc);
      if (lsize !== e.size) throw disagree("size", e.size, lsize);
      if (lcsize !== e.compressedSize) throw disagree("compressedSize", e.compressedSize, lcsize);
    }
    e.dataOffset = varEnd;
    if (varEnd + e.compressedSize > limit) {
      throw bad(
        `data of ${JSON.stringify(e.name)} (${e.compressedSize} bytes at ${varEnd}) overlaps the next entry or the directory`,
        e.offset,
        {
          path: e.name,
        },
      );
    }
    if (e.method === METHOD_STORED && e.compressedSize !== e.size)
      throw bad(
        `stored entry ${JSON.stringify(e.name)} has compressed size ${e.compressedSize} but size ${e.size}`,
        e.offset,
        { path: e.name },
      );
  }
  return { entries, zip64 };
}

/**
 * Streams one entry's content, inflated; stops with FormatError as soon as the output passes the declared
 * size (so a bomb is never expanded), and checks size and CRC-32 at the end.
 */
export async function* zipEntryContent(source: ByteSource, e: ZipEntry): AsyncGenerator<Uint8Array> {
  const raw = source.open({ start: e.dataOffset, end: e.dataOffset + e.compressedSize });
  let crc = 0;
  let n = 0;
  const check = (chunk: Uint8Array) => {
    n += chunk.length;
    if (n > e.size) {
      throw new FormatError(
        "CORRUPT_COMPRESSED_DATA",
        `zip entry ${JSON.stringify(e.name)} inflates past its declared size of ${e.size} bytes`,
        {
          offset: e.offset,
          path: e.name,
          expected: e.size,
          found: `> ${e.size}`,
        },
      );
    }
    crc = crc32(chunk, crc);
  };
  if (e.method === METHOD_STORED) {
    for await (const chunk of raw) {
      check(chunk);
      yield chunk;
    }
  } else {
    const out: Uint8Array[] = [];
    let ended = false;
    const inflate = new Inflate((chunk, final) => {
      out.push(chunk);
      if (final) ended = true;
    });
    const codec = (fn: () => void) => {
      try {
        fn();
      } catch (cause) {
        throw new FormatError(
          "CORRUPT_COMPRESSED_DATA",
          `zip entry ${JSON.stringify(e.name)}: corrupt deflate data (${(cause as Error).message})`,
          {
            offset: e.dataOffset,
            path: e.name,
          },
          { cause },
        );
      }
    };
    // Small compressed pieces bound what one push can expand to (deflate's ratio is at most ~1032:1).
    for await (const piece of rechunk(raw, 16 * 1024)) {
      codec(() => inflate.push(piece));
      for (const c of out.splice(0)) {
        check(c);
        yield c;
      }
    }
    codec(() => inflate.push(new Uint8Array(0), true));
    for (const c of out.splice(0)) {
      check(c);
      yield c;
    }
    if (!ended && e.size > 0) {
      throw new FormatError("TRUNCATED", `zip entry ${JSON.stringify(e.name)}: deflate stream ends early`, {
        offset: e.dataOffset,
        path: e.name,
      });
    }
  }
  if (n !== e.size) {
    throw new FormatError(
      "TRUNCATED",
      `zip entry ${JSON.stringify(e.name)} has ${n} bytes, its header says ${e.size}`,
      {
        offset: e.offset,
        path: e.name,
        expected: e.size,
        found: n,
      },
    );
  }
  if (crc !== e.crc) {
    throw new FormatError(
      "DIGEST_MISMATCH",
      `zip entry ${JSON.stringify(e.name)}: CRC-32 is ${crc.toString(16)}, its header says ${e.crc.toString(16)}`,
      {
        offset: e.offset,
        path: e.name,
        expected: e.crc,
        found: crc,
      },
    );
  }
}
