/**
 * The zip writer: one local header + data per entry, then the central directory and its end records.
 * No data descriptors: every file is deflated (fflate) into the spool first, so its CRC and sizes are
 * known when its local header is written; a file that deflate does not shrink is stored instead.
 * Unix modes and the symlink type go in the external attributes' high 16 bits (version made by = 3).
 * Zip64 extra fields and end records are written when a size, an offset or the entry count needs them.
 * Times: DOS date/time in UTC (clamped to 1980–2107) plus Info-ZIP's "UT" extra with the exact mtime.
 */
import { Deflate } from "fflate";
import { concatBytes, contentStream, encodeUtf8, isAscii } from "../bytes/bytes.ts";
import { rechunk } from "../compress/compress.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import { createSpool } from "../spool/index.ts";
import type { SpoolFactory } from "../spool/spool.ts";
import { crc32 } from "./crc32.ts";
import type { ArchiveEntry } from "./plan.ts";
import {
  CENTRAL,
  DOS_DIRECTORY,
  END,
  encodeDosDateTime,
  EXTRA_TIMESTAMP,
  EXTRA_ZIP64,
  FLAG_UTF8,
  LOCAL,
  METHOD_DEFLATED,
  METHOD_STORED,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  VERSION_MADE_BY_UNIX,
  VERSION_NEEDED_DEFAULT,
  VERSION_NEEDED_ZIP64,
  ZIP_SIG,
  ZIP_SIZE,
  ZIP64_END,
  ZIP64_LOCATOR,
  ZIP64_MARK16,
  ZIP64_MARK32,
} from "./zip-layout.ts";

export interface WriteZipOptions {
  /** Deflate level 0–9 (default 6, as Info-ZIP's zip). */
  level?: number;
  spool?: SpoolFactory;
  /** `always` writes Zip64 records for every entry and the end (tests use it to judge the Zip64 path cheaply). */
  zip64?: "auto" | "always";
}

/** Input cut into fixed pieces before deflate, so the output depends on the bytes only, never on chunking. */
const DEFLATE_PIECE = 64 * 1024;

interface CentralRecord {
  name: Uint8Array;
  flags: number;
  method: number;
  dos: { date: number; time: number };
  mtime: number;
  crc: number;
  compressedSize: number;
  size: number;
  externalAttrs: number;
  offset: number;
}

/** Raw deflate of a stream with fflate; chunk-independent (fixed pieces, fixed memory level). */
export async function* deflateRaw(
  input: AsyncIterable<Uint8Array>,
  level: number,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new Deflate({ level: level as 0, mem: 8 }, (chunk) => {
    out.push(chunk);
  });
  for await (const piece of rechunk(input, DEFLATE_PIECE)) {
    d.push(piece);
    yield* out.splice(0);
  }
  d.push(new Uint8Array(0), true);
  yield* out.splice(0);
}

function timestampExtra(mtime: number): Uint8Array {
  // Info-ZIP "UT": flags bit 0 = mtime present, then a signed 32-bit time; only when it fits.
  if (!(mtime >= -0x80000000 && mtime <= 0x7fffffff)) return new Uint8Array(0);
  const b = new Uint8Array(9);
  const v = new DataView(b.buffer);
  v.setUint16(0, EXTRA_TIMESTAMP, true);
  v.setUint16(2, 5, true);
  b[4] = 1;
  v.setInt32(5, mtime, true);
  return b;
}

function zip64Extra(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(4 + 8 * values.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, EXTRA_ZIP64, true);
  v.setUint16(2, 8 * values.length, true);
  for (const [i, x] of values.entries()) v.setBigUint64(4 + 8 * i, BigInt(x), true);
  return b;
}

function externalAttrs(e: ArchiveEntry): number {
  const type = e.type === "dir" ? S_IFDIR : e.type === "symlink" ? S_IFLNK : S_IFREG;
  return (((type | e.mode) << 16) >>> 0) + (e.type === "dir" ? DOS_DIRECTORY : 0);
}

function localHeader(r: CentralRecord, zip64: boolean): Uint8Array {
  const extra = concatBytes([
    zip64 ? zip64Extra([r.size, r.compressedSize]) : new Uint8Array(0),
    timestampExtra(r.mtime),
  ]);
  const b = new Uint8Array(ZIP_SIZE.local + r.name.length + extra.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, ZIP_SIG.local, true);
  v.setUint16(LOCAL.versionNeeded, zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_DEFAULT, true);
  v.setUint16(LOCAL.flags, r.flags, true);
  v.setUint16(LOCAL.method, r.method, true);
  v.setUint16(LOCAL.time, r.dos.time, true);
  v.setUint16(LOCAL.date, r.dos.date, true);
  v.setUint32(LOCAL.crc, r.crc, true);
  v.setUint32(LOCAL.compressedSize, zip64 ? ZIP64_MARK32 : r.compressedSize, true);
  v.setUint32(LOCAL.size, zip64 ? ZIP64_MARK32 : r.size, true);
  v.setUint16(LOCAL.nameLength, r.name.length, true);
  v.setUint16(LOCAL.extraLength, extra.length, true);
  b.set(r.name, ZIP_SIZE.local);
  b.set(extra, ZIP_SIZE.local + r.name.length);
  return b;
}

