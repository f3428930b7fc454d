/**
 * What every repository operation does around its work: checks the signers, picks the lock (probing the
 * store for conditional creates once, then remembering the answer in the states), waits for it, and
 * always releases it.
 */
import type { OpenPGPSigner, RSASigner } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import { checkInstallOptions, type InstallOptions } from "../install/document.ts";
import { writeInstallFiles } from "../install/write.ts";
import type { Storage } from "../storage/storage.ts";
import type { EngineContext } from "./commit.ts";
import { isStorageLock, type PublishLock, storageLock } from "./lock.ts";
import type { PublishProgress } from "./options.ts";
import { checkOwner, checkOwnerOption, OWNER_KEY, ownerMarker, type RepositoryOwner } from "./owner.ts";
import { type LoadedRoot, loadRepository, sortedStates } from "./state-io.ts";

/**
 * Blobs written at once by default: enough to overlap an object store's round trips while its multipart
 * uploads (up to 20 MiB buffered each) stay bounded. A store may ask for another number
 * (`Storage.writeConcurrency`: the folder driver asks for 32); measured in bench/README.md.
 */
export const DEFAULT_WRITE_CONCURRENCY = 8;

/** Options every operation shares. */
export interface EngineOptions {
  lock?: PublishLock | false;
  lockTimeoutMs?: number;
  graceMs?: number;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: PublishProgress) => void;
  /**
   * How many blobs (package files, by-hash copies, RPM-MD metadata files) are written at once (default: the
   * storage's `writeConcurrency`, else {@link DEFAULT_WRITE_CONCURRENCY}; 1 writes them one by one). States, indexes, top files and pointers
   * are always written one at a time, in order, each after every blob it names.
   */
  writeConcurrency?: number;
  /** Name of the public key files under `keys/` (default `repository`). */
  keyName?: string;
  /** The RSA key of Alpine indexes (needed whenever an Alpine root is committed). */
  apkSigner?: RSASigner;
  /**
   * Instead of `apkSigner`: one RSA key, or two while rotating keys. Every Alpine index then carries a
   * `.SIGN.RSA256.<keyName>` signature by each (apk-tools accepts the index when it holds any of the keys),
   * `keys/` holds both public keys, and the first signs the .apk packages that have no signature yet.
   */
  apkSigners?: readonly RSASigner[];
  /**
   * The server passes `{ kind: "server", url }`: the repository is then marked as the server's, and any
   * later operation without this marker (a CLI `packyard publish` at the same prefix) is refused with
   * REPO_OWNED_BY_SERVER naming the URL.
   */
  owner?: RepositoryOwner;
  /**
   * Rewrite the install files (install.json, install.sh, badge.svg, index.html) after the work, still under
   * the lock, with these settings completed from what the repository remembers; absent: left alone.
   */
  install?: InstallOptions;
}

/**
 * Writes the install files after an operation and adds what changed to its result's lists. The operation
 * is done by then: a failure to rebuild them is a warning (INSTALL_FILES_NOT_WRITTEN), except a lost lock.
 */
