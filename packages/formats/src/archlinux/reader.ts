/**
 * The Arch reader: any `.pkg.tar{,.zst,.xz,.gz,.bz2}` (packyard's, makepkg's, nfpm's) into PackageInfo.
 * Member order is free (nfpm writes .PKGINFO last). When .MTREE is present, every payload member must be
 * listed there with the same type, mode, owner, size, link and digests — pacman takes its file list from
 * .MTREE and `pacman -Qkk` checks against it — and every listed member must exist. .CHANGELOG becomes
 * `changelog` (changelog.ts decodeChangelog), and the caller's detached `.sig` is kept in `raw.signature`.
 */
import { decodeUtf8 } from "../bytes/bytes.ts";
import { decompress, decompressBytes } from "../compress/decompress.ts";
import { readTar, type TarEntry, type TarHeader } from "../container/tar.ts";
import { FormatError, isPackyardError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { digestStream, hashBytes } from "../hash/hasher.ts";
import { artifactDigests, artifactInfo } from "../info/artifact-info.ts";
import type { FileInfo, PackageInfo, SignatureInfo } from "../info/types.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import { readSignatureInfo } from "../sign/signature-info.ts";
import type { ByteSource, Relation, Relations } from "../spec/types.ts";
import { fromArchlinuxArch } from "./arch.ts";
import { decodeChangelog } from "./changelog.ts";
import { decodeInstall } from "./install.ts";
import { decodeMtree, type MtreeEntry } from "./mtree.ts";
import { decodePkginfo, type Pkginfo } from "./pkginfo.ts";
import { METADATA_NAMES } from "./plan.ts";
import { parseArchlinuxDependency } from "./relations.ts";
import { archlinuxVersionToVersion } from "./version.ts";

/** Bytes allowed after the tar end blocks (bsdtar pads to a 10240-byte record; anything much larger is not padding). */
const MAX_TRAILING_BYTES = 1024 * 1024;

type MetadataName = (typeof METADATA_NAMES)[number];

interface Member {
  name: string;
  offset: number;
  info: FileInfo;
}

async function metadataBytes(e: TarEntry, limits: ReadLimits): Promise<Uint8Array> {
  if (e.header.size > limits.maxHeaderBytes) {
    throw new FormatError(
      "LIMIT_HEADER_BYTES",
      `${e.header.name} at offset ${e.offset} has ${e.header.size} bytes, over the limit of ${limits.maxHeaderBytes}`,
      {
        offset: e.offset,
        path: e.header.name,
        expected: limits.maxHeaderBytes,
        found: e.header.size,
      },
    );
  }
  return e.bytes();
}

function text(bytes: Uint8Array, name: string, offset: number): string {
  try {
    return decodeUtf8(bytes);
  } catch (cause) {
    throw new FormatError(
      "INVALID_VALUE",
      `${name} at offset ${offset} is not UTF-8 text`,
      { offset, path: name },
      { cause },
    );
  }
}

/** A payload member name as pacman sees it: relative, no `..`; `undefined` for root dot-names pacman ignores. */
export function payloadPath(name: string, offset: number): string | undefined {
  if (name.startsWith("/")) {
    throw new FormatError("UNSAFE_PATH", `member ${JSON.stringify(name)} at offset ${offset} is absolute`, {
      offset,
      path: name,
    });
  }
  const segments = name.split("/").filter((s) => s !== "");
  for (const s of segments) {
    if (s === "..")
      throw new FormatError(
        "UNSAFE_PATH",
        `member ${JSON.stringify(name)} at offset ${offset} contains a ".." segment`,
        { offset, path: name },
      );
  }
  // libalpm add.c: every root name starting with "." is metadata; pacman skips it (this is why "./usr" installs nothing)
  if (name.startsWith(".")) return undefined;
  return segments.join("/");
}

/**
 * The FileInfo of a payload member at `rel` (digests to come): what the reader lists, and what the writer
 * lists of the members it writes (KnownPayload), from the header as read.
 */
export function payloadInfo(h: TarHeader, rel: string, offset: number): FileInfo {
  const info = fileInfoFromTar(h, rel);
  if (h.type === "hardlink") info.target = `/${payloadPath(h.linkname ?? "", offset) ?? ""}`;
  return info;
}

function mismatch(path: string, field: string, expected: unknown, found: unknown): FormatError {
  return new FormatError(
    "DIGEST_MISMATCH",
    `.MTREE disagrees with member ${JSON.stringify(path)}: ${field} is ${JSON.stringify(expected)} in .MTREE, ${JSON.stringify(found)} in the archive`,
    {
      path,
      field,
      expected,
      found,
    },
  );
}

function checkAgainstMtree(
  members: Map<string, Member>,
  metadata: Map<string, { bytes: Uint8Array; digests: { md5?: string; sha256?: string } }>,
  mtree: MtreeEntry[],
): void {
  const listed = new Map<string, MtreeEntry>();
  for (const m of mtree) listed.set(m.path, m);
  for (const [path, m] of members) {
    const e = listed.get(path);
    if (e === undefined) {
      throw new FormatError(
        "UNEXPECTED_MEMBER",
        `member ${JSON.stringify(path)} at offset ${m.offset} is not listed in .MTREE; pacman would skip it ("file not found in file list")`,
        {
          offset: m.offset,
          path,
        },
      );
    }
    const f = m.info;
    const type =
      f.type === "dir"
        ? "dir"
        : f.type === "symlink"
          ? "link"
          : f.type === "file" || f.type === "hardlink"
            ? "file"
            : f.type;
    if (e.type !== type) throw mismatch(path, "type", e.type, type);
    if (type === "link" && e.link !== f.target) throw mismatch(path, "link", e.link, f.target);
    if (type !== "link" && e.mode !== f.mode)
      throw mismatch(path, "mode", e.mode.toString(8), f.mode.toString(8));
    if (e.uid !== f.owner.id) throw mismatch(path, "uid", e.uid, f.owner.id);
    if (e.gid !== f.group.id) throw mismatch(path, "gid", e.gid, f.group.id);
    if (type === "file") {
      if (e.size !== undefined && e.size !== f.size) throw mismatch(path, "size", e.size, f.size);
      if (e.md5 !== undefined && e.md5 !== f.digests.md5)
        throw mismatch(path, "md5digest", e.md5, f.digests.md5);
      if (e.sha256 !== undefined && e.sha256 !== f.digests.sha256)
        throw mismatch(path, "sha256digest", e.sha256, f.digests.sha256);
    }
  }
  for (const e of mtree) {
    if (members.has(e.path)) continue;
    const meta = metadata.get(e.path);
    if (meta === undefined) {
      throw new FormatError(
        "MISSING_MEMBER",
        `.MTREE lists ${JSON.stringify(e.path)} but the archive has no such member`,
        { path: e.path },
      );
    }
    if (e.size !== undefined && e.size !== meta.bytes.length)
      throw mismatch(e.path, "size", e.size, meta.bytes.length);
    if (e.md5 !== undefined && e.md5 !== meta.digests.md5)
      throw mismatch(e.path, "md5digest", e.md5, meta.digests.md5);
    if (e.sha256 !== undefined && e.sha256 !== meta.digests.sha256)
      throw mismatch(e.path, "sha256digest", e.sha256, meta.digests.sha256);
  }
}

function relationsOf(p: Pkginfo): Relations {
  const r: Relations = {};
  const put = (kind: keyof Relations, list: string[], optional = false) => {
    if (list.length > 0) r[kind] = list.map((s): Relation[] => [parseArchlinuxDependency(s, optional)]);
  };
  put("depends", p.depend);
  put("recommends", p.optdepend, true);
  put("conflicts", p.conflict);
  put("provides", p.provides);
  put("replaces", p.replaces);
  return r;
}

async function signatureOf(source: ByteSource, ctx: ReadContext): Promise<SignatureInfo[]> {
  if (ctx.detachedSignature === undefined) return [];
  const s = readSignatureInfo(ctx.detachedSignature);
  const info: SignatureInfo = { kind: "openpgp", location: ".sig", keyId: s.keyId, hash: s.hash };
  if (s.fingerprint !== undefined) info.fingerprint = s.fingerprint;
  if (ctx.publicKeys !== undefined && ctx.publicKeys.length > 0) {
    // The package is streamed into the verifier once per key tried: memory stays bounded whatever its size.
    info.verified = false;
    for (const key of ctx.publicKeys) {
      // loaded on demand: openpgp.js is large and only needed when keys are given
      const { verifyDetached } = await import("../sign/openpgp.ts");
      try {
        const v = await verifyDetached(source.open(), ctx.detachedSignature, key, { date: null });
        if (v.valid) {
          info.verified = true;
          break;
        }
      } catch (e) {
        // a key that is not an OpenPGP key (an apk or macOS key given alongside) does not verify it; as deb
        if (!isPackyardError(e)) throw e;
      }
    }
  }
  return [info];
}

/**
 * Reads an Arch package. `changelog` holds the .CHANGELOG entries when it is in the shape packyard writes
 * (changelog.ts); a foreign free-text .CHANGELOG becomes one entry with the whole text, author "" and
 * the package's builddate as date (0 without one); no .CHANGELOG gives []. `raw.signature` is
 * `ctx.detachedSignature` when the caller passed one (absent otherwise). Bad input gives FormatError:
 * UNSAFE_PATH (absolute or `..` names), MISSING_MEMBER (no .PKGINFO, or a .MTREE line without member),
 * UNEXPECTED_MEMBER (a member missing from .MTREE, or twice in the archive), DIGEST_MISMATCH (.MTREE
 * disagrees), DUPLICATE_KEY/UNKNOWN_KEY/INVALID_VALUE (.PKGINFO), plus the tar and decompression codes;
 * limits from `ctx.limits`.
 */
export async function readArchlinux(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const limits = resolveLimits(ctx.limits);
  const artifact = await artifactDigests(source, ctx.knownArtifact);
  const members = new Map<string, Member>();
  const metadata = new Map<string, { bytes: Uint8Array; digests: { md5?: string; sha256?: string } }>();
  let pkginfoText: string | undefined;
  let mtree: MtreeEntry[] | undefined;
  let installText: string | undefined;
  let changelogText: string | undefined;
  const hardlinks: Member[] = [];
  const addMetadata = async (
    name: string,
    offset: number,
    read: () => Promise<Uint8Array>,
  ): Promise<void> => {
    if (metadata.has(name)) {
      throw new FormatError("UNEXPECTED_MEMBER", `${name} appears twice (second at offset ${offset})`, {
        offset,
        path: name,
      });
    }
    const bytes = await read();
    metadata.set(name, {
      bytes,
      digests: { md5: hashBytes(bytes, "md5"), sha256: hashBytes(bytes, "sha256") },
    });
    const meta = name as MetadataName;
    if (meta === ".PKGINFO") pkginfoText = text(bytes, name, offset);
    else if (meta === ".INSTALL") installText = text(bytes, name, offset);
    else if (meta === ".CHANGELOG") changelogText = text(bytes, name, offset);
    else if (meta === ".MTREE") {
      const plain = await decompressBytes(bytes, "auto", {
        limits: { maxUnpackedBytes: limits.maxHeaderBytes },
        path: ".MTREE",
      });
      mtree = decodeMtree(text(plain, ".MTREE", offset), limits.maxEntries);
    }
  };
  const addMember = (rel: string, member: Member): void => {
    if (members.has(rel)) {
      throw new FormatError(
        "UNEXPECTED_MEMBER",
        `member ${JSON.stringify(rel)} appears twice (second at offset ${member.offset})`,
        { offset: member.offset, path: rel },
      );
    }
    if (member.info.type === "hardlink") hardlinks.push(member);
    members.set(rel, member);
  };
  // A package the writer just wrote lists its members itself (ReadContext.knownPayload): the metadata
  // members' bytes and the payload's files with the digests of the bytes written, taken instead of
  // decompressing the package again; everything below (.MTREE against the files included) still runs.
  const known = ctx.knownPayload?.format === "archlinux" ? ctx.knownPayload : undefined;
  if (known !== undefined) {
    for (const [name, bytes] of known.contents) await addMetadata(name, 0, async () => bytes);
    for (const f of known.files)
      addMember(f.path.slice(1), { name: f.path.slice(1), offset: 0, info: { ...f } });
  } else
    try {
      const plain = decompress(source.open(), "auto", { limits })[Symbol.asyncIterator]();
      const tar = readTar({ [Symbol.asyncIterator]: () => ({ next: () => plain.next() }) }, { limits });
      for await (const e of tar) {
        const name = e.header.name;
        if ((METADATA_NAMES as readonly string[]).includes(name)) {
          await addMetadata(name, e.offset, () => metadataBytes(e, limits));
          continue;
        }
        const rel = payloadPath(name, e.offset);
        if (rel === undefined || rel === "") continue;
        const info = payloadInfo(e.header, rel, e.offset);
        if (e.header.type === "file")
          info.digests = (await digestStream(e.body(), ["md5", "sha256"])).digests;
        addMember(rel, { name, offset: e.offset, info });
      }
      // read to the end so the compressor's checksum is verified; tar record padding is small
      let trailing = 0;
      for (let r = await plain.next(); !r.done; r = await plain.next()) {
        trailing += r.value.length;
        if (trailing > MAX_TRAILING_BYTES) {
          throw new FormatError(
            "UNEXPECTED_MEMBER",
            `more than ${MAX_TRAILING_BYTES} bytes follow the end of the tar archive`,
            { expected: MAX_TRAILING_BYTES, found: trailing },
          );
        }
      }
    } catch (e) {
      if (isPackyardError(e)) throw e;
      throw new FormatError(
        "CORRUPT_COMPRESSED_DATA",
        `could not read the package: ${(e as Error).message}`,
        {},
        { cause: e },
      );
    }
  for (const m of hardlinks) {
    const t = members.get(m.info.target!.slice(1));
    if (t === undefined || t.info.type !== "file") {
      throw new FormatError(
        "MISSING_MEMBER",
        `hard link ${JSON.stringify(m.name)} at offset ${m.offset} points at ${JSON.stringify(m.info.target)}, which is not a file of the package`,
        {
          offset: m.offset,
          path: m.name,
        },
      );
    }
    m.info.size = t.info.size;
    m.info.digests = { ...t.info.digests };
  }
  if (pkginfoText === undefined) {
    throw new FormatError(
      "MISSING_MEMBER",
      'the package has no .PKGINFO (pacman: "missing package metadata")',
      { path: ".PKGINFO" },
    );
  }
  const p = decodePkginfo(pkginfoText);
  if (mtree !== undefined) checkAgainstMtree(members, metadata, mtree);
  const backup = new Set(p.backup.map((b) => b.replace(/^\/+/, "")));
  const files = [...members.values()].map((m) => m.info);
  for (const f of files) if (backup.has(f.path.slice(1))) f.flags = { config: true };

  const scripts: PackageInfo["scripts"] = {};
  if (installText !== undefined) {
    for (const [kind, s] of Object.entries(decodeInstall(installText))) {
      const entry: { interpreter?: string; body: string } = { body: s.body };
      if (s.interpreter !== undefined) entry.interpreter = s.interpreter;
      scripts[kind as keyof PackageInfo["scripts"]] = entry;
    }
  }

  const info: PackageInfo = {
    format: "archlinux",
    name: p.pkgname,
    versionString: p.pkgver,
    version: archlinuxVersionToVersion(p.pkgver),
    archString: p.arch ?? "",
    relations: relationsOf(p),
    changelog: changelogText === undefined ? [] : decodeChangelog(changelogText, p.builddate ?? 0),
    files,
    scripts,
    signatures: await signatureOf(source, ctx),
    artifact: artifactInfo(artifact.size, artifact.digests),
    raw:
      ctx.detachedSignature === undefined
        ? { format: "archlinux", pkginfo: pkginfoText }
        : { format: "archlinux", pkginfo: pkginfoText, signature: ctx.detachedSignature.slice() },
  };
  const arch = p.arch === undefined ? undefined : fromArchlinuxArch(p.arch);
  if (arch !== undefined) info.arch = arch;
  if (p.packager !== undefined) info.maintainer = p.packager;
  if (p.pkgdesc !== undefined) {
    info.summary = p.pkgdesc;
    info.description = p.pkgdesc;
  }
  if (p.license.length > 0) info.license = p.license.join(" AND ");
  if (p.url !== undefined) info.homepage = p.url;
  if (p.group.length > 0) info.section = p.group[0]!;
  if (p.size !== undefined) info.installedSize = p.size;
  if (p.builddate !== undefined) info.buildDate = p.builddate;
  return info;
}
