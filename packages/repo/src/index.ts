/**
 * @packyard/repo — signed package repositories on a folder or S3-compatible storage: one layout for every
 * family (`deb/`, `rpm/`, `archlinux/`, `alpine/`, `keys/`, `.packyard/`), a crash-safe incremental publish
 * engine under a lock, and APT indexes (RPM-MD, pacman and APKINDEX plug into the same engine). Every
 * export is named here.
 */
export { isRepoError, RepoError, type RepoErrorCode } from "./errors.ts";
export {
  type ByteRange,
  contentTypeFor,
  IMMUTABLE_CACHE,
  type ListPage,
  MUTABLE_CACHE,
  type ObjectInfo,
  type PutOptions,
  type Storage,
} from "./storage/storage.ts";
export type {
  AptSettings,
  BlobDigests,
  DebIndexInfo,
  Family,
  IndexFileRecord,
  PackageRecord,
  RootState,
  Tombstone,
} from "./publish/state.ts";
export { STATE_SCHEMA } from "./publish/state.ts";
export type {
  AptPublishSettings,
  PackageSelector,
  PublishInput,
  PublishOptions,
  PublishProgress,
  PublishResult,
} from "./publish/options.ts";
export type { PublishLock } from "./publish/lock.ts";
