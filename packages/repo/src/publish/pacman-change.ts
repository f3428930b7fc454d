/**
 * How pacman roots change in a publish: which architecture folders a package goes to (`any` to each),
 * the repository (database) name, the package's `.sig` (kept when it is binary and by a repository key,
 * made with the first key when there is none), one version per name (the newest by vercmp), conflicts
 * and removals. pacman fetches `%FILENAME%` and `%FILENAME%.sig` from the folder of the database, so every
 * folder holds its own copy of each file; a file name that once held other bytes is never reused.
 */
import {
  archlinuxFormat,
  type OpenPGPSigner,
  type PackageInfo,
  readSignatureInfo,
  verifyDetached,
} from "@packyard/formats";
import { signArchlinux } from "@packyard/formats/archlinux";
import { catalogueTarget } from "../catalogue/index.ts";
import { RepoError } from "../errors.ts";
import { PREPARE_CONCURRENCY, prefetch } from "../limit.ts";
import { pacmanIndexInfo } from "../pacman/index.ts";
import { sha256Hex } from "./state-io.ts";
import type { PoolWrite } from "./apt-change.ts";
import { pacmanRoot } from "./layout.ts";
import type { ArchlinuxPublishSettings, PackageSelector, PublishInput, PublishWarning } from "./options.ts";
import { ours, rpmKeySegment } from "./rpm-change.ts";
import { type PackageRecord, type PacmanSettings, withSummary } from "./state.ts";
import type { LoadedRoot } from "./state-io.ts";
import {
  type PendingChange,
  pendingChange,
  plannedArches,
  putRecord,
  type RootChange,
  settleChange,
  settledWrites,
} from "./root-change.ts";
import { bytesInput, checkedBytes, storedSource } from "./sources.ts";

/** The catalogue target of pacman repositories. */
export const PACMAN_TARGET = "arch";

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function invalid(field: string, expected: string, found: unknown): never {
  throw new RepoError("INVALID_SETTING", `${field}: expected ${expected}, found ${JSON.stringify(found)}`, {
    field,
    expected,
    found,
  });
}

/** Checks a repository (database) name: it is a file name and a pacman.conf section. */
export function checkPacmanRepo(name: string, field = "archlinux.repo"): string {
  // `local` is pacman's own database of installed packages.
  if (!NAME_RE.test(name) || name === "local")
    invalid(
      field,
      "a repository name of letters, digits, . _ - (the pacman.conf [section]; not local)",
      name,
    );
  return name;
}

/** Checks the pacman settings a publish gives (before the lock is taken). */
export function checkArchlinuxOptions(o: ArchlinuxPublishSettings | undefined): void {
  if (o === undefined) return;
  if (o.repo !== undefined) checkPacmanRepo(o.repo);
  const arches = catalogueTarget(PACMAN_TARGET).architectures;
  for (const a of o.architectures ?? []) {
    if (!arches.includes(a)) invalid("archlinux.architectures", `one of ${arches.join(", ")}`, a);
  }
}

/** Checks that a package can go into a pacman repository. */
export function pacmanInfoOf(input: PublishInput): PackageInfo & { raw: { format: "archlinux" } } {
  const info = input.info;
  const where = input.name ?? `${info.name}-${info.versionString}-${info.archString}`;
  if (info.format !== "archlinux" || info.raw.format !== "archlinux") {
    throw new RepoError(
      "UNSUPPORTED_PACKAGE",
      `${where}: expected an Arch package (.pkg.tar.*), found a ${info.format} package`,
      { path: where, expected: "archlinux", found: info.format },
    );
  }
  if (input.source.size !== info.artifact.size) {
    throw new RepoError(
      "CHECKSUM_MISMATCH",
      `${where}: expected ${info.artifact.size} bytes (what was read of it), found ${input.source.size}`,
      { path: where, expected: info.artifact.size, found: input.source.size },
    );
  }
  pacmanIndexInfo(info, where);
  return info as PackageInfo & { raw: { format: "archlinux" } };
}

/** The pacman roots a publish touches: one repository name, its architectures after this publish. */
export interface PacmanPlan {
  repo: string;
  arches: string[];
}

/**
 * The repository name (asked, else the one the repository serves, else `keyName`) and its architectures
 * (held ones plus asked ones; a new repository: the added packages', x86_64 when they are all `any`).
 */
