/**
 * Writes a v2 apk (apk-v2(5); abuild create_apks) in the only order that works: data tar → gzip → SHA-256
 * (`datahash`) → `.PKGINFO` → control tar (cut) → gzip → RSA signatures over those bytes → signature tar
 * (cut) → gzip; emitted as signature | control | data, exactly three gzip members (two unsigned).
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { compress } from "../compress/compress.ts";
import { type TarWriteEntry, writeTar } from "../container/tar.ts";
import { entryTarMember, rootFileMember } from "../container/tar-member.ts";
import type { Warning, WriteContext } from "../format.ts";
import { hashBytes } from "../hash/hasher.ts";
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
async function* dataMembers(entries: readonly Entry[], date: number): AsyncGenerator<TarWriteEntry> {
  const reads = readFiles(
    entries.flatMap((e) => (e.type === "file" ? [e.content] : [])),
    { digests: ["sha1"], digestsFirst: true },
  );
  try {
    for (const e of entries) {
      const member = entryTarMember(e, { name: (path) => path.slice(1), mtime: date });
      if (e.type === "file") {
        const r = (await reads.next()).value as FileRead;
        member.header.pax = { [APK_CHECKSUM_SHA1]: r.digests!.sha1! };
        member.content = r.content!;
      } else if (e.type === "symlink") {
        member.header.pax = { [APK_CHECKSUM_SHA1]: hashBytes(encodeUtf8(e.target), "sha1") };
      }
      yield member;
    }
  } finally {
    await reads.return(undefined);
  }
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
  let data: SpooledBytes<"sha256">;
  try {
    // One gzip stream, never framed: apk-tools 3 rejects extra member boundaries inside the data part.
    for await (const chunk of compress(writeTar(dataMembers(entries, spec.date), { flavour: "pax" }), {
      algo: "gzip",
      level,
    })) {
      await writer.write(chunk);
    }
    data = await writer.close();
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
