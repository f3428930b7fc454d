/**
 * Signing macOS flat packages: the X.509 signer of a build (given directly, loaded from the resolved
 * `signature` material, or from the write context), the xar signature slots it fills, and re-signing an
 * existing archive (ours or pkgbuild's): the TOC is rewritten with RSA/CMS slots, every file's stored bytes
 * are copied unchanged at their shifted heap offsets.
 */
import {
  readXar,
  type XarNode,
  type XarSignatureSlots,
  type XarWriteNode,
  writeXar,
} from "../container/xar.ts";
import { SignError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import { loadX509Signer, type X509Signer } from "../sign/x509.ts";
import type { ByteSource } from "../spec/types.ts";
import type { MacosOptions } from "./options.ts";

/**
 * The signer to use: `options.signer`, else the context's (the build loads the block's `signing` material
 * into it, with the passphrase from the environment), else one loaded from `options.signing` material.
 */
export function macosSigner(options: MacosOptions, ctx: WriteContext = {}): X509Signer | undefined {
  if (options.signer) return options.signer;
  const c = ctx.signer as { kind: string } | undefined;
  if (c !== undefined) {
    if (c.kind !== "x509")
      throw new SignError(
        "KEY_UNSUPPORTED",
        `macOS packages are signed with an X.509 certificate and RSA key, not a ${c.kind} key`,
        { found: c.kind },
      );
    return c as unknown as X509Signer;
  }
  const s = options.signing;
  if (s && (s.p12 !== undefined || (s.certificatePem !== undefined && s.keyPem !== undefined))) {
    const o: Parameters<typeof loadX509Signer>[0] = {};
    if (s.p12 !== undefined) o.p12 = s.p12;
    if (s.certificatePem !== undefined) o.certificatePem = s.certificatePem;
    if (s.keyPem !== undefined) o.keyPem = s.keyPem;
    if (s.passphrase !== undefined) o.passphrase = s.passphrase;
    return loadX509Signer(o);
  }
  return undefined;
}

/** Signature slots for an X.509 signer: RSA over DigestInfo(SHA-1, TOC checksum), CMS over the checksum. */
export async function signatureSlots(signer: X509Signer, signingTime: number): Promise<XarSignatureSlots> {
  // The CMS size does not depend on the content (fixed-size digest, fixed-length RSA): a trial gives it.
  const trial = await signer.cms(new Uint8Array(20), { signingTime });
  return {
    rsaSize: signer.rsaSize,
    cmsSize: trial.length,
    certificates: signer.certificates,
    async sign(checksum) {
      return {
        rsa: await signer.signDigest(checksum, "sha1"),
        cms: await signer.cms(checksum, { signingTime }),
      };
    },
  };
}

function slice(source: ByteSource, start: number, length: number): ByteSource {
  return {
    size: length,
    open(range) {
      return source.open({ start: start + (range?.start ?? 0), end: start + (range?.end ?? length) });
    },
  };
}

/**
 * Re-signs a flat package: existing signatures are replaced. `signingTime` (seconds) goes into the CMS
 * signed attributes; omitted, the archive's own creation time (else 0) is used, so output is reproducible.
 */
export async function* signMacos(
  artifact: ByteSource,
  signer: X509Signer,
  signingTime?: number,
): AsyncGenerator<Uint8Array> {
  const archive = await readXar(artifact);
  const convert = (n: XarNode): XarWriteNode => {
    const w: XarWriteNode = {
      name: n.name,
      type: n.type === "directory" ? "directory" : n.type === "symlink" ? "symlink" : "file",
    };
    if (n.mode !== undefined) w.mode = n.mode;
    if (n.uid !== undefined) w.uid = n.uid;
    if (n.gid !== undefined) w.gid = n.gid;
    if (n.user !== undefined) w.user = n.user;
    if (n.group !== undefined) w.group = n.group;
    if (n.mtime !== undefined) w.mtime = n.mtime;
    if (n.link !== undefined) w.link = n.link;
    if (n.data) {
      const d = n.data;
      w.type = "file";
      w.data = {
        encoding: d.encoding,
        stored: slice(artifact, archive.heapStart + d.offset, d.length),
        size: d.size,
      };
      if (d.archived) w.data.archived = d.archived;
      if (d.extracted) w.data.extracted = d.extracted;
      else if (d.archived && d.encoding === "application/octet-stream") w.data.extracted = d.archived;
    } else if (w.type === "file") {
      w.data = { encoding: "application/octet-stream", stored: new Uint8Array(0), size: 0 };
    }
    if (n.children.length > 0) w.children = n.children.map(convert);
    return w;
  };
  const nodes = archive.nodes.map(convert);
  const creation = archive.creationTime
    ? Date.parse(`${archive.creationTime.replace(/Z?$/, "Z")}`)
    : Number.NaN;
  const created = Number.isFinite(creation) ? Math.floor(creation / 1000) : undefined;
  const opts: Parameters<typeof writeXar>[1] = {
    signature: await signatureSlots(signer, signingTime ?? created ?? 0),
  };
  if (created !== undefined) opts.creationTime = created;
  yield* writeXar(nodes, opts);
}
