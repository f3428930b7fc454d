/**
 * xar: encoder and decoder side by side (xar include/xar.h.in, lib/archive.c; apple-platform-rs apple-xar
 * src/format.rs, src/signing.rs).
 *
 * ```
 * 0          header, 28 bytes big-endian: "xar!", u16 28, u16 1, u64 toc compressed, u64 toc plain, u32 algo
 * 28         TOC: zlib (RFC 1950) stream of the UTF-8 XML table of contents
 * heap + 0   TOC checksum: SHA-1 of the compressed TOC (20 bytes)
 * heap + 20  signed archives: RSA signature slot, then the CMS slot (both reserved before offsets are known)
 * then       file data, each at its TOC <offset> (relative to the heap start)
 * ```
 *
 * "application/x-gzip" in a xar TOC means a zlib stream, not gzip. Payload/Scripts of installer packages
 * are stored (`application/octet-stream`), Bom/PackageInfo may be zlib-encoded. The reader takes a
 * re-openable {@link ByteSource} so it can seek to file data; TOC and file checksums are verified.
 */
import { Unzlib, zlibSync } from "fflate";
import { collect, concatBytes, decodeUtf8, encodeUtf8, readRange } from "../bytes/bytes.ts";
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from "../bytes/encoding.ts";
import { FormatError, SpecError } from "../errors.ts";
import { createHasher, type HashAlgo, type Hasher } from "../hash/hasher.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
import { escapeXml, parseXml, type XmlElement, xmlChild, xmlChildren } from "../text/xml.ts";

/** Header layout (offset, size). */
export const XAR_HEADER = {
  magic: [0, 4],
  headerSize: [4, 2],
  version: [6, 2],
  tocCompressed: [8, 8],
  tocUncompressed: [16, 8],
  checksumAlgo: [24, 4],
} as const;
/** "xar!" */
export const XAR_MAGIC = 0x78617221;
export const XAR_HEADER_SIZE = 28;
/** Header checksum algorithm ids (xar.h). 3/4 are read as SHA-256/SHA-512 as apple-xar does. */
export const XAR_CKSUM = { none: 0, sha1: 1, md5: 2, sha256: 3, sha512: 4 } as const;
/** Encoding styles. */
export const XAR_ENCODING = { stored: "application/octet-stream", zlib: "application/x-gzip" } as const;
/** The XML-DSig namespace of `KeyInfo` in signature elements. */
export const XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#";

/** A checksum as written in the TOC: algorithm style and lowercase hex. */
export interface XarChecksum {
  style: HashAlgo;
  hex: string;
}

/** Data of a file node, ready to store: the stored (archived) bytes and what they decode to. */
export interface XarWriteData {
  /** Encoding style: {@link XAR_ENCODING}. */
  encoding: string;
  stored: Uint8Array | ByteSource;
  /** Decoded size. */
  size: number;
  /** Known checksums; computed from `stored` when absent (octet-stream only for `extracted`). */
  archived?: XarChecksum;
  extracted?: XarChecksum;
}

/** A node of the tree to write. Directories carry `children`, files `data`, symlinks `link`. */
export interface XarWriteNode {
  name: string;
  type: "file" | "directory" | "symlink";
  mode?: number;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  /** Seconds since the epoch. */
  mtime?: number;
  link?: string;
  data?: XarWriteData;
  children?: XarWriteNode[];
}

/** Stored data (`application/octet-stream`); `sha1` may be passed when already known (spooled parts). */
export function xarStored(content: Uint8Array | ByteSource, sha1?: string): XarWriteData {
  const size = content instanceof Uint8Array ? content.length : content.size;
  const d: XarWriteData = { encoding: XAR_ENCODING.stored, stored: content, size };
  if (sha1 !== undefined) {
    d.archived = { style: "sha1", hex: sha1 };
    d.extracted = { style: "sha1", hex: sha1 };
  }
  return d;
}

/** zlib-encoded data (`application/x-gzip`), for small metadata files such as Bom and PackageInfo. */
export function xarZlib(content: Uint8Array): XarWriteData {
  const stored = zlibSync(content, { level: 9 });
  return {
    encoding: XAR_ENCODING.zlib,
    stored,
    size: content.length,
    archived: { style: "sha1", hex: encodeHex(sha(stored, "sha1")) },
    extracted: { style: "sha1", hex: encodeHex(sha(content, "sha1")) },
  };
}

