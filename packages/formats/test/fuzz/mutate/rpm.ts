/**
 * rpm taken apart into lead, signature header (and its padding), main header and payload, and put back
 * together with every digest the reader checks recomputed, so a mutation of the main header or the payload
 * reaches the parser instead of stopping at DIGEST_MISMATCH: the signature header's SHA1 and SHA256 of the
 * main header, MD5 and SIZE of header+payload, PAYLOADSIZE of the uncompressed payload, and the main
 * header's PAYLOADDIGEST and PAYLOADDIGESTALT. Digests are patched in place (same length), found by walking
 * the raw index entries, so they land even in a header whose other entries were made invalid on purpose.
 */
import { createHash } from "node:crypto";
import { concatBytes, encodeAscii } from "../../../src/bytes/bytes.ts";
import { SIG, TAG } from "../../../src/rpm/tags.ts";
import type { Rng } from "../rng.ts";
import type { Mutated } from "./bytes.ts";

/** The parts of an rpm, each as stored. */
export interface RpmParts {
  lead: Uint8Array;
  signature: Uint8Array;
  /** Zero bytes after the signature header, up to the 8-byte boundary. */
  padding: Uint8Array;
  header: Uint8Array;
  payload: Uint8Array;
}

/** A raw index entry and where it sits. */
export interface IndexEntry {
  /** Offset of the 16-byte entry in its header. */
  at: number;
  tag: number;
  type: number;
  offset: number;
  count: number;
}

function headerLength(b: Uint8Array, at: number): number | undefined {
  if (at + 16 > b.length) return undefined;
  const v = new DataView(b.buffer, b.byteOffset + at);
  const il = v.getUint32(8);
  const dl = v.getUint32(12);
  const n = 16 + il * 16 + dl;
  return il < 0x10000 && at + n <= b.length ? n : undefined;
}

const cache = new WeakMap<Uint8Array, RpmParts | null>();

/** Splits an rpm whose lead and headers are intact; undefined otherwise. Cached; treat as read-only. */
export function splitRpm(b: Uint8Array): RpmParts | undefined {
  const hit = cache.get(b);
  if (hit !== undefined) return hit ?? undefined;
  let parts: RpmParts | undefined;
  const sigLen = headerLength(b, 96);
  if (b.length >= 96 && sigLen !== undefined) {
    const pad = (8 - (sigLen % 8)) % 8;
    const hStart = 96 + sigLen + pad;
    const hLen = headerLength(b, hStart);
    if (hLen !== undefined)
      parts = {
        lead: b.subarray(0, 96),
        signature: b.subarray(96, 96 + sigLen),
        padding: b.subarray(96 + sigLen, hStart),
        header: b.subarray(hStart, hStart + hLen),
        payload: b.subarray(hStart + hLen),
      };
  }
  cache.set(b, parts ?? null);
  return parts;
}

/** The raw index entries of a header (no validation). */
export function indexEntries(h: Uint8Array): IndexEntry[] {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const il = v.getUint32(8);
  const out: IndexEntry[] = [];
  for (let i = 0; i < il && 16 + i * 16 + 16 <= h.length; i++) {
    const at = 16 + i * 16;
    out.push({
      at,
      tag: v.getUint32(at),
      type: v.getUint32(at + 4),
      offset: v.getInt32(at + 8),
      count: v.getUint32(at + 12),
    });
  }
  return out;
}

/** Writes `value` at tag `tag`'s data in place when the entry's type and room allow; true when it did. */
function patch(h: Uint8Array, tag: number, value: Uint8Array | number | bigint): boolean {
  const entries = indexEntries(h);
  const e = entries.find((x) => x.tag === tag);
  if (e === undefined) return false;
  const store = 16 + entries.length * 16;
  const at = store + e.offset;
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  if (typeof value === "number" && e.type === 4 && at >= store && at + 4 <= h.length)
    v.setUint32(at, value >>> 0);
  else if (typeof value === "bigint" && e.type === 5 && at >= store && at + 8 <= h.length)
    v.setBigUint64(at, value);
  else if (value instanceof Uint8Array && at >= store && at + value.length <= h.length) h.set(value, at);
  else return false;
  return true;
}

const hash = (algo: string, ...parts: Uint8Array[]) => {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return h.digest();
};

/**
 * Joins the parts with the digests recomputed (in copies): main header PAYLOADDIGEST/ALT first (they
 * change the header), then the signature header's digests and sizes. `plain` is the uncompressed payload
 * when known (for PAYLOADDIGESTALT and PAYLOADSIZE).
 */
