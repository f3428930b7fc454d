/**
 * The rpm reader: any v4 package (ours or rpmbuild's, gzip/xz/zstd/bzip2 payloads, DIRNAMES or the old
 * OLDFILENAMES layout) into PackageInfo. One sequential pass over the artifact: lead, signature header,
 * main header, then the payload streamed through its digests, the decompressor and the cpio reader, so
 * memory stays bounded by the headers plus one cpio chunk. Every digest present is verified.
 * Besides the neutral metadata it reports what RPM-MD indexes need verbatim in `raw` (SOURCERPM,
 * BUILDHOST, the uncompressed payload size, every dependency list with its flags) and the changelog.
 */
import { ByteReader } from "../bytes/reader.ts";
import type { CompressionAlgo } from "../compress/compression.ts";
import { decompress } from "../compress/decompress.ts";
import { readCpio } from "../container/cpio.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { createHasher, type HashAlgo, hashBytes, hashing } from "../hash/index.ts";
import { artifactInfo } from "../info/artifact-info.ts";
import type { FileInfo, PackageInfo, RawInfo, SignatureInfo } from "../info/types.ts";
import { resolveLimits } from "../limits.ts";
import { verifyDetached } from "../sign/openpgp.ts";
import { readSignatureInfo } from "../sign/signature-info.ts";
import type { ByteSource, EntryFlags, ScriptKind } from "../spec/types.ts";
import { archFromRpm } from "./arch.ts";
import { readChangelog } from "./changelog-info.ts";
import { readDependencies, relationsOf } from "./deps-info.ts";
import {
  type DecodedHeader,
  decodeHeader,
  HEADER_INTRO_BYTES,
  headerBinary,
  headerByteLength,
  headerNumbers,
  headerString,
  headerStrings,
} from "./header.ts";
import { decodeLead, LEAD_BYTES } from "./lead.ts";
import { SCRIPT_SLOTS } from "./scripts.ts";
import { checkSignatureTypes, signaturePadding } from "./signature-header.ts";
import { FILE_FLAG, REGION_IMMUTABLE, REGION_SIGNATURES, SIG, TAG } from "./tags.ts";

/** Everything the reader parsed, for `read` and for `sign` (which needs the raw headers). */
export interface ParsedRpm {
  /** The 96 lead bytes as stored. */
  lead: Uint8Array;
  signature: DecodedHeader;
  header: DecodedHeader;
  /** Offsets of the signature header, the main header and the payload. */
  signatureStart: number;
  headerStart: number;
  payloadStart: number;
}

/** Reads the lead and both headers from the start of `reader`; the reader is left at the payload. */
export async function readHeaders(reader: ByteReader, maxHeaderBytes: number): Promise<ParsedRpm> {
  const lead = (await reader.read(LEAD_BYTES)).slice();
  decodeLead(lead);
  const signatureStart = reader.offset;
  const sigIntro = await reader.peek(HEADER_INTRO_BYTES);
  const sigLen = headerByteLength(sigIntro, signatureStart, Math.min(maxHeaderBytes, 64 * 1024 * 1024));
  const signature = decodeHeader((await reader.read(sigLen)).slice(), signatureStart, REGION_SIGNATURES);
  if (signature.tags.length > 33) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature header at offset ${signatureStart}: ${signature.tags.length} entries, rpm allows 32`,
      {
        offset: signatureStart,
      },
    );
  }
  checkSignatureTypes(signature.entries, signatureStart);
  const pad = signaturePadding(sigLen);
  const padding = await reader.read(pad);
  if (padding.some((b) => b !== 0)) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature padding at offset ${signatureStart + sigLen}: expected ${pad} zero bytes`,
      { offset: signatureStart + sigLen },
    );
  }
  const headerStart = reader.offset;
  const intro = await reader.peek(HEADER_INTRO_BYTES);
  const hLen = headerByteLength(intro, headerStart, maxHeaderBytes);
  const header = decodeHeader((await reader.read(hLen)).slice(), headerStart, REGION_IMMUTABLE);
  return { lead, signature, header, signatureStart, headerStart, payloadStart: reader.offset };
}

