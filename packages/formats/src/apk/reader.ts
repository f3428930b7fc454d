/**
 * Reads any v2 apk into PackageInfo: member boundaries, cut segments, `.PKGINFO`, scripts, `datahash`
 * and per-file `APK-TOOLS.checksum.SHA1` verified, signatures checked against given PEM keys. `raw` keeps
 * the APKINDEX identity (`C:` = "Q1" + base64 SHA-1 of the raw control member) and the `.PKGINFO` text.
 */
import { bytesSource, collect, decodeUtf8, readRange } from "../bytes/bytes.ts";
import { encodeBase64 } from "../bytes/encoding.ts";
import { decompressBytes } from "../compress/decompress.ts";
import { type GzipMember, gzipMemberAt, inflateMember } from "../compress/gzip-members.ts";
import { readTar, type TarEntry } from "../container/tar.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { createHasher, digestStream, hashBytes, hashBytesRaw } from "../hash/hasher.ts";
import { artifactDigests, artifactInfo } from "../info/artifact-info.ts";
import type { FileInfo, PackageInfo, SignatureInfo } from "../info/types.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import { verifyRSA } from "../sign/rsa.ts";
import type { ByteSource, Relations, ScriptKind } from "../spec/types.ts";
import { archFromApk } from "./arch.ts";
import { APK_CHECKSUM_SHA1 } from "./layout.ts";
import { checkApkMagic } from "./members.ts";
import { type Pkginfo, decodePkginfo } from "./pkginfo.ts";
import { parseApkRelation } from "./relations.ts";
import { APK_SCRIPT_FILES, parseScript } from "./scripts.ts";
import { tarEnding } from "./segment.ts";
import { APK_SIGNATURE_TYPES, parseSignatureName } from "./sign.ts";
import { fromApkVersion } from "./version.ts";

/** One file of a cut segment (signature or control), in memory. */
interface SegmentFile {
  name: string;
  mode: number;
  bytes: Uint8Array;
}

/** "Q1" + base64 of a SHA-1: apk's checksum notation (APKINDEX `C:`, installed db `Z:`). */
export function apkChecksumQ1(sha1: Uint8Array): string {
  return `Q1${encodeBase64(sha1)}`;
}

/** Decompresses and lists a cut segment (signature or control tar), checking that it is cut. */
async function readSegment(
  raw: Uint8Array,
  member: GzipMember,
  what: string,
  limits: ReadLimits,
): Promise<SegmentFile[]> {
  const tar = await decompressBytes(raw, "gzip", {
    limits: { maxUnpackedBytes: limits.maxHeaderBytes },
    offset: member.start,
    path: what,
  });
  const ending = tarEnding(tar);
  if (ending === "ended") {
    throw new FormatError(
      "UNCUT_SEGMENT",
      `apk: the ${what} tar (gzip member at offset ${member.start}) keeps its end-of-archive blocks; it must be cut so the members form one tar`,
      {
        offset: member.start,
        path: what,
      },
    );
  }
  if (ending === "ragged") {
    throw new FormatError(
      "TRUNCATED",
      `apk: the ${what} tar (gzip member at offset ${member.start}) stops inside an entry`,
      { offset: member.start, path: what },
    );
  }
  const files: SegmentFile[] = [];
  for await (const e of readTar(bytesSource(tar).open(), { allowMissingEnd: true, limits })) {
    if (e.header.type !== "file") {
      throw new FormatError(
        "UNEXPECTED_MEMBER",
        `apk: the ${what} tar holds a ${e.header.type} "${e.header.name}"; only files belong there`,
        {
          offset: member.start,
          path: e.header.name,
        },
      );
    }
    files.push({ name: e.header.name, mode: e.header.mode, bytes: await e.bytes() });
  }
  return files;
}

function text(f: SegmentFile): string {
  try {
    return decodeUtf8(f.bytes);
  } catch (cause) {
    throw new FormatError("INVALID_VALUE", `apk: ${f.name} is not valid UTF-8`, { path: f.name }, { cause });
  }
}

function one(info: Pkginfo, key: string): string | undefined {
  return info.get(key)?.[0];
}

function required(info: Pkginfo, key: string): string {
  const v = one(info, key);
  if (v === undefined || v === "") {
    throw new FormatError("INVALID_VALUE", `apk: .PKGINFO has no ${key}`, {
      path: ".PKGINFO",
      field: key,
      expected: key,
    });
  }
  return v;
}

