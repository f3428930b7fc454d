/**
 * The release-archive writer: the planned entries as a pax tar compressed with gzip, zstd or xz, or as a
 * zip. Deterministic: entries sorted, times from the spec, gzip without a timestamp, no host data.
 */
import { compress } from "../compress/compress.ts";
import type { Compression } from "../compress/compression.ts";
import { type TarHeader, type TarWriteEntry, writeTar } from "../container/tar.ts";
import { SpecError } from "../errors.ts";
import type { WriteContext } from "../format.ts";
import type { PackageSpec } from "../spec/types.ts";
import { validateSpec } from "../spec/validate.ts";
import { type ArchiveEntry, planArchiveEntries } from "./layout.ts";
import { ARCHIVE_FORMATS, type ArchiveFormat, type TarballOptions } from "./options.ts";
import { writeZip } from "./zip-writer.ts";

/** Compression of each tar-based archive kind. */
export const TAR_COMPRESSION: Readonly<Record<Exclude<ArchiveFormat, "zip">, Compression["algo"]>> = {
  "tar.gz": "gzip",
  "tar.zst": "zstd",
  "tar.xz": "xz",
};

/** Level ranges per archive kind (gzip and zip deflate 0–9, zstd 1–22, xz 0–9). */
const LEVELS: Readonly<Record<ArchiveFormat, readonly [number, number]>> = {
  "tar.gz": [0, 9],
  "tar.zst": [1, 22],
  "tar.xz": [0, 9],
  zip: [0, 9],
};

/** Checks the options against the spec; throws SpecError naming the field. */
export function validateTarball(spec: PackageSpec, options: TarballOptions): ArchiveEntry[] {
  const format = options.format ?? "tar.gz";
  if (!(ARCHIVE_FORMATS as readonly string[]).includes(format)) {
    throw new SpecError(
      "INVALID_FIELD",
      `archives.format: expected one of ${ARCHIVE_FORMATS.join(", ")}, found ${JSON.stringify(format)}`,
      {
        field: "archives.format",
        found: format,
        expected: ARCHIVE_FORMATS,
      },
    );
  }
  if (options.level !== undefined) {
    const [lo, hi] = LEVELS[format];
    if (!Number.isInteger(options.level) || options.level < lo || options.level > hi) {
      throw new SpecError(
        "INVALID_FIELD",
        `archives.level: expected an integer ${format} level from ${lo} to ${hi}, found ${options.level}`,
        {
          field: "archives.level",
          found: options.level,
        },
      );
    }
  }
  return planArchiveEntries(spec, options);
}

function tarEntry(e: ArchiveEntry): TarWriteEntry {
  const header: TarHeader = {
    name: e.type === "dir" ? `${e.path}/` : e.path,
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    uname: e.uname,
    gname: e.gname,
    size: e.type === "file" ? e.size : 0,
    mtime: e.mtime,
  };
  if (e.target !== undefined) header.linkname = e.target;
  return e.type === "file" && e.content !== undefined ? { header, content: e.content } : { header };
}

/** The compression a tar-based kind uses with the options' level. */
export function tarCompression(
  format: Exclude<ArchiveFormat, "zip">,
  level: number | undefined,
): Compression {
  const algo = TAR_COMPRESSION[format];
  return level === undefined ? { algo } : { algo, level };
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
  yield* compress(writeTar(entries.map(tarEntry), { flavour: "pax" }), tarCompression(format, options.level));
}
