/**
 * `publish`: add and remove packages of one APT suite, RPM-MD roots, pacman roots and Alpine roots, and
 * write what changed, in one commit under one lock.
 */
import { RepoError } from "../errors.ts";
import type { Storage } from "../storage/storage.ts";
import {
  changeAptPackages,
  debControlOf,
  componentOf,
  mergeAptSettings,
  type PoolIndex,
  type PoolWrite,
  selectorOf,
  suiteOf,
} from "./apt-change.ts";
import { apkInfoOf, changeAlpineRoots, checkAlpineOptions, planAlpine } from "./alpine-change.ts";
import { siteOptions } from "../install/write.ts";
import { contentTypeFor, MUTABLE_CACHE } from "../storage/storage.ts";
import {
  apkKeyRecord,
  apkKeySha256,
  commitRoots,
  deleteDue,
  draftOf,
  type EngineContext,
  keyWrites,
  type RootPlan,
  sameApkKeys,
  sharesApkKey,
} from "./commit.ts";
import { applyDownloadWrites, planDownloads } from "./downloads.ts";
import { apkSignersOf, checkSigners, type EngineOptions, withEngine } from "./engine.ts";
import { catalogueTarget } from "../catalogue/index.ts";
import { aptRoot } from "./layout.ts";
import type { PackageSelector, PublishInput, PublishOptions, PublishResult } from "./options.ts";
import { changePacmanRoots, checkArchlinuxOptions, pacmanInfoOf, planPacman } from "./pacman-change.ts";
import { changeRpmRoots, checkRpmOptions, planTargets, rpmInfoOf } from "./rpm-change.ts";
import type { AptSettings, Family, PackageRecord } from "./state.ts";
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

/** The family a selector names: its own, its target's, or none (then: APT, plus families given settings). */
function selectorFamily(r: PackageSelector): Family | undefined {
  if (r.family !== undefined) return r.family;
  if (r.target !== undefined) return catalogueTarget(r.target).family;
  return undefined;
}

/**
 * Publishes packages: .deb files to an APT suite, .rpm files to the RPM-MD roots of their targets (signed
 * with the repository key first unless they carry it), Arch packages to the pacman repository's
 * architecture folders (with a `.sig` each, made when missing), .apk files to the Alpine roots of their
 * targets, in one commit under one lock. Adds packages (copying each file once per folder that serves it;
 * a held identical package is a no-op), removes selected ones, keeps the newest `keep` versions, rewrites
 * only the indexes that changed, signs the top files and deletes blobs whose grace period has passed.
 * Reads no package already held.
 * @example
 * await publish(folderStorage("public"), { add: [{ info, source: fileSource(path) }], signers: [signer] });
 */
