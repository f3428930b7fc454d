/**
 * The CLI's one seam onto @packyard/repo, as formats.ts is onto @packyard/formats: the commands import
 * the engine from here, never from the package's internal files.
 *
 * Until every engine function is exported, the functions are reached through the package namespace and
 * typed here from the documented signatures, so the CLI loads (a named import of a missing export would
 * fail at link time) and names the missing function when it is called.
 */
import * as engine from "@packyard/repo";
import type {
  AptPublishSettings,
  PackageSelector,
  PublishLock,
  PublishOptions,
  PublishResult,
  RootState,
  Storage,
} from "@packyard/repo";
import type { OpenPGPSigner } from "./formats.ts";

export { isRepoError, RepoError } from "@packyard/repo";
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

/** Options every locked operation shares. */
interface Locking {
  lock?: PublishLock | false;
  lockTimeoutMs?: number;
}

/** The engine functions the CLI calls, with their documented signatures. */
interface Engine {
  publish(storage: Storage, options: PublishOptions & { keyName?: string }): Promise<PublishResult>;
  storageLock(storage: Storage, options?: { leaseMs?: number; owner?: string }): PublishLock;
  pruneRepository(storage: Storage, options: Locking & { graceMs?: number }): Promise<{ deleted: string[] }>;
  refreshRepository(
    storage: Storage,
    options: Locking & { signers: readonly OpenPGPSigner[]; suite?: string },
  ): Promise<PublishResult>;
  copyPackages(
    storage: Storage,
    options: Locking & {
      fromSuite: string;
      apt: AptPublishSettings;
      select?: PackageSelector[];
      signers: readonly OpenPGPSigner[];
      replace?: boolean;
    },
  ): Promise<PublishResult>;
  readRepository(storage: Storage): Promise<RootState[]>;
  storageFromUrl(
    target: string,
    options?: { endpoint?: string; region?: string; pathStyle?: boolean; cwd?: string },
  ): Storage;
}

/** The engine function `name`, or an Error naming it when this build of @packyard/repo lacks it. */
function fn<K extends keyof Engine>(name: K): Engine[K] {
  const f = (engine as unknown as Partial<Engine>)[name];
  if (typeof f !== "function") throw new Error(`@packyard/repo does not export ${name} yet`);
  return f as Engine[K];
}

/** Adds and removes packages of one APT suite, writes its indexes and signs them. */
export const publish: Engine["publish"] = (storage, options) => fn("publish")(storage, options);
/** The lock kept beside the repository (`.packyard/lock/`). */
export const storageLock: Engine["storageLock"] = (storage, options) => fn("storageLock")(storage, options);
/** Deletes blobs whose grace period has passed. */
export const pruneRepository: Engine["pruneRepository"] = (storage, options) =>
  fn("pruneRepository")(storage, options);
/** Re-signs the top files with a new Date (for Valid-Until). */
export const refreshRepository: Engine["refreshRepository"] = (storage, options) =>
  fn("refreshRepository")(storage, options);
/** Promotes held packages from one suite to another without reading them again. */
export const copyPackages: Engine["copyPackages"] = (storage, options) =>
  fn("copyPackages")(storage, options);
/** The current state of every root. */
export const readRepository: Engine["readRepository"] = (storage) => fn("readRepository")(storage);
/** A folder path or `s3://bucket/prefix` as a Storage. */
export const storageFromUrl: Engine["storageFromUrl"] = (target, options) =>
  fn("storageFromUrl")(target, options);