/**
 * Signature slots reserved in the heap right after the TOC checksum (xar lib/archive.c; apple-xar
 * src/signing.rs).
 */
export interface XarSignatureSlots {
  /** Bytes of the RSA signature (the key's modulus length). */
  rsaSize: number;
  /** Bytes reserved for the CMS blob; the real blob is zero-padded to it. */
  cmsSize: number;
  /** DER certificates, leaf first, written into both KeyInfo elements. */
  certificates: Uint8Array[];
  /** Signs the 20-byte TOC checksum: the raw RSA signature and the CMS SignedData. */
  sign(tocChecksum: Uint8Array): Promise<{ rsa: Uint8Array; cms: Uint8Array }>;
}

/** Options of {@link writeXar}. */
export interface WriteXarOptions {
  /** `<creation-time>` in seconds since the epoch; omitted when absent. */
  creationTime?: number;
  signature?: XarSignatureSlots;
}

function sha(bytes: Uint8Array, algo: HashAlgo): Uint8Array {
  const h = createHasher([algo]);
  h.update(bytes);
  return decodeHex(h.digest()[algo]!);
}

/** ISO-8601 UTC without fractions, as xar writes times. */
function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function storedStream(s: Uint8Array | ByteSource): AsyncIterable<Uint8Array> {
  if (s instanceof Uint8Array) {
    return (async function* () {
      if (s.length > 0) yield s;
    })();
  }
  return s.open();
}

async function fillChecksums(
  d: XarWriteData,
): Promise<Required<Pick<XarWriteData, "archived" | "extracted">>> {
  let archived = d.archived;
  if (archived === undefined) {
    const h = createHasher(["sha1"]);
    for await (const c of storedStream(d.stored)) h.update(c);
    archived = { style: "sha1", hex: h.digest().sha1! };
  }
  let extracted = d.extracted;
  if (extracted === undefined) {
    if (d.encoding !== XAR_ENCODING.stored) {
      throw new SpecError("MISSING_FIELD", `xar data encoded as ${d.encoding} needs its extracted checksum`, {
        field: "extracted",
      });
    }
    extracted = archived;
  }
  return { archived, extracted };
}

function keyInfo(certs: Uint8Array[]): string {
  const inner = certs.map((c) => `<X509Certificate>${encodeBase64(c)}</X509Certificate>`).join("");
  return `<KeyInfo xmlns="${XMLDSIG_NS}"><X509Data>${inner}</X509Data></KeyInfo>`;
}

interface Placed {
  node: XarWriteNode;
  offset: number;
  length: number;
  archived: XarChecksum;
  extracted: XarChecksum;
}

/**
 * Renders the TOC XML for `nodes` with data placed at the given heap offsets. Exported for tests and for
 * re-signing; {@link writeXar} is the usual entry point.
 */