export function planPacman(
  roots: ReadonlyMap<string, LoadedRoot>,
  o: ArchlinuxPublishSettings | undefined,
  addedArches: readonly string[],
  keyName: string,
): PacmanPlan {
  const held = new Map<string, Set<string>>();
  for (const { state } of roots.values()) {
    if (state.archlinux === undefined) continue;
    const set = held.get(state.archlinux.repo) ?? new Set<string>();
    set.add(state.archlinux.arch);
    held.set(state.archlinux.repo, set);
  }
  let repo = o?.repo;
  if (repo === undefined) {
    if (held.size > 1) {
      throw new RepoError(
        "INVALID_SETTING",
        `archlinux.repo: the repository serves several pacman repositories (${[...held.keys()].sort().join(", ")}); name the one to publish to with --pacman-repo`,
        { field: "archlinux.repo", expected: [...held.keys()].sort() },
      );
    }
    repo = held.size === 1 ? [...held.keys()][0]! : keyName;
  }
  checkPacmanRepo(repo);
  const target = catalogueTarget(PACMAN_TARGET);
  const arches = plannedArches({
    target,
    held: held.get(repo),
    asked: o?.architectures,
    added: addedArches,
    independent: "any",
    field: "archlinux.architectures",
  });
  return { repo, arches };
}

function compare(a: string, b: string): number {
  return archlinuxFormat.compareVersions(a, b);
}

const ARMOR = "-----BEGIN PGP";

/** A package's `.sig` as it will be stored, and the repository key that made it. */
interface PreparedSignature {
  bytes: Uint8Array;
  signedBy: string;
}

/**
 * Decides a package's signature: the `.sig` given (PublishInput.signature, else the one read with it) is
 * kept when it is binary and verifies with one of the repository's keys; an armored one or one by another
 * key is refused (REPO_FOREIGN_SIGNATURE) unless `resign`; with none, the first key signs the package
 * (dated with its builddate, so the same package gives the same signature).
 */