export function joinRpm(p: RpmParts, plain?: Uint8Array): Uint8Array {
  const header = p.header.slice();
  const sig = p.signature.slice();
  patch(header, TAG.PAYLOADDIGEST, encodeAscii(hash("sha256", p.payload).toString("hex")));
  if (plain !== undefined)
    patch(header, TAG.PAYLOADDIGESTALT, encodeAscii(hash("sha256", plain).toString("hex")));
  patch(sig, SIG.SHA1, encodeAscii(hash("sha1", header).toString("hex")));
  patch(sig, SIG.SHA256, encodeAscii(hash("sha256", header).toString("hex")));
  patch(sig, SIG.MD5, new Uint8Array(hash("md5", header, p.payload)));
  patch(sig, SIG.SIZE, header.length + p.payload.length);
  patch(sig, SIG.LONGSIZE, BigInt(header.length + p.payload.length));
  if (plain !== undefined) {
    patch(sig, SIG.PAYLOADSIZE, plain.length);
    patch(sig, SIG.LONGARCHIVESIZE, BigInt(plain.length));
  }
  const pad = new Uint8Array((8 - (sig.length % 8)) % 8);
  return concatBytes([p.lead, sig, pad, header, p.payload]);
}

/** One mutation of a header's raw index entries (tag, type, offset or count), or of its il/dl. */
export function mutateIndex(rng: Rng, h: Uint8Array): Mutated {
  const out = h.slice();
  const v = new DataView(out.buffer);
  const entries = indexEntries(out);
  if (entries.length === 0 || rng.chance(0.1)) {
    const at = rng.pick([8, 12]);
    const old = v.getUint32(at);
    const n = rng.pick([0, 1, old + 1, old - 1, 0xffff, 0x10000, 0x0fffffff, 0xffffffff, old * 2]) >>> 0;
    v.setUint32(at, n);
    return { bytes: out, what: `${at === 8 ? "il" : "dl"} ${old} -> ${n}` };
  }
  const e = rng.pick(entries);
  const field = rng.pick(["tag", "type", "offset", "offset", "count", "count"] as const);
  const off = { tag: 0, type: 4, offset: 8, count: 12 }[field];
  const old = field === "offset" ? e.offset : e[field];
  const others = entries.map((x) => x[field]);
  const value =
    field === "type"
      ? rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xffffffff])
      : rng.pick([
          0,
          1,
          old + 1,
          old - 1,
          old + 4,
          old * 2,
          -1,
          -16,
          0x7fffffff,
          0xffffffff,
          0x100000,
          rng.pick(others),
          field === "tag" ? rng.pick([61, 62, 63, 99, 100, 1000, 1028, 1116, 1117, 1118, 5092]) : old,
        ]);
  if (field === "offset") v.setInt32(e.at + off, value | 0);
  else v.setUint32(e.at + off, value >>> 0);
  return { bytes: out, what: `index entry ${e.at / 16 - 1} (tag ${e.tag}) ${field} ${old} -> ${value}` };
}

/** One mutation of the data an entry points at: numbers, strings and their terminators. */
export function mutateData(rng: Rng, h: Uint8Array): Mutated {
  const out = h.slice();
  const entries = indexEntries(out);
  const store = 16 + entries.length * 16;
  const usable = entries.filter((e) => e.offset >= 0 && store + e.offset < out.length);
  if (usable.length === 0) return mutateIndex(rng, h);
  const e = rng.pick(usable);
  const at = store + e.offset;
  const v = new DataView(out.buffer);
  const kind = rng.int(4);
  if ((e.type === 4 || e.type === 3) && kind < 3) {
    const i = rng.int(Math.max(1, Math.min(e.count, 64)));
    const size = e.type === 4 ? 4 : 2;
    const p = at + i * size;
    if (p + size > out.length) return mutateIndex(rng, h);
    const n = rng.pick([0, 1, 0xffffffff, 0x7fffffff, 0o120777, 0o40755, 0o100644, 0o20644, 12345, 0xffff]);
    if (size === 4) v.setUint32(p, n >>> 0);
    else v.setUint16(p, n & 0xffff);
    return { bytes: out, what: `tag ${e.tag} element ${i} = ${n}` };
  }
  if ((e.type === 6 || e.type === 8 || e.type === 9) && kind < 3) {
    const end = out.indexOf(0, at);
    const len = end < 0 ? 0 : end - at;
    const value = rng.pick([
      "",
      "..",
      "/",
      "../../etc",
      "gzip",
      "xz",
      "zstd",
      "bzip2",
      "lzma",
      "cpio",
      "tar",
      "x",
      "\u00ff",
    ]);
    const bytes = new TextEncoder().encode(value);
    const text = concatBytes([bytes.subarray(0, len), new Uint8Array(Math.max(0, len - bytes.length))]);
    out.set(text.subarray(0, len), at);
    if (rng.chance(0.2) && end >= 0) out[end] = 0x41; // lose the terminator
    return { bytes: out, what: `tag ${e.tag} string = ${JSON.stringify(value)} (kept ${len} bytes)` };
  }
  const p = at + rng.int(Math.min(64, out.length - at));
  out[p] = rng.pick([0, 0xff, 0x2f, 0x2e, 0x41, rng.int(256)]);
  return { bytes: out, what: `tag ${e.tag} data byte ${p - at} changed` };
}
