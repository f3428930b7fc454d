/**
 * Writes a v2 apk (apk-v2(5); abuild create_apks) in the only order that works: data tar → gzip → SHA-256
 * (`datahash`) → `.PKGINFO` → control tar (cut) → gzip → RSA signatures over those bytes → signature tar
 * (cut) → gzip; emitted as signature | control | data, exactly three gzip members (two unsigned).
 */
import { encodeUtf8 } from "../bytes/bytes.ts";
import { compress } from "../compress/compress.ts";
import { writeTar } from "../container/tar.ts";
import { rootFileMember } from "../container/tar-member.ts";
import type { Warning, WriteContext } from "../format.ts";
import { createSpool } from "../spool/index.ts";
import type { SpooledBytes } from "../spool/spool.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { apkArch } from "./arch.ts";
import { dataEntries, dataTarEntries, installedSize } from "./layout.ts";
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

  const writer = (ctx.spool ?? createSpool())();
  let data: SpooledBytes;
  try {
    // One gzip stream, never framed: apk-tools 3 rejects extra member boundaries inside the data part.
    for await (const chunk of compress(writeTar(dataTarEntries(entries, spec.date), { flavour: "pax" }), {
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
