/**
 * xar (the macOS flat package) taken apart into header, TOC XML and heap, and put back together: the TOC is
 * zlib-compressed again, the header's lengths follow it, and the TOC checksum in the heap is recomputed so a
 * mutated TOC reaches the parser. A member's data can be replaced: the new bytes go at the end of the heap
 * and its `<data>` element (offset, length, size, checksums) is rewritten to point at them.
 */
import { createHash } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";
import { concatBytes, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated } from "./bytes.ts";

/** A xar as its three parts. */
export interface XarParts {
  /** The header as stored (28 bytes or more). */
  header: Uint8Array;
  xml: string;
  heap: Uint8Array;
}

const cache = new WeakMap<Uint8Array, XarParts | null>();

/** Splits a xar whose header and TOC are intact; undefined otherwise. Cached; treat as read-only. */
export function splitXar(b: Uint8Array): XarParts | undefined {
  const hit = cache.get(b);
  if (hit !== undefined) return hit ?? undefined;
  let parts: XarParts | undefined;
  try {
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const headerSize = v.getUint16(4);
    const clen = Number(v.getBigUint64(8));
    if (v.getUint32(0) === 0x78617221 && headerSize >= 28 && headerSize + clen <= b.length) {
      const xml = new TextDecoder().decode(
        inflateSync(b.subarray(headerSize, headerSize + clen), { maxOutputLength: 8 << 20 }),
      );
      parts = { header: b.subarray(0, headerSize), xml, heap: b.subarray(headerSize + clen) };
    }
  } catch {
    parts = undefined;
  }
  cache.set(b, parts ?? null);
  return parts;
}

const sha1 = (b: Uint8Array) => createHash("sha1").update(b).digest();

/**
 * Joins the parts: TOC compressed, header lengths set, and (unless `keepChecksum`) the TOC's sha1 written
 * where `<checksum>` says. `ulen` overrides the uncompressed length the header claims.
 */
export function joinXar(
  p: XarParts,
  opts: { keepChecksum?: boolean; ulen?: number; compressed?: Uint8Array } = {},
): Uint8Array {
  const xmlBytes = encodeUtf8(p.xml);
  const ctoc = opts.compressed ?? new Uint8Array(deflateSync(xmlBytes));
  const header = p.header.slice();
  const v = new DataView(header.buffer);
  v.setBigUint64(8, BigInt(ctoc.length));
  v.setBigUint64(16, BigInt(opts.ulen ?? xmlBytes.length));
  const heap = p.heap.slice();
  const ck = /<checksum style="sha1">\s*<offset>(\d+)<\/offset>\s*<size>20<\/size>/.exec(p.xml);
  if (!opts.keepChecksum && ck) {
    const at = Number(ck[1]);
    if (at + 20 <= heap.length) heap.set(sha1(ctoc), at);
  }
  return concatBytes([header, ctoc, heap]);
}

/** A `<data>` element found in the TOC: its text span and the values it holds. */
export interface DataElement {
  start: number;
  end: number;
  offset: number;
  length: number;
  encoding: string;
  /** The `<name>` of the file it belongs to (the next `<name>` in document order, as xar writes it). */
  name: string;
}

/** Every `<data>` element of the TOC with the file name it belongs to. */
export function dataElements(xml: string): DataElement[] {
  const out: DataElement[] = [];
  for (const m of xml.matchAll(/<data>([\s\S]*?)<\/data>/g)) {
    const body = m[1]!;
    const start = m.index ?? 0;
    const end = start + m[0].length;
    const offset = Number(/<offset>\s*(\d+)\s*<\/offset>/.exec(body)?.[1] ?? Number.NaN);
    const length = Number(/<length>\s*(\d+)\s*<\/length>/.exec(body)?.[1] ?? Number.NaN);
    const encoding = /<encoding style="([^"]*)"/.exec(body)?.[1] ?? "application/octet-stream";
    // xar writes <data> before <name> in a file element; look both ways within this element
    const after = /^[\s\S]*?<name>([^<]*)<\/name>/.exec(xml.slice(end))?.[1];
    if (Number.isFinite(offset) && Number.isFinite(length))
      out.push({ start, end, offset, length, encoding, name: after ?? "" });
  }
  return out;
}

/** The decoded bytes a `<data>` element stores (zlib-inflated for x-gzip), or undefined. */
export function memberBytes(
  p: XarParts,
  d: DataElement,
): { stored: Uint8Array; decoded: Uint8Array } | undefined {
  if (d.offset + d.length > p.heap.length) return undefined;
  const stored = p.heap.subarray(d.offset, d.offset + d.length);
  if (d.encoding !== "application/x-gzip") return { stored, decoded: stored };
  try {
    return { stored, decoded: new Uint8Array(inflateSync(stored, { maxOutputLength: 8 << 20 })) };
  } catch {
    return undefined;
  }
}

/** The parts with `d`'s data replaced by `decoded` (encoded as `d` was), appended to the heap. */
export function replaceMember(
  p: XarParts,
  d: DataElement,
  decoded: Uint8Array,
  storedOverride?: Uint8Array,
): XarParts {
  const stored =
    storedOverride ?? (d.encoding === "application/x-gzip" ? new Uint8Array(deflateSync(decoded)) : decoded);
  const offset = p.heap.length;
  const el =
    `<data><length>${stored.length}</length><offset>${offset}</offset><size>${decoded.length}</size>` +
    `<encoding style="${d.encoding}"/>` +
    `<extracted-checksum style="sha1">${sha1(decoded).toString("hex")}</extracted-checksum>` +
    `<archived-checksum style="sha1">${sha1(stored).toString("hex")}</archived-checksum></data>`;
  return {
    header: p.header,
    xml: p.xml.slice(0, d.start) + el + p.xml.slice(d.end),
    heap: concatBytes([p.heap, stored]),
  };
}

/** One mutation of the 28-byte header's fields (lengths not re-fixed). */
export function mutateXarHeader(rng: Rng, b: Uint8Array): Mutated {
  const out = b.slice();
  if (out.length < 28) return havoc(rng, b);
  const v = new DataView(out.buffer);
  const field = rng.pick(["size", "version", "clen", "ulen", "cksum"] as const);
  if (field === "size") v.setUint16(4, rng.pick([0, 27, 29, 64, 0xffff]));
  else if (field === "version") v.setUint16(6, rng.pick([0, 2, 0xffff]));
  else if (field === "cksum") v.setUint32(24, rng.pick([0, 2, 3, 4, 5, 0xffffffff]));
  else {
    const at = field === "clen" ? 8 : 16;
    const old = v.getBigUint64(at);
    v.setBigUint64(
      at,
      rng.pick([0n, 1n, old + 1n, old - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 53n + 1n, 64n << 20n]),
    );
  }
  return { bytes: out, what: `xar header ${field} changed` };
}