export function encodeXarToc(
  nodes: readonly XarWriteNode[],
  placed: ReadonlyMap<XarWriteNode, Omit<Placed, "node">>,
  opts: {
    creationTime?: number;
    signature?: { rsaSize: number; cmsSize: number; certificates: Uint8Array[] };
  },
): string {
  let id = 0;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<xar>\n <toc>\n'];
  out.push('  <checksum style="sha1">\n   <offset>0</offset>\n   <size>20</size>\n  </checksum>\n');
  if (opts.creationTime !== undefined)
    out.push(`  <creation-time>${isoTime(opts.creationTime).slice(0, -1)}</creation-time>\n`);
  if (opts.signature) {
    const s = opts.signature;
    const ki = keyInfo(s.certificates);
    out.push(
      `  <signature style="RSA">\n   <offset>20</offset>\n   <size>${s.rsaSize}</size>\n   ${ki}\n  </signature>\n`,
    );
    out.push(
      `  <x-signature style="CMS">\n   <offset>${20 + s.rsaSize}</offset>\n   <size>${s.cmsSize}</size>\n   ${ki}\n  </x-signature>\n`,
    );
  }
  const walk = (n: XarWriteNode, indent: string): void => {
    id++;
    out.push(`${indent}<file id="${id}">\n`);
    const i2 = `${indent} `;
    const p = placed.get(n);
    if (p) {
      const enc = n.data!.encoding;
      out.push(
        `${i2}<data>\n${i2} <length>${p.length}</length>\n${i2} <offset>${p.offset}</offset>\n${i2} <size>${n.data!.size}</size>\n` +
          `${i2} <encoding style="${escapeXml(enc)}"/>\n` +
          `${i2} <extracted-checksum style="${p.extracted.style}">${p.extracted.hex}</extracted-checksum>\n` +
          `${i2} <archived-checksum style="${p.archived.style}">${p.archived.hex}</archived-checksum>\n${i2}</data>\n`,
      );
    }
    out.push(`${i2}<name>${escapeXml(n.name)}</name>\n${i2}<type>${n.type}</type>\n`);
    if (n.type === "symlink") out.push(`${i2}<link type="file">${escapeXml(n.link ?? "")}</link>\n`);
    if (n.mode !== undefined)
      out.push(`${i2}<mode>${(n.mode & 0o7777).toString(8).padStart(4, "0")}</mode>\n`);
    if (n.uid !== undefined) out.push(`${i2}<uid>${n.uid}</uid>\n`);
    if (n.gid !== undefined) out.push(`${i2}<gid>${n.gid}</gid>\n`);
    if (n.user !== undefined) out.push(`${i2}<user>${escapeXml(n.user)}</user>\n`);
    if (n.group !== undefined) out.push(`${i2}<group>${escapeXml(n.group)}</group>\n`);
    if (n.mtime !== undefined) out.push(`${i2}<mtime>${isoTime(n.mtime)}</mtime>\n`);
    for (const c of n.children ?? []) walk(c, i2);
    out.push(`${indent}</file>\n`);
  };
  for (const n of nodes) walk(n, "  ");
  out.push(" </toc>\n</xar>\n");
  return out.join("");
}

function checkTree(nodes: readonly XarWriteNode[], where: string): void {
  const seen = new Set<string>();
  for (const n of nodes) {
    if (n.name === "" || n.name === "." || n.name === ".." || n.name.includes("/") || n.name.includes("\0")) {
      throw new SpecError(
        "INVALID_PATH",
        `xar node name ${JSON.stringify(n.name)} in ${where} is not a single path component`,
        {
          field: "name",
          path: `${where}${n.name}`,
        },
      );
    }
    if (seen.has(n.name))
      throw new SpecError("DUPLICATE_PATH", `xar node ${where}${n.name} appears twice`, {
        path: `${where}${n.name}`,
      });
    seen.add(n.name);
    if ((n.type === "file") !== (n.data !== undefined)) {
      throw new SpecError("INVALID_FIELD", `xar ${n.type} ${where}${n.name}: only files carry data`, {
        path: `${where}${n.name}`,
      });
    }
    if (n.children) {
      if (n.type !== "directory")
        throw new SpecError("INVALID_FIELD", `xar ${n.type} ${where}${n.name} has children`, {
          path: `${where}${n.name}`,
        });
      checkTree(n.children, `${where}${n.name}/`);
    }
  }
}

/**
 * Streams a xar archive: header, zlib TOC, TOC checksum, reserved signature slots (filled by
 * `opts.signature.sign`), then each file's stored bytes in TOC order. Stored data is read twice when its
 * checksums are not given (a hashing pass, then the writing pass).
 */
