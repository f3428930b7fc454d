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
 * {@link gzipIndex} instead: cut
 * between packages where their content says ({@link pieceCuts}), with a table of the pieces that the
 * root's state keeps, so that the next publish copies the deflated pieces whose text did not change
 * (adding one package to 5,000 debs deflates one or two pieces of ~13 instead of all of them).
 * pacman's databases go through {@link gzipItems}: pieces cut and known by their items (packages), so the
 * text of an unchanged piece is never made at all.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { constants, crc32, deflateRaw, gzip, type ZlibOptions } from "node:zlib";
import { joinBytes } from "./bytes.ts";

const gzipAsync = promisify(gzip);
const deflateRawAsync = promisify(deflateRaw);

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
 * One piece of a gzip index: its uncompressed size and SHA-256, the SHA-256 of its last 32 KiB (what the
 * piece after it is primed with), and the size of its deflate output.
 */
export interface GzipPiece {
  size: number;
  sha256: string;
  tail: string;
  deflated: number;
  /** {@link gzipItems}: the CRC-32 of its text (the file's is combined from them), and `sha256` is its items' key. */
  crc32?: number;
}

/**
 * How {@link gzipIndex} cut an index: a root's state records it beside the index, so that the next publish
 * copies the deflated pieces whose text did not change instead of compressing them again.
 */
export interface GzipPieceTable {
  level: number;
  pieces: GzipPiece[];
}

/** An index {@link gzipIndex} wrote before, with its table: the pieces it may copy. */
export interface GzipPrevious {
  bytes: Uint8Array;
  table: GzipPieceTable;
}

/** What {@link gzipIndex} made: the file, its table (absent for an index of one piece), how many pieces it copied. */
export interface GzipIndex {
  bytes: Uint8Array;
  table?: GzipPieceTable;
  reused: number;
}

/** A piece is cut at an item's end once it holds this many bytes and that item's hash says so... */
const PIECE_MIN = 128 * 1024;
/** ...with a chance of (item's bytes / PIECE_SPREAD) per item: pieces of ~PIECE_MIN + PIECE_SPREAD. */
const PIECE_SPREAD = 128 * 1024;
/** A piece is cut at the first item's end past this, whatever the hashes say. */
const PIECE_MAX = 1024 * 1024;

/**
 * Where {@link gzipIndex} cuts an index whose items end at `ends` (ascending offsets into `bytes`): after an
 * item, once the piece holds PIECE_MIN bytes, when the CRC-32 of that item's bytes falls under a threshold
 * proportional to its size, or at once past PIECE_MAX. The cuts depend on the items alone, not on where
 * an earlier piece began by chance: adding or changing one package moves at most the cuts around it, so
 * every other piece keeps its text (and its deflated bytes can be copied). Returns the end of each piece,
 * the last being `bytes.length`.
 */
export function pieceCuts(bytes: Uint8Array, ends: readonly number[]): number[] {
  const cuts: number[] = [];
  let start = 0;
  let prev = 0;
  for (const end of ends) {
    if (!Number.isInteger(end) || end < prev || end > bytes.length)
      throw new RangeError(
        `gzip index: item ends must ascend within ${bytes.length} bytes, found ${end} after ${prev}`,
      );
    const length = end - start;
    const chance = Math.min(2 ** 32, Math.floor(((end - prev) * 2 ** 32) / PIECE_SPREAD));
    if (length >= PIECE_MAX || (length >= PIECE_MIN && crc32(bytes.subarray(prev, end)) < chance)) {
      cuts.push(end);
      start = end;
    }
    prev = end;
  }
  if (start < bytes.length || cuts.length === 0) cuts.push(bytes.length);
  return cuts;
}

/**
 * gzip of an index made of items (packages) ending at `ends`: as {@link gzipBytes} — one member, pieces
 * deflated at once, each primed with the 32 KiB before it and ended with a sync flush — but cut at item
 * ends chosen by content ({@link pieceCuts}), with a table of the pieces. Given the file and table a
 * previous call wrote, a piece whose text, 32 KiB before it and place (last or not) are unchanged is copied
 * from it, not deflated: its bytes are those deflating would give, so the output never depends on
 * `previous` (same input, same bytes). A `previous` that does not fit (another level, a table that does
 * not add up to its file) is ignored. Up to {@link GZIP_PIECE} bytes: {@link gzipBytes}, no table.
 * @example const { bytes, table } = await gzipIndex(packages, ends, 9, previous);
 */
