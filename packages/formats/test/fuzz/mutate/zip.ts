/**
 * zip taken apart into its entries (central record, local header, data) and built again with offsets and
 * sizes right, so one field can be wrong on purpose: central and local header fields (sizes, offsets,
 * methods, flags, attributes, name and extra lengths, names), the end record (counts, directory size and
 * offset, comment length, Zip64 marks), Zip64 extra fields and records, entries sharing one local header
 * (the overlapping-entry bomb), and an entry's data replaced by a deflate bomb.
 */
import { deflateRawSync } from "node:zlib";
import { concatBytes, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import { CENTRAL, END, LOCAL, ZIP_SIG, ZIP_SIZE } from "../../../src/tarball/zip-layout.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated } from "./bytes.ts";

/** One entry: its central record (fixed part, name, extra, comment) and its local header and data. */
export interface ZipPart {
  central: Uint8Array;
  local: Uint8Array;
  data: Uint8Array;
}

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const cache = new WeakMap<Uint8Array, ZipPart[] | null>();

/** Splits a well-formed zip (no Zip64); undefined otherwise. Cached; treat as read-only. */
export function splitZip(b: Uint8Array): ZipPart[] | undefined {
  const hit = cache.get(b);
  if (hit !== undefined) return hit ?? undefined;
  let parts: ZipPart[] | undefined;
  const v = dv(b);
  const end = b.length - ZIP_SIZE.end;
  if (end >= 0 && v.getUint32(end, true) === ZIP_SIG.end) {
    const count = v.getUint16(end + END.entries, true);
    let p = v.getUint32(end + END.cdOffset, true);
    parts = [];
    for (let i = 0; i < count && parts; i++) {
      if (p + ZIP_SIZE.central > b.length || v.getUint32(p, true) !== ZIP_SIG.central) {
        parts = undefined;
        break;
      }
      const n = v.getUint16(p + CENTRAL.nameLength, true);
      const x = v.getUint16(p + CENTRAL.extraLength, true);
      const c = v.getUint16(p + CENTRAL.commentLength, true);
      const central = b.subarray(p, p + ZIP_SIZE.central + n + x + c);
      const lo = v.getUint32(p + CENTRAL.localOffset, true);
      const csize = v.getUint32(p + CENTRAL.compressedSize, true);
      if (lo + ZIP_SIZE.local > b.length) {
        parts = undefined;
        break;
      }
      const ln = v.getUint16(lo + LOCAL.nameLength, true);
      const lx = v.getUint16(lo + LOCAL.extraLength, true);
      const local = b.subarray(lo, lo + ZIP_SIZE.local + ln + lx);
      const data = b.subarray(lo + local.length, lo + local.length + csize);
      parts.push({ central, local, data });
      p += central.length;
    }
  }
  cache.set(b, parts ?? null);
  return parts;
}

/** Builds a zip from parts: local offsets and the end record follow the layout unless told otherwise. */
export function joinZip(
  parts: readonly ZipPart[],
  opts: { keepOffsets?: boolean; end?: (e: DataView) => void } = {},
): Uint8Array {
  const out: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    const central = p.central.slice();
    if (!opts.keepOffsets) dv(central).setUint32(CENTRAL.localOffset, at, true);
    centrals.push(central);
    out.push(p.local, p.data);
    at += p.local.length + p.data.length;
  }
  const cd = concatBytes(centrals);
  const end = new Uint8Array(ZIP_SIZE.end);
  const ev = dv(end);
  ev.setUint32(0, ZIP_SIG.end, true);
  ev.setUint16(END.entriesOnDisk, parts.length, true);
  ev.setUint16(END.entries, parts.length, true);
  ev.setUint32(END.cdSize, cd.length, true);
  ev.setUint32(END.cdOffset, at, true);
  opts.end?.(ev);
  return concatBytes([...out, cd, end]);
}

const U16 = [0, 1, 0x7fff, 0x8000, 0xffff, 8, 12, 99];
const U32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000, 1 << 30];

