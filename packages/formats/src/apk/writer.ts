/**
 * Writes a v2 apk (apk-v2(5); abuild create_apks) in the only order that works: data tar → gzip → SHA-256
 * (`datahash`) → `.PKGINFO` → control tar (cut) → gzip → RSA signatures over those bytes → signature tar
 * (cut) → gzip; emitted as signature | control | data, exactly three gzip members (two unsigned).
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { compress } from "../compress/compress.ts";
import { DEFAULT_BLOCK_BYTES } from "../compress/gzip-blocks.ts";
import { headerAsRead, type TarHeader, type TarWriteEntry, writeTar } from "../container/tar.ts";
import { entryTarMember, rootFileMember } from "../container/tar-member.ts";
import type { Warning, WriteContext } from "../format.ts";
import { hashBytes } from "../hash/hasher.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import type { FileInfo } from "../info/types.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import { createSpool } from "../spool/index.ts";
import type { SpooledBytes } from "../spool/spool.ts";
import type { Entry, PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { apkArch } from "./arch.ts";
import { APK_CHECKSUM_SHA1, dataEntries, installedSize } from "./layout.ts";
import { validateApk } from "./name.ts";
import type { ApkOptions } from "./options.ts";
import { encodePkginfo } from "./pkginfo.ts";
import { apkRelations } from "./relations.ts";
import { APK_SCRIPT_FILES, APK_UNSUPPORTED_SCRIPTS, renderScript } from "./scripts.ts";
import { APK_GZIP_LEVEL, gzipMember, writeTarBytes } from "./segment.ts";
import { resolveKeyName, rsaSigner, signatureTar, signControl } from "./sign.ts";
import { toApkVersion } from "./version.ts";

/** The control tar (cut): `.PKGINFO` first, then the scripts in apk's order, all owned by root. */
export async function controlTar(pkginfo: string, spec: PackageSpec): Promise<Uint8Array> {
  const file = (name: string, text: string, mode: number) =>
    rootFileMember(name, encodeUtf8(text), mode, spec.date);
  const entries = [file(".PKGINFO", pkginfo, 0o644)];
  for (const [kind, name] of APK_SCRIPT_FILES) {
    const s = spec.scripts[kind];
    if (s !== undefined) entries.push(file(name, renderScript(s), 0o755));
  }
  return writeTarBytes(entries, false);
}

/**
 * Tar entries of the data member (as layout.ts's dataTarEntries lays them out): names without "/", an
 * `APK-TOOLS.checksum.SHA1` pax record on every file and symlink. A file's SHA-1 precedes its content, so
 * the batch reader digests each file before handing it over: a small file is read once (bytes and SHA-1
 * together, off the main thread), a large one twice (digest, then pieces).
 */
async function* dataMembers(
  entries: readonly Entry[],
  date: number,
  listing?: FileInfo[],
): AsyncGenerator<TarWriteEntry> {
  const reads = readFiles(
    entries.flatMap((e) => (e.type === "file" ? [e.content] : [])),
    { digests: listing === undefined ? ["sha1"] : ["md5", "sha1", "sha256"], digestsFirst: true },
  );
  try {
    for (const e of entries) {
      const member = entryTarMember(e, { name: (path) => path.slice(1), mtime: date });
      let digests: FileInfo["digests"] | undefined;
      if (e.type === "file") {
        const r = (await reads.next()).value as FileRead;
        const d = r.digests!;
        member.header.pax = { [APK_CHECKSUM_SHA1]: d.sha1! };
        member.content = r.content!;
        digests = { md5: d.md5!, sha1: d.sha1!, sha256: d.sha256! };
      } else if (e.type === "symlink") {
        member.header.pax = { [APK_CHECKSUM_SHA1]: hashBytes(encodeUtf8(e.target), "sha1") };
      }
      if (listing !== undefined) listing.push(listedMember(member.header, digests));
      yield member;
    }
  } finally {
    await reads.return(undefined);
  }
}

/**
 * A data member as the apk reader lists it (apk/reader.ts dataFiles): from the header as read, a file
 * with its md5, SHA-1 and SHA-256 (computed before its content, as its SHA-1 record needs), a symlink
 * with the SHA-1 of its target, a hard link's target absolute.
 */
