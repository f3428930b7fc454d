/** `publish`: add and remove packages of one APT suite and of RPM-MD roots, and write what changed. */
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
import type { PublishInput, PublishOptions, PublishResult } from "./options.ts";
import { changeRpmRoots, checkRpmOptions, planTargets, rpmInfoOf } from "./rpm-change.ts";
import type { AptSettings, PackageRecord } from "./state.ts";
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
 * Publishes packages: .deb files to an APT suite, .rpm files to the RPM-MD roots of their targets (signed
 * with the repository key first unless they carry it), in one commit under one lock. Adds packages
 * (copying each into the pool once; a held identical package is a no-op), removes selected ones, keeps
 * the newest `keep` versions, rewrites only the indexes that changed, signs the top files and deletes
 * blobs whose grace period has passed. Reads no package already held.
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
  const debs: PublishInput[] = [];
  const rpms: PublishInput[] = [];
  // Checked before the lock is taken: bad input leaves the repository untouched.
  for (const input of add) {
    if (input.info.format === "rpm") {
      rpmInfoOf(input);
      rpms.push(input);
    } else {
      debControlOf(input);
      debs.push(input);
    }
  }
  checkRpmOptions(options.rpm);
  const suite = suiteOf(options.apt);
  const component = componentOf(options.apt);
  const rpmInvolved =
    rpms.length > 0 || options.rpm !== undefined || remove.some((r) => r.target !== undefined);
  return withEngine(storage, options, signers, async (ctx, roots) => {
    const now = ctx.clock();
    const result: PublishResult = {
      added: [],
      unchanged: [],
      removed: [],
      changedKeys: [],
      deleted: [],
      written: [],
      roots: [],
    };
    const plans: RootPlan[] = [];
    const root = aptRoot(suite);
    const prev = roots.get(root);
    // The APT suite changes when the publish addresses it: debs, selectors without a target, or nothing
    // rpm-specific at all.
    if (debs.length > 0 || remove.some((r) => r.target === undefined) || !rpmInvolved) {
      const settings = mergeAptSettings(
        prev?.state.apt,
        { ...options.apt, component },
        debs.map((a) => a.info.archString),
      );
      const change = changeAptPackages({
        root,
        settings,
        prev: prev?.state.packages ?? [],
        add: debs,
        remove: remove.filter((r) => r.target === undefined),
        keep: options.keep,
        replace: options.replace ?? false,
        component,
        pool: poolIndex(roots, root, now),
        now,
      });
      const sel = (r: PackageRecord) => ({ ...selectorOf(r), root });
      result.added.push(...change.added.map(sel));
      result.unchanged.push(...change.unchanged.map(sel));
      result.removed.push(...change.removed.map(sel));
      const changed =
        change.added.length > 0 ||
        change.removed.length > 0 ||
        !sameSettings(prev?.state.apt, settings) ||
        prev === undefined ||
        prev.stale === true;
      if (changed) {
        plans.push({
          root,
          prev,
          draft: { family: "deb", root, apt: settings, packages: change.packages, tombstones: [] },
          poolWrites: change.writes,
        });
      }
    }
    // RPM-MD roots change when the publish addresses them: rpms to add, rpm settings, or selectors naming
    // a target (a selector without one applies to them only when rpm settings are given).
    const rpmRemove = remove.filter(
      (r) => r.component === undefined && (r.target !== undefined || options.rpm !== undefined),
    );
    if (rpmInvolved || rpmRemove.length > 0) {
      const targets = planTargets(
        roots,
        options.rpm,
        rpms.map((r) => r.info.archString),
        rpms.length > 0,
        signers[0]!,
      );
      const change = await changeRpmRoots({
        roots,
        targets,
        options: options.rpm,
        add: rpms,
        remove: rpmRemove,
        keep: options.keep,
        replace: options.replace ?? false,
        signers,
        keyName: ctx.keyName,
        ever: poolIndex(roots, undefined, now).ever,
        now,
      });
      const writesByKey = new Map(change.writes.map((w) => [w.key, w]));
      const written = new Set<string>();
      for (const c of change.roots) {
        const sel = (r: PackageRecord) => ({ ...selectorOf(r), target: c.settings.target, root: c.root });
        result.added.push(...c.added.map(sel));
        result.unchanged.push(...c.unchanged.map(sel));
        result.removed.push(...c.removed.map(sel));
        const before = roots.get(c.root);
        const changed =
          c.added.length > 0 ||
          c.removed.length > 0 ||
          before === undefined ||
          before.stale === true ||
          JSON.stringify(before.state.rpm) !== JSON.stringify(c.settings);
        if (!changed) continue;
        // Each new pool file is written once, by the first root that lists it.
        const poolWrites = c.packages
          .map((p) => writesByKey.get(p.key))
          .filter((w): w is NonNullable<typeof w> => w !== undefined && !written.has(w.key));
        for (const w of poolWrites) written.add(w.key);
        plans.push({
          root: c.root,
          prev: before,
          draft: { family: "rpm", root: c.root, rpm: c.settings, packages: c.packages, tombstones: [] },
          poolWrites,
        });
      }
    }
    // A root some earlier publish left midway (top files or pointer out of step) is finished now, whatever
    // this publish addresses.
    for (const [id, loaded] of roots) {
      if (loaded.stale !== true || plans.some((p) => p.root === id)) continue;
      const s = loaded.state;
      plans.push({
        root: id,
        prev: loaded,
        draft: {
          family: s.family,
          root: id,
          ...(s.apt !== undefined ? { apt: s.apt } : {}),
          ...(s.rpm !== undefined ? { rpm: s.rpm } : {}),
          packages: s.packages,
          tombstones: [],
        },
        poolWrites: [],
      });
    }
    if (plans.length === 0) {
      result.deleted = await deleteDue(ctx, roots);
      return result;
    }
    const others = new Map(roots);
    for (const p of plans) others.delete(p.root);
    const commit = await commitRoots(ctx, plans, others);
    if (commit.warnings.length > 0) result.warnings = commit.warnings;
    result.changedKeys = commit.changedKeys;
    result.deleted = commit.deleted;
    result.written = commit.written;
    result.roots = plans.map((p) => p.root);
    return result;
  });
}

/** Refuses an empty selection where one is required. */
export function requireSelection(what: string, n: number): void {
  if (n === 0) throw new RepoError("NOT_FOUND", `${what}: no held package matches`, { found: 0 });
}
