/**
 * Structure-aware tar mutations: one header field at a time (sizes, types, names, octal and GNU base-256
 * numbers) with the header checksum re-fixed afterwards so the change reaches the parser; pax 'x'/'g' and
 * GNU 'L'/'K' entries inserted or their records rewritten; entries duplicated, dropped, swapped, multiplied;
 * the end blocks removed. Works on an uncompressed tar; the caller re-compresses.
 */
import { concatBytes, encodeUtf8 } from "../../../src/bytes/bytes.ts";
import { TAR_BLOCK, TAR_FIELD } from "../../../src/container/tar.ts";
import type { Rng } from "../rng.ts";
import { havoc, type Mutated, splice } from "./bytes.ts";
import { fit, numberText } from "./fields.ts";

/** One header block found by {@link walkTar}. */
export interface TarItem {
  /** Offset of the header block. */
  offset: number;
  typeflag: string;
  name: string;
  /** Content size from the size field (octal or base-256), or 0 when unreadable. */
  size: number;
  /** Offset after the padded content. */
  end: number;
}

const ascii = new TextDecoder("latin1");

function octalField(block: Uint8Array, offset: number, size: number): number {
  const b = block.subarray(offset, offset + size);
  if (b[0]! & 0x80) {
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i]!;
    return v;
  }
  const t = ascii
    .decode(b)
    .replace(/[\0 ].*$/s, "")
    .trim();
  return /^[0-7]+$/.test(t) ? Number.parseInt(t, 8) : 0;
}

/** Walks the header chain of a tar up to its end blocks (or the first header that does not fit). */
export function walkTar(tar: Uint8Array): TarItem[] {
  const items: TarItem[] = [];
  let p = 0;
  while (p + TAR_BLOCK <= tar.length && items.length < 100_000) {
    const block = tar.subarray(p, p + TAR_BLOCK);
    if (block.every((x) => x === 0)) break;
    const size = octalField(block, TAR_FIELD.size.offset, TAR_FIELD.size.size);
    const end = p + TAR_BLOCK + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    items.push({
      offset: p,
      typeflag: String.fromCharCode(block[TAR_FIELD.typeflag.offset]!),
      name: ascii.decode(block.subarray(0, 100)).replace(/\0.*$/s, ""),
      size,
      end,
    });
    if (end > tar.length) break;
    p = end;
  }
  return items;
}

/** Recomputes a header block's checksum in place (6 octal digits, NUL, space; as GNU tar writes). */
export function resealTarBlock(block: Uint8Array): void {
  let sum = 0;
  const c = TAR_FIELD.chksum;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= c.offset && i < c.offset + c.size ? 0x20 : block[i]!;
  block.set(encodeUtf8(`${sum.toString(8).padStart(6, "0")}\0 `), c.offset);
}

const TEMPLATE = {
  posix: template("ustar\u000000"),
  gnu: template("ustar  \0"),
};

function template(magic: string): Uint8Array {
  const b = new Uint8Array(TAR_BLOCK);
  b.set(encodeUtf8("0000644\0"), TAR_FIELD.mode.offset);
  b.set(encodeUtf8("0000000\0"), TAR_FIELD.uid.offset);
  b.set(encodeUtf8("0000000\0"), TAR_FIELD.gid.offset);
  b.set(encodeUtf8("00000000000\0"), TAR_FIELD.mtime.offset);
  b.set(encodeUtf8(magic), TAR_FIELD.magic.offset);
  return b;
}

/** A fresh header block: ustar (POSIX or GNU) magic, octal fields, checksum set. */
export function tarHeaderBlock(name: string, typeflag: string, size: number, gnu = false): Uint8Array {
  const b = (gnu ? TEMPLATE.gnu : TEMPLATE.posix).slice();
  b.set(encodeUtf8(name).subarray(0, 100), 0);
  b.set(encodeUtf8(`${size.toString(8).padStart(11, "0")}\0`), TAR_FIELD.size.offset);
  b[TAR_FIELD.typeflag.offset] = typeflag.charCodeAt(0);
  resealTarBlock(b);
  return b;
}