async function afterWork<T>(
  storage: Storage,
  install: InstallOptions | undefined,
  lock: PublishLock | undefined,
  out: T,
  roots: ReadonlyMap<string, LoadedRoot>,
): Promise<T> {
  if (install === undefined) return out;
  const lists = out as { written?: unknown; changedKeys?: unknown; warnings?: unknown };
  try {
    const { written } = await writeInstallFiles(storage, install, {
      ...(lock !== undefined ? { beforeWrite: () => lock.assertHeld() } : {}),
      states: sortedStates(roots),
    });
    if (Array.isArray(lists.written)) lists.written.push(...written);
    if (Array.isArray(lists.changedKeys)) lists.changedKeys.push(...written);
  } catch (e) {
    if (e instanceof RepoError && e.code === "LOCK_LOST") throw e;
    if (typeof out !== "object" || out === null || !Array.isArray(lists.written)) throw e;
    const warning = {
      code: "INSTALL_FILES_NOT_WRITTEN",
      message: `the install files (index.html, install.sh, install.json, badge.svg) were not rebuilt: ${(e as Error).message}`,
      root: "",
    };
    lists.warnings = [...(Array.isArray(lists.warnings) ? lists.warnings : []), warning];
  }
  return out;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_GRACE_MS = 2 * 24 * 3600_000;

/**
 * Refuses anything but one or two OpenPGP signers (none at all only with `allowNone`: a publish that
 * touches Alpine roots alone).
 */
export function checkSigners(
  signers: readonly unknown[] | undefined,
  allowNone = false,
): readonly OpenPGPSigner[] {
  const list = (signers ?? []) as readonly { kind?: unknown }[];
  if (list.length === 0 && !allowNone) {
    throw new RepoError(
      "MISSING_KEY",
      "a repository is signed, and no signing key was given; make one with `packyard keygen --type openpgp --name repo --email you@example.org`, then pass it with --key (or publish.key in packyard.yml)",
      { expected: "an OpenPGP secret key" },
    );
  }
  if (list.length > 2) {
    throw new RepoError(
      "INVALID_SETTING",
      `expected one signing key, or two while rotating keys, found ${list.length}`,
      {
        field: "signers",
        found: list.length,
      },
    );
  }
  for (const s of list) {
    if (s?.kind !== "openpgp") {
      throw new RepoError(
        "BAD_KEY",
        `expected an OpenPGP secret key to sign the repository, found a ${String(s?.kind)} key`,
        { expected: "openpgp", found: s?.kind },
      );
    }
  }
  return list as readonly OpenPGPSigner[];
}

/** The smallest RSA modulus Alpine keys may have (apt and sqv refuse shorter ones; repos.md §8 pitfall 25). */
export const MIN_RSA_BITS = 2048;

/** Refuses an Alpine key that is not an RSA key of at least {@link MIN_RSA_BITS} bits with a usable name. */
export function checkApkSigner(signer: unknown): RSASigner | undefined {
  if (signer === undefined) return undefined;
  const s = signer as Partial<RSASigner> & { kind?: unknown };
  if (s.kind !== "rsa") {
    throw new RepoError(
      "BAD_KEY",
      `Alpine indexes are signed with an RSA key (PEM); found a ${String(s.kind)} key; make one with \`packyard keygen --type rsa\``,
      { expected: "rsa", found: s.kind },
    );
  }
  if (typeof s.bits !== "number" || s.bits < MIN_RSA_BITS) {
    throw new RepoError(
      "BAD_KEY",
      `the Alpine key ${s.keyName} is ${s.bits}-bit RSA; expected at least ${MIN_RSA_BITS} bits (abuild-keygen makes 4096)`,
      { expected: `>= ${MIN_RSA_BITS} bits`, found: s.bits },
    );
  }
  if (typeof s.keyName !== "string" || !/^[A-Za-z0-9][A-Za-z0-9@._+-]*\.pub$/.test(s.keyName)) {
    throw new RepoError(
      "INVALID_SETTING",
      `the Alpine key name: expected a file name ending in .pub such as you@example.org-5f3a1b2c.rsa.pub (users save the key under it in /etc/apk/keys/), found ${JSON.stringify(s.keyName)}`,
      { field: "apkSigner.keyName", found: s.keyName },
    );
  }
  return s as RSASigner;
}

/**
 * The Alpine keys an operation signs with, from `apkSigner` or `apkSigners` (not both): none, one, or two
 * while rotating, each an RSA key of at least {@link MIN_RSA_BITS} bits, under distinct names (apk looks a
 * signature's key up by its name, so two keys of one name could not both be trusted).
 */
export function apkSignersOf(options: { apkSigner?: unknown; apkSigners?: readonly unknown[] }): RSASigner[] {
  if (options.apkSigner !== undefined && options.apkSigners !== undefined)
    throw new RepoError(
      "INVALID_SETTING",
      "apkSigner and apkSigners were both given; expected one of them (apkSigners for two keys while rotating)",
      { field: "apkSigners" },
    );
  const list = options.apkSigners ?? (options.apkSigner === undefined ? [] : [options.apkSigner]);
  if (!Array.isArray(list) || list.length > 2)
    throw new RepoError(
      "INVALID_SETTING",
      `apkSigners: expected one Alpine key, or two while rotating keys, found ${Array.isArray(list) ? list.length : typeof list}`,
      { field: "apkSigners", found: Array.isArray(list) ? list.length : String(list) },
    );
  const signers = list.map((s) => checkApkSigner(s)!);
  if (signers.length === 2 && signers[0]!.keyName === signers[1]!.keyName)
    throw new RepoError(
      "INVALID_SETTING",
      `apkSigners: the two Alpine keys are both named ${signers[0]!.keyName}; expected distinct names (apk finds the key of a .SIGN.RSA256.<name> signature by its file name in /etc/apk/keys/)`,
      { field: "apkSigners", found: signers[0]!.keyName },
    );
  return signers;
}

function keyNameOf(name: string | undefined): string {
  const n = name ?? "repository";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n)) {
    throw new RepoError(
      "INVALID_SETTING",
      `keyName: expected letters, digits, . _ -, found ${JSON.stringify(n)}`,
      {
        field: "keyName",
        found: n,
      },
    );
  }
  return n;
}

