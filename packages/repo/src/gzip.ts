/**
 * gzip of an index held in memory, on libuv's thread pool. Up to {@link GZIP_PIECE} bytes it is one
 * deflate call: the bytes @packyard/formats' `compressBytes` writes for one gzip stream (zlib deflate at
 * the level, mtime 0, no name, OS byte 3 on every platform), without its piece-by-piece pipeline, which is
 * built for streams of unknown length and costs more than the compression for an index of a few MiB.
 *
 * Above that, the index is cut into pieces of GZIP_PIECE bytes, deflated at once on the pool's threads,
 * each primed with the 32 KiB before it as its dictionary and ended with a sync flush (the last with the
 * final block), as pigz does: one gzip member, one deflate stream, which every gzip reader takes (apt's
 * FileFd, zcat, Python, Go); the matches a piece could have made into the window before it are kept by
 * the dictionary, so it is larger than one deflate call by a few hundredths of a percent (5,000 debs'
 * Packages: +0.03 %) and about twice as fast on two cores (71-78 -> 39-50 ms). The cut points depend on
 * the input alone: the same bytes give the same file on any machine.
 *
 * An index made of packages (Packages, RPM-MD's documents, pacman's databases) goes through
 * {@link gzipItems} instead: pieces cut between packages and known by the packages they hold, with a
 * table of the pieces that the root's state keeps, so that the next publish copies the deflated pieces of
 * packages that did not change without making their text at all (adding one package to 5,000 debs makes
 * and deflates one or two pieces of ~40).
 */
import { createHash } from "node:crypto";
import { gzipHeader } from "@packyard/formats/compress";
import { promisify } from "node:util";
import { constants, crc32, deflateRaw, gunzip, gzip, type ZlibOptions } from "node:zlib";
import { joinBytes } from "./bytes.ts";
import { Utf8Builder } from "./utf8.ts";

const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);
const gunzipAsync = promisify(gunzip);

/** Offset of the OS byte in a gzip header (RFC 1952 §2.3). */
const OS_OFFSET = 9;
/** "Unix": what compressBytes pins, so the bytes do not depend on the platform. */
const OS_UNIX = 3;
/** Bytes of input per deflate call above which an index is compressed in pieces. */
export const GZIP_PIECE = 256 * 1024;
/** deflate's window: what a piece may refer back to. */
const WINDOW = 32 * 1024;

/**
 * gzip-compresses `bytes` at `level` (default 6, zlib's and GNU gzip's).
 * @example const gz = await gzipBytes(new TextEncoder().encode(packages), 9);
 */
export async function gzipBytes(bytes: Uint8Array, level = 6): Promise<Uint8Array> {
  if (bytes.length <= GZIP_PIECE) return gzipWhole(bytes, level);
  const cuts: number[] = [];
  for (let end = GZIP_PIECE; end < bytes.length; end += GZIP_PIECE) cuts.push(end);
  cuts.push(bytes.length);
  return assemble(
    bytes,
    level,
    await Promise.all(
      cutsToPieces(cuts).map((p, i, all) => deflatePiece(bytes, p, level, i === all.length - 1)),
    ),
  );
}

/**
 * One piece of a gzip index: its key (`sha256`: of its items' ids, the salt, and the opening or closing
 * it holds), its uncompressed size, the SHA-256 of the index's last 32 KiB up to its end (what the piece
 * after it is primed with: from the pieces before it too when it is shorter), the size of its deflate
 * output and the CRC-32 of its text (the file's is combined from them).
 */
export interface GzipPiece {
  size: number;
  sha256: string;
  tail: string;
  deflated: number;
  /** Required to copy the piece; states written before it was recorded lack it (their pieces are not copied). */
  crc32?: number;
}

/**
 * How {@link gzipItems} cut an index: a root's state records it beside the index, so that the next publish
 * copies the deflated pieces whose items did not change instead of making and compressing them again.
 */
export interface GzipPieceTable {
  level: number;
  pieces: GzipPiece[];
}

/** An index {@link gzipItems} wrote before, with its table: the pieces it may copy. */
export interface GzipPrevious {
  bytes: Uint8Array;
  table: GzipPieceTable;
}

/** What {@link gzipItems} made: the file, its table, how many pieces it copied. */
export interface GzipIndex {
  bytes: Uint8Array;
  table?: GzipPieceTable;
  reused: number;
}