function setField(rng: Rng, b: Uint8Array, at: number, width: 2 | 4, old: number): string {
  const v = dv(b);
  const pool = width === 2 ? U16 : U32;
  const n = rng.pick([...pool, old + 1, Math.max(0, old - 1), old * 2]) >>> 0;
  if (width === 2) v.setUint16(at, n & 0xffff, true);
  else v.setUint32(at, n, true);
  return `${old} -> ${n}`;
}

const CENTRAL_FIELDS: readonly (readonly [string, number, 2 | 4])[] = [
  ["versionMadeBy", CENTRAL.versionMadeBy, 2],
  ["flags", CENTRAL.flags, 2],
  ["method", CENTRAL.method, 2],
  ["date", CENTRAL.date, 2],
  ["crc", CENTRAL.crc, 4],
  ["compressedSize", CENTRAL.compressedSize, 4],
  ["size", CENTRAL.size, 4],
  ["nameLength", CENTRAL.nameLength, 2],
  ["extraLength", CENTRAL.extraLength, 2],
  ["commentLength", CENTRAL.commentLength, 2],
  ["diskStart", CENTRAL.diskStart, 2],
  ["externalAttrs", CENTRAL.externalAttrs, 4],
  ["localOffset", CENTRAL.localOffset, 4],
];
const LOCAL_FIELDS: readonly (readonly [string, number, 2 | 4])[] = [
  ["flags", LOCAL.flags, 2],
  ["method", LOCAL.method, 2],
  ["crc", LOCAL.crc, 4],
  ["compressedSize", LOCAL.compressedSize, 4],
  ["size", LOCAL.size, 4],
  ["nameLength", LOCAL.nameLength, 2],
  ["extraLength", LOCAL.extraLength, 2],
];

/** A Zip64 extra field (id 1) with `n` 8-byte values. */
function zip64Extra(rng: Rng): Uint8Array {
  const n = rng.range(0, 4);
  const b = new Uint8Array(4 + n * 8);
  const v = dv(b);
  v.setUint16(0, 1, true);
  v.setUint16(2, rng.chance(0.8) ? n * 8 : rng.pick([1, 7, 100]), true);
  for (let i = 0; i < n; i++)
    v.setBigUint64(4 + i * 8, rng.pick([0n, 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 53n, 4096n]), true);
  return b;
}