function integer(info: Pkginfo, key: string): number | undefined {
  const v = one(info, key);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v))
    throw new FormatError("INVALID_VALUE", `apk: .PKGINFO ${key} must be a number, found "${v}"`, {
      path: ".PKGINFO",
      field: key,
      found: v,
    });
  return Number(v);
}

/** Rejects names apk treats as malicious ("./", "/", "..") and says where. */
function checkName(e: TarEntry): string {
  const name = e.header.name;
  if (name.startsWith("/") || name.startsWith("./") || name === "." || name.split("/").includes("..")) {
    throw new FormatError(
      "UNSAFE_PATH",
      `apk: data entry "${name}" at offset ${e.offset} starts with "./" or "/" or has a ".." segment; apk ignores such entries`,
      {
        offset: e.offset,
        path: name,
      },
    );
  }
  const path = name.replace(/\/+$/, "");
  if (path.startsWith(".")) {
    throw new FormatError(
      "UNEXPECTED_MEMBER",
      `apk: data entry "${name}" at offset ${e.offset} starts with "."; apk reads such names as control files and does not install them`,
      {
        offset: e.offset,
        path: name,
      },
    );
  }
  return path;
}

function mismatch(path: string, offset: number, what: string, expected: string, found: string): FormatError {
  return new FormatError(
    "DIGEST_MISMATCH",
    `apk: ${what} of ${path} (entry at offset ${offset}) is ${found}, the package says ${expected}`,
    { offset, path, expected, found },
  );
}

/**
 * Reads the data member, which starts at `start`: entries, parent directories, checksums, and where the
 * member ends. One inflating pass does both: the tar is parsed from the inflater's output, and what follows
 * the tar's end-of-archive blocks is inflated (and dropped) up to the member's trailer, which is checked.
 */
async function readData(
  source: ByteSource,
  start: number,
  limits: ReadLimits,
): Promise<{ files: FileInfo[]; member: GzipMember }> {
  const inflation = inflateMember(source, start, limits);
  try {
    const files = await dataFiles(inflation.output, limits);
    return { files, member: await inflation.end() };
  } finally {
    await inflation.cancel();
  }
}

/** The entries of the data tar, with their parent directories and checksums checked. */
async function dataFiles(tar: AsyncIterable<Uint8Array>, limits: ReadLimits): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  const dirs = new Set<string>();
  for await (const e of readTar(tar, { limits })) {
    const path = checkName(e);
    const slash = path.lastIndexOf("/");
    if (slash > 0 && !dirs.has(path.slice(0, slash))) {
      throw new FormatError(
        "MISSING_PARENT_DIR",
        `apk: "${path}" (entry at offset ${e.offset}) comes before any entry for its directory "${path.slice(0, slash)}"; apk fails with "no dirent in archive"`,
        {
          offset: e.offset,
          path,
          expected: path.slice(0, slash),
        },
      );
    }
    const h = e.header;
    const info = fileInfoFromTar(h, path, (id) => (id === 0 ? "root" : String(id)));
    const recorded = h.pax?.[APK_CHECKSUM_SHA1]?.toLowerCase();
    if (h.type === "dir") dirs.add(path);
    if (h.type === "file") {
      const hasher = createHasher(["md5", "sha1", "sha256"]);
      for await (const c of e.body()) hasher.update(c);
      info.digests = hasher.digest();
      if (recorded !== undefined && recorded !== info.digests.sha1)
        throw mismatch(info.path, e.offset, `the SHA-1 (${APK_CHECKSUM_SHA1})`, recorded, info.digests.sha1!);
      const md5 = h.pax?.["APK-TOOLS.checksum.MD5"]?.toLowerCase();
      if (md5 !== undefined && md5 !== info.digests.md5)
        throw mismatch(info.path, e.offset, "the MD5 (APK-TOOLS.checksum.MD5)", md5, info.digests.md5!);
    } else if (h.type === "symlink") {
      const sha1 = hashBytes(new TextEncoder().encode(info.target ?? ""), "sha1");
      if (recorded !== undefined && recorded !== sha1)
        throw mismatch(info.path, e.offset, "the SHA-1 of the link target", recorded, sha1);
      info.digests = { sha1 };
    } else if (h.type === "hardlink") {
      info.target = `/${(h.linkname ?? "").replace(/^\/+/, "")}`;
    }
    files.push(info);
  }
  return files;
}

/** True when a reader-supplied key looks like a PEM public key (armored OpenPGP keys are skipped). */
function isPemPublicKey(k: string): boolean {
  return /-----BEGIN (RSA )?PUBLIC KEY-----/.test(k);
}

