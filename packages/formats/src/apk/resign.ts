/**
 * Signs an existing v2 apk (ours or abuild's): a new signature member over the unchanged control member,
 * followed by the control and data members byte for byte. Signatures by other keys are kept after ours;
 * one by the same key name is replaced.
 */
import { bytesSource, decodeUtf8, readRange } from "../bytes/bytes.ts";
import { decompressBytes } from "../compress/decompress.ts";
import { readTar } from "../container/tar.ts";
import { FormatError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { resolveLimits } from "../limits.ts";
import type { Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { listMembers } from "./members.ts";
import { parsePkgInfo } from "./pkginfo.ts";
import { APK_GZIP_LEVEL, gzipMember } from "./segment.ts";
import {
  type ApkSignatureFile,
  parseSignatureName,
  resolveKeyName,
  rsaSigner,
  signatureTar,
  signControl,
} from "./signature.ts";

async function tarFiles(
  raw: Uint8Array,
  maxBytes: number,
): Promise<Array<{ name: string; bytes: Uint8Array }>> {
  const tar = await decompressBytes(raw, "gzip", { limits: { maxUnpackedBytes: maxBytes } });
  const out: Array<{ name: string; bytes: Uint8Array }> = [];
  for await (const e of readTar(bytesSource(tar).open(), { allowMissingEnd: true }))
    out.push({ name: e.header.name, bytes: await e.bytes() });
  return out;
}

/**
 * Re-signs `artifact` with `signer` (RSA) and streams the new package. The signature files' tar mtime is
 * `ctx.date`, else the package's builddate: re-signing is reproducible either way.
 */
export async function* signApk(
  artifact: ByteSource,
  signer: Signer,
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const rsa = rsaSigner(signer);
  const limits = resolveLimits();
  const members = await listMembers(artifact, limits);
  const first = await tarFiles(
    await readRange(artifact, members[0]!.start, members[0]!.end, "apk first member", limits.maxHeaderBytes),
    limits.maxHeaderBytes,
  );
  const signed = first.length > 0 && first.every((f) => f.name.startsWith(".SIGN."));
  const control = signed ? members[1] : members[0];
  if (control === undefined || (signed && members.length !== 3)) {
    throw new FormatError("MISSING_MEMBER", "apk: expected control and data members after the signatures", {
      offset: members[0]!.end,
    });
  }
  const controlRaw = await readRange(
    artifact,
    control.start,
    control.end,
    "apk control member",
    limits.maxHeaderBytes,
  );
  const controlFiles = signed ? await tarFiles(controlRaw, limits.maxHeaderBytes) : first;
  const pkginfo = controlFiles.find((f) => f.name === ".PKGINFO");
  if (pkginfo === undefined)
    throw new FormatError("MISSING_MEMBER", "apk: the control member has no .PKGINFO", {
      offset: control.start,
      path: ".PKGINFO",
    });
  let text: string;
  try {
    text = decodeUtf8(pkginfo.bytes);
  } catch (cause) {
    throw new FormatError(
      "INVALID_VALUE",
      "apk: .PKGINFO is not valid UTF-8 text; refusing to sign it",
      { offset: control.start, path: ".PKGINFO" },
      { cause },
    );
  }
  const info = parsePkgInfo(text);
  if (info.get("datahash") === undefined) {
    // Without datahash a signature must cover control and data (legacy); apk-tools 3 rejects such packages anyway.
    throw new FormatError(
      "UNSUPPORTED",
      "apk: this package has no datahash (legacy layout); rebuild it instead of re-signing",
      { path: ".PKGINFO", field: "datahash" },
    );
  }
  const keyName = resolveKeyName(rsa, info.get("maintainer")?.[0]);
  const ours = await signControl(controlRaw, rsa, keyName, false);
  const kept: ApkSignatureFile[] = signed
    ? first.filter((f) => parseSignatureName(f.name)?.keyName !== keyName)
    : [];
  // RSA PKCS#1 v1.5 signatures are deterministic; the only date is the signature files' tar mtime.
  const built = Number(info.get("builddate")?.[0] ?? "0");
  const mtime = ctx.date ?? built;
  yield await gzipMember(
    await signatureTar([...ours, ...kept], Number.isSafeInteger(mtime) ? mtime : 0),
    APK_GZIP_LEVEL,
  );
  yield* artifact.open({ start: control.start, end: artifact.size });
}
