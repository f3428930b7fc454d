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

// Storage drivers.
export { folderStorage } from "./storage/fs.ts";
export { memoryStorage } from "./storage/memory.ts";
export { collectBytes, readObject } from "./storage/read.ts";
export { type S3Credentials, type S3StorageOptions, s3Storage } from "./storage/s3.ts";
export { type StorageUrlOptions, storageFromUrl } from "./storage/url.ts";

// The publish engine.
export { publish } from "./publish/publish.ts";
export {
  type CopyOptions,
  copyPackages,
  pruneRepository,
  type RefreshOptions,
  readRepository,
  refreshRepository,
} from "./publish/operations.ts";
export type { EngineOptions } from "./publish/engine.ts";
export {
  isStorageLock,
  type LockRecord,
  type PublishLock,
  type StorageLock,
  type StorageLockOptions,
  storageLock,
} from "./publish/lock.ts";

// Verifying a published repository (what apt would trip on).
export { listAptSuites, verifyRepository } from "./verify/repository.ts";
export { type VerifyOptions, type VerifyProblem, verifyAptSuite } from "./verify/apt.ts";

// APT.
export { debPoolKey, escapeKeySegment } from "./apt/pool.ts";
export { packagesFile, packagesStanza } from "./apt/packages.ts";
export { contentsFile } from "./apt/contents.ts";
export { formatAptDate, type ReleaseFile, type ReleaseOptions, releaseText } from "./apt/release.ts";
export { type AptIndexes, type AptIndexOptions, buildAptIndexes } from "./apt/indexes.ts";
export { type SignedRelease, signRelease } from "./apt/sign.ts";
export type { BuiltFile } from "./apt/types.ts";