/** FormatError MISSING_MEMBER for a package whose last member ends at `end`, with no data member after it. */
function missingData(end: number, signed: boolean): FormatError {
  return signed
    ? new FormatError(
        "MISSING_MEMBER",
        "apk: a signature member is followed by 1 member(s); expected control and data",
        { offset: end, expected: "control, data" },
      )
    : new FormatError("MISSING_MEMBER", "apk: expected a control and a data gzip member, found 1 member(s)", {
        offset: end,
        expected: "control, data",
        found: 1,
      });
}

/**
 * Checks that the data member runs to the end of the package: another gzip member after it is
 * UNEXPECTED_MEMBER (bytes that are no gzip member, BAD_MAGIC).
 */
async function checkDataIsLast(
  source: ByteSource,
  data: GzipMember,
  signed: boolean,
  metaLimits: ReadLimits,
): Promise<void> {
  if (data.end === source.size) return;
  const extra = await gzipMemberAt(source, data.end, metaLimits);
  throw new FormatError(
    "UNEXPECTED_MEMBER",
    signed
      ? `apk: expected at most three gzip members (signature, control, data), found a fourth at offset ${extra.start}`
      : `apk: a third gzip member at offset ${extra.start}, but the first holds no signature (.SIGN.*); the data must be one member (apk-tools 3 rejects extra boundaries)`,
    { offset: extra.start, expected: signed ? 3 : 2 },
  );
}

/**
 * Reads a v2 apk. See the module comment for what is verified. Only the signature and control members are
 * inflated before `datahash` is checked (bounded by maxHeaderBytes, like the metadata they hold); the data
 * member is inflated only once its stored bytes match, so a bomb with a wrong datahash costs one hash.
 */