/** One mutation of a zip. */
export function mutateZip(rng: Rng, b: Uint8Array): Mutated {
  const parts = splitZip(b);
  if (parts === undefined || parts.length === 0) return havoc(rng, b);
  const i = rng.int(parts.length);
  const copy = parts.map((p) => ({ ...p }));
  const p = copy[i]!;
  const kind = rng.int(9);
  if (kind <= 2) {
    const central = p.central.slice();
    const [name, at, width] = rng.pick(CENTRAL_FIELDS);
    const old = width === 2 ? dv(central).getUint16(at, true) : dv(central).getUint32(at, true);
    let what: string;
    if (name === "externalAttrs" && rng.chance(0.6)) {
      const mode = rng.pick([0o120777, 0o40755, 0o100644, 0o140000, 0o60644, 0o10644, 0o170000, 0]);
      dv(central).setUint32(at, ((mode << 16) | (rng.chance(0.3) ? 0x10 : 0)) >>> 0, true);
      what = `mode ${mode.toString(8)}`;
    } else what = setField(rng, central, at, width, old);
    copy[i] = { ...p, central };
    return {
      bytes: joinZip(copy, { keepOffsets: name === "localOffset" }),
      what: `entry ${i} central ${name} ${what}`,
    };
  }
  if (kind === 3) {
    const local = p.local.slice();
    const [name, at, width] = rng.pick(LOCAL_FIELDS);
    const old = width === 2 ? dv(local).getUint16(at, true) : dv(local).getUint32(at, true);
    const what = setField(rng, local, at, width, old);
    copy[i] = { ...p, local };
    return { bytes: joinZip(copy), what: `entry ${i} local ${name} ${what}` };
  }
  if (kind === 4) {
    // rename in both records, keeping the length
    const n = dv(p.central).getUint16(CENTRAL.nameLength, true);
    const evil = rng.pick(["../", "/", "..", "a\\..\\", "\0", "./", "C:/", "\u00ff"]);
    const central = p.central.slice();
    const local = p.local.slice();
    const bytes = encodeUtf8(evil).subarray(0, n);
    central.set(bytes, ZIP_SIZE.central);
    if (local.length >= ZIP_SIZE.local + bytes.length) local.set(bytes, ZIP_SIZE.local);
    copy[i] = { ...p, central, local };
    return { bytes: joinZip(copy), what: `entry ${i} name starts ${JSON.stringify(evil)}` };
  }
  if (kind === 5) {
    return {
      bytes: joinZip(copy, {
        end: (e) => {
          const field = rng.pick([
            END.disk,
            END.cdDisk,
            END.entriesOnDisk,
            END.entries,
            END.cdSize,
            END.cdOffset,
            END.commentLength,
          ]);
          if (field === END.cdSize || field === END.cdOffset) e.setUint32(field, rng.pick(U32), true);
          else e.setUint16(field, rng.pick(U16), true);
        },
      }),
      what: "end record field changed",
    };
  }
  if (kind === 6) {
    // a Zip64 extra in the central record (sizes marked 0xffffffff half the time)
    const extra = zip64Extra(rng);
    const n = dv(p.central).getUint16(CENTRAL.nameLength, true);
    const x = dv(p.central).getUint16(CENTRAL.extraLength, true);
    const head = p.central.slice(0, ZIP_SIZE.central + n);
    const central = concatBytes([head, extra, p.central.subarray(ZIP_SIZE.central + n + x)]);
    dv(central).setUint16(CENTRAL.extraLength, extra.length, true);
    if (rng.chance(0.5)) {
      dv(central).setUint32(CENTRAL.size, 0xffffffff, true);
      dv(central).setUint32(CENTRAL.compressedSize, 0xffffffff, true);
    }
    copy[i] = { ...p, central };
    return { bytes: joinZip(copy), what: `entry ${i} given a Zip64 extra of ${extra.length} bytes` };
  }
  if (kind === 7) {
    // two central records pointing at one local header (the overlapping zip bomb)
    const j = rng.int(parts.length);
    const central = copy[j]!.central.slice();
    const at = parts.slice(0, i).reduce((s, q) => s + q.local.length + q.data.length, 0);
    const bytes = joinZip(copy);
    const out = joinZip([...copy, { central, local: new Uint8Array(0), data: new Uint8Array(0) }]);
    const v = dv(out);
    const cdEnd = out.length - ZIP_SIZE.end;
    const last = cdEnd - central.length;
    v.setUint32(last + CENTRAL.localOffset, at, true);
    return {
      bytes: rng.chance(0.9) ? out : bytes,
      what: `extra central record for entry ${j} pointing at entry ${i}'s local header`,
    };
  }
  // an entry's data replaced by a deflate bomb, its sizes claiming (or not) the real size
  const mib = rng.pick([1, 16, 64, 256]);
  const block = deflateRawSync(new Uint8Array(1 << 20), { level: 9, finishFlush: 2 });
  const final = deflateRawSync(new Uint8Array(0));
  const data = concatBytes([
    ...new Array<Uint8Array>(mib).fill(new Uint8Array(block)),
    new Uint8Array(final),
  ]);
  const central = p.central.slice();
  const local = p.local.slice();
  const claimed = rng.chance(0.5) ? (mib << 20) >>> 0 : rng.pick([0, 100, 0xffffffff]);
  for (const [rec, f] of [
    [central, CENTRAL],
    [local, LOCAL],
  ] as const) {
    dv(rec).setUint16(f.method, 8, true);
    dv(rec).setUint32(f.compressedSize, data.length, true);
    dv(rec).setUint32(f.size, claimed, true);
  }
  copy[i] = { central, local, data };
  return { bytes: joinZip(copy), what: `entry ${i} = ${mib} MiB deflate bomb claiming ${claimed}` };
}