export async function gzipIndex(
  bytes: Uint8Array,
  ends: readonly number[],
  level: number,
  previous?: GzipPrevious,
): Promise<GzipIndex> {
  if (bytes.length <= GZIP_PIECE) return { bytes: await gzipWhole(bytes, level), reused: 0 };
  const ranges = cutsToPieces(pieceCuts(bytes, ends));
  const sha256 = (from: number, to: number) =>
    createHash("sha256").update(bytes.subarray(from, to)).digest("hex");
  const pieces: GzipPiece[] = ranges.map(({ start, end }) => ({
    size: end - start,
    sha256: sha256(start, end),
    tail: sha256(Math.max(start, end - WINDOW), end),
    deflated: 0,
  }));
  const old = previous === undefined ? undefined : reusablePieces(previous, level);
  let reused = 0;
  const last = pieces.length - 1;
  const out = await Promise.all(
    ranges.map((range, i) => {
      const copy = old?.find(pieces, i);
      if (copy === undefined) return deflatePiece(bytes, range, level, i === last);
      reused++;
      return copy;
    }),
  );
  for (const [i, d] of out.entries()) pieces[i]!.deflated = d.length;
  return { bytes: assemble(bytes, level, out), table: { level, pieces }, reused };
}

/** The pieces of a previous index that {@link gzipIndex} may copy, found by text and checked for place. */
function reusablePieces(
  previous: GzipPrevious,
  level: number,
  keyed = false,
): { find(pieces: readonly GzipPiece[], i: number, count?: number): Uint8Array | undefined } | undefined {
  const { bytes, table } = previous;
  if (table.level !== level || !Array.isArray(table.pieces) || table.pieces.length === 0) return undefined;
  const head = header(level);
  if (bytes.length < 18 || head.some((b, i) => bytes[i] !== b)) return undefined;
  const offsets: number[] = [];
  let at = head.length;
  const bySha = new Map<string, number[]>();
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
      (keyed && !(Number.isInteger(p.crc32) && p.crc32! >= 0 && p.crc32! < 2 ** 32))
    )
      return undefined;
    offsets.push(at);
    at += p.deflated;
    bySha.set(p.sha256, [...(bySha.get(p.sha256) ?? []), j]);
  }
  if (at + 8 !== bytes.length) return undefined;
  const oldLast = table.pieces.length - 1;
  return {
    // `count`: how many pieces the new file has (default: pieces.length). For gzipItems, `pieces[i]` holds
    // only the key (its size is not known before rendering): a piece found is written over it.
    find(pieces, i, count = pieces.length) {
      const piece = pieces[i]!;
      const before = pieces[i - 1];
      for (const j of bySha.get(piece.sha256) ?? []) {
        const p = table.pieces[j]!;
        if ((!keyed && p.size !== piece.size) || (j === oldLast) !== (i === count - 1)) continue;
        // The same 32 KiB before it (its dictionary, what its matches may reach back into), or none.
        const q = table.pieces[j - 1];
        const samePrefix =
          before === undefined
            ? j === 0
            : q !== undefined && q.tail === before.tail && q.size >= WINDOW && before.size >= WINDOW;
        if (!samePrefix) continue;
        if (keyed) Object.assign(piece, p);
        return bytes.subarray(offsets[j]!, offsets[j]! + p.deflated);
      }
      return undefined;
    },
  };
}

function cutsToPieces(cuts: readonly number[]): { start: number; end: number }[] {
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

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS: zlib's own header for the level (XFL 2 at 9, 4 at 0-1). */
function header(level: number): number[] {
  return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, OS_UNIX];
}