export async function readApk(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const metaLimits = {
    ...limits,
    maxUnpackedBytes: Math.min(limits.maxUnpackedBytes, limits.maxHeaderBytes),
  };
  checkApkMagic(await collect(source.open({ start: 0, end: Math.min(4, source.size) })));
  const firstMember = await gzipMemberAt(source, 0, metaLimits);
  if (firstMember.end === source.size) throw missingData(firstMember.end, false);
  const first = await readRange(
    source,
    firstMember.start,
    firstMember.end,
    "apk first member",
    limits.maxHeaderBytes,
  );
  const firstFiles = await readSegment(first, firstMember, "first", limits);
  const signed = firstFiles.length > 0 && firstFiles.every((f) => f.name.startsWith(".SIGN."));
  const controlMember = signed ? await gzipMemberAt(source, firstMember.end, metaLimits) : firstMember;
  if (signed && controlMember.end === source.size) throw missingData(firstMember.end, true);
  // The data part is everything after the control member: what apk-tools hashes for datahash (extract_v2.c
  // counts every block after the control one as data). Its member boundary is found later, by inflating it
  // (readData).
  const dataStart = controlMember.end;
  const controlRaw = signed
    ? await readRange(
        source,
        controlMember.start,
        controlMember.end,
        "apk control member",
        limits.maxHeaderBytes,
      )
    : first;
  const controlFiles = signed ? await readSegment(controlRaw, controlMember, "control", limits) : firstFiles;

  const byName = new Map<string, SegmentFile>();
  for (const f of controlFiles) {
    if (!/^\.[^/]+$/.test(f.name)) {
      throw new FormatError(
        "UNEXPECTED_MEMBER",
        `apk: control entry "${f.name}" is not a dot-name without "/"; data entries belong in the data member`,
        {
          offset: controlMember.start,
          path: f.name,
        },
      );
    }
    byName.set(f.name, f);
  }
  const pkginfoFile = byName.get(".PKGINFO");
  if (pkginfoFile === undefined) {
    throw new FormatError("MISSING_MEMBER", "apk: the control member has no .PKGINFO", {
      offset: controlMember.start,
      path: ".PKGINFO",
    });
  }
  const pkginfoText = text(pkginfoFile);
  const pkginfo = decodePkginfo(pkginfoText);
  const name = required(pkginfo, "pkgname");
  const pkgver = required(pkginfo, "pkgver");
  const size = integer(pkginfo, "size") ?? 0;
  const datahash = one(pkginfo, "datahash")?.toLowerCase();

  // A package the writer just wrote (ReadContext.knownPayload): the data member's entries as it listed
  // them (with the digests of the bytes written); the member is neither hashed nor inflated again.
  const known = ctx.knownPayload?.format === "apk" && datahash !== undefined ? ctx.knownPayload : undefined;
  // datahash: SHA-256 of the data as stored (compressed), checked before a byte of it is inflated.
  if (datahash !== undefined && known === undefined) {
    const { digests } = await digestStream(source.open({ start: dataStart, end: source.size }), ["sha256"]);
    if (digests.sha256 !== datahash) {
      throw new FormatError(
        "DIGEST_MISMATCH",
        `apk: datahash in .PKGINFO is ${datahash}, the data member (offset ${dataStart}) hashes to ${digests.sha256}`,
        {
          offset: dataStart,
          path: "datahash",
          expected: datahash,
          found: digests.sha256,
        },
      );
    }
  }
  // One pass inflates the data member: its tar is read and its end found. A tar error in the data is thus
  // reported before an extra member after it.
  let files: FileInfo[];
  let dataMember: GzipMember | undefined;
  if (known !== undefined) files = known.files.map((f) => ({ ...f }));
  else {
    ({ files, member: dataMember } = await readData(source, dataStart, limits));
    await checkDataIsLast(source, dataMember, signed, metaLimits);
  }
  if (size === 0 && files.length > 0) {
    throw new FormatError(
      "INVALID_VALUE",
      `apk: .PKGINFO size = 0 marks a virtual package, but the data member holds ${files.length} entries that apk would not install`,
      {
        path: ".PKGINFO",
        field: "size",
        found: 0,
      },
    );
  }

  // Signatures cover the control member; without datahash (legacy) they cover control and data.
  const pem = (ctx.publicKeys ?? []).filter(isPemPublicKey);
  const signatures: SignatureInfo[] = [];
  for (const f of signed ? firstFiles : []) {
    const parsed = parseSignatureName(f.name);
    const hash = parsed === undefined ? undefined : APK_SIGNATURE_TYPES[parsed.type];
    const s: SignatureInfo = { kind: "rsa", location: f.name };
    if (parsed !== undefined) s.keyId = parsed.keyName;
    if (hash !== undefined) s.hash = hash;
    if (pem.length > 0) {
      const signedBytes =
        datahash !== undefined
          ? controlRaw
          : await readRange(
              source,
              controlMember.start,
              dataMember!.end,
              "apk control and data members",
              limits.maxUnpackedBytes,
            );
      s.verified = hash !== undefined && pem.some((k) => verifyRSA(signedBytes, f.bytes, k, hash));
    }
    signatures.push(s);
  }

  const scripts: PackageInfo["scripts"] = {};
  for (const [kind, file] of APK_SCRIPT_FILES) {
    const f = byName.get(file);
    if (f !== undefined) scripts[kind as ScriptKind] = parseScript(text(f));
  }
  const relations: Relations = {};
  for (const d of pkginfo.get("depend") ?? []) {
    for (const item of d.split(/\s+/).filter(Boolean)) {
      const { relation, conflict } = parseApkRelation(item);
      const kind = conflict ? "conflicts" : "depends";
      (relations[kind] ??= []).push([relation]);
    }
  }
  for (const kind of ["provides", "replaces"] as const) {
    for (const line of pkginfo.get(kind) ?? []) {
      for (const item of line.split(/\s+/).filter(Boolean))
        (relations[kind] ??= []).push([parseApkRelation(item, kind).relation]);
    }
  }

  const artifact = await artifactDigests(source, ctx.knownArtifact);
  const archString = one(pkginfo, "arch") ?? "";
  const arch = archFromApk(archString);
  const info: PackageInfo = {
    format: "apk",
    name,
    versionString: pkgver,
    version: fromApkVersion(pkgver),
    archString,
    relations,
    files,
    scripts,
    signatures,
    artifact: artifactInfo(artifact.size, artifact.digests),
    raw: {
      format: "apk",
      controlSha1: apkChecksumQ1(hashBytesRaw(controlRaw, "sha1")),
      datahash: datahash ?? "",
      pkginfo: pkginfoText,
    },
    installedSize: size,
  };
  if (arch !== undefined) info.arch = arch;
  const optional: Array<[keyof PackageInfo, string]> = [
    ["maintainer", "maintainer"],
    ["summary", "pkgdesc"],
    ["license", "license"],
    ["homepage", "url"],
  ];
  for (const [field, key] of optional) {
    const v = one(pkginfo, key);
    if (v !== undefined) (info as unknown as Record<string, unknown>)[field] = v;
  }
  const builddate = integer(pkginfo, "builddate");
  if (builddate !== undefined) info.buildDate = builddate;
  return info;
}
