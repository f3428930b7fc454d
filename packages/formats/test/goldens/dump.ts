/**
 * Text dumps of what each writer emits for the example project (fixtures/example at EXAMPLE_DATE): the
 * metadata files verbatim, and listings of every container (ar, tar, cpio, xar, Bom, zip) and rpm header,
 * one text per part. text-goldens.test.ts compares them with fixtures/goldens/<format>/<part>.txt, so a
 * change to a writer shows which field moved where the whole-artifact sha256 goldens only say that
 * something did. Everything is decoded with the library's own readers; dates are printed in UTC from
 * epoch seconds, so nothing here depends on the machine's time zone, umask or host name.
 */
import { bytesSource, collect, decodeUtf8 } from "../../src/bytes/bytes.ts";
import { decompressBytes } from "../../src/compress/decompress.ts";
import { gzipMembers } from "../../src/compress/gzip-members.ts";
import { readAr } from "../../src/container/ar.ts";
import { type BomEntry, decodeBom } from "../../src/container/bom.ts";
import { type CpioEntry, readCpio } from "../../src/container/cpio.ts";
import { type TarEntry, readTar } from "../../src/container/tar.ts";
import { readXar, type XarNode, xarFileBytes } from "../../src/container/xar.ts";
import { apkFormat } from "../../src/apk/index.ts";
import { writeArchlinux } from "../../src/archlinux/writer.ts";
import { writeDeb } from "../../src/deb/writer.ts";
import { writeMacosBytes } from "../../src/macos/writer.ts";
import type { FormatOptionsMap } from "../../src/registry.ts";
import { ByteReader } from "../../src/bytes/reader.ts";
import { readHeaders } from "../../src/rpm/reader.ts";
import type { DecodedHeader, HeaderEntry } from "../../src/rpm/header.ts";
import { decodeLead, LEAD_FIELD } from "../../src/rpm/lead.ts";
import { REGION_IMMUTABLE, REGION_SIGNATURES, RPM_TYPE, SIG, TAG } from "../../src/rpm/tags.ts";
import { writeRpm } from "../../src/rpm/writer.ts";
import { readZipDirectory, zipEntryContent } from "../../src/tarball/zip-reader.ts";
import { writeTarball } from "../../src/tarball/writer.ts";
import { exampleSigner } from "../apk/example-signer.ts";
import { exampleFromConfig } from "@packyard/testkit/example";

/** Part name (the golden's file name, `control.txt`) to its text, in the order the parts were made. */
export type Dump = Map<string, string>;

/** The formats with text goldens, each a folder of fixtures/goldens/. */
export const DUMPED_FORMATS = ["deb", "rpm", "archlinux", "apk", "macos", "tarball"] as const;
export type DumpedFormat = (typeof DUMPED_FORMATS)[number];

// ---------------------------------------------------------------------------------------------------
// shared formatting

/** `YYYY-MM-DD HH:MM:SS` in UTC: toISOString never looks at the local time zone. */
export function utc(seconds: number): string {
  return new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.000Z$/, "");
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** `ls -l` style permissions for a type character (`-`, `d`, `l`, `h`, `c`, `b`, `p`) and mode bits. */
export function modeString(type: string, mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : "-");
  const special = (exec: number, flag: number, on: string) =>
    mode & flag ? (mode & exec ? on : on.toUpperCase()) : bit(exec, "x");
  return (
    type +
    bit(0o400, "r") +
    bit(0o200, "w") +
    special(0o100, 0o4000, "s") +
    bit(0o040, "r") +
    bit(0o020, "w") +
    special(0o010, 0o2000, "s") +
    bit(0o004, "r") +
    bit(0o002, "w") +
    special(0o001, 0o1000, "t")
  );
}

/** Type character of a full st_mode (file type bits included). */
function typeOfStMode(mode: number): string {
  const types: [number, string][] = [
    [0o100000, "-"],
    [0o040000, "d"],
    [0o120000, "l"],
    [0o020000, "c"],
    [0o060000, "b"],
    [0o010000, "p"],
  ];
  return types.find(([bits]) => bits === (mode & 0o170000))?.[1] ?? "?";
}

/**
 * Script files one after another, each under a `==> name (mode, size) <==` line as `head` frames files. A
 * missing final newline is said, so it is not lost in review.
 */
