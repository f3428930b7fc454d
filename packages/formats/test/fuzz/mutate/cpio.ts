/**
 * Structure-aware cpio mutations (newc/crc as rpm writes them, odc as macOS Payloads and Scripts hold,
 * rpm's stripped 07070X): one header field rewritten (hex or octal text, sizes, name sizes, modes, the
 * magic), names changed, entries duplicated, dropped, multiplied, the trailer removed. Works on the
 * uncompressed archive; the caller re-compresses.
 */
import { concatBytes, encodeAscii, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated, splice } from "./bytes.ts";
import { fit, numberText } from "./fields.ts";

type Kind = "newc" | "odc" | "stripped";

/** One entry found by {@link walkCpio}. */
export interface CpioItem {
  kind: Kind;
  offset: number;
  /** Offset after the entry's padded data. */
  end: number;
  name: string;
  size: number;
}

/** Field name, offset from the header start, width; newc fields are hex, odc octal. */
const NEWC: readonly (readonly [string, number, number])[] = [
  "ino",
  "mode",
  "uid",
  "gid",
  "nlink",
  "mtime",
  "filesize",
  "devmajor",
  "devminor",
  "rdevmajor",
  "rdevminor",
  "namesize",
  "check",
].map((f, i) => [f, 6 + i * 8, 8] as const);
const ODC: readonly (readonly [string, number, number])[] = [
  ["dev", 6, 6],
  ["ino", 12, 6],
  ["mode", 18, 6],
  ["uid", 24, 6],
  ["gid", 30, 6],
  ["nlink", 36, 6],
  ["rdev", 42, 6],
  ["mtime", 48, 11],
  ["namesize", 59, 6],
  ["filesize", 65, 11],
];

const latin1 = new TextDecoder("latin1");
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function num(b: Uint8Array, at: number, width: number, radix: number): number {
  const t = latin1.decode(b.subarray(at, at + width));
  const n = Number.parseInt(t, radix);
  return Number.isFinite(n) ? n : -1;
}

/** Walks a cpio archive's entries up to its trailer (or the first entry that does not parse). */
export function walkCpio(b: Uint8Array, sizes: (index: number) => number = () => 0): CpioItem[] {
  const out: CpioItem[] = [];
  let p = 0;
  while (p + 14 <= b.length && out.length < 100_000) {
    const magic = latin1.decode(b.subarray(p, p + 6));
    let item: CpioItem;
    if (magic === "070701" || magic === "070702") {
      if (p + 110 > b.length) break;
      const namesize = num(b, p + 94, 8, 16);
      const size = num(b, p + 54, 8, 16);
      if (namesize < 1 || size < 0) break;
      const dataStart = p + 110 + namesize + pad4(110 + namesize);
      const name = latin1.decode(b.subarray(p + 110, p + 110 + namesize - 1));
      item = { kind: "newc", offset: p, end: dataStart + size + pad4(size), name, size };
    } else if (magic === "070707") {
      if (p + 76 > b.length) break;
      const namesize = num(b, p + 59, 6, 8);
      const size = num(b, p + 65, 11, 8);
      if (namesize < 1 || size < 0) break;
      const name = latin1.decode(b.subarray(p + 76, p + 76 + namesize - 1));
      item = { kind: "odc", offset: p, end: p + 76 + namesize + size, name, size };
    } else if (magic === "07070X") {
      const index = num(b, p + 6, 8, 16);
      const size = index < 0 ? 0 : sizes(index);
      item = { kind: "stripped", offset: p, end: p + 16 + size + pad4(size), name: `#${index}`, size };
    } else break;
    out.push(item);
    if (item.name === "TRAILER!!!" || item.end > b.length) break;
    p = item.end;
  }
  return out;
}

const NAMES = [
  "../../etc/passwd",
  "/abs",
  "./usr/bin/x",
  "",
  "TRAILER!!!",
  "usr/\u00ff",
  "a".repeat(300),
  ".",
];

/** A newc header for `name` with `size` bytes of regular-file data. */
function newcEntry(name: string, size: number, mode = 0o100644): Uint8Array {
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  const namesize = name.length + 1;
  const head = `070701${hex(1)}${hex(mode)}${hex(0)}${hex(0)}${hex(1)}${hex(0)}${hex(size)}${hex(0)}${hex(0)}${hex(0)}${hex(0)}${hex(namesize)}${hex(0)}`;
  const h = encodeAscii(`${head}${name}\0`);
  return concatBytes([h, new Uint8Array(pad4(h.length)), new Uint8Array(size + pad4(size))]);
}