/** The gzip member: header, the pieces' deflate stream, CRC-32 and size of `bytes`. */
function assemble(
  bytes: Uint8Array | { crc32: number; size: number },
  level: number,
  deflated: readonly Uint8Array[],
): Uint8Array {
  const head = header(level);
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

/**
 * The CRC-32 of A followed by B from the CRC-32 of A, that of B and B's length (zlib's crc32_combine):
 * A's CRC is advanced through `lengthB` zero bytes (a linear map over GF(2), applied by repeated squaring
 * of the one-zero-bit operator) and XORed with B's.
 * @example crc32Combine(crc32(a), crc32(b), b.length) === crc32(concat(a, b))
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  // The operator for one zero bit: the reflected polynomial, then a shift.
  let op: Uint32Array = new Uint32Array(32);
  op[0] = 0xedb88320;
  for (let i = 1; i < 32; i++) op[i] = (1 << (i - 1)) >>> 0;
  op = gf2Square(gf2Square(gf2Square(op))); // one zero byte: eight bits
  let crc = crcA >>> 0;
  for (let n = lengthB; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) crc = gf2Times(op, crc);
    op = gf2Square(op);
  }
  return (crc ^ crcB) >>> 0;
}

/** One item of an index {@link gzipItems} compresses. */
export interface GzipItem {
  /** Lowercase hex, random-looking and stable for the item (a digest of it): where pieces are cut. */
  cut: string;
  /** Bytes that differ whenever the item's text would (what the text is made from): which pieces changed. */
  id: Uint8Array;
  /** The item's text (made only for the pieces that changed). */
  text(): Uint8Array;
}

/** A piece of {@link gzipItems} ends after an item once it holds ITEMS_MIN items and the item's cut says so... */
const ITEMS_MIN = 32;
/** ...with a chance of 1 in ITEMS_SPREAD per item, or at ITEMS_MAX items whatever the cuts say. */
const ITEMS_SPREAD = 96;
const ITEMS_MAX = 1024;

/** Where {@link gzipItems} cuts a list of items: the item count at the end of each piece (the last is all). */
export function itemCuts(cuts: readonly string[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < cuts.length; i++) {
    const count = i + 1 - start;
    const draw = Number.parseInt(cuts[i]!.slice(0, 8), 16);
    if (!(draw >= 0))
      throw new RangeError(`gzip index: item ${i}'s cut is not hex: ${JSON.stringify(cuts[i])}`);
    if (count >= ITEMS_MAX || (count >= ITEMS_MIN && draw < 2 ** 32 / ITEMS_SPREAD)) {
      out.push(i + 1);
      start = i + 1;
    }
  }
  if (start < cuts.length || out.length === 0) out.push(cuts.length);
  return out;
}

/**
 * gzip of an index of items followed by `close` (a tar's end blocks), as {@link gzipIndex} writes it
 * — one member, pieces primed with the 32 KiB before them, sync-flushed — but cut by the items alone
 * ({@link itemCuts}: no text needed to know the cuts) and knowing a piece by its items' ids, so that a
 * piece of a previous file whose ids, 32 KiB before it and place are unchanged is copied without making
 * its text at all: only the pieces that changed (and the ones before them, for their last 32 KiB) are
 * made and deflated. The file's CRC-32 is combined from the pieces' ({@link crc32Combine}). Same items,
 * same bytes, with or without `previous`; a `previous` that does not fit is ignored.
 */
export async function gzipItems(
  items: readonly GzipItem[],
  options: {
    level: number;
    /** Bytes after the last item (a tar's end blocks). */
    close: Uint8Array;
    previous?: GzipPrevious | undefined;
    /** Part of every piece's key: what the items' text depends on besides their ids (settings, a version). */
    salt?: string;
  },
): Promise<GzipIndex> {
  const { level, close, previous, salt = "" } = options;
  const ranges = cutsToPieces(itemCuts(items.map((i) => i.cut)));
  const last = ranges.length - 1;
  const pieces: GzipPiece[] = ranges.map(({ start, end }, i) => {
    const h = createHash("sha256").update(`${salt.length}:${salt}`);
    for (let k = start; k < end; k++) {
      const id = items[k]!.id;
      h.update(`${id.length}:`).update(id);
    }
    if (i === last) h.update(`close ${close.length}:`).update(close);
    return { size: 0, sha256: h.digest("hex"), tail: "", deflated: 0 };
  });
  const texts = new Map<number, Uint8Array>();
  const text = (i: number): Uint8Array => {
    let t = texts.get(i);
    if (t === undefined) {
      const { start, end } = ranges[i]!;
      const parts = items.slice(start, end).map((item) => item.text());
      if (i === last) parts.push(close);
      t = joinBytes(parts);
      texts.set(i, t);
    }
    return t;
  };
  const old = previous === undefined ? undefined : reusablePieces(previous, level, true);
  let reused = 0;
  const out: Promise<Uint8Array>[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const copy = old?.find(pieces, i, ranges.length);
    if (copy !== undefined) {
      reused++;
      out.push(Promise.resolve(copy));
      continue;
    }
    const t = text(i);
    const piece = pieces[i]!;
    piece.size = t.length;
    piece.tail = createHash("sha256")
      .update(t.subarray(Math.max(0, t.length - WINDOW)))
      .digest("hex");
    piece.crc32 = crc32(t);
    const zlib: ZlibOptions = {
      level,
      finishFlush: i === last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    };
    // The 32 KiB before the piece, from as many pieces back as it takes (their text made for it).
    const window: Uint8Array[] = [];
    for (let k = i - 1, need = WINDOW; k >= 0 && need > 0; k--) {
      const before = text(k);
      window.unshift(before.subarray(Math.max(0, before.length - need)));
      need -= before.length;
    }
    if (window.length > 0) zlib.dictionary = joinBytes(window);
    out.push(deflateRawAsync(t, zlib));
  }
  const deflated = await Promise.all(out);
  let crc = 0;
  let size = 0;
  for (const [i, p] of pieces.entries()) {
    p.deflated = deflated[i]!.length;
    crc = crc32Combine(crc, p.crc32!, p.size);
    size += p.size;
  }
  return { bytes: assemble({ crc32: crc, size }, level, deflated), table: { level, pieces }, reused };
}
