/**
 * Package signatures (apk-v2(5); apk-tools src/package.c apk_sign_ctx_*, abuild-sign): RSA PKCS#1 v1.5 over
 * the raw bytes of the compressed control member, stored as `.SIGN.RSA256.<keyname>` (SHA-256) and, on
 * request, `.SIGN.RSA.<keyname>` (SHA-1, for apk-tools < 2.7) in a cut tar that is its own gzip member. The
 * writer signs as it writes; signApk signs an existing v2 apk (ours or abuild's): a new signature member over
 * the unchanged control member, followed by the control and data members byte for byte. Signatures by other
 * keys are kept after ours; one by the same key name is replaced.
 */
import { bytesSource, decodeUtf8, readRange } from "../bytes/bytes.ts";
import { decompressBytes } from "../compress/decompress.ts";
import { readTar } from "../container/tar.ts";
import { rootFileMember } from "../container/tar-member.ts";
import { FormatError, SignError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { resolveLimits } from "../limits.ts";
import { apkKeyName, rsaKeyFingerprint } from "../sign/rsa.ts";
import type { RSAHash, RSASigner, Signer } from "../sign/signer.ts";
import type { ByteSource } from "../spec/types.ts";
import { listMembers } from "./members.ts";
import { decodePkginfo } from "./pkginfo.ts";
import { APK_GZIP_LEVEL, gzipMember, writeTarBytes } from "./segment.ts";

/** `.SIGN.<ALG>.` prefixes and their hashes (package.c). DSA is legacy and never verified here. */
export const APK_SIGNATURE_TYPES: Readonly<Record<string, RSAHash>> = {
  RSA: "sha1",
  RSA256: "sha256",
  RSA512: "sha512",
};

/** Splits `.SIGN.RSA256.name.rsa.pub` into type and key name, or undefined when it is not a signature name. */
export function parseSignatureName(name: string): { type: string; keyName: string } | undefined {
  const m = /^\.SIGN\.([A-Z0-9]+)\.(.+)$/.exec(name);
  return m === null ? undefined : { type: m[1]!, keyName: m[2]! };
}

function normalizeKeyName(name: string): string {
  return name.endsWith(".pub") ? name : `${name}.rsa.pub`;
}

function emailOf(maintainer: string | undefined): string | undefined {
  return maintainer === undefined
    ? undefined
    : (/<([^<>\s]+@[^<>\s]+)>/.exec(maintainer)?.[1] ??
        (/^\S+@\S+$/.test(maintainer) ? maintainer : undefined));
}

/**
 * The key name written after `.SIGN.RSA256.`: the `keyName` option; else the signer's name when it was
 * chosen (not the anonymous `packyard-<hex>.rsa.pub` default); else `<maintainer e-mail>-<8 hex>.rsa.pub`
 * (as nfpm derives it from the maintainer, in abuild-keygen's shape); else the signer's name.
 */
export function resolveKeyName(signer: RSASigner, maintainer: string | undefined, keyName?: string): string {
  if (keyName !== undefined && keyName !== "") return normalizeKeyName(keyName);
  const anonymous = `packyard-${rsaKeyFingerprint(signer.publicKeyPem()).slice(0, 8)}.rsa.pub`;
  if (signer.keyName !== anonymous) return signer.keyName;
  const email = emailOf(maintainer);
  return email === undefined ? signer.keyName : apkKeyName(email, signer.publicKeyPem());
}

/** Narrows a Signer to RSA: apk signatures are raw RSA, not OpenPGP. */
export function rsaSigner(signer: Signer): RSASigner {
  if (signer.kind !== "rsa") {
    throw new SignError(
      "KEY_UNSUPPORTED",
      "apk packages are signed with an RSA key (PEM), found an OpenPGP key; create one with `packyard keygen --type rsa`",
      {
        expected: "rsa",
        found: signer.kind,
      },
    );
  }
  return signer;
}

/** One signature file of the signature member. */
export interface ApkSignatureFile {
  name: string;
  bytes: Uint8Array;
}

/** Signs the raw control member: SHA-256 first, then SHA-1 when `legacySha1`. */
export async function signControl(
  control: Uint8Array,
  signer: RSASigner,
  keyName: string,
  legacySha1: boolean,
): Promise<ApkSignatureFile[]> {
  const out: ApkSignatureFile[] = [
    { name: `.SIGN.RSA256.${keyName}`, bytes: await signer.sign(control, "sha256") },
  ];
  if (legacySha1) out.push({ name: `.SIGN.RSA.${keyName}`, bytes: await signer.sign(control, "sha1") });
  return out;
}

/** The signature tar (cut: no end blocks), uncompressed. Mode 0644, owner 0/0, as abuild-sign writes. */
export async function signatureTar(files: readonly ApkSignatureFile[], mtime: number): Promise<Uint8Array> {
  return writeTarBytes(
    files.map((f) => rootFileMember(f.name, f.bytes, 0o644, mtime)),
    false,
  );
}

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
  const info = decodePkginfo(text);
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
