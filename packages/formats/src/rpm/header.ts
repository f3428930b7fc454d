/**
 * The RPM header structure shared by the signature header and the main header: a 16-byte intro, `il`
 * index entries of 16 bytes, then `dl` bytes of data, with an immutable region entry first whose
 * 16-byte trailer closes the data store. Encoder and decoder side by side; the ordering and alignment
 * rules are the ones rpm's lib/header.cc (hdrblobVerifyInfo, hdrblobVerifyRegion) enforces.
 */
import { encodeHex } from "../bytes/encoding.ts";
import { FormatError } from "../errors.ts";
import { RPM_TYPE, type RpmType } from "./tags.ts";

/** Header magic, version 1, four reserved zero bytes. */
export const HEADER_MAGIC: readonly number[] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
/** Bytes of the intro (magic + il + dl) and of one index entry. */
export const HEADER_INTRO_BYTES = 16;
export const INDEX_ENTRY_BYTES = 16;
/** Limits rpm applies to any header (lib/header.cc `hdrchkTags`, `hdrchkData`). */
export const MAX_INDEX_ENTRIES = 0xffff;
export const MAX_DATA_BYTES = 0x0fffffff;
/** Non-BIN arrays above this element count are rejected by rpm (`hdrchkRange`). */
export const MAX_ARRAY_COUNT = 0xfffff;

/** One header entry: the value's JS shape follows its type. */
export type HeaderEntry =
  | { tag: number; type: typeof RPM_TYPE.CHAR | typeof RPM_TYPE.INT8; value: Uint8Array }
  | { tag: number; type: typeof RPM_TYPE.INT16 | typeof RPM_TYPE.INT32; value: number[] }
  | { tag: number; type: typeof RPM_TYPE.INT64; value: bigint[] }
  | { tag: number; type: typeof RPM_TYPE.STRING; value: string }
  | { tag: number; type: typeof RPM_TYPE.BIN; value: Uint8Array }
  | { tag: number; type: typeof RPM_TYPE.STRING_ARRAY | typeof RPM_TYPE.I18NSTRING; value: string[] };

/** Values above this need the 64-bit tags (LONGSIZE, LONGFILESIZES, LONGARCHIVESIZE). */
export const U32_MAX = 0xffffffff;

/** Entry constructors, one per type the writers use. */
export const stringEntry = (tag: number, value: string): HeaderEntry => ({
  tag,
  type: RPM_TYPE.STRING,
  value,
});
export const i18nEntry = (tag: number, value: string): HeaderEntry => ({
  tag,
  type: RPM_TYPE.I18NSTRING,
  value: [value],
});
export const stringArrayEntry = (tag: number, value: string[]): HeaderEntry => ({
  tag,
  type: RPM_TYPE.STRING_ARRAY,
  value,
});
export const int32Entry = (tag: number, value: number[]): HeaderEntry => ({
  tag,
  type: RPM_TYPE.INT32,
  value,
});
export const int16Entry = (tag: number, value: number[]): HeaderEntry => ({
  tag,
  type: RPM_TYPE.INT16,
  value,
});
export const int64Entry = (tag: number, value: number[]): HeaderEntry => ({
  tag,
  type: RPM_TYPE.INT64,
  value: value.map((v) => BigInt(v)),
});

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

function alignment(type: number): number {
  if (type === RPM_TYPE.INT16) return 2;
  if (type === RPM_TYPE.INT32) return 4;
  if (type === RPM_TYPE.INT64) return 8;
  return 1;
}

function entryBytes(e: HeaderEntry): { bytes: Uint8Array; count: number } {
  switch (e.type) {
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
    case RPM_TYPE.BIN:
      return { bytes: e.value, count: e.value.length };
    case RPM_TYPE.INT16: {
      const b = new Uint8Array(e.value.length * 2);
      const v = new DataView(b.buffer);
      e.value.forEach((n, i) => {
        v.setUint16(i * 2, n);
      });
      return { bytes: b, count: e.value.length };
    }
    case RPM_TYPE.INT32: {
      const b = new Uint8Array(e.value.length * 4);
      const v = new DataView(b.buffer);
      e.value.forEach((n, i) => {
        v.setUint32(i * 4, n >>> 0);
      });
      return { bytes: b, count: e.value.length };
    }
    case RPM_TYPE.INT64: {
      const b = new Uint8Array(e.value.length * 8);
      const v = new DataView(b.buffer);
      e.value.forEach((n, i) => {
        v.setBigUint64(i * 8, n);
      });
      return { bytes: b, count: e.value.length };
    }
    case RPM_TYPE.STRING:
      return { bytes: encoder.encode(`${e.value}\0`), count: 1 };
    case RPM_TYPE.STRING_ARRAY:
    case RPM_TYPE.I18NSTRING:
      return { bytes: encoder.encode(e.value.map((s) => `${s}\0`).join("")), count: e.value.length };
  }
}

