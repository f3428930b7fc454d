/** The build date an Arch package records in its `.PKGINFO` (`builddate`), found without reading the payload. */
import { decodeUtf8 } from "../bytes/bytes.ts";
import { decompress } from "../compress/decompress.ts";
import { readTar } from "../container/tar.ts";
import { FormatError } from "../errors.ts";
import { type ReadLimits, resolveLimits } from "../limits.ts";
import type { ByteSource } from "../spec/types.ts";
import { decodePkginfo } from "./pkginfo.ts";

/**
 * Reads the package up to its `.PKGINFO` member (makepkg writes it first; nfpm last, so then the archive is
 * streamed through once) and returns its `builddate` in seconds, or `undefined` when .PKGINFO has none.
 * Memory stays bounded: only .PKGINFO is kept, and it must fit `maxHeaderBytes`.
 * @throws FormatError MISSING_MEMBER without .PKGINFO, LIMIT_HEADER_BYTES, INVALID_VALUE, or the tar and
 * decompression codes.
 */
export async function readArchlinuxBuildDate(
  artifact: ByteSource,
  limits: Partial<ReadLimits> = {},
): Promise<number | undefined> {
  const l = resolveLimits(limits);
  for await (const e of readTar(decompress(artifact.open(), "auto", { limits: l }), { limits: l })) {
    if (e.header.name !== ".PKGINFO") continue;
    if (e.header.size > l.maxHeaderBytes) {
      throw new FormatError(
        "LIMIT_HEADER_BYTES",
        `.PKGINFO at offset ${e.offset} has ${e.header.size} bytes, over the limit of ${l.maxHeaderBytes}`,
        { offset: e.offset, path: ".PKGINFO", expected: l.maxHeaderBytes, found: e.header.size },
      );
    }
    const bytes = await e.bytes();
    let text: string;
    try {
      text = decodeUtf8(bytes);
    } catch (cause) {
      throw new FormatError(
        "INVALID_VALUE",
        `.PKGINFO at offset ${e.offset} is not UTF-8 text`,
        { offset: e.offset, path: ".PKGINFO" },
        { cause },
      );
    }
    return decodePkginfo(text).builddate;
  }
  throw new FormatError(
    "MISSING_MEMBER",
    'the package has no .PKGINFO (pacman: "missing package metadata")',
    {
      path: ".PKGINFO",
    },
  );
}