function padded(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(data.length / TAR_BLOCK) * TAR_BLOCK);
  out.set(data);
  return out;
}

/** `tar` with entry `item`'s content replaced by `content` (size field and checksum fixed). */
export function replaceTarContent(tar: Uint8Array, item: TarItem, content: Uint8Array): Uint8Array {
  const head = tar.slice(item.offset, item.offset + TAR_BLOCK);
  head.set(encodeUtf8(`${content.length.toString(8).padStart(11, "0")}\0`), TAR_FIELD.size.offset);
  resealTarBlock(head);
  return concatBytes([tar.subarray(0, item.offset), head, padded(content), tar.subarray(item.end)]);
}

/** The content of `item` (as far as the tar holds it). */
export function tarContent(tar: Uint8Array, item: TarItem): Uint8Array {
  const start = item.offset + TAR_BLOCK;
  return tar.subarray(start, Math.min(start + item.size, tar.length));
}

const NAMES = [
  "../../etc/passwd",
  "/etc/shadow",
  "./usr/../../x",
  "",
  ".",
  "./",
  "usr/bin/",
  "a//b",
  "x".repeat(100),
  "dir/\u00e9\u00e8",
  "\u00ff\u00fe",
  "usr/bin/hello\0hidden",
  "./.PKGINFO",
  ".PKGINFO",
  "./control",
  "debian-binary",
];
const TYPEFLAGS = "0123456789xgLKSVDMNA\0 7Z";

const PAX_RECORDS = [
  "path=../escape",
  "path=/abs/path",
  "path=",
  "linkpath=../../../target",
  "size=99999999999999",
  "size=-1",
  "size=18446744073709551616",
  "size=1e9",
  "size=0",
  "size=512",
  "uid=99999999999999999999",
  "gid=-5",
  "mtime=-1e99",
  "mtime=1.5",
  "mtime=.",
  "mtime=99999999999999999999.1",
  "uname=\u00e9",
  "SCHILY.xattr.user.x=y",
  "APK-TOOLS.checksum.SHA1=0000",
  "GNU.sparse.size=100",
  "hdrcharset=BINARY",
  "comment=\0",
];

function paxRecord(body: string): string {
  const rest = ` ${body}\n`;
  let len = rest.length + 1;
  while (String(len).length + encodeUtf8(rest).length !== len)
    len = String(len).length + encodeUtf8(rest).length;
  return `${len}${rest}`;
}

function paxData(rng: Rng): { data: Uint8Array; what: string } {
  const style = rng.int(10);
  if (style === 0) {
    const n = rng.pick([1000, 20_000]);
    const rec = paxRecord("comment=x");
    return { data: encodeUtf8(rec.repeat(n)), what: `${n} pax records` };
  }
  if (style === 1) {
    const bad = rng.pick([
      "999 path=x\n",
      "0 path=x\n",
      "5 path=x\n",
      "12 pathx\n",
      "abc path=x\n",
      "10 path=x",
      " 9 path=x\n",
      "99999999999999999999 x=y\n",
      "11 \u00ff\u00fe=\u00ff\n",
      "9 =value\n",
    ]);
    return { data: encodeUtf8(bad), what: `malformed pax record ${JSON.stringify(bad)}` };
  }
  const n = rng.range(1, 3);
  const recs: string[] = [];
  for (let i = 0; i < n; i++) recs.push(rng.pick(PAX_RECORDS));
  if (rng.chance(0.2)) recs.push(`path=${"p/".repeat(rng.range(60, 2000))}f`);
  return { data: encodeUtf8(recs.map(paxRecord).join("")), what: `pax records ${JSON.stringify(recs)}` };
}