export async function publish(
  storage: Storage,
  options: PublishOptions & EngineOptions,
): Promise<PublishResult> {
  const add = options.add ?? [];
  const remove = options.remove ?? [];
  const byFamily: Record<Family, PublishInput[]> = { deb: [], rpm: [], archlinux: [], alpine: [] };
  // macOS packages and release archives have no index: they go to downloads/<name>/<version>/.
  const downloads: PublishInput[] = [];
  // Checked before the lock is taken: bad input leaves the repository untouched.
  for (const input of add) {
    if (input.info.format === "macos" || input.info.format === "tarball") {
      downloads.push(input);
    } else if (input.info.format === "rpm") {
      rpmInfoOf(input);
      byFamily.rpm.push(input);
    } else if (input.info.format === "archlinux") {
      pacmanInfoOf(input);
      byFamily.archlinux.push(input);
    } else if (input.info.format === "apk") {
      apkInfoOf(input);
      byFamily.alpine.push(input);
    } else {
      debControlOf(input);
      byFamily.deb.push(input);
    }
  }
  checkRpmOptions(options.rpm);
  checkArchlinuxOptions(options.archlinux);
  checkAlpineOptions(options.alpine);
  const given: Record<Family, boolean> = {
    deb: options.apt !== undefined,
    rpm: options.rpm !== undefined,
    archlinux: options.archlinux !== undefined,
    alpine: options.alpine !== undefined,
  };
  // Which selectors apply to which family: their own (or their target's), else the APT suite and every
  // family whose settings are given.
  const removeFor = (family: Family) =>
    remove.filter((r) => {
      const f = selectorFamily(r);
      if (f !== undefined) return f === family;
      if (r.component !== undefined) return family === "deb";
      return family === "deb" || given[family];
    });
  const specific =
    downloads.length > 0 ||
    (["rpm", "archlinux", "alpine"] as const).some((f) => byFamily[f].length > 0 || given[f]);
  const involved: Record<Family, boolean> = {
    // The APT suite changes when the publish addresses it: debs, selectors naming it, or nothing
    // family-specific at all. Selectors naming no family reach it too, if it exists (decided below).
    deb:
      byFamily.deb.length > 0 ||
      remove.some((r) => selectorFamily(r) === "deb") ||
      !(specific || remove.length > 0),
    rpm: byFamily.rpm.length > 0 || given.rpm || removeFor("rpm").length > 0,
    archlinux: byFamily.archlinux.length > 0 || given.archlinux || removeFor("archlinux").length > 0,
    alpine: byFamily.alpine.length > 0 || given.alpine || removeFor("alpine").length > 0,
  };
  const loose = removeFor("deb").some((r) => selectorFamily(r) === undefined);
  // An OpenPGP key is needed for any family but Alpine; an APT suite a loose selector reaches is only
  // known under the lock, where its absence of a key is refused before any write.
  // Downloads are listed in a SHA256SUMS signed with the first OpenPGP key.
  const signers = checkSigners(
    options.signers,
    !involved.deb && !involved.rpm && !involved.archlinux && !(loose && given.deb) && downloads.length === 0,
  );
  if (involved.alpine && apkSignersOf(options).length === 0) {
    throw new RepoError(
      "MISSING_KEY",
      "the publish changes Alpine roots, which are signed with the repository's RSA key, and none was given; pass --apk-key (make one with `packyard keygen --type rsa`)",
      { expected: "an RSA private key (PEM)" },
    );
  }
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new RepoError("INVALID_SETTING", `keep: expected a whole number ≥ 1, found ${options.keep}`, {
      field: "keep",
      expected: "a whole number ≥ 1",
      found: options.keep,
    });
  }
  const suite = suiteOf(options.apt);
  const component = componentOf(options.apt);
  return withEngine(storage, options, signers, async (ctx, roots) => {
    // Downloads are planned (read only: names, conflicts, .pkg identifiers) before any root is
    // committed, so bad input leaves the repository untouched.
    const site =
      downloads.length > 0 && options.install !== undefined
        ? await siteOptions(ctx.storage, options.install)
        : {};
    const plan =
      downloads.length > 0
        ? await planDownloads(ctx.storage, downloads, {
            signers,
            ...(options.replace !== undefined ? { replace: options.replace } : {}),
            ...(site.baseUrl !== undefined ? { baseUrl: site.baseUrl } : {}),
            ...(site.description !== undefined ? { description: site.description } : {}),
            clock: ctx.clock,
          })
        : undefined;
    const result = await publishRoots(ctx, roots);
    if (plan !== undefined) {
      // SHA256SUMS.asc is checked with the repository key: its files are published with the downloads.
      const keys = await keyWrites(ctx, [], new Set(["downloads"]));
      const written = await applyDownloadWrites(
        ctx.storage,
        [
          ...plan.writes,
          ...keys.map((w) => ({
            key: w.key,
            body: w.body as Uint8Array,
            mutable: true,
            contentType: contentTypeFor(w.key),
            cacheControl: MUTABLE_CACHE,
          })),
        ],
        {
          beforeEach: async () => {
            await ctx.lock?.assertHeld();
          },
        },
      );
      result.written.push(...written);
      result.changedKeys.push(
        ...plan.writes.filter((w) => w.mutable && written.includes(w.key)).map((w) => w.key),
        ...keys.map((w) => w.key),
      );
      result.downloads = { added: plan.added, unchanged: plan.unchanged };
      if (plan.warnings.length > 0)
        result.warnings = [
          ...(result.warnings ?? []),
          ...plan.warnings.map((message) => ({ code: "DOWNLOAD_NOTE" as const, message, root: "downloads" })),
        ];
    }
    return result;
  });

  async function publishRoots(ctx: EngineContext, roots: Map<string, LoadedRoot>): Promise<PublishResult> {
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
    const warnings: NonNullable<PublishResult["warnings"]> = [];
    const plans: RootPlan[] = [];
    const root = aptRoot(suite);
    const prev = roots.get(root);
    if (!involved.deb && loose && (prev !== undefined || given.deb)) involved.deb = true;
    if (signers.length === 0 && (involved.deb || involved.rpm || involved.archlinux)) {
      throw new RepoError(
        "MISSING_KEY",
        `the publish changes ${involved.deb ? `the APT suite ${suite}` : involved.rpm ? "RPM-MD roots" : "pacman roots"}, which are signed with the repository's OpenPGP key, and none was given; pass --key`,
        { expected: "an OpenPGP secret key" },
      );
    }
    if (involved.deb) {
      const debs = byFamily.deb;
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
        remove: removeFor("deb"),
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
    /** Adds a family's root changes to the plans and the result. */
    const collect = (
      family: Family,
      changes: readonly {
        root: string;
        settings: unknown;
        packages: PackageRecord[];
        added: PackageRecord[];
        unchanged: PackageRecord[];
        removed: PackageRecord[];
      }[],
      writes: readonly PoolWrite[],
      target: (settings: unknown) => string | undefined,
    ) => {
      const writesByKey = new Map<string, PoolWrite[]>();
      for (const w of writes) {
        const owner = w.record.key;
        writesByKey.set(owner, [...(writesByKey.get(owner) ?? []), w]);
      }
      const written = new Set<string>();
      const settingsKey = { deb: "apt", rpm: "rpm", archlinux: "archlinux", alpine: "alpine" }[family] as
        | "apt"
        | "rpm"
        | "archlinux"
        | "alpine";
      for (const c of changes) {
        const t = target(c.settings);
        const sel = (r: PackageRecord) => ({
          ...selectorOf(r),
          ...(t !== undefined ? { target: t } : {}),
          root: c.root,
        });
        result.added.push(...c.added.map(sel));
        result.unchanged.push(...c.unchanged.map(sel));
        result.removed.push(...c.removed.map(sel));
        const before = roots.get(c.root);
        const changed =
          c.added.length > 0 ||
          c.removed.length > 0 ||
          before === undefined ||
          before.stale === true ||
          JSON.stringify(before.state[settingsKey]) !== JSON.stringify(c.settings);
        if (!changed) continue;
        // Each new file is written once, by the first root that lists it.
        const poolWrites = c.packages
          .flatMap((p) => writesByKey.get(p.key) ?? [])
          .filter((w) => !written.has(w.key));
        for (const w of poolWrites) written.add(w.key);
        plans.push({
          root: c.root,
          prev: before,
          draft: { family, root: c.root, [settingsKey]: c.settings, packages: c.packages, tombstones: [] },
          poolWrites,
        });
      }
    };
    if (involved.rpm) {
      const rpms = byFamily.rpm;
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
        remove: removeFor("rpm"),
        keep: options.keep,
        replace: options.replace ?? false,
        signers,
        keyName: ctx.keyName,
        ever: poolIndex(roots, undefined, now).ever,
        now,
      });
      collect("rpm", change.roots, change.writes, (s) => (s as { target: string }).target);
    }
    if (involved.archlinux) {
      const pkgs = byFamily.archlinux;
      const plan = planPacman(
        roots,
        options.archlinux,
        pkgs.map((p) => p.info.archString),
        ctx.keyName,
      );
      const change = await changePacmanRoots({
        roots,
        plan,
        options: options.archlinux,
        add: pkgs,
        remove: removeFor("archlinux"),
        replace: options.replace ?? false,
        signers,
        ever: poolIndex(roots, undefined, now).ever,
        get: (key) => storage.get(key),
        now,
      });
      warnings.push(...change.warnings);
      collect("archlinux", change.roots, change.writes, () => undefined);
    }
    if (involved.alpine) {
      const apks = byFamily.alpine;
      const targets = planAlpine(
        roots,
        options.alpine,
        apks.map((p) => p.info.archString),
        apks.length > 0,
      );
      const change = await changeAlpineRoots({
        roots,
        plans: targets,
        options: options.alpine,
        add: apks,
        remove: removeFor("alpine"),
        keep: options.keep,
        replace: options.replace ?? false,
        signers: ctx.apkSigners,
        ever: poolIndex(roots, undefined, now).ever,
        get: (key) => storage.get(key),
        now,
      });
      collect("alpine", change.roots, change.writes, (s) => (s as { target: string }).target);
    }
    // The same Alpine keys sign every Alpine root: keys sharing none with what a root records are refused,
    // or, with alpine.changeKey, sign them all now (users install the new keys/<name> once). Keys sharing
    // one (a rotation: old and new together, then the new alone) re-sign every root at once, so each index
    // carries the same signatures.
    if (involved.alpine && ctx.apkSigner !== undefined) {
      const signer = ctx.apkSigner;
      const signers = ctx.apkSigners;
      const other = [...roots.values()].filter(
        (r) => r.state.alpine?.keySha256 !== undefined && !sameApkKeys(r.state.alpine, signers),
      );
      const foreign = other.filter((r) => !sharesApkKey(r.state.alpine!, signers));
      if (foreign.length > 0 && options.alpine?.changeKey !== true) {
        const was = foreign[0]!.state.alpine!;
        const given = signers.map((s) => `${s.keyName} (${apkKeySha256(s).slice(0, 16)}…)`).join(" and ");
        throw new RepoError(
          "BAD_KEY",
          `the Alpine roots (${foreign.map((r) => r.state.root).join(", ")}) are signed with ${was.keyName} (public key sha256 ${was.keySha256!.slice(0, 16)}…), and the key given is ${given}; users trust the key file by its name, so another key would leave the repository UNTRUSTED (and empty) for them: use the same key, sign with both while rotating (apkSigners), or give alpine.changeKey (--apk-change-key) to sign every Alpine root with the new one and tell users to install keys/${signer.keyName}`,
          { expected: was.keyName, found: signers.map((s) => s.keyName) },
        );
      }
      for (const r of other) {
        if (plans.some((p) => p.root === r.state.root)) continue;
        const draft = draftOf(r.state);
        const { rotationKeys: _, ...rest } = r.state.alpine!;
        draft.alpine = { ...rest, ...apkKeyRecord(signers) };
        plans.push({ root: r.state.root, prev: r, draft, poolWrites: [] });
      }
    }
    // A root some earlier publish left midway (top files or pointer out of step) is finished now, whatever
    // this publish addresses (an Alpine root only when the Alpine key was given, another only with
    // OpenPGP keys).
    for (const [id, loaded] of roots) {
      if (loaded.stale !== true || plans.some((p) => p.root === id)) continue;
      const family = loaded.state.family;
      if (family === "alpine" ? ctx.apkSigner === undefined : signers.length === 0) continue;
      plans.push({ root: id, prev: loaded, draft: draftOf(loaded.state), poolWrites: [] });
    }
    if (plans.length === 0) {
      if (warnings.length > 0) result.warnings = warnings;
      result.deleted = await deleteDue(ctx, roots);
      return result;
    }
    const others = new Map(roots);
    for (const p of plans) others.delete(p.root);
    const commit = await commitRoots(ctx, plans, others);
    warnings.push(...commit.warnings);
    if (warnings.length > 0) result.warnings = warnings;
    result.changedKeys = commit.changedKeys;
    result.deleted = commit.deleted;
    result.written = commit.written;
    result.roots = plans.map((p) => p.root);
    return result;
  }
}

/** Refuses an empty selection where one is required. */
export function requireSelection(what: string, n: number): void {
  if (n === 0) throw new RepoError("NOT_FOUND", `${what}: no held package matches`, { found: 0 });
}