const DIGEST_NAMES: Record<number, HashAlgo> = { 1: "md5", 2: "sha1", 8: "sha256", 10: "sha512" };
const COMPRESSORS: Record<string, CompressionAlgo> = {
  gzip: "gzip",
  xz: "xz",
  lzma: "xz",
  zstd: "zstd",
  bzip2: "bzip2",
};

function mismatch(
  what: string,
  expected: string,
  found: string,
  data: Record<string, unknown> = {},
): FormatError {
  return new FormatError(
    "DIGEST_MISMATCH",
    `rpm: ${what} does not match: expected ${expected}, found ${found}`,
    { expected, found, ...data },
  );
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

interface FileRow {
  path: string;
  mode: number;
  size: number;
  mtime: number;
  digest: string;
  linkTo: string;
  flags: number;
  user: string;
  group: string;
  inode: number;
  device: number;
  lang: string;
}

function fileRows(h: DecodedHeader, maxEntries: number): FileRow[] {
  let paths: string[];
  const basenames = headerStrings(h, TAG.BASENAMES);
  if (basenames !== undefined) {
    const dirnames = headerStrings(h, TAG.DIRNAMES) ?? [];
    const dirindexes = headerNumbers(h, TAG.DIRINDEXES) ?? [];
    paths = basenames.map((b, i) => {
      const d = dirnames[dirindexes[i] ?? -1];
      if (d === undefined)
        throw new FormatError(
          "BAD_HEADER",
          `rpm header: file ${i} (${b}) has no directory (DIRINDEXES ${dirindexes[i]} of ${dirnames.length})`,
          { found: dirindexes[i] },
        );
      return d + b;
    });
  } else {
    paths = headerStrings(h, TAG.OLDFILENAMES) ?? [];
  }
  if (paths.length > maxEntries)
    throw new FormatError(
      "LIMIT_ENTRIES",
      `rpm header lists ${paths.length} files, over the limit of ${maxEntries}`,
      { found: paths.length },
    );
  const sizes = headerNumbers(h, TAG.LONGFILESIZES) ?? headerNumbers(h, TAG.FILESIZES) ?? [];
  const modes = headerNumbers(h, TAG.FILEMODES) ?? [];
  const mtimes = headerNumbers(h, TAG.FILEMTIMES) ?? [];
  const digests = headerStrings(h, TAG.FILEDIGESTS) ?? [];
  const links = headerStrings(h, TAG.FILELINKTOS) ?? [];
  const flags = headerNumbers(h, TAG.FILEFLAGS) ?? [];
  const users = headerStrings(h, TAG.FILEUSERNAME) ?? [];
  const groups = headerStrings(h, TAG.FILEGROUPNAME) ?? [];
  const inodes = headerNumbers(h, TAG.FILEINODES) ?? [];
  const devices = headerNumbers(h, TAG.FILEDEVICES) ?? [];
  const langs = headerStrings(h, TAG.FILELANGS) ?? [];
  for (const [name, arr] of [
    ["FILESIZES", sizes],
    ["FILEMODES", modes],
  ] as const) {
    if (paths.length > 0 && arr.length !== paths.length) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm header: ${name} has ${arr.length} elements for ${paths.length} files`,
        { found: arr.length, expected: paths.length },
      );
    }
  }
  return paths.map((path, i) => ({
    path,
    mode: modes[i]!,
    size: sizes[i]!,
    mtime: mtimes[i] ?? 0,
    digest: digests[i] ?? "",
    linkTo: links[i] ?? "",
    flags: flags[i] ?? 0,
    user: users[i] ?? "root",
    group: groups[i] ?? "root",
    inode: inodes[i] ?? i + 1,
    device: devices[i] ?? 1,
    lang: langs[i] ?? "",
  }));
}

function entryFlagsOf(flags: number): EntryFlags | undefined {
  const f: EntryFlags = {};
  if (flags & FILE_FLAG.CONFIG) f.config = true;
  if (flags & FILE_FLAG.NOREPLACE) f.noreplace = true;
  if (flags & FILE_FLAG.MISSINGOK) f.missingok = true;
  if (flags & FILE_FLAG.DOC) f.doc = true;
  if (flags & FILE_FLAG.LICENSE) f.license = true;
  if (flags & FILE_FLAG.GHOST) f.ghost = true;
  return Object.keys(f).length > 0 ? f : undefined;
}

/** Strips the payload name prefix (`./`, `/` or none) rpm accepts, refusing `..` segments. */
function payloadPath(name: string, offset: number): string {
  const clean = name.replace(/^\.?\/?/, "/");
  if (clean.split("/").includes("..")) {
    throw new FormatError(
      "UNSAFE_PATH",
      `rpm payload entry ${JSON.stringify(name)} at offset ${offset} has a ".." segment`,
      { offset, path: name },
    );
  }
  return clean;
}

/** Reads an rpm into PackageInfo, verifying every digest it carries. */
export async function readRpm(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const artifact = createHasher(["md5", "sha1", "sha256", "sha512"]);
  let artifactSize = 0;
  const reader = new ByteReader(
    hashing(source.open(), {
      update(b) {
        artifact.update(b);
        artifactSize += b.length;
      },
    }),
  );
  const parsed = await readHeaders(reader, limits.maxHeaderBytes);
  const { signature: sh, header: h } = parsed;
  const H = h.bytes;

  // Header digests.
  const sha1 = headerString(sh, SIG.SHA1);
  if (sha1 !== undefined && sha1 !== hashBytes(H, "sha1"))
    throw mismatch("header SHA1 digest", sha1, hashBytes(H, "sha1"), { offset: parsed.headerStart });
  const sha256 = headerString(sh, SIG.SHA256);
  const headerSha256 = hashBytes(H, "sha256");
  if (sha256 !== undefined && sha256 !== headerSha256)
    throw mismatch("header SHA256 digest", sha256, headerSha256, { offset: parsed.headerStart });

  // Payload: compressed bytes → digests → decompress → ALT digest → cpio.
  const payloadHasher = createHasher(["sha256"]);
  const md5 = createHasher(["md5"]);
  md5.update(H);
  let payloadSize = 0;
  const rest = source.size - parsed.payloadStart;
  if (rest < 0)
    throw new FormatError("TRUNCATED", `rpm: file ends inside the main header (size ${source.size})`, {
      offset: source.size,
    });
  const compressed = hashing(reader.stream(rest), {
    update(b) {
      payloadHasher.update(b);
      md5.update(b);
      payloadSize += b.length;
    },
  });
  const compressorName = headerString(h, TAG.PAYLOADCOMPRESSOR) ?? "gzip";
  const algo = COMPRESSORS[compressorName];
  if (algo === undefined)
    throw new FormatError("UNSUPPORTED", `rpm: payload compressor "${compressorName}" is not supported`, {
      found: compressorName,
    });
  const format = headerString(h, TAG.PAYLOADFORMAT) ?? "cpio";
  if (format !== "cpio")
    throw new FormatError("UNSUPPORTED", `rpm: payload format "${format}" is not supported (expected cpio)`, {
      found: format,
    });
  const altHasher = createHasher(["sha256"]);
  let plainSize = 0;
  const plain = hashing(
    decompress(compressed, algo, { limits, offset: parsed.payloadStart, path: "payload" }),
    {
      update(b) {
        altHasher.update(b);
        plainSize += b.length;
      },
    },
  );
  const plainIt = plain[Symbol.asyncIterator]();
  const rows = fileRows(h, limits.maxEntries);
  const digestAlgo = DIGEST_NAMES[headerNumbers(h, TAG.FILEDIGESTALGO)?.[0] ?? 1];
  const byPath = new Map(rows.map((r, i) => [r.path, i]));
  const seen = new Uint8Array(rows.length);
  // A stripped entry carries no size: in a hardlink set only the last member (header order) carries the
  // data and the others have none, as rpm writes and reads it (lib/rpmfi.c rpmfiArchiveHasContent).
  const carrierOf = new Map<string, number>();
  rows.forEach((r, i) => {
    if ((r.mode & 0o170000) === 0o100000 && !(r.flags & FILE_FLAG.GHOST))
      carrierOf.set(`${r.device}:${r.inode}`, i);
  });
  const strippedSize = (i: number): number => {
    const r = rows[i];
    if (r === undefined) return 0;
    const carrier = carrierOf.get(`${r.device}:${r.inode}`);
    return carrier === undefined || carrier === i ? r.size : 0;
  };
  for await (const entry of readCpio({ [Symbol.asyncIterator]: () => plainIt }, { limits, strippedSize })) {
    let i: number | undefined;
    if (entry.format === "stripped") {
      i = entry.index;
      if (i === undefined || i >= rows.length)
        throw new FormatError(
          "UNEXPECTED_MEMBER",
          `rpm payload: stripped entry index ${entry.index} at offset ${entry.offset} is not in the header`,
          { offset: entry.offset },
        );
    } else {
      const path = payloadPath(entry.header.name, entry.offset);
      i = byPath.get(path);
      if (i === undefined)
        throw new FormatError(
          "UNEXPECTED_MEMBER",
          `rpm payload: ${path} (offset ${entry.offset}) is not in the header's file list`,
          { offset: entry.offset, path },
        );
    }
    const row = rows[i]!;
    if (seen[i])
      throw new FormatError(
        "DUPLICATE_KEY",
        `rpm payload: ${row.path} appears twice (offset ${entry.offset})`,
        { offset: entry.offset, path: row.path },
      );
    seen[i] = 1;
    const type = row.mode & 0o170000;
    if (type === 0o100000 && entry.header.size > 0) {
      if (entry.header.size !== row.size) {
        throw new FormatError(
          "BAD_HEADER",
          `rpm payload: ${row.path} has ${entry.header.size} bytes, the header says ${row.size}`,
          { offset: entry.offset, path: row.path },
        );
      }
      if (digestAlgo !== undefined && row.digest !== "") {
        const fh = createHasher([digestAlgo]);
        for await (const c of entry.body()) fh.update(c);
        const got = fh.digest()[digestAlgo]!;
        if (got !== row.digest)
          throw mismatch(`file digest of ${row.path}`, row.digest, got, {
            path: row.path,
            offset: entry.offset,
          });
      }
    }
  }
  // Drain what follows the trailer so the payload digests cover every byte.
  while (!(await plainIt.next()).done) {}
  rows.forEach((r, i) => {
    if (!seen[i] && !(r.flags & FILE_FLAG.GHOST)) {
      throw new FormatError(
        "MISSING_MEMBER",
        `rpm payload: ${r.path} is in the header but not in the payload`,
        { path: r.path },
      );
    }
  });
  const payloadSha256 = payloadHasher.digest().sha256!;
  const payloadDigest = headerStrings(h, TAG.PAYLOADDIGEST)?.[0];
  if (payloadDigest !== undefined && payloadDigest !== payloadSha256)
    throw mismatch("payload SHA256 digest", payloadDigest, payloadSha256, { offset: parsed.payloadStart });
  const alt = headerStrings(h, TAG.PAYLOADDIGESTALT)?.[0];
  const altGot = altHasher.digest().sha256!;
  if (alt !== undefined && alt !== altGot)
    throw mismatch("payload SHA256 ALT digest", alt, altGot, { offset: parsed.payloadStart });
  const md5Want = headerBinary(sh, SIG.MD5);
  const md5Got = md5.digest().md5!;
  if (md5Want !== undefined && hexOf(md5Want) !== md5Got)
    throw mismatch("MD5 digest", hexOf(md5Want), md5Got);
  const sizeWant = headerNumbers(sh, SIG.SIZE)?.[0] ?? headerNumbers(sh, SIG.LONGSIZE)?.[0];
  if (sizeWant !== undefined && sizeWant !== H.length + payloadSize) {
    throw new FormatError(
      "BAD_HEADER",
      `rpm signature SIZE says ${sizeWant} bytes of header+payload, found ${H.length + payloadSize}`,
      { expected: sizeWant, found: H.length + payloadSize },
    );
  }
  // The uncompressed payload size: rpm 4.x writes PAYLOADSIZE (LONGARCHIVESIZE from 4 GiB) in the
  // signature header and reports it as %{ARCHIVESIZE} / %{LONGARCHIVESIZE}. Checked against the bytes, so
  // raw.archiveSize (the bytes counted) is what rpm reports, and still the true size when no tag says.
  for (const [tag, what] of [
    [SIG.PAYLOADSIZE, "PAYLOADSIZE"],
    [SIG.LONGARCHIVESIZE, "LONGARCHIVESIZE"],
  ] as const) {
    const plainWant = headerNumbers(sh, tag)?.[0];
    if (plainWant !== undefined && plainWant !== plainSize) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm signature ${what} says ${plainWant} bytes, the payload decompresses to ${plainSize}`,
        { expected: plainWant, found: plainSize },
      );
    }
  }
  return buildInfo(
    parsed,
    rows,
    await signaturesOf(sh, H, ctx),
    artifactInfo(artifactSize, artifact.digest()),
    headerSha256,
    plainSize,
  );
}

async function signaturesOf(sh: DecodedHeader, H: Uint8Array, ctx: ReadContext): Promise<SignatureInfo[]> {
  const out: SignatureInfo[] = [];
  const locations: [number, string, boolean][] = [
    [SIG.RSA, "rpm:RSAHEADER", true],
    [SIG.DSA, "rpm:DSAHEADER", true],
    [SIG.PGP, "rpm:PGP", false],
    [SIG.GPG, "rpm:GPG", false],
  ];
  for (const [tag, location, headerOnly] of locations) {
    const sig = headerBinary(sh, tag);
    if (sig === undefined) continue;
    const info: SignatureInfo = { kind: "openpgp", location };
    try {
      const s = readSignatureInfo(sig);
      info.keyId = s.keyId;
      if (s.fingerprint !== undefined) info.fingerprint = s.fingerprint;
      info.hash = s.hash;
    } catch (cause) {
      throw new FormatError(
        "BAD_HEADER",
        `rpm signature tag ${tag}: not an OpenPGP signature (${(cause as Error).message})`,
        { found: tag },
        { cause },
      );
    }
    if (headerOnly && ctx.publicKeys?.length) {
      let ok = false;
      for (const key of ctx.publicKeys) {
        try {
          if ((await verifyDetached(H, sig, key, { date: null })).valid) ok = true;
        } catch {
          // a key that cannot be read does not verify this signature
        }
      }
      info.verified = ok;
    }
    out.push(info);
  }
  return out;
}

function buildInfo(
  parsed: ParsedRpm,
  rows: FileRow[],
  signatures: SignatureInfo[],
  artifact: PackageInfo["artifact"],
  headerSha256: string,
  archiveSize: number,
): PackageInfo {
  const h = parsed.header;
  const name = headerString(h, TAG.NAME) ?? "";
  const version = headerString(h, TAG.VERSION) ?? "";
  const release = headerString(h, TAG.RELEASE) ?? "";
  const epoch = headerNumbers(h, TAG.EPOCH)?.[0];
  if (name === "" || version === "")
    throw new FormatError("BAD_HEADER", "rpm header: NAME or VERSION missing", {
      offset: parsed.headerStart,
    });
  const archString = headerString(h, TAG.ARCH) ?? "";
  const v = /^([^~+]*)(?:~([^+]*))?(?:\+(.*))?$/.exec(version)!;
  const structured: PackageInfo["version"] = { upstream: v[1] || version };
  if (v[2] !== undefined) structured.prerelease = v[2];
  if (v[3] !== undefined) structured.metadata = v[3];
  if (release !== "") structured.release = release;
  if (epoch !== undefined) structured.epoch = epoch;
  const firstOfSet = new Map<string, string>();
  const files: FileInfo[] = rows.map((r) => {
    const kind = r.mode & 0o170000;
    let type: FileInfo["type"] =
      kind === 0o040000
        ? "dir"
        : kind === 0o120000
          ? "symlink"
          : kind === 0o020000
            ? "char"
            : kind === 0o060000
              ? "block"
              : kind === 0o010000
                ? "fifo"
                : "file";
    let target: string | undefined = kind === 0o120000 ? r.linkTo : undefined;
    if (type === "file" && !(r.flags & FILE_FLAG.GHOST)) {
      const key = `${r.device}:${r.inode}`;
      const first = firstOfSet.get(key);
      if (first === undefined) firstOfSet.set(key, r.path);
      else {
        type = "hardlink";
        target = first;
      }
    }
    const f: FileInfo = {
      path: r.path,
      type,
      mode: r.mode & 0o7777,
      owner: { name: r.user, id: r.user === "root" ? 0 : -1 },
      group: { name: r.group, id: r.group === "root" ? 0 : -1 },
      size: r.size,
      mtime: r.mtime,
      digests: {},
    };
    if (target !== undefined) f.target = target;
    if (r.digest !== "") {
      const algo = DIGEST_NAMES[headerNumbers(h, TAG.FILEDIGESTALGO)?.[0] ?? 1];
      if (algo !== undefined) f.digests[algo] = r.digest;
    }
    const flags = entryFlagsOf(r.flags);
    if (flags !== undefined) f.flags = flags;
    if (r.lang !== "") f.lang = r.lang;
    return f;
  });
  const scripts: PackageInfo["scripts"] = {};
  for (const slot of SCRIPT_SLOTS) {
    const body = headerString(h, slot.body);
    const prog = headerStrings(h, slot.prog);
    if (body === undefined && prog === undefined) continue;
    const s: { interpreter?: string; body: string } = { body: body ?? "" };
    if (prog !== undefined) s.interpreter = prog.join(" ");
    scripts[slot.kind as ScriptKind] = s;
  }
  const dependencies = readDependencies(h);
  const raw: RawInfo & { format: "rpm" } = {
    format: "rpm",
    headerStart: parsed.headerStart,
    headerEnd: parsed.payloadStart,
    headerSha256,
    archiveSize,
    dependencies,
  };
  const sourcerpm = headerString(h, TAG.SOURCERPM);
  if (sourcerpm !== undefined) raw.sourcerpm = sourcerpm;
  const buildhost = headerString(h, TAG.BUILDHOST);
  if (buildhost !== undefined) raw.buildhost = buildhost;
  const info: PackageInfo = {
    format: "rpm",
    name,
    versionString: `${epoch !== undefined ? `${epoch}:` : ""}${version}-${release}`,
    version: structured,
    archString,
    relations: relationsOf(dependencies, name),
    changelog: readChangelog(h),
    files,
    scripts,
    signatures,
    artifact,
    raw,
  };
  const arch = archFromRpm(archString);
  if (arch !== undefined) info.arch = arch;
  const opt: [keyof PackageInfo, number][] = [
    ["maintainer", TAG.PACKAGER],
    ["summary", TAG.SUMMARY],
    ["description", TAG.DESCRIPTION],
    ["license", TAG.LICENSE],
    ["homepage", TAG.URL],
    ["vendor", TAG.VENDOR],
    ["section", TAG.GROUP],
  ];
  for (const [key, tag] of opt) {
    const s = headerString(h, tag);
    if (s !== undefined && s !== "") (info as unknown as Record<string, unknown>)[key] = s;
  }
  const size = headerNumbers(h, TAG.LONGSIZE)?.[0] ?? headerNumbers(h, TAG.SIZE)?.[0];
  if (size !== undefined) info.installedSize = size;
  const built = headerNumbers(h, TAG.BUILDTIME)?.[0];
  if (built !== undefined) info.buildDate = built;
  return info;
}