/** One structure-aware mutation of an uncompressed cpio archive. */
export function mutateCpio(rng: Rng, b: Uint8Array, sizes?: (index: number) => number): Mutated {
  const items = walkCpio(b, sizes);
  if (items.length === 0) return havoc(rng, b);
  const item = rng.pick(items);
  const kind = rng.int(10);
  if (kind < 5 && item.kind !== "stripped") {
    const fields = item.kind === "newc" ? NEWC : ODC;
    const pickSize = rng.chance(0.4);
    const sizeField = rng.chance(0.5) ? "filesize" : "namesize";
    const [field, at, width] = pickSize ? fields.find(([f]) => f === sizeField)! : rng.pick(fields);
    const radix = item.kind === "newc" ? 16 : 8;
    const old = num(b, item.offset + at, width, radix);
    const text =
      field === "mode" && rng.chance(0.5)
        ? rng
            .pick([0o140000, 0o120777, 0o060644, 0o020644, 0o010644, 0o040755, 0o100644, 0o170000, 0])
            .toString(radix)
        : numberText(rng, Math.max(0, old), width, radix as 8 | 16);
    const out = b.slice();
    out.set(fit(rng, text, width), item.offset + at);
    return {
      bytes: out,
      what: `cpio ${item.kind} entry at ${item.offset} (${item.name}): ${field} = ${JSON.stringify(text)}`,
    };
  }
  if (kind === 5 && item.kind === "stripped") {
    const text = numberText(rng, 0, 8, 16);
    const out = b.slice();
    out.set(fit(rng, text, 8), item.offset + 6);
    return { bytes: out, what: `stripped cpio entry at ${item.offset}: index = ${JSON.stringify(text)}` };
  }
  if (kind === 5) {
    const magic = rng.pick(["070701", "070702", "070707", "07070X", "070700", "\0\0\0\0\0\0"]);
    const out = b.slice();
    out.set(encodeAscii(magic), item.offset);
    return { bytes: out, what: `cpio entry at ${item.offset}: magic = ${JSON.stringify(magic)}` };
  }
  if (kind === 6 && item.kind === "newc") {
    // rename, keeping the header consistent (namesize follows the new name)
    const name = rng.pick(NAMES);
    const data = b.subarray(item.end - item.size - pad4(item.size), item.end);
    const head = b.slice(item.offset, item.offset + 110);
    const nameBytes = concatBytes([encodeUtf8(name), new Uint8Array(1)]);
    head.set(encodeAscii(nameBytes.length.toString(16).padStart(8, "0")), 94);
    const entry = concatBytes([head, nameBytes, new Uint8Array(pad4(110 + nameBytes.length)), data]);
    return {
      bytes: concatBytes([b.subarray(0, item.offset), entry, b.subarray(item.end)]),
      what: `cpio entry at ${item.offset} renamed ${JSON.stringify(name)}`,
    };
  }
  if (kind === 7) {
    const trailer = items[items.length - 1]!;
    const choice = rng.int(4);
    if (choice === 0)
      return { bytes: b.slice(0, trailer.offset), what: `cpio trailer at ${trailer.offset} removed` };
    if (choice === 1)
      return {
        bytes: splice(b, item.end, 0, b.subarray(item.offset, item.end)),
        what: `cpio entry at ${item.offset} duplicated`,
      };
    if (choice === 2)
      return {
        bytes: splice(b, item.offset, item.end - item.offset, new Uint8Array(0)),
        what: `cpio entry at ${item.offset} removed`,
      };
    const n = rng.pick([1000, 6_000]);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) parts.push(newcEntry(`f${i}`, 0));
    return {
      bytes: splice(b, trailer.offset, 0, concatBytes(parts)),
      what: `${n} empty cpio entries inserted`,
    };
  }
  if (kind === 8) {
    // an entry claiming far more data than follows it
    const size = rng.pick([2 ** 31, 0xffffffff, 64 * 1024 * 1024]);
    const head = newcEntry("./big", 0, 0o100644).slice(0, 116);
    head.set(encodeAscii(size.toString(16).padStart(8, "0")), 54);
    return {
      bytes: splice(b, item.offset, 0, head),
      what: `cpio entry claiming ${size} bytes inserted at ${item.offset}`,
    };
  }
  const m = havoc(rng, b.subarray(item.offset, Math.min(item.end, b.length)), 2);
  return {
    bytes: concatBytes([b.subarray(0, item.offset), m.bytes, b.subarray(Math.min(item.end, b.length))]),
    what: `cpio entry at ${item.offset} bytes: ${m.what}`,
  };
}
