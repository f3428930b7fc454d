/**
 * Storage: the interface, its three drivers (memory, folder, S3), `storageFromUrl` and whole-object reads.
 * Everything the engine and the CLI use from this folder is named here.
 */
export { folderStorage } from "./fs.ts";
export { checkKey, checkPrefix, TEMP_PREFIX } from "./key.ts";
export { memoryStorage } from "./memory.ts";
export { prefixStorage } from "./prefix.ts";
export { collectBytes, readObject } from "./read.ts";
export { type S3Credentials, type S3StorageOptions, s3Storage } from "./s3.ts";
export {
  type ByteRange,
  contentTypeFor,
  IMMUTABLE_CACHE,
  type ListPage,
  MUTABLE_CACHE,
  type ObjectInfo,
  type PutOptions,
  type Storage,
} from "./storage.ts";
export { type StorageUrlOptions, storageFromUrl } from "./url.ts";