export async function* writeXar(
  nodes: readonly XarWriteNode[],
  opts: WriteXarOptions = {},
): AsyncGenerator<Uint8Array> {
  checkTree(nodes, "");
  const sig = opts.signature;
  let heap = 20 + (sig ? sig.rsaSize + sig.cmsSize : 0);
  const placed = new Map<XarWriteNode, Omit<Placed, "node">>();
  const order: XarWriteNode[] = [];
  const place = async (n: XarWriteNode): Promise<void> => {
    if (n.data) {
      const sums = await fillChecksums(n.data);
      const length = n.data.stored instanceof Uint8Array ? n.data.stored.length : n.data.stored.size;
      placed.set(n, { offset: heap, length, ...sums });
      order.push(n);
      heap += length;
    }
    for (const c of n.children ?? []) await place(c);
  };
  for (const n of nodes) await place(n);
  const tocOpts: Parameters<typeof encodeXarToc>[2] = {};
  if (opts.creationTime !== undefined) tocOpts.creationTime = opts.creationTime;
  if (sig) tocOpts.signature = { rsaSize: sig.rsaSize, cmsSize: sig.cmsSize, certificates: sig.certificates };
  const xml = encodeUtf8(encodeXarToc(nodes, placed, tocOpts));
  const ctoc = zlibSync(xml, { level: 9 });
  const header = new Uint8Array(XAR_HEADER_SIZE);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, XAR_MAGIC);
  dv.setUint16(4, XAR_HEADER_SIZE);
  dv.setUint16(6, 1);
  dv.setBigUint64(8, BigInt(ctoc.length));
  dv.setBigUint64(16, BigInt(xml.length));
  dv.setUint32(24, XAR_CKSUM.sha1);
  const checksum = sha(ctoc, "sha1");
  yield concatBytes([header, ctoc, checksum]);
  if (sig) {
    const { rsa, cms } = await sig.sign(checksum);
    if (rsa.length !== sig.rsaSize) {
      throw new SpecError(
        "INVALID_FIELD",
        `RSA signature has ${rsa.length} bytes, ${sig.rsaSize} were reserved`,
        {
          field: "rsaSize",
          expected: sig.rsaSize,
          found: rsa.length,
        },
      );
    }
    if (cms.length > sig.cmsSize) {
      throw new SpecError(
        "INVALID_FIELD",
        `CMS signature has ${cms.length} bytes, only ${sig.cmsSize} were reserved`,
        {
          field: "cmsSize",
          expected: sig.cmsSize,
          found: cms.length,
        },
      );
    }
    const slot = new Uint8Array(sig.rsaSize + sig.cmsSize);
    slot.set(rsa, 0);
    slot.set(cms, sig.rsaSize);
    yield slot;
  }
  for (const n of order) {
    const d = n.data!;
    const length = placed.get(n)!.length;
    let got = 0;
    for await (const c of storedStream(d.stored)) {
      got += c.length;
      yield c;
    }
    if (got !== length) {
      throw new SpecError(
        "INVALID_FIELD",
        `xar file ${n.name}: source yielded ${got} bytes, its size says ${length}`,
        {
          path: n.name,
          expected: length,
          found: got,
        },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// decode

/** A file's data as the TOC describes it; `offset` is relative to the heap start. */
export interface XarDataInfo {
  offset: number;
  length: number;
  size: number;
  encoding: string;
  archived?: XarChecksum;
  extracted?: XarChecksum;
}

/** A decoded TOC node. `path` is the full slash-joined path inside the archive. */
export interface XarNode {
  id: string;
  name: string;
  path: string;
  type: string;
  mode?: number;
  uid?: number;
  gid?: number;
  user?: string;
  group?: string;
  mtime?: number;
  link?: string;
  data?: XarDataInfo;
  children: XarNode[];
}

/** A signature element of the TOC with its heap bytes. */
export interface XarSignature {
  style: string;
  offset: number;
  size: number;
  /** DER certificates from KeyInfo, in document order. */
  certificates: Uint8Array[];
  bytes: Uint8Array;
}

/** What {@link readXar} returns. */
export interface XarArchive {
  heapStart: number;
  heapSize: number;
  tocXml: string;
  /** Compressed TOC bytes (what the TOC checksum covers). */
  tocCompressed: Uint8Array;
  checksum?: { style: HashAlgo; offset: number; size: number; bytes: Uint8Array };
  signature?: XarSignature;
  xSignature?: XarSignature;
  creationTime?: string;
  nodes: XarNode[];
}

/** Options of {@link readXar} and {@link xarFileStream}. */
export interface ReadXarOptions {
  limits?: Partial<ReadLimits>;
}

const STYLES: Record<string, HashAlgo> = { sha1: "sha1", md5: "md5", sha256: "sha256", sha512: "sha512" };
const DIGEST_SIZE: Record<HashAlgo, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };

function bad(message: string, data: Record<string, unknown> = {}): FormatError {
  return new FormatError("BAD_HEADER", `xar TOC: ${message}`, data);
}

function int(el: XmlElement | undefined, what: string, where: string): number {
  const t = el?.text.trim() ?? "";
  if (!/^\d{1,16}$/.test(t) || !Number.isSafeInteger(Number(t)))
    throw bad(`${where}: <${what}> ${JSON.stringify(t)} is not a non-negative integer`, {
      path: where,
      field: what,
    });
  return Number(t);
}

function checksumOf(el: XmlElement | undefined, where: string): XarChecksum | undefined {
  if (!el) return undefined;
  const style = STYLES[(el.attrs.style ?? "").toLowerCase()];
  const hx = el.text.trim().toLowerCase();
  if (style === undefined) return undefined; // unknown style: not verified (xar "none")
  if (hx.length !== DIGEST_SIZE[style] * 2 || !/^[0-9a-f]+$/.test(hx))
    throw bad(`${where}: ${el.name} is not a ${style} hex digest`, { path: where });
  return { style, hex: hx };
}

function parseNodes(
  parent: XmlElement,
  prefix: string,
  heapSize: number,
  count: { n: number; max: number },
): XarNode[] {
  const out: XarNode[] = [];
  for (const f of xmlChildren(parent, "file")) {
    if (++count.n > count.max)
      throw new FormatError("LIMIT_ENTRIES", `xar TOC has more than ${count.max} files`, {
        expected: count.max,
      });
    const name = xmlChild(f, "name")?.text ?? "";
    const path = prefix + name;
    if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0"))
      throw new FormatError(
        "UNSAFE_PATH",
        `xar file name ${JSON.stringify(name)} under ${JSON.stringify(prefix)} is not a single path component`,
        {
          path,
        },
      );
    const node: XarNode = {
      id: f.attrs.id ?? "",
      name,
      path,
      type: xmlChild(f, "type")?.text.trim() ?? "file",
      children: [],
    };
    const mode = xmlChild(f, "mode")?.text.trim();
    if (mode !== undefined && /^[0-7]{1,7}$/.test(mode)) node.mode = Number.parseInt(mode, 8);
    const uid = xmlChild(f, "uid");
    if (uid) node.uid = int(uid, "uid", path);
    const gid = xmlChild(f, "gid");
    if (gid) node.gid = int(gid, "gid", path);
    const user = xmlChild(f, "user");
    if (user) node.user = user.text;
    const group = xmlChild(f, "group");
    if (group) node.group = group.text;
    const mtime = xmlChild(f, "mtime")?.text.trim();
    if (mtime) {
      const t = Date.parse(mtime);
      if (Number.isFinite(t)) node.mtime = Math.floor(t / 1000);
    }
    const link = xmlChild(f, "link");
    if (link) node.link = link.text;
    const data = xmlChild(f, "data");
    if (data) {
      const d: XarDataInfo = {
        offset: int(xmlChild(data, "offset"), "offset", path),
        length: int(xmlChild(data, "length"), "length", path),
        size: int(xmlChild(data, "size") ?? xmlChild(data, "length"), "size", path),
        encoding: xmlChild(data, "encoding")?.attrs.style ?? XAR_ENCODING.stored,
      };
      if (d.offset + d.length > heapSize) {
        throw new FormatError(
          "OFFSET_OUT_OF_RANGE",
          `xar file ${path}: data ${d.offset}+${d.length} lies outside the heap of ${heapSize} bytes`,
          { path, offset: d.offset, expected: `<= ${heapSize}`, found: d.offset + d.length },
        );
      }
      const a = checksumOf(xmlChild(data, "archived-checksum"), path);
      if (a) d.archived = a;
      const e = checksumOf(xmlChild(data, "extracted-checksum"), path);
      if (e) d.extracted = e;
      node.data = d;
    }
    node.children = parseNodes(f, `${path}/`, heapSize, count);
    out.push(node);
  }
  return out;
}

function unbase64(s: string, where: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  try {
    return decodeBase64(clean);
  } catch {
    throw bad(`${where}: X509Certificate is not base64`, { path: where });
  }
}

async function readSignature(
  el: XmlElement | undefined,
  source: ByteSource,
  heapStart: number,
  heapSize: number,
): Promise<XarSignature | undefined> {
  if (!el) return undefined;
  const where = el.name;
  const offset = int(xmlChild(el, "offset"), "offset", where);
  const size = int(xmlChild(el, "size"), "size", where);
  if (offset + size > heapSize)
    throw new FormatError(
      "OFFSET_OUT_OF_RANGE",
      `xar ${where}: ${offset}+${size} lies outside the heap of ${heapSize} bytes`,
      {
        path: where,
        offset,
      },
    );
  const certs: Uint8Array[] = [];
  const ki = el.children.find((c) => c.name === "KeyInfo" || c.name.endsWith(":KeyInfo"));
  const x509 = ki?.children.find((c) => c.name === "X509Data" || c.name.endsWith(":X509Data"));
  for (const c of x509?.children ?? []) {
    if (c.name === "X509Certificate" || c.name.endsWith(":X509Certificate"))
      certs.push(unbase64(c.text, where));
  }
  const bytes = await readRange(source, heapStart + offset, heapStart + offset + size, `xar ${where}`);
  return { style: el.attrs.style ?? "", offset, size, certificates: certs, bytes };
}

/**
 * Reads a xar archive's header and TOC and verifies the TOC checksum. File data is read on demand with
 * {@link xarFileStream}.
 * @throws FormatError BAD_MAGIC, TRUNCATED, BAD_HEADER, BAD_CHECKSUM, CORRUPT_COMPRESSED_DATA,
 * OFFSET_OUT_OF_RANGE, UNSAFE_PATH, LIMIT_HEADER_BYTES, LIMIT_ENTRIES.
 */
export async function readXar(source: ByteSource, opts: ReadXarOptions = {}): Promise<XarArchive> {
  const limits = resolveLimits(opts.limits);
  const head = await readRange(source, 0, XAR_HEADER_SIZE, "xar header");
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0) !== XAR_MAGIC)
    throw new FormatError(
      "BAD_MAGIC",
      `expected "xar!" at offset 0, found 0x${dv.getUint32(0).toString(16)}`,
      { offset: 0 },
    );
  const headerSize = dv.getUint16(4);
  const version = dv.getUint16(6);
  if (version !== 1)
    throw new FormatError("UNSUPPORTED_VERSION", `xar version ${version} (expected 1)`, {
      offset: 6,
      found: version,
    });
  if (headerSize < XAR_HEADER_SIZE)
    throw new FormatError("BAD_HEADER", `xar header size ${headerSize} is under 28`, {
      offset: 4,
      found: headerSize,
    });
  const clen = Number(dv.getBigUint64(8));
  const ulen = Number(dv.getBigUint64(16));
  if (ulen > limits.maxHeaderBytes || clen > limits.maxHeaderBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `xar TOC of ${ulen} bytes (${clen} compressed) is over the limit of ${limits.maxHeaderBytes}`,
      {
        offset: 8,
        found: ulen,
      },
    );
  }
  const heapStart = headerSize + clen;
  if (heapStart > source.size)
    throw new FormatError("TRUNCATED", `xar TOC ends at ${heapStart}, the archive has ${source.size} bytes`, {
      offset: headerSize,
      expected: heapStart,
      found: source.size,
    });
  const ctoc = await readRange(source, headerSize, heapStart, "xar TOC");
  let xmlBytes: Uint8Array;
  try {
    xmlBytes = inflateBounded(ctoc, ulen);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(
      "CORRUPT_COMPRESSED_DATA",
      `xar TOC at offset ${headerSize} is not a valid zlib stream`,
      { offset: headerSize },
      { cause: e },
    );
  }
  if (xmlBytes.length !== ulen)
    throw new FormatError(
      "BAD_HEADER",
      `xar TOC inflates to ${xmlBytes.length} bytes, the header says ${ulen}`,
      {
        offset: 16,
        expected: ulen,
        found: xmlBytes.length,
      },
    );
  let tocXml: string;
  try {
    tocXml = decodeUtf8(xmlBytes);
  } catch {
    throw bad("not UTF-8", { offset: headerSize });
  }
  const root = parseXml(tocXml, "xar TOC");
  const toc = root.name === "xar" ? xmlChild(root, "toc") : undefined;
  if (!toc) throw bad("expected <xar><toc>", {});
  const heapSize = source.size - heapStart;
  const archive: XarArchive = { heapStart, heapSize, tocXml, tocCompressed: ctoc, nodes: [] };
  const ck = xmlChild(toc, "checksum");
  if (ck) {
    const style = STYLES[(ck.attrs.style ?? "").toLowerCase()];
    if (style === undefined)
      throw new FormatError("UNSUPPORTED", `xar TOC checksum style ${JSON.stringify(ck.attrs.style)}`, {
        field: "checksum",
      });
    const offset = int(xmlChild(ck, "offset"), "offset", "checksum");
    const size = int(xmlChild(ck, "size"), "size", "checksum");
    if (size !== DIGEST_SIZE[style])
      throw bad(`checksum size ${size} does not fit ${style}`, { field: "checksum" });
    if (offset + size > heapSize)
      throw new FormatError(
        "OFFSET_OUT_OF_RANGE",
        `xar TOC checksum ${offset}+${size} lies outside the heap of ${heapSize} bytes`,
        {
          offset: heapStart + offset,
        },
      );
    const stored = await readRange(source, heapStart + offset, heapStart + offset + size, "xar TOC checksum");
    const actual = sha(ctoc, style);
    if (encodeHex(actual) !== encodeHex(stored)) {
      throw new FormatError(
        "BAD_CHECKSUM",
        `xar TOC ${style} mismatch: heap has ${encodeHex(stored)}, the TOC hashes to ${encodeHex(actual)}`,
        {
          offset: heapStart + offset,
          expected: encodeHex(actual),
          found: encodeHex(stored),
        },
      );
    }
    archive.checksum = { style, offset, size, bytes: stored };
  }
  const ct = xmlChild(toc, "creation-time");
  if (ct) archive.creationTime = ct.text.trim();
  const s = await readSignature(xmlChild(toc, "signature"), source, heapStart, heapSize);
  if (s) archive.signature = s;
  const xs = await readSignature(xmlChild(toc, "x-signature"), source, heapStart, heapSize);
  if (xs) archive.xSignature = xs;
  archive.nodes = parseNodes(toc, "", heapSize, { n: 0, max: limits.maxEntries });
  return archive;
}

