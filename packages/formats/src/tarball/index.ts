/** Release archives (.tar.gz, .tar.zst, .tar.xz, .zip): writer, reader, naming, the `archives:` block. */
export { parseTarballConfig, resolveTarballConfig, tarballConfig } from "./config.ts";
export { crc32 } from "./crc32.ts";
export { tarballFormat } from "./format.ts";
export {
  archiveBaseName,
  archiveExtension,
  archiveFileName,
  DEFAULT_NAME_TEMPLATE,
  parseArchiveBaseName,
  renderNameTemplate,
  templateVariables,
  wrapDirectory,
} from "./name.ts";
export { ARCHIVE_FORMATS, type ArchiveFile, type ArchiveFormat, type TarballOptions } from "./options.ts";
export { type ArchiveEntry, normalizeArchivePath, planArchiveEntries, validateTarball } from "./plan.ts";
export { isZipHead, readTarball } from "./reader.ts";
export { TAR_COMPRESSION, tarCompression, writeTarball } from "./writer.ts";
export {
  checkZipName,
  readZipDirectory,
  type ZipDirectory,
  type ZipEntry,
  zipEntryContent,
} from "./zip-reader.ts";
export { deflateRaw, type WriteZipOptions, writeZip } from "./zip-writer.ts";
