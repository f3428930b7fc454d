/**
 * The release-archive reader: zip (by its "PK" signature) or tar, plain or gzip/zstd/xz/bzip2 compressed,
 * into PackageInfo. Archives carry no metadata, so name, version and arch are taken from a single top
 * folder named like the default template (`name_version_os_arch`) when there is one, and are empty otherwise.
 */
import { collect, decodeUtf8 } from "../bytes/bytes.ts";
import type { CompressionAlgo } from "../compress/compression.ts";
import { decompress } from "../compress/decompress.ts";
import { detectCompression } from "../compress/detect.ts";
import { normalizeMemberPath, readTar } from "../container/tar.ts";
import { FormatError } from "../errors.ts";
import type { ReadContext } from "../format.ts";
import { digestStream } from "../hash/hasher.ts";
import { artifactDigests, artifactInfo } from "../info/artifact-info.ts";
import type { FileInfo, PackageInfo } from "../info/types.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import { resolveLimits } from "../limits.ts";
import { parseArch } from "../spec/arch.ts";
import type { ByteSource, Version } from "../spec/types.ts";
import { parseVersion } from "../spec/version.ts";
import { parseArchiveBaseName } from "./name.ts";
import { readZipDirectory, zipEntryContent } from "./zip-reader.ts";

/** True when the bytes start like a zip (a local header, or the end record of an empty zip). */
export function isZipHead(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  );
}

/** A nameless owner or group: root for id 0 (zip entries are all id 0), else no name. */
export const nameless = (id: number) => (id === 0 ? "root" : "");

async function readZipFiles(source: ByteSource, ctx: ReadContext): Promise<FileInfo[]> {
  const limits = resolveLimits(ctx.limits);
  const dir = await readZipDirectory(source, ctx.limits);
  let declared = 0;
  for (const e of dir.entries) declared += e.size;
  if (declared > limits.maxUnpackedBytes) {
    throw new FormatError(
      "LIMIT_UNPACKED_BYTES",
      `zip entries declare ${declared} bytes, over the limit of ${limits.maxUnpackedBytes}`,
      {
        expected: limits.maxUnpackedBytes,
        found: declared,
      },
    );
  }
  const files: FileInfo[] = [];
  for (const e of dir.entries) {
    const path = normalizeMemberPath(e.name, e.offset);
    if (path === "") continue;
    const info = fileInfoFromTar(
      { type: e.type, mode: e.mode, uid: 0, gid: 0, size: e.size, mtime: e.mtime },
      path,
      nameless,
    );
    if (e.type === "symlink") {
      if (e.size > limits.maxHeaderBytes) {
        throw new FormatError(
          "LIMIT_HEADER_BYTES",
          `zip symlink ${JSON.stringify(e.name)} target has ${e.size} bytes`,
          { offset: e.offset, path: e.name },
        );
      }
      const target = await collect(zipEntryContent(source, e));
      try {
        info.target = decodeUtf8(target);
      } catch (cause) {
        throw new FormatError(
          "INVALID_VALUE",
          `zip symlink ${JSON.stringify(e.name)} target is not UTF-8`,
          { offset: e.offset, path: e.name },
          { cause },
        );
      }
    } else if (e.type === "file") {
      info.digests = (await digestStream(zipEntryContent(source, e), ["sha256"])).digests;
    } else {
      for await (const _ of zipEntryContent(source, e)); // a folder with data still gets its CRC checked
    }
    files.push(info);
  }
  return files;
}

async function readTarFiles(
  source: ByteSource,
  algo: CompressionAlgo,
  ctx: ReadContext,
): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  const input = decompress(source.open(), algo, {
    ...(ctx.limits ? { limits: ctx.limits } : {}),
    path: "archive",
  });
  for await (const entry of readTar(input, ctx.limits ? { limits: ctx.limits } : {})) {
    const h = entry.header;
    if (h.name.startsWith("/")) {
      throw new FormatError(
        "UNSAFE_PATH",
        `tar entry ${JSON.stringify(h.name)} at offset ${entry.offset} is absolute`,
        {
          offset: entry.offset,
          path: h.name,
        },
      );
    }
    const path = normalizeMemberPath(h.name, entry.offset);
    if (path === "") continue;
    const info = fileInfoFromTar(h, path, nameless);
    if (h.type === "file") info.digests = (await digestStream(entry.body(), ["sha256"])).digests;
    if (h.type === "hardlink") info.target = `/${normalizeMemberPath(h.linkname ?? "", entry.offset)}`;
    files.push(info);
  }
  return files;
}

/** Name, version and arch from a single top folder named `name_version_os_arch`, when there is one. */
function identity(files: readonly FileInfo[]): { name: string; version: string; arch: string } {
  const tops = new Set(files.map((f) => f.path.split("/")[1]));
  const top = tops.size === 1 ? [...tops][0] : undefined;
  // the single top name is a folder: listed as one, or something lies below it
  const onlyDir =
    top !== undefined &&
    files.every((f) => f.path !== `/${top}` || f.type === "dir") &&
    files.some((f) => f.path.startsWith(`/${top}/`) || (f.path === `/${top}` && f.type === "dir"));
  const parsed = onlyDir ? parseArchiveBaseName(top) : undefined;
  if (parsed !== undefined) return parsed;
  return { name: onlyDir ? top : "", version: "", arch: "" };
}

/** Reads a release archive into PackageInfo (files, digests, the artifact's own digests). */
export async function readTarball(source: ByteSource, ctx: ReadContext = {}): Promise<PackageInfo> {
  const head = await collect(source.open({ start: 0, end: Math.min(source.size, 512) }));
  const zip = isZipHead(head);
  const algo: CompressionAlgo = zip ? "none" : (detectCompression(head) ?? "none");
  // A tar the writer just wrote lists its files itself (ReadContext.knownPayload): not inflated again.
  const known = !zip && ctx.knownPayload?.format === "tarball" ? ctx.knownPayload : undefined;
  const files =
    known !== undefined
      ? known.files.map((f) => ({ ...f }))
      : zip
        ? await readZipFiles(source, ctx)
        : await readTarFiles(source, algo, ctx);
  const artifact = await artifactDigests(source, ctx.knownArtifact);
  const id = identity(files);
  let version: Version = { upstream: id.version };
  if (id.version !== "") version = parseVersion(id.version);
  const info: PackageInfo = {
    format: "tarball",
    name: id.name,
    versionString: id.version,
    version,
    archString: id.arch,
    relations: {},
    files,
    scripts: {},
    signatures: [],
    installedSize: files.reduce((n, f) => n + (f.type === "file" ? f.size : 0), 0),
    artifact: artifactInfo(artifact.size, artifact.digests),
    raw: { format: "tarball", container: zip ? "zip" : "tar", compression: zip ? "deflate" : algo },
  };
  if (id.arch !== "") {
    try {
      info.arch = parseArch(id.arch);
    } catch {
      // an arch name packyard does not know stays in archString only
    }
  }
  return info;
}
