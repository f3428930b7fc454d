/**
 * The programmatic build API: write or read any package by format id, without picking a folder.
 */
import { collect } from "./bytes/bytes.ts";
import { FormatError, SpecError } from "./errors.ts";
import type { ReadContext, WriteContext } from "./format.ts";
import type { FormatId, PackageInfo } from "./info/types.ts";
import { FORMATS, type FormatOptionsMap, formatById } from "./registry.ts";
import type { ByteSource, PackageSpec } from "./spec/types.ts";

/** How many leading bytes `sniff` needs to recognise every format. */
export const SNIFF_BYTES = 512;

/**
 * Streams a package of the given format. `options` are that format's options (`DebOptions`, ...).
 * @example
 * for await (const chunk of writePackage("deb", spec, { compression: "gzip" })) out.write(chunk);
 */
export function writePackage<F extends FormatId>(
  format: F,
  spec: PackageSpec,
  options?: FormatOptionsMap[F],
  ctx?: WriteContext,
): AsyncIterable<Uint8Array> {
  const f = requireFormat(format);
  return f.write(spec, options ?? f.config.parse(undefined, { field: f.config.key, baseDir: "." }), ctx);
}

/** The canonical file name of the package `writePackage` would write. */
export function packageFileName<F extends FormatId>(
  format: F,
  spec: PackageSpec,
  options?: FormatOptionsMap[F],
): string {
  const f = requireFormat(format);
  return f.fileName(spec, options ?? f.config.parse(undefined, { field: f.config.key, baseDir: "." }));
}

/**
 * Reads any supported package into PackageInfo, recognising its format from its first bytes and name.
 * Throws FormatError UNSUPPORTED when no format recognises it.
 */
export async function readPackage(
  source: ByteSource,
  fileName = "",
  ctx?: ReadContext,
): Promise<PackageInfo> {
  const format = await detectFormat(source, fileName);
  if (format === undefined) {
    throw new FormatError("UNSUPPORTED", `${fileName || "input"}: not a package format packyard reads`, {
      path: fileName,
      offset: 0,
    });
  }
  return requireFormat(format).read(source, ctx);
}

/** The id of the format whose `sniff` recognises `source`, or undefined. */
export async function detectFormat(source: ByteSource, fileName = ""): Promise<FormatId | undefined> {
  const end = Math.min(source.size, SNIFF_BYTES);
  const head = await collect(source.open({ start: 0, end }));
  return FORMATS.find((f) => f.sniff(head, fileName))?.id;
}

function requireFormat(id: string) {
  const f = formatById(id);
  if (f === undefined) {
    throw new SpecError(
      "UNKNOWN_FORMAT",
      `format: expected one of ${FORMATS.map((x) => x.id).join(", ")}, found "${id}"`,
      {
        field: "format",
        found: id,
      },
    );
  }
  return f;
}