export async function preparePacmanSignature(
  input: PublishInput,
  signers: readonly OpenPGPSigner[],
  resign: boolean,
): Promise<PreparedSignature> {
  const info = input.info as PackageInfo & { raw: { format: "archlinux" } };
  const where = input.name ?? `${info.name}-${info.versionString}-${info.archString}`;
  const given = input.signature ?? info.raw.signature;
  if (given !== undefined && !resign) {
    const text = new TextDecoder().decode(given.subarray(0, 64));
    if (text.includes(ARMOR)) {
      throw new RepoError(
        "REPO_FOREIGN_SIGNATURE",
        `${where}.sig: expected a binary OpenPGP signature (pacman and repo-add refuse armored package signatures), found an armored one; give --resign to replace it with the repository key's`,
        { path: `${where}.sig`, expected: "binary", found: "armored" },
      );
    }
    // The signature alone is checked, over the bytes the input's PackageInfo was read from (checked
    // first): parsing the package again would repeat that read (a first publish of 5,000 packages spent
    // most of its planning there).
    const held = await checkedBytes(input.source, info.artifact, where);
    let sig: ReturnType<typeof readSignatureInfo>;
    try {
      sig = readSignatureInfo(given);
    } catch (e) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}.sig: expected an OpenPGP signature, could not read it: ${(e as Error).message}`,
        { path: `${where}.sig` },
        { cause: e },
      );
    }
    const by = signers.find((k) => ours(sig, [k]));
    if (by === undefined) {
      throw new RepoError(
        "REPO_FOREIGN_SIGNATURE",
        `${where}.sig: expected no signature or one by the repository key (${signers[0]!.primaryFingerprint}), found one by ${sig.fingerprint ?? sig.keyId ?? "an unknown key"}; give --resign to replace it with the repository's`,
        {
          path: `${where}.sig`,
          expected: signers.map((s) => s.primaryFingerprint),
          found: sig.fingerprint ?? sig.keyId,
        },
      );
    }
    let valid: boolean;
    try {
      valid = (
        await verifyDetached(held.bytes ?? held.source.open(), given, by.publicKeyArmored(), { date: null })
      ).valid;
    } catch (e) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}: could not be read with its signature: ${(e as Error).message}`,
        { path: where },
        { cause: e },
      );
    }
    if (!valid) {
      throw new RepoError(
        "CORRUPT_PACKAGE",
        `${where}.sig: expected a valid signature by the repository key, found one that does not verify; the package was changed after it was signed`,
        { path: `${where}.sig` },
      );
    }
    return { bytes: given, signedBy: by.primaryFingerprint };
  }
  const signer = signers[0]!;
  try {
    const sig = await signArchlinux(input.source, signer);
    return { bytes: sig.bytes, signedBy: signer.primaryFingerprint };
  } catch (e) {
    throw new RepoError(
      "CORRUPT_PACKAGE",
      `${where}: could not be signed: ${(e as Error).message}`,
      { path: where },
      { cause: e },
    );
  }
}

/** The extension of a package file (`.pkg.tar.zst`), from its name when it has one. */
function packageExtension(name: string | undefined): string {
  const m = name === undefined ? null : /\.pkg\.tar(\.[a-z0-9]+)?$/.exec(name);
  return m === null ? ".pkg.tar.zst" : m[0];
}

/**
 * `%FILENAME%`: `<name>-<version>-<arch><ext>` with `:` and other characters stores and clients mangle
 * escaped (pacman parses nothing out of it); `qualifier` (a hash prefix) makes a name that never held other
 * bytes.
 */
export function pacmanFileName(info: PackageInfo, ext: string, qualifier?: string): string {
  const base = `${rpmKeySegment(info.name)}-${rpmKeySegment(info.versionString)}-${rpmKeySegment(info.archString)}`;
  return qualifier === undefined ? `${base}${ext}` : `${base}.${qualifier}${ext}`;
}

/** What {@link changePacmanRoots} decided for one root. */
export type PacmanRootChange = RootChange<PacmanSettings>;

/** What a publish does to the pacman roots. */
export interface PacmanChange {
  roots: PacmanRootChange[];
  writes: PoolWrite[];
  warnings: PublishWarning[];
}

function matchesRecord(r: PackageRecord, s: PackageSelector): boolean {
  return (
    r.name === s.name &&
    (s.version === undefined || r.version === s.version) &&
    (s.arch === undefined || r.arch === s.arch) &&
    s.component === undefined &&
    (s.target === undefined || s.target === PACMAN_TARGET)
  );
}

/**
 * Applies adds and removes to every folder of the pacman repository. A package goes to its
 * architecture's folder (`any`: to each); the same package file already held is a no-op; a newer version
 * of a name replaces the held one (whose files stay until the grace period ends); an older one is not
 * added (PACMAN_NOT_NEWEST); the same version with other bytes is REPO_CONFLICT unless `replace`.
 */
export async function changePacmanRoots(args: {
  roots: ReadonlyMap<string, LoadedRoot>;
  plan: PacmanPlan;
  options: ArchlinuxPublishSettings | undefined;
  add: readonly PublishInput[];
  remove: readonly PackageSelector[];
  replace: boolean;
  signers: readonly OpenPGPSigner[];
  ever: ReadonlyMap<string, { sha256: string; present: boolean }>;
  /** Reads a stored object (to copy `any` packages into a new architecture's folder). */
  get: (key: string) => Promise<AsyncIterable<Uint8Array> | undefined>;
  now: Date;
}): Promise<PacmanChange> {
  const changes = new Map<string, PendingChange<PacmanSettings>>();
  const writes: PoolWrite[] = [];
  const warnings: PublishWarning[] = [];
  // What every key of these folders holds now.
  const keyHolds = new Map<string, string>();
  for (const { state } of args.roots.values()) {
    if (state.family !== "archlinux") continue;
    for (const p of state.packages) {
      keyHolds.set(p.key, p.digests.sha256);
      if (p.signature !== undefined) keyHolds.set(p.signature.key, p.signature.sha256);
    }
  }
  const used = (key: string, sha256: string) => {
    const held = keyHolds.get(key) ?? args.ever.get(key)?.sha256;
    return held !== undefined && held !== sha256;
  };
  const present = (key: string, sha256: string) =>
    keyHolds.get(key) === sha256 ||
    (args.ever.get(key)?.sha256 === sha256 && args.ever.get(key)?.present === true);
  const sibling = args.plan.arches
    .map((a) => args.roots.get(pacmanRoot(args.plan.repo, a)))
    .find((r) => r !== undefined);
  for (const arch of args.plan.arches) {
    const root = pacmanRoot(args.plan.repo, arch);
    const prev = args.roots.get(root);
    const base = prev?.state.archlinux ?? sibling?.state.archlinux;
    const settings: PacmanSettings = {
      target: PACMAN_TARGET,
      repo: args.plan.repo,
      arch,
      includeSignatures: args.options?.includeSignatures ?? base?.includeSignatures ?? false,
    };
    const change = pendingChange(root, settings, prev?.state.packages ?? [], (p) => p.name);
    if (prev === undefined && sibling !== undefined) {
      // A new architecture serves the repository's `any` packages from the start: copies of their files.
      for (const p of sibling.state.packages.filter((x) => x.arch === "any")) {
        const record = relocate(p, root);
        change.held.set(p.name, record);
        change.added.push(record);
        writes.push(
          {
            key: record.key,
            input: { source: storedSource(args.get, p.key, p.size), name: p.key },
            record,
          },
          {
            key: record.signature!.key,
            input: {
              source: storedSource(args.get, p.signature!.key, p.signature!.size),
              name: p.signature!.key,
            },
            record,
            expect: { size: p.signature!.size, sha256: p.signature!.sha256 },
          },
        );
      }
    }
    changes.set(root, change);
  }
  const signatures = new Map<string, PreparedSignature>();
  // Checking or making each new package's signature reads it whole: the next ones are read meanwhile.
  const heldIdentities = new Set<string>();
  for (const { state } of args.roots.values())
    if (state.family === "archlinux") for (const p of state.packages) heldIdentities.add(p.identity);
  const ahead = prefetch(
    args.add,
    (input) => {
      const identity = (input.info as PackageInfo).artifact.digests.sha256;
      return heldIdentities.has(identity) ? undefined : identity;
    },
    PREPARE_CONCURRENCY,
    (input) => preparePacmanSignature(input, args.signers, args.options?.resign ?? false),
  );
  try {
    for (const input of args.add) {
      const info = pacmanInfoOf(input);
      const where = input.name ?? `${info.name}-${info.versionString}-${info.archString}`;
      const arch = info.archString;
      const dests = arch === "any" ? args.plan.arches : args.plan.arches.filter((a) => a === arch);
      if (dests.length === 0) {
        throw new RepoError(
          "ARCH_NOT_IN_REPO",
          `${where}: architecture ${arch} is not served by pacman repository ${args.plan.repo} (${args.plan.arches.join(", ")}); add it with --pacman-arch ${arch}`,
          { path: where, expected: args.plan.arches, found: arch },
        );
      }
      const identity = info.artifact.digests.sha256;
      const index = pacmanIndexInfo(info, where);
      for (const a of dests) {
        const root = pacmanRoot(args.plan.repo, a);
        const change = changes.get(root)!;
        const same = change.held.get(info.name);
        if (same !== undefined) {
          if (same.identity === identity) {
            if (!change.added.includes(same)) change.unchanged.push(same);
            continue;
          }
          const order = compare(same.version, info.versionString);
          if (order > 0) {
            warnings.push({
              code: "PACMAN_NOT_NEWEST",
              root,
              message: `${where}: not added to ${root}: it holds ${info.name} ${same.version}, newer than ${info.versionString} (a pacman database lists one version per name)`,
            });
            continue;
          }
          if (order === 0 && !args.replace) {
            throw new RepoError(
              "REPO_CONFLICT",
              `${where}: ${root} already holds ${info.name} ${info.versionString} with other content (sha256 ${same.identity.slice(0, 16)}…, this one ${identity.slice(0, 16)}…); bump pkgrel, or give --replace`,
              { path: where, key: same.key, expected: same.identity, found: identity },
            );
          }
        }
        let sig = signatures.get(identity);
        if (sig === undefined) {
          sig = await (ahead.get(identity) ??
            preparePacmanSignature(input, args.signers, args.options?.resign ?? false));
          signatures.set(identity, sig);
        }
        const sigSha = sha256Hex(sig.bytes);
        const ext = packageExtension(input.name);
        let file = pacmanFileName(info, ext);
        if (used(`${root}/${file}`, identity) || used(`${root}/${file}.sig`, sigSha))
          file = pacmanFileName(info, ext, identity.slice(0, 16));
        if (used(`${root}/${file}`, identity) || used(`${root}/${file}.sig`, sigSha))
          file = pacmanFileName(
            info,
            ext,
            sha256Hex(new TextEncoder().encode(identity + sigSha)).slice(0, 16),
          );
        const key = `${root}/${file}`;
        const record: PackageRecord = withSummary({
          // .PKGINFO's pkgname and pkgver, as the database lists them (what it sorts by).
          name: index.name,
          version: index.version,
          arch,
          key,
          size: info.artifact.size,
          digests: { ...info.artifact.digests },
          identity,
          added: args.now.toISOString(),
          archlinux: index,
          signature: {
            key: `${key}.sig`,
            size: sig.bytes.length,
            sha256: sigSha,
            base64: Buffer.from(sig.bytes).toString("base64"),
          },
          signedBy: sig.signedBy,
        });
        if (!present(key, identity)) writes.push({ key, input, record });
        if (!present(record.signature!.key, sigSha)) {
          const bytes = sig.bytes;
          writes.push({
            key: record.signature!.key,
            input: { source: bytesInput(bytes), name: `${where}.sig` },
            record,
            expect: { size: bytes.length, sha256: sigSha },
          });
        }
        keyHolds.set(key, identity);
        keyHolds.set(record.signature!.key, sigSha);
        putRecord(change, info.name, record, same);
      }
    }
  } finally {
    ahead.stop();
  }
  for (const change of changes.values()) {
    settleChange(change, {
      remove: args.remove,
      matches: matchesRecord,
      sort: (records) => records.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    });
  }
  return { ...settledWrites(changes.values(), writes), warnings };
}

/** A record of another folder's `any` package, as the copy in `root` holds it. */
function relocate(p: PackageRecord, root: string): PackageRecord {
  const file = p.key.slice(p.key.lastIndexOf("/") + 1);
  const key = `${root}/${file}`;
  return {
    ...p,
    key,
    ...(p.signature !== undefined ? { signature: { ...p.signature, key: `${key}.sig` } } : {}),
  };
}
