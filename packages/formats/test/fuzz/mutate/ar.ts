/**
 * ar (deb's container) taken apart into members and put back together, so a member's data can be replaced
 * with sizes kept right; and header mutations: size, name, numeric fields, the "`\n" terminator, member
 * order, duplicates, odd padding, extra members.
 */
import { concatBytes, encodeAscii } from "../../../src/bytes/bytes.ts";
import { AR_FIELD, AR_HEADER_SIZE, AR_MAGIC } from "../../../src/container/ar.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated } from "./bytes.ts";
import { fit, numberText } from "./fields.ts";

/** One member: its 60-byte header as stored and its data. */
export interface ArPart {
  name: string;
  header: Uint8Array;
  data: Uint8Array;
}

const latin1 = new TextDecoder("latin1");

const cache = new WeakMap<Uint8Array, readonly ArPart[] | null>();

/**
 * Splits a well-formed ar; undefined when `bytes` is not one. Cached per input: the result is shared, so
 * callers copy the list (and any header) before changing it; member data keeps its identity, which lets
 * the codec cache recognise it.
 */
export function splitAr(bytes: Uint8Array): readonly ArPart[] | undefined {
  const hit = cache.get(bytes);
  if (hit !== undefined) return hit ?? undefined;
  const parts = split(bytes);
  cache.set(bytes, parts ?? null);
  return parts;
}

function split(bytes: Uint8Array): ArPart[] | undefined {
  if (bytes.length < 8 || !AR_MAGIC.every((b, i) => bytes[i] === b)) return undefined;
  const parts: ArPart[] = [];
  let p = 8;
  while (p + AR_HEADER_SIZE <= bytes.length) {
    const header = bytes.slice(p, p + AR_HEADER_SIZE);
    const f = AR_FIELD.size;
    const size = Number.parseInt(latin1.decode(header.subarray(f.offset, f.offset + f.size)).trim(), 10);
    if (!Number.isSafeInteger(size) || p + AR_HEADER_SIZE + size > bytes.length) return undefined;
    const name = latin1.decode(header.subarray(0, 16)).trimEnd().replace(/\/$/, "");
    parts.push({ name, header, data: bytes.slice(p + AR_HEADER_SIZE, p + AR_HEADER_SIZE + size) });
    p += AR_HEADER_SIZE + size + (size % 2);
  }
  return parts;
}

/** Writes the header's size field for `size` bytes. */
export function setArSize(header: Uint8Array, size: number): void {
  const f = AR_FIELD.size;
  header.set(encodeAscii(String(size).padEnd(f.size, " ")), f.offset);
}

/** A header for a new member `name` of `size` bytes. */
export function arHeader(name: string, size: number): Uint8Array {
  const h = encodeAscii(`${name.padEnd(16)}0           0     0     100644  ${String(size).padEnd(10)}\`\n`);
  return h.subarray(0, AR_HEADER_SIZE);
}

/** Joins members back into an ar; sizes follow the data unless `keepSizes`. */
export function joinAr(parts: readonly ArPart[], keepSizes = false): Uint8Array {
  const out: Uint8Array[] = [AR_MAGIC];
  for (const part of parts) {
    const header = part.header.slice();
    if (!keepSizes) setArSize(header, part.data.length);
    out.push(header, part.data);
    if (part.data.length % 2 === 1) out.push(encodeAscii("\n"));
  }
  return concatBytes(out);
}

const MEMBER_NAMES = [
  "debian-binary",
  "control.tar.gz",
  "control.tar.xz",
  "control.tar.zst",
  "control.tar",
  "control.tar.bz2",
  "data.tar.gz",
  "data.tar.xz",
  "data.tar.zst",
  "data.tar.bz2",
  "data.tar.lzma",
  "data.tar",
  "data.tar.gz/",
  "_gpgorigin",
  "_gpgbuilder",
  "_extra",
  "debian-split",
  "/",
  "//",
  "",
  "x".repeat(16),
];

/** One mutation of an ar's member headers or member list (data untouched). */
export function mutateArHeaders(rng: Rng, parts: readonly ArPart[]): Mutated {
  const i = rng.int(parts.length);
  const part = parts[i]!;
  const kind = rng.int(8);
  const copy: ArPart[] = parts.map((p) => ({ ...p, header: p.header.slice() }));
  const h = copy[i]!.header;
  if (kind <= 1) {
    const text = numberText(rng, part.data.length, 10, 10);
    h.set(fit(rng, text, 10), AR_FIELD.size.offset);
    return {
      bytes: joinAr(copy, true),
      what: `ar member ${i} (${part.name}) size = ${JSON.stringify(text)}`,
    };
  }
  if (kind === 2) {
    const field = rng.pick(["mtime", "uid", "gid", "mode"] as const);
    const f = AR_FIELD[field];
    const text = numberText(rng, 0, f.size, field === "mode" ? 8 : 10);
    h.set(fit(rng, text, f.size), f.offset);
    return { bytes: joinAr(copy, true), what: `ar member ${i} ${field} = ${JSON.stringify(text)}` };
  }
  if (kind === 3) {
    const name = rng.pick(MEMBER_NAMES);
    h.set(encodeAscii(name.padEnd(16).slice(0, 16)), 0);
    return { bytes: joinAr(copy, true), what: `ar member ${i} renamed ${JSON.stringify(name)}` };
  }
  if (kind === 4) {
    h[58 + rng.int(2)] = rng.pick([0x20, 0x00, 0x60, 0x0a]);
    return { bytes: joinAr(copy, true), what: `ar member ${i} header terminator changed` };
  }
  if (kind === 5) {
    const j = rng.int(parts.length);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    return { bytes: joinAr(copy, true), what: `ar members ${i} and ${j} swapped` };
  }
  if (kind === 6) {
    const dup = rng.chance(0.5);
    if (dup) copy.splice(i, 0, { ...part, header: part.header.slice() });
    else copy.splice(i, 1);
    return {
      bytes: joinAr(copy, true),
      what: `ar member ${i} (${part.name}) ${dup ? "duplicated" : "removed"}`,
    };
  }
  const name = rng.pick(MEMBER_NAMES);
  const data: Uint8Array = rng.chance(0.5) ? new Uint8Array(0) : rng.bytes(rng.range(1, 300));
  copy.splice(rng.int(copy.length + 1), 0, { name, header: arHeader(name, data.length), data });
  const m = {
    bytes: joinAr(copy, true),
    what: `ar member ${JSON.stringify(name)} of ${data.length} bytes inserted`,
  };
  if (rng.chance(0.1)) {
    const h2 = havoc(rng, m.bytes, 2);
    return { bytes: h2.bytes, what: `${m.what}; ${h2.what}` };
  }
  return m;
}
