/** Reading limits: large enough for real packages (a 10 GB payload is valid), small enough to stop bombs. */
import { FormatError } from "./errors.ts";

export interface ReadLimits {
  /** Total bytes a reader may decompress from one artifact. */
  maxUnpackedBytes: number;
  /** Entries (files, members, header index entries) per artifact. */
  maxEntries: number;
  /** Bytes of any single metadata structure (tar header extension, rpm header, control file, TOC). */
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: ReadLimits = Object.freeze({
  maxUnpackedBytes: 64 * 1024 ** 3,
  maxEntries: 1_000_000,
  maxHeaderBytes: 64 * 1024 ** 2,
});

/** Fills the defaults in. */
export function resolveLimits(limits: Partial<ReadLimits> = {}): ReadLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/**
 * The entry count and unpacked-size guard of an archive reader (tar, cpio, ar): call the returned function
 * once per entry, before its body is read. Throws FormatError LIMIT_ENTRIES past `limits.maxEntries` and
 * LIMIT_UNPACKED_BYTES when the entries' sizes add up past `limits.maxUnpackedBytes`, naming the entry and
 * its offset. `archive` names the container in messages ("tar", "cpio archive", "ar archive").
 * @example const count = entryBudget(limits, "tar"); count(name, header.size, offset);
 */
export function entryBudget(
  limits: ReadLimits,
  archive: string,
): (name: string, size: number, offset: number) => void {
  let entries = 0;
  let unpacked = 0;
  return (name, size, offset) => {
    entries++;
    if (entries > limits.maxEntries) {
      throw new FormatError(
        "LIMIT_ENTRIES",
        `${archive} has more than ${limits.maxEntries} entries (offset ${offset})`,
        { offset, expected: limits.maxEntries },
      );
    }
    unpacked += size;
    if (unpacked > limits.maxUnpackedBytes) {
      throw new FormatError(
        "LIMIT_UNPACKED_BYTES",
        `${archive} content exceeds ${limits.maxUnpackedBytes} bytes at ${JSON.stringify(name)} (offset ${offset})`,
        { offset, path: name, expected: limits.maxUnpackedBytes, found: unpacked },
      );
    }
  };
}
