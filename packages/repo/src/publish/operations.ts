/**
 * The other repository operations: list (`repo ls`), copy between suites without re-reading packages
 * (`repo copy`, aptly's snapshot-and-switch), re-sign top files (`repo refresh`, before Valid-Until
 * lapses) and delete due blobs (`repo prune`).
 */
import { RepoError } from "../errors.ts";
import type { Storage } from "../storage/storage.ts";
import { matches, mergeAptSettings, selectorOf, sortRecords, suiteOf } from "./apt-change.ts";
import { commitRoots, deleteDue, draftOf, type RootPlan } from "./commit.ts";
import { apkSignersOf, checkSigners, type EngineOptions, withEngine } from "./engine.ts";
import { aptRoot } from "./layout.ts";
import type { AptPublishSettings, PackageSelector, PublishResult } from "./options.ts";
import type { OpenPGPSigner } from "@packyard/formats";
import type { RootState } from "./state.ts";
import { loadRepository, sortedStates } from "./state-io.ts";

/** The current state of every root of the repository (APT suites, RPM-MD, pacman and Alpine roots), sorted by root. */
export async function readRepository(storage: Storage): Promise<RootState[]> {
  return sortedStates(await loadRepository(storage));
}

function emptyResult(): PublishResult {
  return { added: [], unchanged: [], removed: [], changedKeys: [], deleted: [], written: [], roots: [] };
}

/** Options of {@link copyPackages}. */
export interface CopyOptions extends EngineOptions {
  /** The suite packages are taken from. */
  fromSuite: string;
  /** The target suite and its settings (`apt.suite`). */
  apt: AptPublishSettings;
  /** Which packages (default: all of the source suite). */
  select?: readonly PackageSelector[];
  signers: readonly OpenPGPSigner[];
  replace?: boolean;
}

/**
 * Copies held packages from one suite to another — the same pool files, no package read or written —
 * and commits the target suite.
 */
export async function copyPackages(storage: Storage, options: CopyOptions): Promise<PublishResult> {
  const signers = checkSigners(options.signers);
  const from = aptRoot(suiteOf({ suite: options.fromSuite }));
  const to = aptRoot(suiteOf(options.apt));
  if (from === to) {
    throw new RepoError(
      "INVALID_SETTING",
      `copy: the source and target suite are both ${options.fromSuite}`,
      {
        field: "suite",
      },
    );
  }
  return withEngine(storage, options, signers, async (ctx, roots) => {
    const source = roots.get(from);
    if (source === undefined) {
      throw new RepoError("NOT_FOUND", `copy: the repository has no suite ${options.fromSuite}`, {
        key: from,
        found: [...roots.keys()],
      });
    }
    const picked = source.state.packages.filter(
      (r) =>
        options.select === undefined ||
        options.select.length === 0 ||
        options.select.some((s) => matches(r, s)),
    );
    if (picked.length === 0) {
      throw new RepoError("NOT_FOUND", `copy: no package of suite ${options.fromSuite} matches`, {
        found: options.select,
      });
    }
    const prev = roots.get(to);
    const settings = mergeAptSettings(
      prev?.state.apt,
      {
        ...options.apt,
        components: [...(options.apt.components ?? []), ...new Set(picked.map((p) => p.component ?? "main"))],
      },
      picked.map((p) => p.arch),
    );
    const result = emptyResult();
    const id = (p: { name: string; version: string; arch: string; component?: string }) =>
      `${p.name}\0${p.version}\0${p.arch}\0${p.component ?? ""}`;
    const target = new Map((prev?.state.packages ?? []).map((p) => [id(p), p]));
    const now = ctx.clock().toISOString();
    for (const r of picked) {
      if (r.arch !== "all" && !settings.architectures.includes(r.arch)) {
        throw new RepoError(
          "ARCH_NOT_IN_REPO",
          `copy: ${r.name} ${r.version} is for ${r.arch}, not one of suite ${settings.suite}'s architectures (${settings.architectures.join(", ")})`,
          { found: r.arch, expected: settings.architectures },
        );
      }
      const same = target.get(id(r));
      if (same?.identity === r.identity) {
        result.unchanged.push(selectorOf(r));
        continue;
      }
      if (same !== undefined && !options.replace) {
        throw new RepoError(
          "REPO_CONFLICT",
          `copy: suite ${settings.suite} already holds ${r.name} ${r.version} ${r.arch} with other content; give --replace`,
          { key: same.key },
        );
      }
      if (same !== undefined) result.removed.push(selectorOf(same));
      // The same pool file: a pool key holds one content for the life of the repository, so sharing it is
      // safe. A record copied from a suite without Contents has no paths: its Contents lines stay empty.
      target.set(id(r), { ...r, added: now });
      result.added.push(selectorOf(r));
    }
    const packages = [...target.values()];
    if (
      result.added.length === 0 &&
      prev !== undefined &&
      prev.stale !== true &&
      JSON.stringify(prev.state.apt) === JSON.stringify(settings)
    ) {
      return result;
    }
    const plan: RootPlan = {
      root: to,
      prev,
      draft: { family: "deb", root: to, apt: settings, packages: sortRecords(packages), tombstones: [] },
      poolWrites: [],
    };
    const others = new Map(roots);
    others.delete(to);
    const commit = await commitRoots(ctx, [plan], others);
    return {
      ...result,
      ...(commit.warnings.length > 0 ? { warnings: commit.warnings } : {}),
      changedKeys: commit.changedKeys,
      deleted: commit.deleted,
      written: commit.written,
      roots: [to],
    };
  });
}

