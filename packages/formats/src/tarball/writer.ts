/**
 * The release-archive writer: the planned entries as a pax tar compressed with gzip, zstd or xz, or as a
 * zip. Deterministic: entries sorted, times from the spec, gzip without a timestamp, no host data.
 */
import { compress } from "../compress/compress.ts";
import { type Compression, DEFAULT_FRAME_BYTES } from "../compress/compression.ts";
import {
  headerAsRead,
  normalizeMemberPath,
  type TarHeader,
  type TarWriteEntry,
  writeTar,
} from "../container/tar.ts";
import { entryTarMember } from "../container/tar-member.ts";
import type { WriteContext } from "../format.ts";
import { fileInfoFromTar } from "../info/file-info-from-tar.ts";
import type { FileInfo } from "../info/types.ts";
import { type FileRead, readFiles } from "../source/batch-read.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import type { ArchiveFormat, TarballOptions } from "./options.ts";
import { type ArchiveEntry, validateTarball } from "./plan.ts";
import { nameless } from "./reader.ts";
import { writeZip } from "./zip-writer.ts";

/** Compression of each tar-based archive kind. */
export const TAR_COMPRESSION: Readonly<Record<Exclude<ArchiveFormat, "zip">, Compression["algo"]>> = {
  "tar.gz": "gzip",
  "tar.zst": "zstd",
  "tar.xz": "xz",
};

/** A planned entry as a tar member (its path and link target are archive paths already). */
function tarEntry(e: ArchiveEntry): TarWriteEntry {
  const owner = { id: e.uid, name: e.uname };
  const group = { id: e.gid, name: e.gname };
  return entryTarMember({ ...e, owner, group }, { name: (path) => path, mtime: e.mtime });
}

/**
 * The tar members of planned entries, file contents from the batch reader (off the main thread, bounded).
 * With `listing`, each member is listed there as the tarball reader lists it (the header as read, the
 * SHA-256 of every file computed in the same read): a KnownPayload.
 */
async function* tarMembers(
  entries: readonly ArchiveEntry[],
  listing?: FileInfo[],
): AsyncGenerator<TarWriteEntry> {
  const reads = readFiles(
    entries.flatMap((e) => (e.type === "file" && e.content !== undefined ? [e.content] : [])),
    listing === undefined ? {} : { digests: ["sha256"] },
  );
  try {
    for (const e of entries) {
      const member = tarEntry(e);
      const info = listing === undefined ? undefined : listedMember(member.header);
      if (info !== undefined) listing!.push(info);
      if (e.type === "file" && e.content !== undefined) {
        const r = (await reads.next()).value as FileRead;
        member.content = r.content!;
        yield member;
        // The tar writer asks for the next member once this one's content has passed: its digest is known.
        if (info !== undefined) {
          const sha256 = r.digests?.sha256;
          if (sha256 === undefined)
            throw new Error(`tarball: the content of ${e.path} was not read to its end`);
          info.digests = { sha256 };
        }
      } else yield member;
    }
  } finally {
    await reads.return(undefined);
  }
}

/** A tar member as the tarball reader lists it (tarball/reader.ts readTarFiles), digests to come. */
function listedMember(header: TarHeader): FileInfo | undefined {
  const h = headerAsRead(header);
  const path = normalizeMemberPath(h.name, 0);
  if (path === "") return undefined;
  const info = fileInfoFromTar(h, path, nameless);
  if (h.type === "hardlink") info.target = `/${normalizeMemberPath(h.linkname ?? "", 0)}`;
  return info;
}

/**
 * The compression a tar-based kind uses with the options' level, in {@link DEFAULT_FRAME_BYTES}
 * members/frames when `framing` says so (absent: tar.gz only).
 */
export function tarCompression(
  format: Exclude<ArchiveFormat, "zip">,
  level: number | undefined,
  framing?: boolean,
): Compression {
  const algo = TAR_COMPRESSION[format];
  const out: Compression = level === undefined ? { algo } : { algo, level };
  if (framing ?? algo === "gzip") out.framing = { chunkBytes: DEFAULT_FRAME_BYTES };
  return out;
}

/** Streams the archive (`options.format`, default tar.gz). Same spec and options, same bytes. */
export async function* writeTarball(
  spec: PackageSpec,
  options: TarballOptions = {},
  ctx: WriteContext = {},
): AsyncGenerator<Uint8Array> {
  const entries = validateTarball(validateSpec(spec), options);
  const format = options.format ?? "tar.gz";
  if (format === "zip") {
    yield* writeZip(entries, {
      ...(options.level === undefined ? {} : { level: options.level }),
      ...(ctx.spool === undefined ? {} : { spool: ctx.spool }),
    });
    return;
  }
  // Archive paths are relative (plan.ts); the reader refuses an absolute one, so none is listed as read.
  const listing = ctx.onPayload === undefined || entries.some((e) => e.path.startsWith("/")) ? undefined : [];
  yield* compress(
    writeTar(tarMembers(entries, listing), { flavour: "pax" }),
    tarCompression(format, options.level, options.framing),
  );
  if (listing !== undefined) ctx.onPayload?.({ format: "tarball", files: listing, contents: new Map() });
}