function inflateBounded(input: Uint8Array, max: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let n = 0;
  let ended = false;
  const z = new Unzlib((chunk, final) => {
    n += chunk.length;
    if (n > max)
      throw new FormatError("BAD_HEADER", `xar TOC inflates past the ${max} bytes its header says`, {
        offset: 16,
        expected: max,
      });
    parts.push(chunk);
    if (final) ended = true;
  });
  z.push(input, true);
  if (!ended)
    throw new FormatError("TRUNCATED", "xar TOC zlib stream ends early", { offset: XAR_HEADER_SIZE });
  return concatBytes(parts);
}

/** Finds a node by slash path (`base.pkg/Payload`). */
export function findXarNode(nodes: readonly XarNode[], path: string): XarNode | undefined {
  let list = nodes;
  let found: XarNode | undefined;
  for (const part of path.split("/")) {
    found = list.find((n) => n.name === part);
    if (!found) return undefined;
    list = found.children;
  }
  return found;
}

/** Compares a file's archived or extracted checksum with the TOC; BAD_CHECKSUM names both values. */
function checkChecksum(
  path: string,
  which: "archived" | "extracted",
  want: XarChecksum,
  h: Hasher,
  offset?: number,
): void {
  const got = h.digest()[want.style];
  if (got !== want.hex)
    throw new FormatError(
      "BAD_CHECKSUM",
      `xar file ${path}: ${which} ${want.style} ${got}, the TOC says ${want.hex}`,
      {
        path,
        ...(offset !== undefined ? { offset } : {}),
        expected: want.hex,
        found: got,
      },
    );
}

