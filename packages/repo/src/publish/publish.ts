/** `publish`: add and remove packages of one APT suite, and write what changed. */
import { RepoError } from "../errors.ts";
import type { Storage } from "../storage/storage.ts";
import {
  changeAptPackages,
  debControlOf,
  componentOf,
  mergeAptSettings,
  type PoolIndex,
  selectorOf,
  suiteOf,
} from "./apt-change.ts";
import { commitRoots, deleteDue, type RootPlan } from "./commit.ts";
import { checkSigners, type EngineOptions, withEngine } from "./engine.ts";
import { aptRoot } from "./layout.ts";
import type { PublishOptions, PublishResult } from "./options.ts";
import type { AptSettings } from "./state.ts";
import type { LoadedRoot } from "./state-io.ts";

/** Which blob each root holds at each pool key, and what every pool key ever held. */
export function poolIndex(
  roots: ReadonlyMap<string, LoadedRoot>,
  except: string | undefined,
  now: Date,
): PoolIndex {
  const held = new Map<string, { identity: string; root: string }>();
  const ever = new Map<string, { sha256: string; present: boolean }>();
  for (const [root, { state }] of roots) {
    for (const [key, sha256] of Object.entries(state.retired ?? {}))
      if (!ever.has(key)) ever.set(key, { sha256, present: false });
    for (const t of state.tombstones) {
      if (t.sha256 === undefined) continue;
      const present = Date.parse(t.due) > now.getTime() || ever.get(t.key)?.present === true;
      ever.set(t.key, { sha256: t.sha256, present });
    }
    if (root === except) continue;
    for (const p of state.packages) held.set(p.key, { identity: p.identity, root });
  }
  return { held, ever };
}

function sameSettings(a: AptSettings | undefined, b: AptSettings): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Publishes to an APT suite: adds packages (copying each into the pool once; a held identical package is a
 * no-op), removes selected ones, keeps the newest `keep` versions, rewrites only the indexes that changed,
 * signs the top files and deletes blobs whose grace period has passed. Reads no package already held.
 * @example
 * await publish(folderStorage("public"), { add: [{ info, source: fileSource(path) }], signers: [signer] });
 */
export async function publish(
  storage: Storage,
  options: PublishOptions & EngineOptions,
): Promise<PublishResult> {
  const signers = checkSigners(options.signers);
  const add = options.add ?? [];
  const remove = options.remove ?? [];
  // Checked before the lock is taken: bad input leaves the repository untouched.
  for (const input of add) debControlOf(input);
  const suite = suiteOf(options.apt);
  const component = componentOf(options.apt);
  return withEngine(storage, options, signers, async (ctx, roots) => {
    const root = aptRoot(suite);
    const prev = roots.get(root);
    const settings = mergeAptSettings(
      prev?.state.apt,
      { ...options.apt, component },
      add.map((a) => a.info.archString),
    );
    const now = ctx.clock();
    const change = changeAptPackages({
      root,
      settings,
      prev: prev?.state.packages ?? [],
      add,
      remove,
      keep: options.keep,
      replace: options.replace ?? false,
      component,
      pool: poolIndex(roots, root, now),
      now,
    });
    const result: PublishResult = {
      added: change.added.map(selectorOf),
      unchanged: change.unchanged.map(selectorOf),
      removed: change.removed.map(selectorOf),
      changedKeys: [],
      deleted: [],
      written: [],
      roots: [],
    };
    const changed =
      change.added.length > 0 ||
      change.removed.length > 0 ||
      !sameSettings(prev?.state.apt, settings) ||
      prev === undefined ||
      prev.stale === true;
    if (!changed) {
      result.deleted = await deleteDue(ctx, roots);
      return result;
    }
    const plan: RootPlan = {
      root,
      prev,
      draft: { family: "deb", root, apt: settings, packages: change.packages, tombstones: [] },
      poolWrites: change.writes,
    };
    const others = new Map(roots);
    others.delete(root);
    const commit = await commitRoots(ctx, [plan], others);
    result.changedKeys = commit.changedKeys;
    result.deleted = commit.deleted;
    result.written = commit.written;
    result.roots = [root];
    return result;
  });
}

/** Refuses an empty selection where one is required. */
export function requireSelection(what: string, n: number): void {
  if (n === 0) throw new RepoError("NOT_FOUND", `${what}: no held package matches`, { found: 0 });
}