/** Options of {@link refreshRepository}. */
export interface RefreshOptions extends EngineOptions {
  signers: readonly OpenPGPSigner[];
  /** One suite (default: every suite). */
  suite?: string;
  /** Change Valid-Until while at it (seconds; 0 removes it). */
  validFor?: number;
  /**
   * Roots to leave as they are (`deb/stable`, `alpine/v3.22/main/x86_64`): those a publish under the same
   * lock just signed with these keys. Signing them again would only wait for a later Date.
   */
  except?: readonly string[];
}

/**
 * Re-signs the top files of every root (or one APT suite) with a new Date, e.g. before Valid-Until lapses
 * or after a key rotation (RPM-MD roots get the new `repomd.xml.key` too). Alpine roots are re-signed when
 * the Alpine key is given (`apkSigner`, or both keys in `apkSigners` while rotating), the others when OpenPGP keys are.
 */
export async function refreshRepository(storage: Storage, options: RefreshOptions): Promise<PublishResult> {
  const signers = checkSigners(
    options.signers,
    apkSignersOf(options).length > 0 && options.suite === undefined,
  );
  return withEngine(storage, options, signers, async (ctx, roots) => {
    const wanted =
      options.suite === undefined
        ? [...roots.keys()].filter(
            (r) =>
              !(options.except ?? []).includes(r) &&
              (roots.get(r)!.state.family === "alpine" ? ctx.apkSigner !== undefined : signers.length > 0),
          )
        : [aptRoot(suiteOf({ suite: options.suite }))];
    const plans: RootPlan[] = [];
    for (const root of wanted) {
      const prev = roots.get(root);
      if (prev === undefined) {
        throw new RepoError("NOT_FOUND", `refresh: the repository has no suite ${root.slice(4)}`, {
          key: root,
          found: [...roots.keys()],
        });
      }
      if (prev.state.family !== "deb") {
        plans.push({ root, prev, draft: draftOf(prev.state), poolWrites: [] });
        continue;
      }
      const apt = { suite: prev.state.apt!.suite } as AptPublishSettings;
      if (options.validFor !== undefined) apt.validFor = options.validFor;
      const settings = mergeAptSettings(prev.state.apt, apt, []);
      plans.push({
        root,
        prev,
        draft: { family: "deb", root, apt: settings, packages: prev.state.packages, tombstones: [] },
        poolWrites: [],
      });
    }
    const others = new Map(roots);
    for (const p of plans) others.delete(p.root);
    const commit = await commitRoots(ctx, plans, others);
    return {
      ...emptyResult(),
      ...(commit.warnings.length > 0 ? { warnings: commit.warnings } : {}),
      changedKeys: commit.changedKeys,
      deleted: commit.deleted,
      written: commit.written,
      roots: plans.map((p) => p.root),
    };
  });
}

/** Deletes blobs whose grace period has passed and that no suite references. */
export async function pruneRepository(
  storage: Storage,
  options: EngineOptions = {},
): Promise<{ deleted: string[] }> {
  // Pruning signs nothing: the lock and clock are all it needs.
  const placeholder = [{ kind: "openpgp" }] as unknown as readonly OpenPGPSigner[];
  return withEngine(storage, options, placeholder, async (ctx, roots) => {
    return { deleted: await deleteDue(ctx, roots) };
  });
}

/**
 * Rewrites the install files (index.html, install.sh, install.json, badge.svg) under the repository's lock,
 * with `options.install` completed from what the repository remembers; changes no index.
 *
 * @example await updateInstallFiles(storage, { install: { baseUrl: "https://example.com/repo" } })
 */
export async function updateInstallFiles(
  storage: Storage,
  options: EngineOptions & { install: NonNullable<EngineOptions["install"]> },
): Promise<PublishResult> {
  return withEngine(storage, options, [], async () => emptyResult());
}
