/** Reading limits: large enough for real packages (a 10 GB payload is valid), small enough to stop bombs. */
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