/** Item counts at the end of each piece ({@link itemCuts}) as the pieces' ranges. */
export function cutsToPieces(cuts: readonly number[]): { start: number; end: number }[] {
  return cuts.map((end, i) => ({ start: i === 0 ? 0 : cuts[i - 1]!, end }));
}

async function gzipWhole(bytes: Uint8Array, level: number): Promise<Uint8Array> {
  const out = await gzipAsync(bytes, { level });
  out[OS_OFFSET] = OS_UNIX;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** One piece as raw deflate: primed with the 32 KiB before it, ended with a sync flush unless it is the last. */
async function deflatePiece(
  bytes: Uint8Array,
  { start, end }: { start: number; end: number },
  level: number,
  last: boolean,
): Promise<Uint8Array> {
  const options: ZlibOptions = {
    level,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
  };
  if (start > 0) options.dictionary = bytes.subarray(Math.max(0, start - WINDOW), start);
  return deflateRawAsync(bytes.subarray(start, end), options);
}

/** The gzip member: header, the pieces' deflate stream, CRC-32 and size of `bytes`. */
function assemble(
  bytes: Uint8Array | { crc32: number; size: number },
  level: number,
  deflated: readonly Uint8Array[],
): Uint8Array {
  const head = gzipHeader(level);
  let size = head.length + 8;
  for (const p of deflated) size += p.length;
  const out = new Uint8Array(size);
  out.set(head);
  let at = head.length;
  for (const p of deflated) {
    out.set(p, at);
    at += p.length;
  }
  const trailer = new DataView(out.buffer, at, 8);
  const whole = bytes instanceof Uint8Array ? { crc32: crc32(bytes), size: bytes.length } : bytes;
  trailer.setUint32(0, whole.crc32, true);
  trailer.setUint32(4, whole.size % 2 ** 32, true);
  return out;
}

/** `m` times the 32-bit vector `v` over GF(2): the XOR of the columns `v` selects. */
function gf2Times(m: Uint32Array, v: number): number {
  let sum = 0;
  for (let i = 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= m[i]!;
  return sum >>> 0;
}

/** `m` squared over GF(2). */
function gf2Square(m: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let i = 0; i < 32; i++) out[i] = gf2Times(m, m[i]!);
  return out;
}

/** ZERO_BYTES[k]: the operator that advances a CRC-32 through 2^k zero bytes (made as needed). */
const ZERO_BYTES: Uint32Array[] = [];

function zeroBytes(k: number): Uint32Array {
  if (ZERO_BYTES.length === 0) {
    // The operator for one zero bit: the reflected polynomial, then a shift; cubed by squaring: one byte.
    const op = new Uint32Array(32);
    op[0] = 0xedb88320;
    for (let i = 1; i < 32; i++) op[i] = (1 << (i - 1)) >>> 0;
    ZERO_BYTES.push(gf2Square(gf2Square(gf2Square(op))));
  }
  while (ZERO_BYTES.length <= k) ZERO_BYTES.push(gf2Square(ZERO_BYTES[ZERO_BYTES.length - 1]!));
  return ZERO_BYTES[k]!;
}

/**
 * The CRC-32 of A followed by B from the CRC-32 of A, that of B and B's length (zlib's crc32_combine):
 * A's CRC is advanced through `lengthB` zero bytes (a linear map over GF(2): one operator per set bit of
 * the length, each the one-zero-byte operator squared k times, kept once made) and XORed with B's.
 * @example crc32Combine(crc32(a), crc32(b), b.length) === crc32(concat(a, b))
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  let crc = crcA >>> 0;
  for (let n = lengthB, k = 0; n > 0; n = Math.floor(n / 2), k++)
    if (n % 2 === 1) crc = gf2Times(zeroBytes(k), crc);
  return (crc ^ crcB) >>> 0;
}

/** A piece of {@link gzipItems} ends after an item once it holds ITEMS_MIN items and the item's cut says so... */
const ITEMS_MIN = 32;
/** ...with a chance of 1 in ITEMS_SPREAD per item, or at ITEMS_MAX items whatever the cuts say. */
const ITEMS_SPREAD = 96;
const ITEMS_MAX = 1024;

/** How {@link itemCuts} cuts: at least `min` items a piece, then 1 in `spread` per item, at most `max`. */
export interface CutRule {
  min: number;
  spread: number;
  max: number;
}

const GZIP_ITEM_CUTS: CutRule = { min: ITEMS_MIN, spread: ITEMS_SPREAD, max: ITEMS_MAX };

/**
 * Where a list of items is cut into pieces by their cut strings alone (so one item more or less moves only
 * the cuts around it): the item count at the end of each piece (the last is all). By default as
 * {@link gzipItems} cuts.
 */
export function itemCuts(cuts: readonly string[], rule: CutRule = GZIP_ITEM_CUTS): number[] {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < cuts.length; i++) {
    const count = i + 1 - start;
    const draw = Number.parseInt(cuts[i]!.slice(0, 8), 16);
    if (!(draw >= 0)) throw new RangeError(`item ${i}'s cut is not hex: ${JSON.stringify(cuts[i])}`);
    if (count >= rule.max || (count >= rule.min && draw < 2 ** 32 / rule.spread)) {
      out.push(i + 1);
      start = i + 1;
    }
  }
  if (start < cuts.length || out.length === 0) out.push(cuts.length);
  return out;
}

