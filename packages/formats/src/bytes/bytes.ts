/** Small byte helpers shared by every encoder and decoder: sources, collection, text codecs, chunking. */
import { FormatError, SpecError } from "../errors.ts";
import type { ByteSource } from "../spec/types.ts";

/** A re-openable {@link ByteSource} over bytes already in memory. */
export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async *open(range?: { start: number; end: number }): AsyncIterable<Uint8Array> {
      const start = range?.start ?? 0;
      const end = range?.end ?? bytes.length;
      if (end > start) yield bytes.subarray(start, end);
    },
  };
}

/** Joins byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Collects a whole stream into one array. With `maxBytes`, throws FormatError LIMIT_UNPACKED_BYTES as
 * soon as the stream goes past it (so a bomb is never held in memory).
 */
export async function collect(
  input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  maxBytes?: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of input) {
    n += c.length;
    if (maxBytes !== undefined && n > maxBytes) {
      throw new FormatError("LIMIT_UNPACKED_BYTES", `stream is larger than the limit of ${maxBytes} bytes`, {
        expected: maxBytes,
        found: n,
      });
    }
    parts.push(c);
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}

/**
 * Bytes `[start, end)` of a source, in memory; `what` names the part in errors (`zip central directory`).
 * Throws FormatError LIMIT_HEADER_BYTES when the range is longer than `maxBytes` (checked before reading,
 * so a forged size allocates nothing) and TRUNCATED when the source ends before `end`.
 */
export async function readRange(
  source: ByteSource,
  start: number,
  end: number,
  what: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Uint8Array> {
  const want = end - start;
  if (want > maxBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `${what} at offset ${start} has ${want} bytes, over the limit of ${maxBytes}`,
      { offset: start, path: what, expected: maxBytes, found: want },
    );
  }
  if (end > source.size) {
    throw new FormatError(
      "TRUNCATED",
      `${what} needs bytes ${start}..${end}, the source has ${source.size}`,
      { offset: start, path: what, expected: end, found: source.size },
    );
  }
  const b = await collect(source.open({ start, end }));
  if (b.length !== want) {
    throw new FormatError("TRUNCATED", `${what} at offset ${start} yielded ${b.length} of ${want} bytes`, {
      offset: start + b.length,
      path: what,
      expected: want,
      found: b.length,
    });
  }
  return b;
}

const utf8Encoder = new TextEncoder();
const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 bytes of `s`. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

/** Number of UTF-8 bytes of `s`, as {@link encodeUtf8} writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
export function utf8Length(s: string): number {
  const len = s.length;
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c <= 0xdbff && c >= 0xd800 && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 4 bytes for 2 code units
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * Writes `s` as ASCII at `out[at]` when it is ASCII and at most `max` characters; returns the length
 * written, or -1 (having written part of it, perhaps) when it is not.
 */
export function writeAscii(s: string, out: Uint8Array, at: number, max: number): number {
  const n = s.length;
  if (n > max) return -1;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    out[at + i] = c;
  }
  return n;
}

/**
 * Writes `s` as UTF-8 (the bytes of {@link encodeUtf8}) at `out[at]` when it takes at most `max` bytes;
 * returns the byte count, or -1 (having written part of it, perhaps) when it does not fit.
 */
export function writeUtf8(s: string, out: Uint8Array, at: number, max: number): number {
  const n = writeAscii(s, out, at, max);
  if (n >= 0 || s.length > max) return n;
  const r = utf8Encoder.encodeInto(s, out.subarray(at, at + max));
  return r.read === s.length ? r.written : -1;
}

/** Decodes UTF-8; throws a TypeError on malformed input (callers wrap it in a FormatError with context). */
export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Fatal.decode(bytes);
}

/** True when every code unit of `s` is 7-bit ASCII. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** ASCII bytes of `s`; throws RangeError on a non-ASCII character (callers validate first). */
export function encodeAscii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`non-ASCII character at index ${i}`);
    out[i] = c;
  }
  return out;
}

/** Decodes bytes as Latin-1/ASCII (one byte per character; never fails). */
export function decodeAscii(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** True when every byte is zero. */
export function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Streams `content` (bytes, a ByteSource or a stream) and checks it yields exactly `size` bytes. */
export async function* contentStream(
  content: Uint8Array | ByteSource | AsyncIterable<Uint8Array> | undefined,
  size: number,
  where: string,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  if (content !== undefined) {
    const it: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
      content instanceof Uint8Array ? [content] : "open" in content ? content.open() : content;
    for await (const c of it) {
      n += c.length;
      if (n > size) break;
      if (c.length > 0) yield c;
    }
  }
  if (n !== size) throw contentSizeError(where, size, n);
}

/**
 * The error of a content that yielded `n` bytes where its size says `size` (`n` past `size`: the stream
 * was stopped there, so it has "more than n").
 */
export function contentSizeError(where: string, size: number, n: number): SpecError {
  const found = `${n > size ? "more than " : ""}${n}`;
  return new SpecError("INVALID_FIELD", `content of ${where} has ${found} bytes, its size says ${size}`, {
    field: "size",
    path: where,
    expected: size,
    found: n,
  });
}

/**
 * The first `n` bytes of a stream (fewer when it is shorter), for detection by magic, and the whole
 * stream replayed from its first byte. Only the chunks that cover the head are held.
 */
export async function peekStream(
  input: AsyncIterable<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = input[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let have = 0;
  let done = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    seen.push(r.value);
    have += r.value.length;
  }
  const head = new Uint8Array(Math.min(have, n));
  let at = 0;
  for (const s of seen) {
    if (at >= head.length) break;
    const take = s.subarray(0, head.length - at);
    head.set(take, at);
    at += take.length;
  }
  async function* replay(): AsyncGenerator<Uint8Array> {
    if (done) {
      yield* seen;
      return;
    }
    try {
      yield* seen;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } finally {
      await it.return?.(); // also when the consumer stops inside the head
    }
  }
  return { head, stream: replay() };
}