function centralHeader(r: CentralRecord, force: boolean): Uint8Array {
  const big = (x: number) => force || x >= ZIP64_MARK32;
  // APPNOTE 4.5.3: only the fields set to 0xFFFFFFFF appear, in this order.
  const z: number[] = [];
  if (big(r.size)) z.push(r.size);
  if (big(r.compressedSize)) z.push(r.compressedSize);
  if (big(r.offset)) z.push(r.offset);
  const extra = concatBytes([z.length > 0 ? zip64Extra(z) : new Uint8Array(0), timestampExtra(r.mtime)]);
  const b = new Uint8Array(ZIP_SIZE.central + r.name.length + extra.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, ZIP_SIG.central, true);
  v.setUint16(CENTRAL.versionMadeBy, VERSION_MADE_BY_UNIX, true);
  v.setUint16(CENTRAL.versionNeeded, z.length > 0 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_DEFAULT, true);
  v.setUint16(CENTRAL.flags, r.flags, true);
  v.setUint16(CENTRAL.method, r.method, true);
  v.setUint16(CENTRAL.time, r.dos.time, true);
  v.setUint16(CENTRAL.date, r.dos.date, true);
  v.setUint32(CENTRAL.crc, r.crc, true);
  v.setUint32(CENTRAL.compressedSize, big(r.compressedSize) ? ZIP64_MARK32 : r.compressedSize, true);
  v.setUint32(CENTRAL.size, big(r.size) ? ZIP64_MARK32 : r.size, true);
  v.setUint16(CENTRAL.nameLength, r.name.length, true);
  v.setUint16(CENTRAL.extraLength, extra.length, true);
  v.setUint32(CENTRAL.externalAttrs, r.externalAttrs, true);
  v.setUint32(CENTRAL.localOffset, big(r.offset) ? ZIP64_MARK32 : r.offset, true);
  b.set(r.name, ZIP_SIZE.central);
  b.set(extra, ZIP_SIZE.central + r.name.length);
  return b;
}

function endRecords(count: number, cdOffset: number, cdSize: number, force: boolean): Uint8Array {
  const zip64 = force || count >= ZIP64_MARK16 || cdOffset >= ZIP64_MARK32 || cdSize >= ZIP64_MARK32;
  const parts: Uint8Array[] = [];
  if (zip64) {
    const rec = new Uint8Array(ZIP_SIZE.zip64End);
    const v = new DataView(rec.buffer);
    v.setUint32(0, ZIP_SIG.zip64End, true);
    v.setBigUint64(ZIP64_END.recordSize, BigInt(ZIP_SIZE.zip64End - 12), true);
    v.setUint16(ZIP64_END.versionMadeBy, VERSION_MADE_BY_UNIX, true);
    v.setUint16(ZIP64_END.versionNeeded, VERSION_NEEDED_ZIP64, true);
    v.setBigUint64(ZIP64_END.entriesOnDisk, BigInt(count), true);
    v.setBigUint64(ZIP64_END.entries, BigInt(count), true);
    v.setBigUint64(ZIP64_END.cdSize, BigInt(cdSize), true);
    v.setBigUint64(ZIP64_END.cdOffset, BigInt(cdOffset), true);
    const loc = new Uint8Array(ZIP_SIZE.zip64Locator);
    const lv = new DataView(loc.buffer);
    lv.setUint32(0, ZIP_SIG.zip64Locator, true);
    lv.setBigUint64(ZIP64_LOCATOR.endOffset, BigInt(cdOffset + cdSize), true);
    lv.setUint32(ZIP64_LOCATOR.disks, 1, true);
    parts.push(rec, loc);
  }
  const end = new Uint8Array(ZIP_SIZE.end);
  const v = new DataView(end.buffer);
  v.setUint32(0, ZIP_SIG.end, true);
  const n = zip64 ? ZIP64_MARK16 : count;
  v.setUint16(END.entriesOnDisk, Math.min(n, ZIP64_MARK16), true);
  v.setUint16(END.entries, Math.min(n, ZIP64_MARK16), true);
  v.setUint32(END.cdSize, zip64 ? ZIP64_MARK32 : cdSize, true);
  v.setUint32(END.cdOffset, zip64 ? ZIP64_MARK32 : cdOffset, true);
  parts.push(end);
  return concatBytes(parts);
}