/** What {@link itemPieces} needs of an item (a package) of an index. */
export interface PieceItem {
  /** Lowercase hex, random-looking and stable for the item (a digest of it): where pieces are cut. */
  cut: string;
  /** Bytes that differ whenever the item's text would (what the text is made from): which pieces changed. */
  id: Uint8Array;
}

/**
 * How {@link gzipItems} cuts a list of items ({@link itemCuts}) and the SHA-256 of each piece's ids: made
 * once for several indexes of the same items (RPM-MD's three documents, pacman's two databases), each of
 * which keys its pieces by these and its own salt.
 */
export interface ItemPieces {
  ranges: { start: number; end: number }[];
  keys: string[];
}

/** The pieces of `items`: where they are cut and what each holds (see {@link ItemPieces}). */
export function itemPieces(items: readonly PieceItem[]): ItemPieces {
  const ranges = cutsToPieces(itemCuts(items.map((i) => i.cut)));
  const keys = ranges.map(({ start, end }) => {
    const h = createHash("sha256");
    for (let k = start; k < end; k++) {
      const id = items[k]!.id;
      h.update(`${id.length}:`).update(id);
    }
    return h.digest("hex");
  });
  return { ranges, keys };
}

/** Options of {@link gzipItems}. */
export interface GzipItemsOptions {
  level: number;
  /** Bytes before the first item (a document's opening), part of the first piece. */
  open?: Uint8Array;
  /** Bytes after the last item (a tar's end blocks, a document's closing), part of the last piece. */
  close?: Uint8Array;
  /** The file and table a previous call wrote: the pieces it may copy. */
  previous?: GzipPrevious | undefined;
  /** Part of every piece's key: what the items' text depends on besides their ids (settings, a version). */
  salt?: string;
  /** Also give the uncompressed text back (`text`), for the indexes whose plain text is hashed or written. */
  text?: boolean;
}

/** What {@link gzipItems} made: as {@link GzipIndex}, and with `options.text` the uncompressed text in parts. */
export interface GzipItemsIndex extends GzipIndex {
  text?: Uint8Array[];
}

/**
 * gzip of an index made of items: `open`, each item's text, `close`, as one member whose pieces are
 * deflated at once, each primed with the 32 KiB before it and ended with a sync flush (the last with the
 * final block), as pigz does: every gzip reader takes it (apt's FileFd, zcat, libarchive, Python, Go).
 * The pieces are cut by the items alone ({@link itemPieces}: no text needed to know the cuts) and known by
 * their items' ids, so a piece of a previous file whose ids, 32 KiB before it and place (first, last) are
 * unchanged is copied without making its text at all: only the pieces that changed (and the ones before
 * them, for their last 32 KiB) are made and deflated. The file's CRC-32 is combined from the pieces'
 * ({@link crc32Combine}). Same items, same bytes, with or without `previous`; a `previous` that does not
 * fit is ignored. One piece (under 32 items, and often more) is the bytes of {@link gzipBytes}' one call.
 *
 * With `text`, the uncompressed text comes back too: the copied pieces' from inflating the previous file
 * once (on the pool, beside the deflating), so an index whose plain text is hashed (repomd's
 * open-checksum) or written (APT's `Packages`) still makes only the pieces that changed.
 * @example const { bytes, table } = await gzipItems(pkgs.map((p) => () => stanza(p)), itemPieces(keys), { level: 9, previous });
 */
