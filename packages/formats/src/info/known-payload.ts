/**
 * What a writer knows of the payload it just wrote, handed to the reader that reads the package back (a
 * build returns the PackageInfo of what it wrote): the reader lists the payload from this instead of
 * decompressing it again and digesting every file. Every other part of the package is still read.
 */
import type { FormatId } from "./types.ts";
import type { FileInfo } from "./types.ts";

/**
 * A payload as its writer wrote it: one FileInfo per entry, made from the headers as a reader decodes
 * them (`headerAsRead`) and the digests the writer computed over the same bytes, and the bytes of the
 * few files a reader looks inside (the deb changelog). WriteContext.onPayload gives it,
 * ReadContext.knownPayload takes it.
 */
export interface KnownPayload {
  /** The format that wrote it; a reader of another format ignores it. */
  format: FormatId;
  /**
   * Every payload entry in archive order, as the format's reader lists it (before applying its metadata);
   * empty for rpm, whose header lists the files (read as always).
   */
  files: readonly FileInfo[];
  /** The bytes of the payload files a reader looks inside, by path (`/usr/share/doc/x/changelog.Debian.gz`). */
  contents: ReadonlyMap<string, Uint8Array>;
  /** The uncompressed payload's size in bytes (rpm: the cpio archive, `raw.archiveSize`). */
  archiveSize?: number;
}