/**
 * Encodes a header with its immutable region (`regionTag` 62 or 63): entries sorted by tag, data written
 * in index order and aligned, region trailer last. Entries must have distinct tags ≥ 100 and count ≥ 1.
 */
export function encodeHeader(entries: readonly HeaderEntry[], regionTag: number): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  const il = sorted.length + 1;
  const parts: { tag: number; type: number; offset: number; count: number; bytes: Uint8Array }[] = [];
  let dl = 0;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (i > 0 && sorted[i - 1]!.tag === e.tag) throw new RangeError(`rpm header: tag ${e.tag} appears twice`);
    const { bytes, count } = entryBytes(e);
    if (count < 1) throw new RangeError(`rpm header: tag ${e.tag} has no elements`);
    const a = alignment(e.type);
    dl = Math.ceil(dl / a) * a;
    parts.push({ tag: e.tag, type: e.type, offset: dl, count, bytes });
    dl += bytes.length;
  }
  const trailerOffset = dl;
  dl += 16;
  const out = new Uint8Array(HEADER_INTRO_BYTES + il * INDEX_ENTRY_BYTES + dl);
  const view = new DataView(out.buffer);
  out.set(HEADER_MAGIC, 0);
  view.setUint32(8, il);
  view.setUint32(12, dl);
  const store = HEADER_INTRO_BYTES + il * INDEX_ENTRY_BYTES;
  const writeIndex = (at: number, tag: number, type: number, offset: number, count: number) => {
    view.setUint32(at, tag);
    view.setUint32(at + 4, type);
    view.setInt32(at + 8, offset);
    view.setUint32(at + 12, count);
  };
  writeIndex(HEADER_INTRO_BYTES, regionTag, RPM_TYPE.BIN, trailerOffset, 16);
  parts.forEach((p, i) => {
    writeIndex(HEADER_INTRO_BYTES + (i + 1) * INDEX_ENTRY_BYTES, p.tag, p.type, p.offset, p.count);
    out.set(p.bytes, store + p.offset);
  });
  // The trailer is an index entry whose offset is minus the size of the whole index (region included).
  writeIndex(store + trailerOffset, regionTag, RPM_TYPE.BIN, -(il * INDEX_ENTRY_BYTES), 16);
  return out;
}

/** Bytes a header starting at `bytes[0]` occupies, from its intro alone (throws on a bad intro). */
export function headerByteLength(intro: Uint8Array, offset: number, maxBytes: number): number {
  if (intro.length < HEADER_INTRO_BYTES) {
    throw new FormatError(
      "TRUNCATED",
      `rpm header at offset ${offset}: expected a 16-byte intro, found ${intro.length} bytes`,
      {
        offset,
      },
    );
  }
  for (let i = 0; i < 8; i++) {
    if (intro[i] !== HEADER_MAGIC[i]) {
      throw new FormatError(
        "BAD_MAGIC",
        `rpm header at offset ${offset}: expected magic 8eade801 00000000, found ${encodeHex(intro.subarray(0, 8))}`,
        {
          offset,
        },
      );
    }
  }
  const view = new DataView(intro.buffer, intro.byteOffset, intro.byteLength);
  const il = view.getUint32(8);
  const dl = view.getUint32(12);
  if (il < 1 || il > MAX_INDEX_ENTRIES) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm header at offset ${offset}: index count ${il} is outside 1..${MAX_INDEX_ENTRIES}`,
      {
        offset: offset + 8,
        found: il,
      },
    );
  }
  if (dl > MAX_DATA_BYTES) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm header at offset ${offset}: data size ${dl} is above ${MAX_DATA_BYTES}`,
      {
        offset: offset + 12,
        found: dl,
      },
    );
  }
  const total = HEADER_INTRO_BYTES + il * INDEX_ENTRY_BYTES + dl;
  if (total > maxBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `rpm header at offset ${offset}: ${total} bytes is above the limit of ${maxBytes}`,
      {
        offset,
        found: total,
        expected: maxBytes,
      },
    );
  }
  return total;
}