function scriptsText(files: readonly { name: string; mode: number; content: Uint8Array }[]): string {
  return files
    .map(({ name, mode, content }) => {
      const text = decodeUtf8(content);
      const body = text.endsWith("\n") || text === "" ? text : `${text}\n(no newline at end of ${name})\n`;
      return `==> ${name} (mode ${(mode & 0o7777).toString(8).padStart(4, "0")}, ${content.length} bytes) <==\n${body}`;
    })
    .join("");
}

/** An archive entry with its content, read while the reader is on it. */
interface Item<E> {
  entry: E;
  content: Uint8Array;
}

async function withContent<E extends { bytes(): Promise<Uint8Array> }>(
  entries: AsyncIterable<E>,
): Promise<Item<E>[]> {
  const out: Item<E>[] = [];
  for await (const entry of entries) out.push({ entry, content: await entry.bytes() });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// tar

const TAR_TYPE: Record<TarEntry["header"]["type"], string> = {
  file: "-",
  dir: "d",
  symlink: "l",
  hardlink: "h",
  char: "c",
  block: "b",
  fifo: "p",
};

type TarItem = Item<TarEntry>;

function readTarItems(tar: Uint8Array, cut = false): Promise<TarItem[]> {
  return withContent(readTar(bytesSource(tar).open(), { allowMissingEnd: cut }));
}

/** A tar item as a script file. */
const tarScript = ({ entry, content }: TarItem) => ({
  name: entry.header.name,
  mode: entry.header.mode,
  content,
});

/**
 * One line per tar entry, as `tar -tv --full-time` prints it plus the numeric ids and the header format,
 * then the entry's extra pax records (those not folded into the ustar fields), indented.
 */
export function tarListing(title: string, items: readonly TarItem[]): string {
  const lines = [
    `# ${title}: ${items.length} entries`,
    "# format mode uid/gid uname/gname size mtime(UTC) name [-> symlink target | link to hardlink target]",
  ];
  for (const { entry } of items) {
    const h = entry.header;
    const dev = h.type === "char" || h.type === "block" ? ` ${h.devmajor},${h.devminor}` : "";
    const link =
      h.type === "symlink" ? ` -> ${h.linkname}` : h.type === "hardlink" ? ` link to ${h.linkname}` : "";
    lines.push(
      `${entry.format.padEnd(5)} ${modeString(TAR_TYPE[h.type], h.mode)} ${h.uid}/${h.gid} ${h.uname ?? ""}/${h.gname ?? ""} ${String(h.size).padStart(8)}${dev} ${utc(h.mtime)} ${h.name}${link}`,
    );
    for (const [k, v] of Object.entries(h.pax ?? {})) lines.push(`      pax ${k}=${v}`);
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// cpio

type CpioItem = Item<CpioEntry>;

function readCpioItems(cpio: Uint8Array): Promise<CpioItem[]> {
  return withContent(readCpio(bytesSource(cpio).open()));
}

/** One line per cpio entry with every header field; a symlink's target is its content. */
export function cpioListing(title: string, items: readonly CpioItem[]): string {
  const lines = [
    `# ${title}: ${items.length} entries`,
    "# format mode(octal) mode nlink uid/gid size mtime(UTC) ino dev rdev name [-> symlink target]",
  ];
  for (const { entry, content } of items) {
    const h = entry.header;
    if (entry.format === "stripped") {
      lines.push(`stripped file index ${entry.index} size ${h.size}`);
      continue;
    }
    const link = (h.mode & 0o170000) === 0o120000 ? ` -> ${decodeUtf8(content)}` : "";
    lines.push(
      `${entry.format.padEnd(5)} ${h.mode.toString(8).padStart(6, "0")} ${modeString(typeOfStMode(h.mode), h.mode)} ${h.nlink} ${h.uid}/${h.gid} ${String(h.size).padStart(8)} ${utc(h.mtime)} ino=${h.ino} dev=${h.devMajor},${h.devMinor} rdev=${h.rdevMajor},${h.rdevMinor} ${h.name}${link}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// deb

const DEB_VERBATIM = ["control", "md5sums", "conffiles"];

/**
 * deb: the ar members, the control files verbatim, the maintainer scripts, the control and data tars, and
 * the copyright and changelog.Debian (gunzipped) files the writer adds.
 */
export async function dumpDeb(deb: Uint8Array): Promise<Dump> {
  const dump: Dump = new Map();
  const ar = ["# ar members: mode uid/gid size mtime(UTC) name"];
  let debianBinary = "";
  let control: TarItem[] = [];
  let data: TarItem[] = [];
  let controlName = "";
  let dataName = "";
  for await (const m of readAr(bytesSource(deb).open())) {
    const bytes = await m.bytes();
    ar.push(
      `${modeString(typeOfStMode(m.mode), m.mode)} ${m.uid}/${m.gid} ${String(m.size).padStart(8)} ${utc(m.mtime)} ${m.name}`,
    );
    if (m.name === "debian-binary") debianBinary = decodeUtf8(bytes);
    else if (m.name.startsWith("control.tar")) {
      controlName = m.name;
      control = await readTarItems(await decompressBytes(bytes, "auto"));
    } else if (m.name.startsWith("data.tar")) {
      dataName = m.name;
      data = await readTarItems(await decompressBytes(bytes, "auto"));
    }
  }
  ar.push(`# debian-binary: ${JSON.stringify(debianBinary)}`);
  dump.set("ar.txt", `${ar.join("\n")}\n`);
  const byName = new Map(control.map((i) => [i.entry.header.name.replace(/^\.\//, ""), i]));
  for (const name of DEB_VERBATIM) {
    const item = byName.get(name);
    if (item) dump.set(`${name}.txt`, decodeUtf8(item.content));
  }
  const scripts = control
    .filter((i) => i.entry.header.type === "file")
    .filter((i) => !DEB_VERBATIM.includes(i.entry.header.name.replace(/^\.\//, "")));
  dump.set("scripts.txt", scriptsText(scripts.map(tarScript)));
  dump.set("control.tar.txt", tarListing(controlName, control));
  dump.set("data.tar.txt", tarListing(dataName, data));
  // The files the deb writer adds to the contents itself (Debian policy 12.5 and 12.7).
  for (const { entry, content } of data) {
    const name = entry.header.name;
    if (!/^\.\/usr\/share\/doc\/[^/]+\/(copyright|changelog\.Debian\.gz)$/.test(name)) continue;
    const text = name.endsWith(".gz") ? await decompressBytes(content, "gzip") : content;
    dump.set(`${name.slice(name.lastIndexOf("/") + 1).replace(/\.gz$/, "")}.txt`, decodeUtf8(text));
  }
  return dump;
}

// ---------------------------------------------------------------------------------------------------
// rpm

function invert(o: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(o).map(([k, v]) => [v, k]));
}

const TYPE_NAMES = invert(RPM_TYPE);
const MAIN_NAMES = invert({ ...TAG, REGION_IMMUTABLE });
const SIG_NAMES = invert({ ...SIG, REGION_SIGNATURES });

/** Quoted pieces of a string, one per line of it (each with its "\n"), so a multi-line value diffs by line. */
function stringPieces(s: string): string[] {
  const pieces = s.match(/[^\n]*\n|[^\n]+$/g) ?? [""];
  return pieces.map((p) => JSON.stringify(p));
}

/** Hex, 32 bytes a line; a run of identical lines is shown once and then `*`, as hexdump does. */
function hexLines(b: Uint8Array, indent: string): string[] {
  const out: string[] = [];
  let previous: string | undefined;
  let starred = false;
  for (let at = 0; at < b.length; at += 32) {
    const line = hex(b.subarray(at, at + 32));
    if (line === previous && at + 32 < b.length) {
      if (!starred) out.push(`${indent}*`);
      starred = true;
      continue;
    }
    starred = false;
    previous = line;
    out.push(`${indent}${at.toString(16).padStart(6, "0")}: ${line}`);
  }
  return out;
}

/** The value lines of one entry; `name` picks annotations (octal for modes, hex for flags). */
function entryLines(e: HeaderEntry, name: string): { inline?: string; lines: string[] } {
  const number = (n: number | bigint) => {
    if (name === "FILEMODES") return `${n} (0o${n.toString(8).padStart(6, "0")})`;
    if (name.endsWith("FLAGS")) return `${n} (0x${n.toString(16).padStart(8, "0")})`;
    return String(n);
  };
  const many = (values: string[][]): { inline?: string; lines: string[] } => {
    if (values.length === 1 && values[0]!.length === 1) return { inline: values[0]![0]!, lines: [] };
    const lines: string[] = [];
    values.forEach((pieces, i) => {
      const label = values.length === 1 ? "" : `[${i}] `;
      pieces.forEach((p, k) => {
        lines.push(`  ${k === 0 ? label : " ".repeat(label.length)}${p}`);
      });
    });
    return { lines };
  };
  switch (e.type) {
    case RPM_TYPE.BIN:
      return e.value.length <= 32 ? { inline: hex(e.value), lines: [] } : { lines: hexLines(e.value, "  ") };
    case RPM_TYPE.CHAR:
    case RPM_TYPE.INT8:
    case RPM_TYPE.INT16:
    case RPM_TYPE.INT32:
    case RPM_TYPE.INT64:
      return many(Array.from(e.value as ArrayLike<number | bigint>, (n) => [number(n)]));
    case RPM_TYPE.STRING:
      return many([stringPieces(e.value)]);
    default:
      return many(e.value.map(stringPieces));
  }
}

/**
 * Every entry of a header in index order, region entry first: `tag NAME TYPE[count] value`, or the
 * values on the lines below (arrays one element a line with its index, multi-line strings a line each).
 */
export function headerListing(
  title: string,
  h: DecodedHeader,
  offset: number,
  names: ReadonlyMap<number, string>,
): string {
  const view = new DataView(h.bytes.buffer, h.bytes.byteOffset, h.bytes.byteLength);
  const il = view.getUint32(8);
  const dl = view.getUint32(12);
  const lines = [
    `# ${title} at offset ${offset}: ${il} index entries, ${dl} data bytes, ${h.bytes.length} bytes in all`,
    "# tag NAME (from src/rpm/tags.ts) TYPE[count] value; arrays and multi-line strings below, one item a line",
  ];
  // The region entry is not kept among the decoded entries: its 16 trailer bytes are read here.
  const regionTag = view.getUint32(16);
  const regionOffset = view.getInt32(24);
  const store = 16 + il * 16;
  const trailer = h.bytes.subarray(store + regionOffset, store + regionOffset + 16);
  lines.push(`${regionTag} ${names.get(regionTag) ?? "?"} BIN[16] ${hex(trailer)}`);
  const seen = new Set<number>();
  for (const tag of h.tags.slice(1)) {
    const e = h.entries.get(tag)!;
    const name = names.get(tag) ?? "(not in tags.ts)";
    const type = TYPE_NAMES.get(e.type) ?? String(e.type);
    if (seen.has(tag)) {
      lines.push(`${tag} ${name} duplicate entry (the decoder keeps the first)`);
      continue;
    }
    seen.add(tag);
    const count = e.type === RPM_TYPE.STRING ? 1 : e.value.length;
    const { inline, lines: below } = entryLines(e, name);
    lines.push(`${tag} ${name} ${type}[${count}]${inline === undefined ? "" : ` ${inline}`}`, ...below);
  }
  return `${lines.join("\n")}\n`;
}

/** rpm: the lead, both headers tag by tag, and the payload's cpio listing. */
export async function dumpRpm(rpm: Uint8Array): Promise<Dump> {
  const dump: Dump = new Map();
  const parsed = await readHeaders(new ByteReader(bytesSource(rpm).open()), rpm.length);
  const lead = decodeLead(parsed.lead);
  const lv = new DataView(parsed.lead.buffer, parsed.lead.byteOffset, parsed.lead.byteLength);
  dump.set(
    "lead.txt",
    [
      `major ${lead.major}`,
      `minor ${lead.minor}`,
      `type ${lead.type}`,
      `archnum ${lv.getUint16(LEAD_FIELD.archnum)}`,
      `name ${JSON.stringify(lead.name)}`,
      `osnum ${lv.getUint16(LEAD_FIELD.osnum)}`,
      `signature_type ${lv.getUint16(LEAD_FIELD.signatureType)}`,
      "",
    ].join("\n"),
  );
  dump.set(
    "signature.txt",
    headerListing("signature header", parsed.signature, parsed.signatureStart, SIG_NAMES),
  );
  dump.set("header.txt", headerListing("main header", parsed.header, parsed.headerStart, MAIN_NAMES));
  const compressor = parsed.header.entries.get(TAG.PAYLOADCOMPRESSOR);
  const payload = rpm.subarray(parsed.payloadStart);
  const cpio = await decompressBytes(payload, "auto");
  const algo = compressor?.type === RPM_TYPE.STRING ? compressor.value : "?";
  dump.set(
    "payload.cpio.txt",
    cpioListing(
      `payload at offset ${parsed.payloadStart} (${algo}, ${payload.length} bytes -> cpio ${cpio.length} bytes)`,
      await readCpioItems(cpio),
    ),
  );
  return dump;
}

// ---------------------------------------------------------------------------------------------------
// archlinux

/** archlinux: every dot file at the top of the package verbatim (.MTREE gunzipped), and the tar listing. */
export async function dumpArchlinux(pkg: Uint8Array): Promise<Dump> {
  const dump: Dump = new Map();
  const tar = await decompressBytes(pkg, "auto");
  const items = await readTarItems(tar);
  for (const { entry, content } of items) {
    const name = entry.header.name;
    if (entry.header.type !== "file" || !/^\.[A-Z]+$/.test(name)) continue;
    const text = name === ".MTREE" ? await decompressBytes(content, "gzip") : content;
    dump.set(`${name.slice(1)}.txt`, decodeUtf8(text));
  }
  dump.set(
    "pkg.tar.txt",
    tarListing(`package tar (${pkg.length} bytes compressed -> ${tar.length} bytes)`, items),
  );
  return dump;
}

// ---------------------------------------------------------------------------------------------------
// apk

/** apk: the gzip segments, .PKGINFO verbatim, the scripts, and the listing of each segment's tar. */
export async function dumpApk(apk: Uint8Array): Promise<Dump> {
  const dump: Dump = new Map();
  const segments = ["# gzip segments: offset compressed-size uncompressed-size (isize) crc32 kind"];
  const found: { kind: string; items: TarItem[] }[] = [];
  for await (const m of gzipMembers(apk)) {
    const tar = await decompressBytes(apk.subarray(m.start, m.end), "gzip");
    // The signature and control segments are cut tars (no end blocks); the data segment is whole.
    const items = await readTarItems(tar, true);
    const names = items.map((i) => i.entry.header.name);
    const kind = names.some((n) => n.startsWith(".SIGN."))
      ? "signature"
      : names.includes(".PKGINFO")
        ? "control"
        : "data";
    segments.push(
      `${m.start} ${m.end - m.start} ${m.isize} ${m.crc32.toString(16).padStart(8, "0")} ${kind}`,
    );
    found.push({ kind, items });
  }
  dump.set("segments.txt", `${segments.join("\n")}\n`);
  for (const { kind, items } of found) {
    if (kind === "control") {
      const pkginfo = items.find((i) => i.entry.header.name === ".PKGINFO");
      if (pkginfo) dump.set("PKGINFO.txt", decodeUtf8(pkginfo.content));
      dump.set(
        "scripts.txt",
        scriptsText(items.filter((i) => i.entry.header.name !== ".PKGINFO").map(tarScript)),
      );
    }
    dump.set(`${kind}.tar.txt`, tarListing(`${kind} segment`, items));
  }
  return dump;
}

// ---------------------------------------------------------------------------------------------------
// macos

/**
 * The Bom's Paths, one a line, tab-separated: lsbom's default columns (path, octal mode, uid/gid, size,
 * checksum) for every type, then mtime and, for symlinks, the target.
 */
export function bomListing(entries: readonly BomEntry[]): string {
  const lines = [
    `# Bom Paths: ${entries.length} entries`,
    "# path\tmode\tuid/gid\tsize\tchecksum(POSIX cksum)\tmtime(epoch)\t[symlink target]",
  ];
  for (const e of entries) {
    const cols = [e.path, e.mode.toString(8), `${e.uid}/${e.gid}`, e.size, e.checksum, e.mtime];
    if (e.linkName !== undefined) cols.push(e.linkName);
    lines.push(cols.join("\t"));
  }
  return `${lines.join("\n")}\n`;
}

function xarFiles(nodes: readonly XarNode[]): XarNode[] {
  return nodes.flatMap((n) => [...(n.type === "file" ? [n] : []), ...xarFiles(n.children)]);
}

/**
 * macos: the xar TOC as stored (after inflating), Distribution and PackageInfo verbatim, the Bom listing,
 * and the Payload and Scripts cpio listings with the scripts' text. One component package is expected.
 */
export async function dumpMacos(pkg: Uint8Array): Promise<Dump> {
  const dump: Dump = new Map();
  const source = bytesSource(pkg);
  const archive = await readXar(source);
  dump.set("toc.xml.txt", archive.tocXml);
  const files = xarFiles(archive.nodes);
  const components = new Set(files.filter((f) => f.name === "PackageInfo").map((f) => f.path));
  if (components.size !== 1)
    throw new Error(`dump.ts expects one component package, found ${[...components].join(", ") || "none"}`);
  for (const node of files) {
    const bytes = await xarFileBytes(source, archive, node);
    if (node.name === "Distribution" || node.name === "PackageInfo")
      dump.set(`${node.name}.txt`, decodeUtf8(bytes));
    else if (node.name === "Bom") dump.set("Bom.txt", bomListing(decodeBom(bytes)));
    else if (node.name === "Payload" || node.name === "Scripts") {
      const cpio = await decompressBytes(bytes, "auto");
      const items = await readCpioItems(cpio);
      dump.set(
        `${node.name}.cpio.txt`,
        cpioListing(`${node.path} (${bytes.length} bytes -> cpio ${cpio.length} bytes)`, items),
      );
      if (node.name === "Scripts")
        dump.set(
          "scripts.txt",
          scriptsText(
            items
              .filter((i) => (i.entry.header.mode & 0o170000) === 0o100000)
              .map(({ entry, content }) => ({ name: entry.header.name, mode: entry.header.mode, content })),
          ),
        );
    } else throw new Error(`dump.ts does not know the xar member ${node.path}`);
  }
  return dump;
}

// ---------------------------------------------------------------------------------------------------
// tarball

/** tar.gz: the tar listing. */
export async function dumpTarGz(archive: Uint8Array): Promise<string> {
  const tar = await decompressBytes(archive, "gzip");
  return tarListing(`tar.gz (${archive.length} bytes -> tar ${tar.length} bytes)`, await readTarItems(tar));
}

/** zip: the central directory, one entry a line, with the symlink targets read from the entries. */
export async function dumpZip(archive: Uint8Array): Promise<string> {
  const source = bytesSource(archive);
  const dir = await readZipDirectory(source);
  const lines = [
    `# zip: ${dir.entries.length} entries${dir.zip64 ? ", zip64" : ""}`,
    "# mode size compressed-size method crc32 mtime(UTC) unix-attributes offset name [-> symlink target]",
  ];
  const typeChar = { file: "-", dir: "d", symlink: "l" } as const;
  for (const e of dir.entries) {
    const link = e.type === "symlink" ? ` -> ${decodeUtf8(await collect(zipEntryContent(source, e)))}` : "";
    lines.push(
      `${modeString(typeChar[e.type], e.mode)} ${String(e.size).padStart(8)} ${String(e.compressedSize).padStart(8)} ${e.method === 8 ? "deflate" : e.method === 0 ? "stored " : `method${e.method}`} ${e.crc.toString(16).padStart(8, "0")} ${utc(e.mtime)} ${e.unix ? "unix" : "dos"} ${e.offset} ${e.name}${link}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------
// the example

/**
 * Builds the example project for one format the way the whole-artifact golden tests do (apk signed with
 * fixtures/keys/openssl-pkcs8.rsa, tarball as tar.gz and zip) and dumps it.
 */
export async function dumpExample(format: DumpedFormat): Promise<Dump> {
  const example = <F extends DumpedFormat>(id: F) => exampleFromConfig<FormatOptionsMap[F]>(id);
  switch (format) {
    case "deb": {
      const { spec, options } = await example("deb");
      return dumpDeb(await collect(writeDeb(spec, options)));
    }
    case "rpm": {
      const { spec, options } = await example("rpm");
      return dumpRpm(await collect(writeRpm(spec, options)));
    }
    case "archlinux": {
      const { spec, options } = await example("archlinux");
      return dumpArchlinux(await collect(writeArchlinux(spec, options)));
    }
    case "apk": {
      const { spec, options } = await example("apk");
      return dumpApk(await collect(apkFormat.write(spec, options, { signer: exampleSigner() })));
    }
    case "macos": {
      const { spec, options } = await example("macos");
      return dumpMacos(await writeMacosBytes(spec, options));
    }
    case "tarball": {
      const { spec, options } = await example("tarball");
      const archive = (kind: "tar.gz" | "zip") => collect(writeTarball(spec, { ...options, format: kind }));
      return new Map([
        ["tar.gz.txt", await dumpTarGz(await archive("tar.gz"))],
        ["zip.txt", await dumpZip(await archive("zip"))],
      ]);
    }
  }
}