/** Streams the stored (archived) bytes of a file node, verifying the archived checksum at the end. */
export async function* xarStoredStream(
  source: ByteSource,
  archive: XarArchive,
  node: XarNode,
): AsyncGenerator<Uint8Array> {
  const d = node.data;
  if (!d) return;
  const start = archive.heapStart + d.offset;
  const h = d.archived ? createHasher([d.archived.style]) : undefined;
  let n = 0;
  for await (const c of source.open({ start, end: start + d.length })) {
    n += c.length;
    h?.update(c);
    yield c;
  }
  if (n !== d.length)
    throw new FormatError("TRUNCATED", `xar file ${node.path}: ${n} of ${d.length} stored bytes`, {
      path: node.path,
      offset: start,
    });
  if (d.archived && h) checkChecksum(node.path, "archived", d.archived, h, start);
}

/**
 * Streams a file node's decoded bytes (octet-stream or zlib), verifying the archived and extracted
 * checksums and the decoded size; output is bounded by `maxUnpackedBytes`.
 * @throws FormatError UNSUPPORTED for bzip2/lzma encodings, CORRUPT_COMPRESSED_DATA, BAD_CHECKSUM.
 */
export async function* xarFileStream(
  source: ByteSource,
  archive: XarArchive,
  node: XarNode,
  opts: ReadXarOptions = {},
): AsyncGenerator<Uint8Array> {
  const d = node.data;
  if (!d) return;
  const limits = resolveLimits(opts.limits);
  const enc = d.encoding;
  if (enc !== XAR_ENCODING.stored && enc !== XAR_ENCODING.zlib)
    throw new FormatError(
      "UNSUPPORTED",
      `xar file ${node.path}: encoding ${enc} is not supported (octet-stream and x-gzip are)`,
      {
        path: node.path,
        found: enc,
      },
    );
  if (d.size > limits.maxUnpackedBytes)
    throw new FormatError(
      "LIMIT_UNPACKED_BYTES",
      `xar file ${node.path} of ${d.size} bytes is over the limit`,
      { path: node.path },
    );
  const h = d.extracted ? createHasher([d.extracted.style]) : undefined;
  let n = 0;
  const emit = (c: Uint8Array): void => {
    n += c.length;
    if (n > d.size)
      throw new FormatError("BAD_HEADER", `xar file ${node.path} decodes past its TOC size ${d.size}`, {
        path: node.path,
        expected: d.size,
      });
    h?.update(c);
  };
  if (enc === XAR_ENCODING.stored) {
    for await (const c of xarStoredStream(source, archive, node)) {
      emit(c);
      yield c;
    }
  } else {
    const queue: Uint8Array[] = [];
    let ended = false;
    const z = new Unzlib((chunk, final) => {
      emit(chunk);
      if (chunk.length > 0) queue.push(chunk);
      if (final) ended = true;
    });
    try {
      for await (const c of xarStoredStream(source, archive, node)) {
        z.push(c, false);
        while (queue.length > 0) yield queue.shift()!;
      }
      z.push(new Uint8Array(0), true);
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(
        "CORRUPT_COMPRESSED_DATA",
        `xar file ${node.path}: bad zlib data`,
        { path: node.path },
        { cause: e },
      );
    }
    while (queue.length > 0) yield queue.shift()!;
    if (!ended)
      throw new FormatError("TRUNCATED", `xar file ${node.path}: zlib stream ends early`, {
        path: node.path,
      });
  }
  if (n !== d.size)
    throw new FormatError(
      "BAD_HEADER",
      `xar file ${node.path} decodes to ${n} bytes, the TOC says ${d.size}`,
      {
        path: node.path,
        expected: d.size,
        found: n,
      },
    );
  if (d.extracted && h) checkChecksum(node.path, "extracted", d.extracted, h);
}

/** A file node's decoded bytes in memory, bounded by `max` (default maxHeaderBytes: for metadata files). */
export async function xarFileBytes(
  source: ByteSource,
  archive: XarArchive,
  node: XarNode,
  opts: ReadXarOptions = {},
  max?: number,
): Promise<Uint8Array> {
  const limit = max ?? resolveLimits(opts.limits).maxHeaderBytes;
  if (node.data && node.data.size > limit)
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `xar file ${node.path} of ${node.data.size} bytes is over the limit of ${limit}`,
      {
        path: node.path,
      },
    );
  return collect(xarFileStream(source, archive, node, opts), limit);
}