export async function gzipItems(
  texts: readonly (() => Uint8Array | string)[],
  pieces: ItemPieces,
  options: GzipItemsOptions,
): Promise<GzipItemsIndex> {
  const { level, open = EMPTY, close = EMPTY, previous, salt = "" } = options;
  const { ranges } = pieces;
  const last = ranges.length - 1;
  if (ranges.length === 0 || ranges[last]!.end !== texts.length || pieces.keys.length !== ranges.length)
    throw new RangeError(
      `gzip index: the pieces cover ${ranges[last]?.end ?? 0} items in ${ranges.length} pieces, the index has ${texts.length}`,
    );
  const table: GzipPiece[] = ranges.map((_, i) => {
    const h = createHash("sha256").update(`${salt.length}:${salt}`).update(pieces.keys[i]!);
    if (i === 0) h.update(`open ${open.length}:`).update(open);
    if (i === last) h.update(`close ${close.length}:`).update(close);
    return { size: 0, sha256: h.digest("hex"), tail: "", deflated: 0 };
  });
  const made = new Map<number, Uint8Array>();
  const text = (i: number): Uint8Array => {
    let t = made.get(i);
    if (t === undefined) {
      const { start, end } = ranges[i]!;
      const out = new Utf8Builder();
      if (i === 0) out.appendBytes(open);
      for (let k = start; k < end; k++) {
        const part = texts[k]!();
        if (typeof part === "string") out.append(part);
        else out.appendBytes(part);
      }
      if (i === last) out.appendBytes(close);
      t = out.bytes();
      made.set(i, t);
    }
    return t;
  };
  // The 32 KiB of text before piece `i` (its dictionary), from as many pieces back as it takes: a piece
  // made anyway gives its tail, one that is copied gives the text of its last items only (a piece of a
  // hundred packages' file lists may be 300 KiB, of which the window needs a few packages).
  const windowBefore = (i: number): Uint8Array => {
    const window: Uint8Array[] = [];
    let need = WINDOW;
    const take = (part: Uint8Array) => {
      window.unshift(part.subarray(Math.max(0, part.length - need)));
      need -= part.length;
    };
    for (let k = i - 1; k >= 0 && need > 0; k--) {
      const whole = made.get(k);
      if (whole !== undefined) {
        take(whole);
        continue;
      }
      const { start, end } = ranges[k]!;
      if (k === last) take(close);
      for (let j = end - 1; j >= start && need > 0; j--) {
        const part = texts[j]!();
        take(typeof part === "string" ? encoder.encode(part) : part);
      }
      if (k === 0 && need > 0) take(open);
    }
    return joinBytes(window);
  };
  const old = previous === undefined ? undefined : reusablePieces(previous, level);
  let reused = 0;
  const copied: ({ from: number; to: number } | undefined)[] = [];
  const out: Promise<Uint8Array>[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const copy = old?.find(table, i);
    copied.push(copy?.text);
    if (copy !== undefined) {
      reused++;
      out.push(Promise.resolve(copy.deflated));
      continue;
    }
    const t = text(i);
    const piece = table[i]!;
    piece.size = t.length;
    piece.tail = createHash("sha256")
      .update(windowBefore(i + 1))
      .digest("hex");
    piece.crc32 = crc32(t);
    const zlib: ZlibOptions = {
      level,
      finishFlush: i === last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    };
    if (i > 0) zlib.dictionary = windowBefore(i);
    out.push(deflateRawAsync(t, zlib));
  }
  // The copied pieces' text: the previous file inflated whole, while the pool deflates the others.
  const before = options.text === true && reused > 0 ? inflatedText(old!) : undefined;
  const deflated = await Promise.all(out);
  let crc = 0;
  let size = 0;
  for (const [i, p] of table.entries()) {
    p.deflated = deflated[i]!.length;
    crc = crc32Combine(crc, p.crc32!, p.size);
    size += p.size;
  }
  const index: GzipItemsIndex = {
    bytes: assemble({ crc32: crc, size }, level, deflated),
    table: { level, pieces: table },
    reused,
  };
  if (options.text !== true) return index;
  const whole = await before;
  const parts: Uint8Array[] = [];
  for (const [i, range] of copied.entries()) {
    const part = range === undefined ? text(i) : whole?.subarray(range.from, range.to);
    // A previous file that does not inflate to what its table says: make it all, copying nothing.
    if (part === undefined || (range !== undefined && crc32(part) !== table[i]!.crc32))
      return gzipItems(texts, pieces, { ...options, previous: undefined });
    const prior = parts[parts.length - 1];
    // Neighbours in the previous text stay one view (nothing changed: the previous text itself).
    if (
      prior !== undefined &&
      range !== undefined &&
      prior.buffer === part.buffer &&
      prior.byteOffset + prior.length === part.byteOffset
    )
      parts[parts.length - 1] = new Uint8Array(prior.buffer, prior.byteOffset, prior.length + part.length);
    else parts.push(part);
  }
  index.text = parts;
  return index;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** A previous file and table checked to fit, with where each piece's deflate output and text lie in it. */
interface Reusable {
  previous: GzipPrevious;
  /** Uncompressed size of the whole previous file. */
  size: number;
  find(
    pieces: GzipPiece[],
    i: number,
  ): { deflated: Uint8Array; text: { from: number; to: number } } | undefined;
}

/**
 * The pieces of a previous file that {@link gzipItems} may copy, found by key and checked for place: a
 * piece found is written over `pieces[i]` (which holds only its key until then).
 */
function reusablePieces(previous: GzipPrevious, level: number): Reusable | undefined {
  const { bytes, table } = previous;
  if (table.level !== level || !Array.isArray(table.pieces) || table.pieces.length === 0) return undefined;
  const head = gzipHeader(level);
  if (bytes.length < 18 || head.some((b, i) => bytes[i] !== b)) return undefined;
  const offsets: number[] = [];
  const textAt: number[] = [];
  let at = head.length;
  let size = 0;
  const byKey = new Map<string, number[]>();
  for (const [j, p] of table.pieces.entries()) {
    if (
      typeof p !== "object" ||
      p === null ||
      !Number.isSafeInteger(p.size) ||
      p.size < 0 ||
      !Number.isSafeInteger(p.deflated) ||
      p.deflated < 1 ||
      typeof p.sha256 !== "string" ||
      typeof p.tail !== "string" ||
      !(Number.isInteger(p.crc32) && p.crc32! >= 0 && p.crc32! < 2 ** 32)
    )
      return undefined;
    offsets.push(at);
    textAt.push(size);
    at += p.deflated;
    size += p.size;
    byKey.set(p.sha256, [...(byKey.get(p.sha256) ?? []), j]);
  }
  if (at + 8 !== bytes.length) return undefined;
  const oldLast = table.pieces.length - 1;
  return {
    previous,
    size,
    find(pieces, i) {
      const piece = pieces[i]!;
      const before = pieces[i - 1];
      for (const j of byKey.get(piece.sha256) ?? []) {
        const p = table.pieces[j]!;
        if ((j === oldLast) !== (i === pieces.length - 1)) continue;
        // The same 32 KiB before it (its dictionary, what its matches may reach back into), or none.
        const q = table.pieces[j - 1];
        const samePrefix = before === undefined ? j === 0 : q !== undefined && q.tail === before.tail;
        if (!samePrefix) continue;
        Object.assign(piece, p);
        return {
          deflated: bytes.subarray(offsets[j]!, offsets[j]! + p.deflated),
          text: { from: textAt[j]!, to: textAt[j]! + p.size },
        };
      }
      return undefined;
    },
  };
}

/** The previous file's text, or undefined when it does not inflate to the size its table says. */
async function inflatedText(old: Reusable): Promise<Uint8Array | undefined> {
  try {
    // One output chunk for the whole text: with zlib's 16 KiB chunks, a text of megabytes takes hundreds of
    // trips between the pool and the main thread (7 MB: ~40 ms against ~9).
    const out = await gunzipAsync(old.previous.bytes, {
      maxOutputLength: Math.max(1, old.size),
      chunkSize: Math.min(Math.max(old.size, 64 * 1024), 64 * 1024 * 1024),
    });
    return out.length === old.size ? new Uint8Array(out.buffer, out.byteOffset, out.length) : undefined;
  } catch {
    return undefined;
  }
}