/**
 * Runs `work` holding the repository's lock, with the current state of every root. With the default
 * storage lock the store is probed for conditional creates unless a state already records that it honours
 * them; a store that does not makes this refuse with LOCK_UNSUPPORTED (pass `lock: false` to publish
 * without a lock).
 */
export async function withEngine<T>(
  storage: Storage,
  options: EngineOptions,
  signers: readonly OpenPGPSigner[],
  work: (ctx: EngineContext, roots: Map<string, LoadedRoot>) => Promise<T>,
): Promise<T> {
  const keyName = keyNameOf(options.keyName);
  const apkSigners = apkSignersOf(options);
  checkInstallOptions(options.install);
  const lock = options.lock === false ? undefined : (options.lock ?? storageLock(storage));
  const ctx: EngineContext = {
    storage,
    lock,
    clock: options.clock ?? (() => new Date()),
    sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)))),
    graceMs: options.graceMs ?? DEFAULT_GRACE_MS,
    signers,
    apkSigner: apkSigners[0],
    apkSigners,
    keyName,
    conditionalCreate: undefined,
    onProgress: options.onProgress,
    writeConcurrency: options.writeConcurrency ?? storage.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY,
  };
  if (!Number.isInteger(ctx.writeConcurrency) || ctx.writeConcurrency < 1 || ctx.writeConcurrency > 256) {
    // The caller's, or else the storage's own.
    const where =
      options.writeConcurrency === undefined
        ? `${storage.description}: its writeConcurrency`
        : "writeConcurrency";
    throw new RepoError(
      "INVALID_SETTING",
      `${where}: expected a whole number from 1 to 256, found ${ctx.writeConcurrency}`,
      { field: "writeConcurrency", expected: "1-256", found: String(ctx.writeConcurrency) },
    );
  }
  if (!Number.isFinite(ctx.graceMs) || ctx.graceMs < 0)
    throw new RepoError("INVALID_SETTING", `grace: expected a duration ≥ 0, found ${ctx.graceMs}`, {
      field: "grace",
    });
  const owner = checkOwnerOption(options.owner);
  // Before the lock too, so an operation refused for its owner writes not even a lock record.
  await checkOwner(storage, owner);
  const markOwner = async (): Promise<void> => {
    const marker = ownerMarker(owner, await checkOwner(storage, owner));
    if (marker === undefined) return;
    await lock?.assertHeld();
    await storage.put(OWNER_KEY, marker, { contentType: "application/json", cacheControl: "no-store" });
  };
  if (lock === undefined) {
    await markOwner();
    const roots = await loadRepository(storage);
    const out = await work(ctx, roots);
    return afterWork(storage, options.install, undefined, out, ctx.committed ?? roots);
  }
  await lock.acquire({ timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS });
  try {
    await markOwner();
    const roots = await loadRepository(storage);
    if (isStorageLock(lock) && ![...roots.values()].some((r) => r.state.conditionalCreate === true)) {
      // Only now is it known whether the create that took the lock meant anything.
      if (!(await lock.probe())) {
        throw new RepoError(
          "LOCK_UNSUPPORTED",
          `${storage.description} does not honour conditional creates (a second create of the same key succeeded), so two publishers could not be kept apart; publish from one place at a time and give --no-lock`,
          {
            expected: "If-None-Match: * to be refused on an existing key",
            found: "the object was overwritten",
          },
        );
      }
      ctx.conditionalCreate = true;
    }
    const out = await work(ctx, roots);
    return await afterWork(storage, options.install, lock, out, ctx.committed ?? roots);
  } finally {
    await lock.release().catch(() => {});
  }
}