/** Writes a base-256 number into a numeric field (GNU: 0x80 marker; 0xff for negatives; or a bad marker). */
function base256(rng: Rng, field: Uint8Array): string {
  const kind = rng.int(5);
  field.fill(0);
  if (kind === 0) {
    field[0] = 0xff;
    field.fill(0xff, 1);
    field[field.length - 1] = 0xfe;
    return "base-256 -2";
  }
  if (kind === 1) {
    field[0] = 0x80;
    field.fill(0xff, 1);
    return "base-256 max";
  }
  if (kind === 2) {
    field[0] = rng.pick([0x81, 0xc0, 0xfe, 0x90]);
    field[field.length - 1] = 1;
    return `base-256 marker 0x${field[0]!.toString(16)}`;
  }
  field[0] = 0x80;
  const v = kind === 3 ? 2 ** 33 + rng.int(4096) : rng.int(1 << 20);
  let x = v;
  for (let i = field.length - 1; i > 0 && x > 0; i--) {
    field[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return `base-256 ${v}`;
}

type TarOp = (rng: Rng, tar: Uint8Array, items: TarItem[]) => Mutated;

const NUMERIC = ["mode", "uid", "gid", "size", "mtime", "devmajor", "devminor", "chksum"] as const;

const headerField: TarOp = (rng, tar, items) => {
  const item = rng.pick(items);
  const out = tar.slice();
  const block = out.subarray(item.offset, item.offset + TAR_BLOCK);
  const kind = rng.int(10);
  let what: string;
  if (kind < 4) {
    const name = kind < 2 ? "size" : rng.pick(NUMERIC);
    const f = TAR_FIELD[name];
    const field = block.subarray(f.offset, f.offset + f.size);
    if (name !== "chksum" && rng.chance(0.2)) what = `${name} = ${base256(rng, field)}`;
    else {
      const old = octalField(block, f.offset, f.size);
      const text = numberText(rng, old, f.size - 1, 8);
      field.set(fit(rng, text, f.size));
      what = `${name} = ${JSON.stringify(text)}`;
    }
  } else if (kind < 6) {
    const flag = rng.pick([...TYPEFLAGS]);
    block[TAR_FIELD.typeflag.offset] = flag.charCodeAt(0);
    what = `typeflag = ${JSON.stringify(flag)}`;
  } else if (kind < 8) {
    const field = rng.pick(["name", "linkname", "prefix", "uname", "gname"] as const);
    const f = TAR_FIELD[field];
    const value = rng.chance(0.2) ? (items[rng.int(items.length)]?.name ?? "") : rng.pick(NAMES);
    const bytes = new Uint8Array(f.size);
    const enc =
      field === "name" || field === "linkname" ? encodeUtf8(value) : new TextEncoder().encode(value);
    bytes.set(enc.subarray(0, f.size));
    if (value === "x".repeat(100) || rng.chance(0.1)) bytes.fill(0x61, enc.length); // no NUL at all
    block.set(bytes, f.offset);
    what = `${field} = ${JSON.stringify(value)}`;
  } else if (kind === 8) {
    const magic = rng.pick([
      "ustar\u000000",
      "ustar  \0",
      "\0\0\0\0\0\0\0\0",
      "ustar\u0000xx",
      "USTAR\u000000",
    ]);
    block.set(encodeUtf8(magic).subarray(0, 8), TAR_FIELD.magic.offset);
    what = `magic = ${JSON.stringify(magic)}`;
  } else {
    const m = havoc(rng, block.slice(), 2);
    block.set(m.bytes.subarray(0, TAR_BLOCK));
    what = `header bytes: ${m.what}`;
  }
  const reseal = rng.chance(0.9);
  if (reseal) resealTarBlock(block);
  return {
    bytes: out,
    what: `tar entry at ${item.offset}: ${what}${reseal ? "" : " (checksum left stale)"}`,
  };
};

const insertExtension: TarOp = (rng, tar, items) => {
  const item = rng.pick(items);
  const flag = rng.pick(["x", "x", "x", "g", "L", "K"]);
  let data: Uint8Array;
  let what: string;
  if (flag === "L" || flag === "K") {
    const v = rng.pick([
      "../../evil",
      `${"d/".repeat(rng.range(60, 3000))}f`,
      "",
      "no-nul",
      "/abs",
      "a\u00ff\u00fe",
    ]);
    const nul = v !== "no-nul";
    data = concatBytes([encodeUtf8(v), nul ? new Uint8Array(1) : new Uint8Array(0)]);
    what = `GNU ${flag} ${JSON.stringify(v.slice(0, 40))}`;
  } else {
    ({ data, what } = paxData(rng));
  }
  const declared = rng.chance(0.85)
    ? data.length
    : rng.pick([0, data.length + 1, data.length + 600, 2 ** 33]);
  const head = tarHeaderBlock(
    flag === "L" || flag === "K" ? "././@LongLink" : "././@PaxHeader",
    flag,
    declared,
  );
  const ext = concatBytes([head, padded(data)]);
  return {
    bytes: splice(tar, item.offset, 0, ext),
    what: `'${flag}' header (size ${declared}) before the entry at ${item.offset}: ${what}`,
  };
};

const rewritePax: TarOp = (rng, tar, items) => {
  const pax = items.filter((i) => i.typeflag === "x" || i.typeflag === "g");
  if (pax.length === 0) return insertExtension(rng, tar, items);
  const item = rng.pick(pax);
  const { data, what } = paxData(rng);
  return {
    bytes: replaceTarContent(tar, item, data),
    what: `pax entry at ${item.offset} rewritten: ${what}`,
  };
};

const restructure: TarOp = (rng, tar, items) => {
  const last = items[items.length - 1]!;
  const kind = rng.int(7);
  if (kind === 0) {
    const a = rng.pick(items);
    return {
      bytes: splice(tar, a.end, 0, tar.subarray(a.offset, a.end)),
      what: `entry at ${a.offset} duplicated`,
    };
  }
  if (kind === 1) {
    const a = rng.pick(items);
    return {
      bytes: splice(tar, a.offset, a.end - a.offset, new Uint8Array(0)),
      what: `entry at ${a.offset} removed`,
    };
  }
  if (kind === 2 && items.length > 1) {
    const i = rng.int(items.length - 1);
    const a = items[i]!;
    const b = items[i + 1]!;
    const swapped = concatBytes([tar.subarray(b.offset, b.end), tar.subarray(a.offset, a.end)]);
    return {
      bytes: concatBytes([tar.subarray(0, a.offset), swapped, tar.subarray(b.end)]),
      what: `entries at ${a.offset} and ${b.offset} swapped`,
    };
  }
  if (kind === 3) {
    const cut = rng.chance(0.5) ? last.end : last.end + TAR_BLOCK;
    return { bytes: tar.slice(0, cut), what: `end-of-archive blocks cut at ${cut}` };
  }
  if (kind === 4) {
    // many tiny entries: an entry-count bomb that compresses to little
    const n = rng.pick([1_000, 6_000]);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) parts.push(tarHeaderBlock(`d/f${i}`, rng.chance(0.5) ? "0" : "5", 0));
    return { bytes: splice(tar, last.end, 0, concatBytes(parts)), what: `${n} empty entries appended` };
  }
  if (kind === 5) {
    const tail = rng.chance(0.5) ? tarHeaderBlock("after-end", "0", 0) : new Uint8Array([1]);
    return { bytes: concatBytes([tar, tail]), what: `${tail.length} bytes after the end blocks` };
  }
  const a = rng.pick(items);
  const data = rng.bytes(rng.range(1, 600));
  const b = rng.chance(0.5) ? replaceTarContent(tar, a, data) : splice(tar, a.offset + TAR_BLOCK, 0, data);
  return { bytes: b, what: `content of entry at ${a.offset} replaced by ${data.length} random bytes` };
};

const OPS: readonly (readonly [number, TarOp])[] = [
  [8, headerField],
  [3, insertExtension],
  [2, rewritePax],
  [3, restructure],
];

/** One structure-aware mutation of an uncompressed tar; generic bytes when it has no header to aim at. */
export function mutateTar(rng: Rng, tar: Uint8Array): Mutated {
  const items = walkTar(tar);
  if (items.length === 0) return havoc(rng, tar);
  return rng.weighted(OPS)(rng, tar, items);
}
