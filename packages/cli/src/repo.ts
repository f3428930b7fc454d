/**
 * The CLI's one seam onto @packyard/repo, as formats.ts is onto @packyard/formats: the commands import
 * the engine from here, never from the package's internal files.
 */
import { resolve } from "node:path";
import * as engine from "@packyard/repo";
import { folderStorage, type Storage } from "@packyard/repo";

export {
  copyPackages,
  isRepoError,
  publish,
  pruneRepository,
  RepoError,
  readRepository,
  refreshRepository,
  storageLock,
} from "@packyard/repo";
export type {
  AptPublishSettings,
  PackageSelector,
  PublishInput,
  PublishLock,
  PublishOptions,
  PublishProgress,
  PublishResult,
  RepoErrorCode,
  RootState,
  Storage,
} from "@packyard/repo";

/** What storageFromUrl takes besides the target. */
interface StorageUrlOptions {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  cwd?: string;
}

/**
 * A folder path or `s3://bucket/prefix` as a Storage. Reached through the package namespace until
 * @packyard/repo exports it, so the CLI still loads (a named import of a missing export fails at link
 * time); until then a folder is opened directly.
 */
export function storageFromUrl(target: string, options: StorageUrlOptions): Storage {
  const f = (engine as unknown as { storageFromUrl?: (t: string, o: StorageUrlOptions) => Storage })
    .storageFromUrl;
  if (typeof f === "function") return f(target, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target))
    throw new Error("@packyard/repo does not export storageFromUrl yet");
  return folderStorage(resolve(options.cwd ?? ".", target));
}
