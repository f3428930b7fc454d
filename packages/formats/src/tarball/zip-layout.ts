/**
 * Zip byte layout (PKWARE APPNOTE.TXT 6.3.x): record signatures, fixed record sizes, field offsets, and
 * the DOS date/time encoding. Shared by the zip writer and reader.
 */

export const ZIP_SIG = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
  dataDescriptor: 0x08074b50,
} as const;

/** Fixed part of each record, in bytes (APPNOTE 4.3.7, 4.3.12, 4.3.14, 4.3.15, 4.3.16). */
export const ZIP_SIZE = { local: 30, central: 46, end: 22, zip64End: 56, zip64Locator: 20 } as const;

/** Local file header field offsets (APPNOTE 4.3.7). */
export const LOCAL = {
  versionNeeded: 4,
  flags: 6,
  method: 8,
  time: 10,
  date: 12,
  crc: 14,
  compressedSize: 18,
  size: 22,
  nameLength: 26,
  extraLength: 28,
} as const;

/** Central directory header field offsets (APPNOTE 4.3.12). */
export const CENTRAL = {
  versionMadeBy: 4,
  versionNeeded: 6,
  flags: 8,
  method: 10,
  time: 12,
  date: 14,
  crc: 16,
  compressedSize: 20,
  size: 24,
  nameLength: 28,
  extraLength: 30,
  commentLength: 32,
  diskStart: 34,
  internalAttrs: 36,
  externalAttrs: 38,
  localOffset: 42,
} as const;

/** End of central directory record offsets (APPNOTE 4.3.16). */
export const END = {
  disk: 4,
  cdDisk: 6,
  entriesOnDisk: 8,
  entries: 10,
  cdSize: 12,
  cdOffset: 16,
  commentLength: 20,
} as const;

/** Zip64 end of central directory record offsets (APPNOTE 4.3.14). */
export const ZIP64_END = {
  recordSize: 4,
  versionMadeBy: 12,
  versionNeeded: 14,
  disk: 16,
  cdDisk: 20,
  entriesOnDisk: 24,
  entries: 32,
  cdSize: 40,
  cdOffset: 48,
} as const;

/** Zip64 end of central directory locator offsets (APPNOTE 4.3.15). */
export const ZIP64_LOCATOR = { disk: 4, endOffset: 8, disks: 16 } as const;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;

/** General purpose flag bits (APPNOTE 4.4.4). */
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_UTF8 = 0x0800;

/** Extra field ids: Zip64 (APPNOTE 4.5.3) and Info-ZIP's extended timestamp "UT" (extrafld.txt). */
export const EXTRA_ZIP64 = 0x0001;
export const EXTRA_TIMESTAMP = 0x5455;

/** Made by: high byte 3 = UNIX (external attributes carry st_mode in their high 16 bits), low byte 63 = spec 6.3. */
export const VERSION_MADE_BY_UNIX = (3 << 8) | 63;
/** Version needed: 2.0 for deflate and folders, 4.5 for Zip64 (APPNOTE 4.4.3.2). */
export const VERSION_NEEDED_DEFAULT = 20;
export const VERSION_NEEDED_ZIP64 = 45;

/** A 32-bit field holding this value means "see the Zip64 extra field". */
export const ZIP64_MARK32 = 0xffffffff;
export const ZIP64_MARK16 = 0xffff;

/** st_mode type bits stored in the external attributes' high half. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
/** MS-DOS directory attribute, low byte of the external attributes. */
export const DOS_DIRECTORY = 0x10;

/** Earliest and latest instants a DOS date/time holds: 1980-01-01 00:00:00 and 2107-12-31 23:59:58 (UTC here). */
export const DOS_MIN = Date.UTC(1980, 0, 1) / 1000;
export const DOS_MAX = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/**
 * DOS date and time of `seconds` since the epoch, in UTC (zip has no zone; UTC keeps output independent of
 * the builder's TZ), clamped to 1980–2107; seconds are rounded down to even.
 */
export function encodeDosDateTime(seconds: number): { date: number; time: number } {
  const s = Math.min(Math.max(seconds, DOS_MIN), DOS_MAX);
  const d = new Date(s * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** Seconds since the epoch of a DOS date/time read as UTC. */
export function decodeDosDateTime(date: number, time: number): number {
  return (
    Date.UTC(
      (date >> 9) + 1980,
      ((date >> 5) & 0xf) - 1,
      date & 0x1f,
      time >> 11,
      (time >> 5) & 0x3f,
      (time & 0x1f) * 2,
    ) / 1000
  );
}