/** A decoded header: its entries by tag, and the exact bytes it was decoded from. */
export interface DecodedHeader {
  entries: Map<number, HeaderEntry>;
  /** Tags in index order (region first), as stored. */
  tags: number[];
  bytes: Uint8Array;
}

function bad(offset: number, message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError("BAD_HEADER", `rpm header at offset ${offset}: ${message}`, { offset, ...data });
}

/**
 * Decodes and verifies one complete header (`bytes` is exactly the header). `offset` is where it sits in
 * the artifact, for error messages. Checks what rpm checks: types 1..9, counts, bounds, alignment, data in
 * index order without overlap, tags ascending, and a region entry first whose trailer is the last 16 bytes
 * and describes the whole header.
 */
export function decodeHeader(bytes: Uint8Array, offset: number, regionTag: number): DecodedHeader {
  const total = headerByteLength(bytes, offset, Number.MAX_SAFE_INTEGER);
  if (total !== bytes.length)
    throw bad(offset, `expected ${total} bytes from the intro, found ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const il = view.getUint32(8);
  const dl = view.getUint32(12);
  const store = HEADER_INTRO_BYTES + il * INDEX_ENTRY_BYTES;
  const entries = new Map<number, HeaderEntry>();
  const tags: number[] = [];
  let prevTag = -1;
  let prevEnd = 0;
  for (let i = 0; i < il; i++) {
    const at = HEADER_INTRO_BYTES + i * INDEX_ENTRY_BYTES;
    const where = offset + at;
    const tag = view.getUint32(at);
    const type = view.getUint32(at + 4);
    const off = view.getInt32(at + 8);
    const count = view.getUint32(at + 12);
    if (i === 0) {
      if (tag !== regionTag || type !== RPM_TYPE.BIN || count !== 16) {
        throw bad(
          where,
          `expected region tag ${regionTag} (BIN, count 16) as the first entry, found tag ${tag} type ${type} count ${count}`,
          {
            found: tag,
          },
        );
      }
      if (off !== dl - 16)
        throw bad(
          where,
          `region trailer must be the last 16 bytes of the data (offset ${dl - 16}), found offset ${off}`,
        );
      const t = store + off;
      const tTag = view.getUint32(t);
      const tType = view.getUint32(t + 4);
      const tOff = view.getInt32(t + 8);
      const tCount = view.getUint32(t + 12);
      if (
        tTag !== regionTag ||
        tType !== RPM_TYPE.BIN ||
        tCount !== 16 ||
        tOff !== -(il * INDEX_ENTRY_BYTES)
      ) {
        throw bad(
          offset + t,
          `region trailer lies: expected tag ${regionTag} type 7 offset ${-(il * INDEX_ENTRY_BYTES)} count 16, found tag ${tTag} type ${tType} offset ${tOff} count ${tCount}`,
        );
      }
      tags.push(tag);
      continue;
    }
    if (tag < 100) throw bad(where, `tag ${tag} below 100 outside the region entry`, { found: tag });
    if (tag < prevTag) throw bad(where, `tags must ascend: tag ${tag} after ${prevTag}`, { found: tag });
    prevTag = tag;
    if (type < RPM_TYPE.CHAR || type > RPM_TYPE.I18NSTRING)
      throw bad(where, `tag ${tag}: type ${type} is not 1..9`, { found: type });
    if (count < 1) throw bad(where, `tag ${tag}: count 0`);
    if (type !== RPM_TYPE.BIN && count > MAX_ARRAY_COUNT)
      throw bad(where, `tag ${tag}: count ${count} above ${MAX_ARRAY_COUNT}`);
    if (off < 0 || off >= dl - 16)
      throw bad(where, `tag ${tag}: data offset ${off} outside the data store (0..${dl - 16})`, {
        found: off,
      });
    const a = alignment(type);
    if (off % a !== 0) throw bad(where, `tag ${tag}: data offset ${off} not aligned to ${a}`, { found: off });
    if (off < prevEnd)
      throw bad(where, `tag ${tag}: data at ${off} overlaps the previous entry ending at ${prevEnd}`, {
        found: off,
      });
    const start = store + off;
    const limit = store + dl - 16;
    let end: number;
    let entry: HeaderEntry;
    switch (type) {
      case RPM_TYPE.CHAR:
      case RPM_TYPE.INT8:
      case RPM_TYPE.BIN:
        end = start + count;
        if (end > limit) throw bad(where, `tag ${tag}: ${count} bytes run past the data store`);
        entry = { tag, type, value: bytes.slice(start, end) } as HeaderEntry;
        break;
      case RPM_TYPE.INT16:
      case RPM_TYPE.INT32: {
        const size = type === RPM_TYPE.INT16 ? 2 : 4;
        end = start + count * size;
        if (end > limit) throw bad(where, `tag ${tag}: ${count} integers run past the data store`);
        const value: number[] = new Array(count);
        for (let k = 0; k < count; k++)
          value[k] = size === 2 ? view.getUint16(start + k * 2) : view.getUint32(start + k * 4);
        entry = { tag, type, value };
        break;
      }
      case RPM_TYPE.INT64: {
        end = start + count * 8;
        if (end > limit) throw bad(where, `tag ${tag}: ${count} integers run past the data store`);
        const value: bigint[] = new Array(count);
        for (let k = 0; k < count; k++) value[k] = view.getBigUint64(start + k * 8);
        entry = { tag, type, value };
        break;
      }
      default: {
        if (type === RPM_TYPE.STRING && count !== 1)
          throw bad(where, `tag ${tag}: STRING with count ${count}`);
        const value: string[] = [];
        let p = start;
        for (let k = 0; k < count; k++) {
          const nul = bytes.indexOf(0, p);
          if (nul < 0 || nul >= limit)
            throw bad(where, `tag ${tag}: string ${k} is not terminated inside the data store`);
          value.push(decoder.decode(bytes.subarray(p, nul)));
          p = nul + 1;
        }
        end = p;
        entry =
          type === RPM_TYPE.STRING ? { tag, type, value: value[0]! } : ({ tag, type, value } as HeaderEntry);
      }
    }
    prevEnd = end - store;
    if (!entries.has(tag)) entries.set(tag, entry);
    tags.push(tag);
  }
  return { entries, tags, bytes };
}

/** Typed getters over decoded entries, tolerant of rpm's STRING / I18NSTRING / STRING_ARRAY mix. */
export function headerString(h: DecodedHeader, tag: number): string | undefined {
  const e = h.entries.get(tag);
  if (e === undefined) return undefined;
  if (e.type === RPM_TYPE.STRING) return e.value;
  if (e.type === RPM_TYPE.STRING_ARRAY || e.type === RPM_TYPE.I18NSTRING) return e.value[0];
  return undefined;
}

/** String array value of a tag (a STRING becomes a one-element array). */
export function headerStrings(h: DecodedHeader, tag: number): string[] | undefined {
  const e = h.entries.get(tag);
  if (e === undefined) return undefined;
  if (e.type === RPM_TYPE.STRING) return [e.value];
  if (e.type === RPM_TYPE.STRING_ARRAY || e.type === RPM_TYPE.I18NSTRING) return e.value;
  return undefined;
}

/** Integer array value of a tag (INT8/16/32 as numbers, INT64 converted when safe). */
export function headerNumbers(h: DecodedHeader, tag: number): number[] | undefined {
  const e = h.entries.get(tag);
  if (e === undefined) return undefined;
  if (e.type === RPM_TYPE.INT16 || e.type === RPM_TYPE.INT32) return e.value;
  if (e.type === RPM_TYPE.CHAR || e.type === RPM_TYPE.INT8) return Array.from(e.value);
  if (e.type === RPM_TYPE.INT64) return e.value.map((v) => Number(v));
  return undefined;
}

/** BIN value of a tag. */
export function headerBinary(h: DecodedHeader, tag: number): Uint8Array | undefined {
  const e = h.entries.get(tag);
  return e?.type === RPM_TYPE.BIN ? e.value : undefined;
}

export type { RpmType };