/** Deflates bytes held in memory (a small file from the batch reader): no spool. */
async function deflateWhole(bytes: Uint8Array, level: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of deflateRaw(
    (async function* () {
      yield bytes;
    })(),
    level,
  ))
    out.push(c);
  return out;
}

/** Streams a zip of planned entries (sorted, parents present). Hard links become copies of their target. */
export async function* writeZip(
  entries: readonly ArchiveEntry[],
  opts: WriteZipOptions = {},
): AsyncGenerator<Uint8Array> {
  const level = opts.level ?? 6;
  const spool = opts.spool ?? createSpool();
  const force = opts.zip64 === "always";
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const records: CentralRecord[] = [];
  let offset = 0;
  // Every file's content (a hard link's is its target's), read off the main thread with its CRC-32.
  const sourceOf = (e: ArchiveEntry) => (e.type === "hardlink" ? byPath.get(e.target!) : e);
  const contents = entries.flatMap((e) => {
    if (e.type === "dir" || e.type === "symlink") return [];
    const s = sourceOf(e);
    return s?.content !== undefined ? [s.content] : [];
  });
  const reads = readFiles(contents, { digests: ["crc32"] });
  try {
    for (const e of entries) {
      const nameText = e.type === "dir" ? `${e.path}/` : e.path;
      const base = {
        name: encodeUtf8(nameText),
        flags: isAscii(nameText) ? 0 : FLAG_UTF8,
        dos: encodeDosDateTime(e.mtime),
        mtime: e.mtime,
        externalAttrs: externalAttrs(e),
        offset,
      };
      let record: CentralRecord;
      let body: AsyncIterable<Uint8Array> | Uint8Array[] | undefined;
      let release: (() => Promise<void>) | undefined;
      const source = sourceOf(e);
      if (e.type === "dir") {
        record = { ...base, method: METHOD_STORED, crc: 0, compressedSize: 0, size: 0 };
      } else if (e.type === "symlink") {
        const target = encodeUtf8(e.target!);
        record = {
          ...base,
          method: METHOD_STORED,
          crc: crc32(target),
          compressedSize: target.length,
          size: target.length,
        };
        body = [target];
      } else {
        const content = source?.content;
        const size = source?.size ?? 0;
        const r = content === undefined ? undefined : ((await reads.next()).value as FileRead);
        if (r?.content instanceof Uint8Array) {
          // Read whole: deflated in memory, kept as it is when deflate does not shrink it.
          const deflated = await deflateWhole(r.content, level);
          const deflatedSize = deflated.reduce((n, c) => n + c.length, 0);
          const crc = r.digests!.crc32!;
          if (deflatedSize < size) {
            record = { ...base, method: METHOD_DEFLATED, crc, compressedSize: deflatedSize, size };
            body = deflated;
          } else {
            record = { ...base, method: METHOD_STORED, crc, compressedSize: size, size };
            body = [r.content];
          }
        } else {
          const w = spool([]);
          try {
            for await (const chunk of deflateRaw(contentStream(r?.content, size, e.path), level)) {
              await w.write(chunk);
            }
          } catch (err) {
            await w.abort();
            throw err;
          }
          const deflated = await w.close();
          // The CRC came with the content's last byte (undefined only for an empty file without a source).
          const crc = r?.digests?.crc32 ?? 0;
          if (deflated.size < size) {
            record = { ...base, method: METHOD_DEFLATED, crc, compressedSize: deflated.size, size };
            body = deflated.open();
            release = () => deflated.dispose();
          } else {
            await deflated.dispose();
            record = { ...base, method: METHOD_STORED, crc, compressedSize: size, size };
            // Stored after all: read again from the original source.
            body = contentStream(content, size, e.path);
          }
        }
      }
      const zip64 = force || record.size >= ZIP64_MARK32 || record.compressedSize >= ZIP64_MARK32;
      const header = localHeader(record, zip64);
      yield header;
      offset += header.length;
      try {
        if (body !== undefined) yield* body;
      } finally {
        await release?.();
      }
      offset += record.compressedSize;
      records.push(record);
    }
  } finally {
    await reads.return(undefined);
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const r of records) {
    const h = centralHeader(r, force);
    cdSize += h.length;
    yield h;
  }
  yield endRecords(records.length, cdOffset, cdSize, force);
}