function listedMember(header: TarHeader, digests: FileInfo["digests"] | undefined): FileInfo {
  const h = headerAsRead(header);
  const info = fileInfoFromTar(h, h.name.replace(/\/+$/, ""), (id) => (id === 0 ? "root" : String(id)));
  if (h.type === "file") info.digests = digests!;
  else if (h.type === "symlink") info.digests = { sha1: hashBytes(encodeUtf8(info.target ?? ""), "sha1") };
  else if (h.type === "hardlink") info.target = `/${(h.linkname ?? "").replace(/^\/+/, "")}`;
  return info;
}

/** Streams a v2 apk. See the module comment for the order of computation. */
export async function* writeApk(
  input: PackageSpec,
  options: ApkOptions,
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const spec = validateSpec(input);
  validateApk(spec, options);
  const warn = (w: Warning) => ctx.warn?.(w);
  if (spec.version.metadata !== undefined && spec.version.metadata !== "") {
    warn({
      code: "APK_VERSION_METADATA_DROPPED",
      message: `apk versions have no build metadata: "+${spec.version.metadata}" is not written`,
    });
  }
  for (const kind of APK_UNSUPPORTED_SCRIPTS) {
    if (spec.scripts[kind] !== undefined)
      warn({ code: "APK_SCRIPT_DROPPED", message: `apk has no ${kind} script; it is not written` });
  }
  const signer = ctx.signer === undefined ? undefined : rsaSigner(ctx.signer);
  const level = options.gzipLevel ?? APK_GZIP_LEVEL;
  const entries = dataEntries(spec);

  // .PKGINFO's datahash is the SHA-256 of the compressed data member: the one digest the spool computes.
  const writer = (ctx.spool ?? createSpool())(["sha256"]);
  const listing: FileInfo[] | undefined = ctx.onPayload === undefined ? undefined : [];
  let data: SpooledBytes<"sha256">;
  try {
    // One gzip member, never framed: apk-tools 3 rejects extra member boundaries inside the data part. Its
    // deflate stream is made in blocks on the compression workers (one member all the same; a data part
    // of one block is the bytes of one stream).
    for await (const chunk of compress(
      writeTar(dataMembers(entries, spec.date, listing), { flavour: "pax" }),
      { algo: "gzip", level, blocks: { chunkBytes: DEFAULT_BLOCK_BYTES } },
    )) {
      await writer.write(chunk);
    }
    data = await writer.close();
    if (listing !== undefined) ctx.onPayload?.({ format: "apk", files: listing, contents: new Map() });
  } catch (e) {
    await writer.abort();
    throw e;
  }
  try {
    const relations = apkRelations(spec.relations, warn);
    const summary = spec.summary ?? spec.description?.split("\n")[0];
    const pkginfo = encodePkginfo({
      pkgname: spec.name,
      pkgver: toApkVersion(spec.version),
      ...(summary !== undefined ? { pkgdesc: summary } : {}),
      ...(spec.homepage !== undefined ? { url: spec.homepage } : {}),
      builddate: spec.date,
      ...((options.packager ?? spec.maintainer) !== undefined
        ? { packager: (options.packager ?? spec.maintainer)! }
        : {}),
      size: installedSize(entries),
      arch: apkArch(spec.arch, options.arch),
      origin: options.origin ?? spec.name,
      ...(options.commit !== undefined ? { commit: options.commit } : {}),
      ...(spec.maintainer !== undefined ? { maintainer: spec.maintainer } : {}),
      ...(spec.license !== undefined ? { license: spec.license } : {}),
      ...relations,
      installIf: options.installIf ?? [],
      triggers: options.triggers ?? [],
      ...(options.providerPriority !== undefined ? { providerPriority: options.providerPriority } : {}),
      ...(options.replacesPriority !== undefined ? { replacesPriority: options.replacesPriority } : {}),
      datahash: data.digests.sha256,
    });
    const control = await gzipMember(await controlTar(pkginfo, spec), level);
    if (signer !== undefined) {
      const keyName = resolveKeyName(signer, spec.maintainer, options.signature?.keyName);
      const files = await signControl(control, signer, keyName, options.signature?.legacySha1 === true);
      yield await gzipMember(await signatureTar(files, ctx.date ?? spec.date), level);
    }
    yield control;
    yield* data.open();
  } finally {
    await data.dispose();
  }
}
