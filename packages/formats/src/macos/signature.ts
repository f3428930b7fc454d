/**
 * Signing macOS flat packages: the signer from options (a resolved `.p12` or PEM pair) and re-signing an
 * existing archive (ours or pkgbuild's): the TOC is rewritten with RSA/CMS slots, every file's stored bytes
 * are copied unchanged at their shifted heap offsets.
 */
import { readXar, type XarNode, type XarWriteNode, writeXar } from "../container/xar.ts";
import type { X509Signer } from "../sign/x509.ts";
import type { ByteSource } from "../spec/types.ts";
import { signatureSlots } from "./writer.ts";

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
