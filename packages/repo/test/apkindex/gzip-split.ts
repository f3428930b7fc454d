/**
 * A gzip member splitter for the tests, written from RFC 1952 with node:zlib only (not @packyard/formats'
 * gzip-members, whose output it judges): read the member header and its optional fields, let
 * inflateRaw report how many deflate bytes it consumed, skip the CRC32/ISIZE trailer.
 */
import { inflateRawSync } from "node:zlib";

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** One member: its raw bytes, where it starts, and its decompressed content. */
export interface SplitMember {
  start: number;
  raw: Uint8Array;
  content: Uint8Array;
}

function skipZeroTerminated(bytes: Uint8Array, at: number): number {
  while (bytes[at] !== 0) {
    if (at >= bytes.length) throw new Error("gzip header: unterminated string");
    at++;
  }
  return at + 1;
}

/** Splits `bytes` at its gzip member boundaries. */
export function splitGzip(bytes: Uint8Array): SplitMember[] {
  const out: SplitMember[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes[pos] !== 0x1f || bytes[pos + 1] !== 0x8b || bytes[pos + 2] !== 8)
      throw new Error(`no gzip member at offset ${pos}`);
    const flags = bytes[pos + 3]!;
    let at = pos + 10;
    if (flags & FEXTRA) at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
    if (flags & FNAME) at = skipZeroTerminated(bytes, at);
    if (flags & FCOMMENT) at = skipZeroTerminated(bytes, at);
    if (flags & FHCRC) at += 2;
    const r = inflateRawSync(bytes.subarray(at), { info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    const end = at + r.engine.bytesWritten + 8;
    if (end > bytes.length) throw new Error(`gzip member at ${pos} is truncated`);
    out.push({ start: pos, raw: bytes.subarray(pos, end), content: new Uint8Array(r.buffer) });
    pos = end;
  }
  return out;
}

/** The entries of an uncompressed tar, read from the ustar header fields (POSIX pax(1)). */
export interface RawTarEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  magic: string;
  content: Uint8Array;
}

function field(block: Uint8Array, offset: number, size: number): string {
  return Buffer.from(block.subarray(offset, offset + size))
    .toString("latin1")
    .replace(/\0.*$/s, "");
}

function octal(block: Uint8Array, offset: number, size: number): number {
  return Number.parseInt(field(block, offset, size).trim() || "0", 8);
}

/**
 * Walks a tar's headers. `ended` says whether the walk stopped at a zero block (true) or at the end
 * of the input exactly after an entry (false).
 */
export function walkTar(tar: Uint8Array): { entries: RawTarEntry[]; ended: boolean } {
  const entries: RawTarEntry[] = [];
  let p = 0;
  while (p < tar.length) {
    const block = tar.subarray(p, p + 512);
    if (block.length < 512) throw new Error(`tar ends inside a header at ${p}`);
    if (block.every((b) => b === 0)) return { entries, ended: true };
    const size = octal(block, 124, 12);
    entries.push({
      name: field(block, 345, 155)
        ? `${field(block, 345, 155)}/${field(block, 0, 100)}`
        : field(block, 0, 100),
      mode: octal(block, 100, 8),
      uid: octal(block, 108, 8),
      gid: octal(block, 116, 8),
      size,
      mtime: octal(block, 136, 12),
      typeflag: field(block, 156, 1),
      magic: Buffer.from(block.subarray(257, 265)).toString("latin1"),
      content: tar.subarray(p + 512, p + 512 + size),
    });
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return { entries, ended: false };
}
