/**
 * Committing new root states: builds each root's indexes from its state, diffs them against the previous
 * generation, signs the top files, and applies the writes in the order that keeps every signed index
 * pointing at files that exist — (1) per root its content-addressed state, (2) immutable blobs (packages,
 * by-hash copies, metadata files), `writeConcurrency` at a time, (3) the public keys, (4) changed
 * canonical indexes, (5) the top files (InRelease, Release, Release.gpg; repomd.xml and its signature…),
 * (6) the pointers, (7) due deletions of blobs nothing references. All but (2) are written one at a time,
 * in order. The lock is asserted before every write, so a publisher that lost it stops before its next
 * one (after the immutable blobs already under way, which no index names yet).
 */
import { createHash } from "node:crypto";
import type { OpenPGPSigner, RSASigner } from "@packyard/formats";
import { armorBlock } from "../apt/armor.ts";
import { buildAptIndexes } from "../apt/indexes.ts";
import { releaseText } from "../apt/release.ts";
import { signDetachedArmored, signRelease } from "../apt/sign.ts";
import { joinBytes } from "../bytes.ts";
import { RepoError } from "../errors.ts";
import type { GzipPieceTable, GzipPrevious } from "../gzip.ts";
import { byteBudget, mapLimited } from "../limit.ts";
import { readObject } from "../storage/read.ts";
import { contentTypeFor, IMMUTABLE_CACHE, MUTABLE_CACHE, type Storage } from "../storage/storage.ts";
import type { PoolWrite } from "./apt-change.ts";
import { buildApkIndex } from "../apkindex/index.ts";
import { buildPacmanDatabases } from "../pacman/index.ts";
import { buildRpmMetadata } from "../rpmmd/repomd.ts";
import {
  alpineIndexKey,
  apkPublicKeyKey,
  aptTopKeys,
  pacmanTopKeys,
  pointerKey,
  publicKeyKeys,
  rpmHref,
  rpmPublicKeyKey,
  rpmRepoFileKey,
  rpmTopKeys,
  topKeyOf,
} from "./layout.ts";
import type { PublishLock } from "./lock.ts";
import type { PublishProgress, PublishWarning } from "./options.ts";
import {
  type AlpineSettings,
  type ApkKeyRecord,
  type IndexFileRecord,
  type RootState,
  type RpmSettings,
  STATE_SCHEMA,
  type Tombstone,
} from "./state.ts";
import { once } from "./sources.ts";
import {
  encodePointer,
  encodeState,
  type LoadedRoot,
  layoutChunks,
  readState,
  recordBytesOf,
  sha256Hex,
} from "./state-io.ts";

/** What every operation on a repository shares. */
export interface EngineContext {
  storage: Storage;
  lock: PublishLock | undefined;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  graceMs: number;
  signers: readonly OpenPGPSigner[];
  /** Alpine's RSA key (absent when the operation was given none): the first of `apkSigners`. */
  apkSigner: RSASigner | undefined;
  /** Every Alpine key that signs the indexes: none, one, or two while rotating keys. */
  apkSigners: readonly RSASigner[];
  keyName: string;
  conditionalCreate: boolean | undefined;
  onProgress: ((p: PublishProgress) => void) | undefined;
  /** How many blobs (package files, by-hash copies, metadata files) are written at once. */
  writeConcurrency: number;
  /**
   * Every root as the repository now holds it, set by {@link commitRoots} once its states are written
   * (the roots it committed and the others as loaded): the install files are made from it without
   * reading and parsing every state again.
   */
  committed?: Map<string, LoadedRoot>;
}

/** One root to commit: its previous state (if any) and the new packages/settings/tombstones. */
export interface RootPlan {
  root: string;
  prev: LoadedRoot | undefined;
  /** The new state without generation, date, indexes and top (the commit fills them). */
  draft: Pick<
    RootState,
    "family" | "root" | "apt" | "rpm" | "archlinux" | "alpine" | "packages" | "tombstones"
  >;
  poolWrites: PoolWrite[];
}

/** What a commit did. */
export interface CommitResult {
  /** rpm roots listing packages signed by a key that no longer signs the repository. */
  warnings: PublishWarning[];
  written: string[];
  changedKeys: string[];
  deleted: string[];
  states: Map<string, LoadedRoot>;
}

type Body = Uint8Array | (() => AsyncIterable<Uint8Array>);

/**
 * Bytes of streamed blobs (package files) written at once, whatever `writeConcurrency` allows: a stored
 * package copied to another folder (an Arch `any` or Alpine `noarch` package for a new architecture) is
 * read whole by the folder driver up to 32 MiB, so 32 such copies could otherwise hold 1 GiB. Counted by
 * each package's full size (most are read in small pieces), so large packages go a few at a time.
 */
const STREAMED_BYTES_IN_FLIGHT = 256 * 1024 * 1024;

interface Write {
  key: string;
  body: Body;
  step: PublishProgress["step"];
  mutable: boolean;
  /** For streamed pool blobs: what the bytes must hash to. */
  expect?: { size: number; sha256: string; where: string };
  /** A chunk of a state's records (step "states"): written right after the states, several at once. */
  chunk?: boolean;
}

const encoder = new TextEncoder();

/** How far behind the suite's last Date a publisher's clock may be before it refuses instead of waiting. */
export const MAX_CLOCK_WAIT_MS = 5 * 60_000;

/**
 * The next top-file date: the clock's second, later than `prev` by ≥ 1 s. A clock up to
 * {@link MAX_CLOCK_WAIT_MS} behind is waited for; further behind, it refuses (CLOCK_BEHIND) rather than
 * hold the lock for hours or publish a Date apt would ignore.
 */
export async function nextDate(
  prev: string | undefined,
  ctx: Pick<EngineContext, "clock" | "sleep">,
): Promise<Date> {
  const floor = (d: Date) => Math.floor(d.getTime() / 1000) * 1000;
  const min = prev === undefined ? 0 : floor(new Date(prev)) + 1000;
  for (;;) {
    const now = floor(ctx.clock());
    if (now >= min) return new Date(now);
    const behind = min - ctx.clock().getTime();
    if (behind > MAX_CLOCK_WAIT_MS) {
      throw new RepoError(
        "CLOCK_BEHIND",
        `this machine's clock (${ctx.clock().toISOString()}) is ${Math.round(behind / 1000)} s behind the date of this root's last publish (${prev}: APT's Release Date, RPM-MD's repomd revision, the date of a pacman database or APKINDEX); apt ignores a Release older than the one it has and pacman a database older than its copy, so fix the clock (NTP) and publish again`,
        { expected: `a time after ${prev}`, found: ctx.clock().toISOString() },
      );
    }
    await ctx.sleep(behind);
  }
}

function dueFrom(now: Date, graceMs: number): string {
  return new Date(now.getTime() + graceMs).toISOString();
}

/** Keys a state keeps alive: its packages, indexes and their by-hash copies, the chunks of its records. */
export function referencedKeys(state: RootState): Set<string> {
  const out = new Set<string>();
  for (const c of state.chunks ?? []) out.add(c.key);
  for (const p of state.packages) {
    out.add(p.key);
    if (p.signature !== undefined) out.add(p.signature.key);
  }
  for (const i of state.indexes) {
    out.add(i.key);
    if (i.byHash !== undefined) out.add(i.byHash);
    for (const k of i.byHashKeys ?? []) out.add(k);
  }
  return out;
}

function byHashOwner(key: string): { dir: string; hex: string } | undefined {
  const m = /^(.*)\/by-hash\/(?:SHA256|SHA512|MD5Sum|SHA1)\/([0-9a-f]+)$/.exec(key);
  return m === null ? undefined : { dir: m[1]!, hex: m[2]! };
}

/** An index file a family writes: canonical (mutable) or content-addressed, with its by-hash copies. */
interface IndexOutput {
  key: string;
  bytes: Uint8Array;
  mutable: boolean;
  copies: { key: string; bytes: Uint8Array }[];
  /** A gzip index's pieces (IndexFileRecord.gzip). */
  gzip?: GzipPieceTable;
}

/** What a family builds from a draft state: the files its top file lists, and the top files in write order. */
interface FamilyOutput {
  indexes: IndexOutput[];
  /** The first is the one the state records (InRelease, repomd.xml); the others follow it. */
  tops: { key: string; bytes: Uint8Array; gzip?: GzipPieceTable }[];
}

/**
 * The gzip index the previous generation recorded with its pieces, read back so that its unchanged pieces
 * are copied (gzipItems): only when the stored bytes are the ones recorded (a publish that stopped midway
 * may have rewritten a canonical file), else undefined and the index is compressed whole.
 */
async function previousGzip(
  ctx: EngineContext,
  records: readonly { key: string; size?: number; sha256: string; gzip?: GzipPieceTable }[],
  match: (key: string) => boolean,
): Promise<GzipPrevious | undefined> {
  const record = records.find((r) => r.gzip !== undefined && match(r.key));
  if (record?.gzip === undefined) return undefined;
  // The size the state records (a top file: the table's), and not a byte more read whatever is stored.
  let size = record.size;
  if (size === undefined) {
    size = 18;
    for (const p of Array.isArray(record.gzip.pieces) ? record.gzip.pieces : []) size += Number(p?.deflated);
  }
  if (!Number.isSafeInteger(size)) return undefined;
  const body = await ctx.storage.get(record.key);
  if (body === undefined) return undefined;
  const parts: Uint8Array[] = [];
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > size) return undefined;
    parts.push(chunk);
  }
  const bytes = joinBytes(parts);
  if (bytes.length !== size || sha256Hex(bytes) !== record.sha256) return undefined;
  return { bytes, table: record.gzip };
}

async function aptOutput(
  draft: RootState,
  date: Date,
  ctx: EngineContext,
  prev: RootState | undefined,
): Promise<FamilyOutput> {
  const settings = draft.apt!;
  const built = await buildAptIndexes(draft, {
    previous: (key) => previousGzip(ctx, prev?.indexes ?? [], (k) => k === key),
  });
  const blobsByDir = new Map<string, { key: string; bytes: Uint8Array; hex: string }[]>();
  for (const f of built.files) {
    if (f.kind !== "blob") continue;
    const owner = byHashOwner(f.key);
    if (owner === undefined) continue;
    blobsByDir.set(owner.dir, [
      ...(blobsByDir.get(owner.dir) ?? []),
      { key: f.key, bytes: f.bytes, hex: owner.hex },
    ]);
  }
  const indexes: IndexOutput[] = [];
  for (const f of built.files) {
    if (f.kind !== "index") continue;
    const dir = f.key.slice(0, f.key.lastIndexOf("/"));
    const candidates = blobsByDir.get(dir) ?? [];
    const sha256 = sha256Hex(f.bytes);
    // SHA-512 only when the folder has SHA512 by-hash copies (128 hex digits) to match.
    const sha512 = candidates.some((b) => b.hex.length === 128)
      ? createHash("sha512").update(f.bytes).digest("hex")
      : undefined;
    const copies = candidates
      .filter((b) => b.hex === sha256 || b.hex === sha512)
      .map((b) => ({ key: b.key, bytes: b.bytes }));
    indexes.push({ key: f.key, bytes: f.bytes, mutable: true, copies, ...(f.gzip ? { gzip: f.gzip } : {}) });
  }
  const release = releaseText(settings, { date, files: built.releaseFiles });
  const signed = await signRelease(release, ctx.signers, date);
  const keys = aptTopKeys(settings.suite);
  return {
    indexes,
    tops: [
      { key: keys.inRelease, bytes: encoder.encode(signed.inRelease) },
      { key: keys.release, bytes: encoder.encode(release) },
      { key: keys.releaseGpg, bytes: encoder.encode(signed.releaseGpg) },
    ],
  };
}

async function rpmOutput(
  draft: RootState,
  date: Date,
  ctx: EngineContext,
  prev: RootState | undefined,
): Promise<FamilyOutput> {
  const settings = draft.rpm!;
  const seconds = Math.floor(date.getTime() / 1000);
  const hrefPrefix = rpmHref(draft.root, "rpm/");
  const md = await buildRpmMetadata(
    draft.packages.map((p) => ({
      // Read only for the pieces being made (a record's index fields are parsed when first read). A limit
      // lowered since the record was made applies now (other.xml lists the newest entries last).
      get info() {
        const rpm = p.rpm!;
        return rpm.changelog.length > settings.changelogLimit
          ? { ...rpm, changelog: rpm.changelog.slice(rpm.changelog.length - settings.changelogLimit) }
          : rpm;
      },
      pkgid: p.digests.sha256,
      size: p.size,
      href: hrefPrefix + p.key.slice("rpm/".length),
      fileTime: Math.floor(Date.parse(p.added) / 1000),
      // The record as the state stores it (a new one as it will be stored): what every field above is made
      // of, with the root and the changelog limit (the context).
      id: recordBytesOf(p),
    })),
    {
      compression: settings.compression,
      revision: seconds,
      timestamp: seconds,
      context: JSON.stringify({ root: draft.root, changelogLimit: settings.changelogLimit }),
      previous: (type) => previousGzip(ctx, prev?.indexes ?? [], (k) => k.endsWith(`-${type}.xml.gz`)),
    },
  );
  const repomd = encoder.encode(md.repomd);
  // One signature, by the first key: rpm's OpenPGP parser (librepo's rpm backend, dnf5) reads one
  // signature packet and refuses trailing bytes. During a rotation `RPM-GPG-KEY-<name>` holds both keys.
  const asc = await signDetachedArmored(repomd, ctx.signers.slice(0, 1), date, "repomd.xml.asc");
  const keys = rpmTopKeys(draft.root);
  const tops = [
    { key: keys.repomd, bytes: repomd },
    { key: keys.asc, bytes: encoder.encode(asc) },
    { key: keys.key, bytes: encoder.encode(publicKeys(ctx.signers).armored) },
  ];
  if (settings.baseUrl !== undefined) {
    tops.push({
      key: rpmRepoFileKey(settings.path, settings.name),
      bytes: encoder.encode(repoFileText(settings)),
    });
  }
  return {
    indexes: md.files.map((f) => ({
      key: `${draft.root}/${f.href}`,
      bytes: f.bytes,
      mutable: false,
      copies: [],
      ...(f.gzip ? { gzip: f.gzip } : {}),
    })),
    tops,
  };
}

/** The first repository key, which signs what clients accept one signature on (repomd.xml, pacman databases). */
function firstSigner(ctx: EngineContext, root: string): OpenPGPSigner {
  const signer = ctx.signers[0];
  if (signer === undefined) {
    throw new RepoError(
      "MISSING_KEY",
      `${root} is signed with the repository's OpenPGP key, and none was given (only an Alpine key); pass --key`,
      { key: root, expected: "an OpenPGP secret key" },
    );
  }
  return signer;
}

async function pacmanOutput(
  draft: RootState,
  date: Date,
  ctx: EngineContext,
  prev: RootState | undefined,
): Promise<FamilyOutput> {
  const settings = draft.archlinux!;
  const keys = pacmanTopKeys(draft.root);
  // The .files database is an index of the state, the .db database its top file.
  const previous = (which: "db" | "files") =>
    which === "db"
      ? previousGzip(ctx, prev === undefined ? [] : [prev.top], (k) => k === keys.db)
      : previousGzip(ctx, prev?.indexes ?? [], (k) => k === keys.files);
  const { db, files, dbTable, filesTable } = await buildPacmanDatabases(
    draft.packages.map((p) => ({
      // Read only for the pieces being made (a record's index fields are parsed when first read); the
      // record's name and version are its .PKGINFO pkgname and pkgver.
      get info() {
        return p.archlinux!;
      },
      name: p.name,
      version: p.version,
      filename: p.key.slice(p.key.lastIndexOf("/") + 1),
      csize: p.size,
      md5: p.digests.md5,
      sha256: p.digests.sha256,
      get signature() {
        return Buffer.from(p.signature!.base64, "base64");
      },
      // The record as the state stores it (a new one as it will be stored): what every field above is made of.
      id: recordBytesOf(p),
    })),
    { includeSignatures: settings.includeSignatures, previous },
  );
  // One binary signature, by the first key: a database signed by two keys fails for users who lack one
  // (repos.md §4.3). During a rotation the key files under keys/ hold both.
  const signer = firstSigner(ctx, draft.root);
  const sign = (bytes: Uint8Array) => signer.detached(once(bytes), { date });
  const [dbSig, filesSig] = [await sign(db), await sign(files)];
  return {
    indexes: [
      {
        key: keys.files,
        bytes: files,
        mutable: true,
        copies: [],
        ...(filesTable ? { gzip: filesTable } : {}),
      },
      { key: keys.filesSig, bytes: filesSig, mutable: true, copies: [] },
      { key: keys.filesTarGz, bytes: files, mutable: true, copies: [] },
      { key: keys.filesTarGzSig, bytes: filesSig, mutable: true, copies: [] },
    ],
    tops: [
      { key: keys.db, bytes: db, ...(dbTable ? { gzip: dbTable } : {}) },
      { key: keys.dbSig, bytes: dbSig },
      { key: keys.dbTarGz, bytes: db },
      { key: keys.dbTarGzSig, bytes: dbSig },
    ],
  };
}

async function alpineOutput(draft: RootState, date: Date, ctx: EngineContext): Promise<FamilyOutput> {
  const settings = draft.alpine!;
  const signer = ctx.apkSigner;
  const signers = ctx.apkSigners;
  if (signer === undefined) {
    throw new RepoError(
      "MISSING_KEY",
      `${draft.root}: an Alpine index is signed with the repository's RSA key, and none was given; pass --apk-key (make one with \`packyard keygen --type rsa\`)`,
      { key: draft.root, expected: "an RSA private key (PEM)" },
    );
  }
  if (settings.keyName !== undefined && !sharesApkKey(settings, signers)) {
    const given = signers.map((s) => `${s.keyName} (${apkKeySha256(s).slice(0, 16)}…)`).join(" and ");
    throw new RepoError(
      "BAD_KEY",
      `${draft.root} is signed with the Alpine key ${settings.keyName} (sha256 of its public key ${settings.keySha256?.slice(0, 16)}…), and the key given is ${given}; users trust the key file by that name, so a new key would make the repository UNTRUSTED for them: use the same key, sign with both while rotating (apkSigners), or give alpine.changeKey (--apk-change-key) and tell users to install keys/${signer.keyName}`,
      { key: draft.root, expected: settings.keyName, found: signers.map((s) => s.keyName) },
    );
  }
  // The root now records the keys that sign it (one shared with the old ones: a rotation step).
  const { rotationKeys: _, ...rest } = settings;
  draft.alpine = { ...rest, ...apkKeyRecord(signers) };
  const index = await buildApkIndex(
    draft.packages.map((p) => ({ info: p.alpine!, size: p.size })),
    {
      arch: settings.arch,
      description: settings.description,
      signer,
      keyName: signer.keyName,
      ...(signers.length > 1 ? { additionalSigners: signers.slice(1) } : {}),
      legacySha1: settings.legacySha1,
      mtime: Math.floor(date.getTime() / 1000),
    },
  );
  // The signature is inside the index: one file, atomic per architecture (repos.md §5.6).
  return { indexes: [], tops: [{ key: alpineIndexKey(draft.root), bytes: index }] };
}

/** The SHA-256 of an Alpine key's public PEM: what an Alpine root records of the key that signs it. */
export function apkKeySha256(signer: RSASigner): string {
  return sha256Hex(encoder.encode(signer.publicKeyPem()));
}

/** What an Alpine root records of the keys that sign it: the first as `keyName`, the others as `rotationKeys`. */
export function apkKeyRecord(
  signers: readonly RSASigner[],
): Pick<AlpineSettings, "keyName" | "keySha256" | "rotationKeys"> {
  const [first, ...others] = signers.map((s) => ({ keyName: s.keyName, keySha256: apkKeySha256(s) }));
  return { ...first!, ...(others.length > 0 ? { rotationKeys: others } : {}) };
}

/** Every key an Alpine root records as signing it (none before its first publish). */
export function recordedApkKeys(settings: AlpineSettings): ApkKeyRecord[] {
  if (settings.keyName === undefined || settings.keySha256 === undefined) return [];
  return [{ keyName: settings.keyName, keySha256: settings.keySha256 }, ...(settings.rotationKeys ?? [])];
}

/** Is one of `signers` a key the root records (same name and public key)? Users of the root hold it. */
export function sharesApkKey(settings: AlpineSettings, signers: readonly RSASigner[]): boolean {
  const held = recordedApkKeys(settings);
  return signers.some((s) => held.some((k) => k.keyName === s.keyName && k.keySha256 === apkKeySha256(s)));
}

/** Does the root record exactly `signers`, in that order? */
export function sameApkKeys(settings: AlpineSettings, signers: readonly RSASigner[]): boolean {
  const held = recordedApkKeys(settings);
  return (
    held.length === signers.length &&
    signers.every((s, i) => held[i]!.keyName === s.keyName && held[i]!.keySha256 === apkKeySha256(s))
  );
}

/** The settings part of a state, to commit a root again with what it holds (refresh, repair). */
export function draftOf(state: RootState): RootPlan["draft"] {
  return {
    family: state.family,
    root: state.root,
    ...(state.apt !== undefined ? { apt: state.apt } : {}),
    ...(state.rpm !== undefined ? { rpm: state.rpm } : {}),
    ...(state.archlinux !== undefined ? { archlinux: state.archlinux } : {}),
    ...(state.alpine !== undefined ? { alpine: state.alpine } : {}),
    packages: state.packages,
    tombstones: [],
  };
}

/** The `.repo` file users put in /etc/yum.repos.d/ (dnf, yum; zypper reads it too). */
export function repoFileText(settings: RpmSettings): string {
  const base = settings.baseUrl!;
  return [
    `[${settings.name}]`,
    `name=${settings.name} (${settings.target})`,
    `baseurl=${base}/rpm/${settings.path}/$basearch/`,
    "enabled=1",
    "type=rpm-md",
    "gpgcheck=1",
    "repo_gpgcheck=1",
    `gpgkey=${base}/${rpmPublicKeyKey(settings.name)}`,
    "metadata_expire=3600",
    "",
  ].join("\n");
}

async function buildRoot(
  plan: RootPlan,
  ctx: EngineContext,
): Promise<{
  state: RootState;
  key: string;
  bytes: Uint8Array;
  writes: Write[];
  tops: Write[];
  due: string[];
}> {
  const prev = plan.prev?.state;
  const date = await nextDate(prev?.date, ctx);
  const now = ctx.clock();
  const settingsOf = {
    deb: plan.draft.apt,
    rpm: plan.draft.rpm,
    archlinux: plan.draft.archlinux,
    alpine: plan.draft.alpine,
  }[plan.draft.family];
  if (settingsOf === undefined)
    throw new Error(`root ${plan.root}: no ${plan.draft.family} settings in the plan`);
  const draft: RootState = {
    schema: STATE_SCHEMA,
    family: plan.draft.family,
    root: plan.root,
    // After the highest generation any publish of this root wrote, abandoned ones included.
    generation: (plan.prev?.maxGeneration ?? 0) + 1,
    date: date.toISOString(),
    packages: plan.draft.packages,
    indexes: [],
    tombstones: [],
    top: { key: topKeyOf(plan.root), sha256: "" },
  };
  if (plan.draft.apt !== undefined) draft.apt = plan.draft.apt;
  if (plan.draft.rpm !== undefined) draft.rpm = plan.draft.rpm;
  if (plan.draft.archlinux !== undefined) draft.archlinux = plan.draft.archlinux;
  if (plan.draft.alpine !== undefined) draft.alpine = plan.draft.alpine;
  if (ctx.conditionalCreate !== undefined) draft.conditionalCreate = ctx.conditionalCreate;
  else if (prev?.conditionalCreate !== undefined) draft.conditionalCreate = prev.conditionalCreate;
  const build = { deb: aptOutput, rpm: rpmOutput, archlinux: pacmanOutput, alpine: alpineOutput }[
    draft.family
  ];
  const output = await build(draft, date, ctx, prev);
  const prevIndexes = new Map((prev?.indexes ?? []).map((i) => [i.key, i]));
  const dirty = (plan.prev?.abandoned?.length ?? 0) > 0;
  const writes: Write[] = [];
  for (const f of output.indexes) {
    const sha256 = sha256Hex(f.bytes);
    const record: IndexFileRecord = { key: f.key, size: f.bytes.length, sha256 };
    if (f.gzip !== undefined) record.gzip = f.gzip;
    const sha256Copy = f.copies.find((c) => c.key.endsWith(`/${sha256}`));
    if (sha256Copy !== undefined) record.byHash = sha256Copy.key;
    if (f.copies.length > 0) record.byHashKeys = f.copies.map((c) => c.key).sort();
    draft.indexes.push(record);
    const old = prevIndexes.get(f.key);
    // A publish that stopped after its state may have rewritten any canonical index: rewrite them all.
    // Content-addressed files cannot have been rewritten with other bytes.
    const unchanged =
      (!dirty || !f.mutable) && old !== undefined && old.sha256 === sha256 && old.size === f.bytes.length;
    const held = new Set(unchanged ? (old.byHashKeys ?? (old.byHash === undefined ? [] : [old.byHash])) : []);
    // By-hash copies the previous generation lacked (SHA512 just turned on) are written even when the
    // canonical file is unchanged.
    for (const c of f.copies)
      if (!held.has(c.key)) writes.push({ key: c.key, body: c.bytes, step: "blobs", mutable: false });
    if (!unchanged)
      writes.push({ key: f.key, body: f.bytes, step: f.mutable ? "indexes" : "blobs", mutable: f.mutable });
  }
  // The records' chunks: those of the previous state that did not change are kept as they are.
  const layout = layoutChunks(plan.root, draft.packages, new Set((prev?.chunks ?? []).map((c) => c.key)));
  draft.chunks = layout.chunks;
  // Tombstones: what the previous generation referenced and this one does not, plus the previous state.
  const keep = referencedKeys(draft);
  const tombstones = new Map<string, Tombstone>();
  const due: string[] = [];
  for (const t of prev?.tombstones ?? []) {
    if (keep.has(t.key)) continue;
    // Due at the previous commit, so deleted at its end: it leaves the state now, and is deleted once more
    // at the end of this commit in case that one stopped first. Tombstones due since stay one more
    // generation (deleted at the end of this commit).
    if (Date.parse(t.due) <= Date.parse(prev!.date)) due.push(t.key);
    else tombstones.set(t.key, t);
  }
  for (const t of plan.draft.tombstones) if (!keep.has(t.key)) tombstones.set(t.key, t);
  if (prev !== undefined) {
    const prevBlobs = blobHashes(prev);
    for (const k of referencedKeys(prev)) {
      if (keep.has(k) || tombstones.has(k)) continue;
      const t: Tombstone = { key: k, due: dueFrom(now, ctx.graceMs) };
      const sha = prevBlobs.get(k);
      if (sha !== undefined) t.sha256 = sha;
      tombstones.set(k, t);
    }
    if (plan.prev !== undefined)
      tombstones.set(plan.prev.key, { key: plan.prev.key, due: dueFrom(now, ctx.graceMs) });
  }
  // States of publishes that stopped before their top file, and what they alone named.
  for (const abandonedKey of plan.prev?.abandoned ?? []) {
    const later = (t: Tombstone) => {
      if (!keep.has(t.key) && !tombstones.has(t.key)) tombstones.set(t.key, t);
    };
    later({ key: abandonedKey, due: dueFrom(now, ctx.graceMs) });
    // It may have stopped before writing its chunks (and then before any blob they name).
    const other = await readState(ctx.storage, abandonedKey, plan.root, true);
    if (other === undefined) continue;
    // No hash: no index ever named these files, and the publish may have stopped before writing them, so
    // they neither count as present (a re-publish writes them again) nor retire their keys.
    for (const k of referencedKeys(other)) later({ key: k, due: dueFrom(now, ctx.graceMs) });
  }
  const retired = { ...(prev?.retired ?? {}) };
  // Only package files (and their signatures) carry a hash in their tombstones.
  for (const t of tombstones.values()) if (t.sha256 !== undefined) retired[t.key] = t.sha256;
  if (Object.keys(retired).length > 0) draft.retired = retired;
  draft.tombstones = [...tombstones.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const [first, ...rest] = output.tops;
  draft.top = {
    key: first!.key,
    sha256: sha256Hex(first!.bytes),
    others: Object.fromEntries(rest.map((t) => [t.key, sha256Hex(t.bytes)])),
  };
  if (first!.gzip !== undefined) draft.top.gzip = first!.gzip;
  const { key, bytes } = encodeState(draft, layout);
  const tops: Write[] = output.tops.map((t) => ({ key: t.key, body: t.bytes, step: "top", mutable: true }));
  for (const w of [...plan.poolWrites].reverse()) {
    writes.unshift({
      key: w.key,
      body: () => w.input.source.open(),
      step: "blobs",
      mutable: false,
      expect: {
        size: w.expect?.size ?? w.record.size,
        sha256: w.expect?.sha256 ?? w.record.digests.sha256,
        where: w.input.name ?? w.key,
      },
    });
  }
  // The state goes first of all: an immutable blob naming a top file not yet written, it is what makes a
  // publish that stops at any later write visible to the next one (LoadedRoot.abandoned).
  writes.unshift(
    { key, body: bytes, step: "states", mutable: false },
    ...layout.writes.map(
      (c): Write => ({ key: c.chunk.key, body: c.bytes, step: "states", mutable: false, chunk: true }),
    ),
  );
  return { state: draft, key, bytes, writes, tops, due };
}

/** The SHA-256 of every package file and detached signature a state names, by key. */
function blobHashes(state: RootState): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of state.packages) {
    out.set(p.key, p.digests.sha256);
    if (p.signature !== undefined) out.set(p.signature.key, p.signature.sha256);
  }
  return out;
}

/** Passes `input` through, counting its bytes and hashing them into `sink` (checked once it ends). */
export async function* verifying(
  input: AsyncIterable<Uint8Array>,
  sink: { size: number; hash: ReturnType<typeof createHash> },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of input) {
    sink.size += chunk.length;
    sink.hash.update(chunk);
    yield chunk;
  }
}

/** The repository's public keys: one certificate, or both while rotating (as `gpg --export [-a] A B`). */
export function publicKeys(signers: readonly OpenPGPSigner[]): { armored: string; binary: Uint8Array } {
  const primary = signers[0]!;
  if (signers.length === 1) return { armored: primary.publicKeyArmored(), binary: primary.publicKeyBinary() };
  const parts = signers.map((s) => s.publicKeyBinary());
  const binary = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    binary.set(p, at);
    at += p.length;
  }
  return { armored: armorBlock(binary, "PUBLIC KEY BLOCK"), binary };
}

/**
 * Writes the public keys when they differ from what the repository holds: the OpenPGP keys (`keys/<name>`
 * .asc/.gpg, `RPM-GPG-KEY-<name>`) and, when Alpine roots are committed, the RSA key under the exact name
 * the index signatures carry.
 */
export async function keyWrites(
  ctx: EngineContext,
  rpmNames: readonly string[],
  families: ReadonlySet<string>,
): Promise<Write[]> {
  const files: [string, Uint8Array][] = [];
  const alpine = families.has("alpine");
  // An Alpine-only publish leaves the OpenPGP key files alone: it may run with another key than the one
  // the APT, RPM-MD and pacman roots are signed with.
  if (ctx.signers.length > 0 && [...families].some((f) => f !== "alpine")) {
    const keys = publicKeyKeys(ctx.keyName);
    const { armored, binary } = publicKeys(ctx.signers);
    files.push(
      [keys.asc, encoder.encode(armored)],
      [keys.gpg, binary],
      ...rpmNames.map((n): [string, Uint8Array] => [rpmPublicKeyKey(n), encoder.encode(armored)]),
    );
  }
  if (alpine)
    for (const signer of ctx.apkSigners)
      files.push([apkPublicKeyKey(signer.keyName), encoder.encode(signer.publicKeyPem())]);
  const out: Write[] = [];
  for (const [key, bytes] of files) {
    const held = await ctx.storage.head(key);
    if (held !== undefined && held.size === bytes.length) {
      const current = await readObject(ctx.storage, key);
      if (current !== undefined && sha256Hex(current) === sha256Hex(bytes)) continue;
    }
    out.push({ key, body: bytes, step: "blobs", mutable: true });
  }
  return out;
}

/**
 * Commits `plans` (roots whose packages or settings changed, or that are re-signed) and then deletes due,
 * unreferenced blobs of every root in `others`.
 */
export async function commitRoots(
  ctx: EngineContext,
  plans: readonly RootPlan[],
  others: ReadonlyMap<string, LoadedRoot>,
): Promise<CommitResult> {
  const built = [];
  for (const plan of plans) built.push({ plan, ...(await buildRoot(plan, ctx)) });
  const blobs: Write[] = [];
  const indexes: Write[] = [];
  for (const b of built) {
    for (const w of b.writes) (w.step === "indexes" ? indexes : blobs).push(w);
  }
  if (plans.length > 0) {
    const rpmNames = [
      ...new Set(built.flatMap((b) => (b.state.rpm === undefined ? [] : [b.state.rpm.name]))),
    ];
    blobs.push(...(await keyWrites(ctx, rpmNames, new Set(built.map((b) => b.state.family)))));
  }
  // A target's .repo file is a top file of each of its roots: written once.
  const tops = dedupe(built.flatMap((b) => b.tops));
  const pointers: Write[] = built.map((b) => ({
    key: pointerKey(b.plan.root),
    body: encodePointer(b.plan.root, b.key, b.state),
    step: "pointers",
    mutable: true,
  }));
  // States first, one by one: each names the blobs of its root before any is written (what makes a
  // publish that stops later visible to the next one). Then the chunks of their records, then the other
  // blobs, `writeConcurrency` at a time (new keys, read by nothing until an index names them); then
  // indexes, top files and pointers, one by one and in order, each after everything it names.
  const unique = dedupe(blobs);
  const phases: Write[][] = [
    ...unique.filter((w) => w.step === "states" && w.chunk !== true).map((w) => [w]),
    unique.filter((w) => w.chunk === true),
    unique.filter((w) => w.step !== "states" && !w.mutable),
    // The public keys: replaced in place, so never among writes that may finish after the lock is lost.
    ...unique.filter((w) => w.step !== "states" && w.mutable).map((w) => [w]),
    ...[...indexes, ...tops, ...pointers].map((w) => [w]),
  ];
  // One check of the lock at a time, shared by the writes that ask while it runs (the server's lock asks
  // its database connection, which runs one query at a time).
  let checking: Promise<void> | undefined;
  const assertHeld = (lock: PublishLock): Promise<void> =>
    (checking ??= lock.assertHeld().finally(() => {
      checking = undefined;
    }));
  const result: CommitResult = {
    warnings: keyWarnings(
      ctx,
      built.map((b) => b.state),
    ),
    written: [],
    changedKeys: [],
    deleted: [],
    states: new Map(others),
  };
  let bytes = 0;
  const totals = new Map<string, number>();
  for (const w of phases.flat()) totals.set(w.step, (totals.get(w.step) ?? 0) + 1);
  const done = new Map<string, number>();
  const write = async (w: Write): Promise<void> => {
    if (ctx.lock !== undefined) await assertHeld(ctx.lock);
    const options = {
      contentType: contentTypeFor(w.key),
      cacheControl: w.mutable ? MUTABLE_CACHE : IMMUTABLE_CACHE,
    };
    if (w.body instanceof Uint8Array) {
      await ctx.storage.put(w.key, w.body, options);
      bytes += w.body.length;
    } else {
      const sink = { size: 0, hash: createHash("sha256") };
      await ctx.storage.put(w.key, verifying(w.body(), sink), options);
      bytes += sink.size;
      const digest = sink.hash.digest("hex");
      if (w.expect !== undefined && (sink.size !== w.expect.size || digest !== w.expect.sha256)) {
        await ctx.storage.delete(w.key).catch(() => {});
        throw new RepoError(
          "CHECKSUM_MISMATCH",
          `${w.expect.where}: expected ${w.expect.size} bytes with sha256 ${w.expect.sha256}, read ${sink.size} bytes with sha256 ${digest}; the file changed after it was read`,
          { path: w.expect.where, expected: w.expect.sha256, found: digest },
        );
      }
    }
    done.set(w.step, (done.get(w.step) ?? 0) + 1);
    ctx.onProgress?.({
      step: w.step,
      done: done.get(w.step)!,
      total: totals.get(w.step)!,
      bytes,
      key: w.key,
    });
  };
  const budget = byteBudget(STREAMED_BYTES_IN_FLIGHT);
  for (const phase of phases) {
    await mapLimited(phase, ctx.writeConcurrency, (w) =>
      budget(w.body instanceof Uint8Array ? 0 : (w.expect?.size ?? 0), () => write(w)),
    );
    // In the plan's order, whatever order the writes of one phase finished in.
    for (const w of phase) {
      result.written.push(w.key);
      if (w.mutable && w.step !== "pointers") result.changedKeys.push(w.key);
    }
  }
  for (const b of built)
    result.states.set(b.plan.root, { state: b.state, key: b.key, maxGeneration: b.state.generation });
  result.deleted = await deleteDue(
    ctx,
    result.states,
    built.flatMap((b) => b.due),
  );
  ctx.committed = result.states;
  return result;
}

/** rpm and pacman roots whose packages carry the signature of a key that is not among the signers any more. */
function keyWarnings(ctx: EngineContext, states: readonly RootState[]): PublishWarning[] {
  const signing = new Set(ctx.signers.map((s) => s.primaryFingerprint));
  const out: PublishWarning[] = [];
  for (const state of states) {
    if (state.family === "archlinux") {
      const stale = state.packages.filter((p) => p.signedBy !== undefined && !signing.has(p.signedBy));
      if (stale.length === 0) continue;
      const keys = [...new Set(stale.map((p) => p.signedBy!))].join(", ");
      out.push({
        code: "PACMAN_KEY_NOT_SIGNING",
        root: state.root,
        message: `${state.root}: ${stale.length} package signature${stale.length === 1 ? " is" : "s are"} by ${keys}, which no longer signs the repository (${stale
          .slice(0, 3)
          .map((p) => `${p.name}-${p.version}`)
          .join(
            ", ",
          )}${stale.length > 3 ? ", …" : ""}); pacman users who do not trust that key cannot install them: while rotating, publish with both keys until users have the new one`,
      });
      continue;
    }
    if (state.rpm === undefined) continue;
    const stale = state.packages.filter((p) => p.signedBy !== undefined && !signing.has(p.signedBy));
    if (stale.length === 0) continue;
    const keys = [...new Set(stale.map((p) => p.signedBy!))].join(", ");
    const names = stale.slice(0, 3).map((p) => `${p.name}-${p.version}.${p.arch}`);
    out.push({
      code: "RPM_KEY_NOT_SIGNING",
      root: state.root,
      message: `${state.root}: ${stale.length} rpm${stale.length === 1 ? " is" : "s are"} signed by ${keys}, which no longer signs the repository (${names.join(", ")}${stale.length > 3 ? ", …" : ""}); users with gpgcheck=1 cannot install them until they import that key: while rotating, publish with both keys (--key new --key old), or publish them again with --resign`,
    });
  }
  return out;
}

function dedupe(writes: Write[]): Write[] {
  const seen = new Set<string>();
  return writes.filter((w) => {
    if (seen.has(w.key)) return false;
    seen.add(w.key);
    return true;
  });
}

/**
 * Deletes blobs whose tombstones are due and that no current state references (a shared pool file stays
 * while any suite lists it). Tombstones stay in the states until the next state is written: deleting is
 * idempotent, so a publisher stopped midway leaves nothing a later one cannot finish.
 */
export async function deleteDue(
  ctx: EngineContext,
  states: ReadonlyMap<string, LoadedRoot>,
  alsoDue: readonly string[] = [],
): Promise<string[]> {
  const now = ctx.clock().getTime();
  const referenced = new Set<string>();
  for (const { state, key } of states.values()) {
    for (const k of referencedKeys(state)) referenced.add(k);
    referenced.add(key);
  }
  // A key may be tombstoned by several suites: it goes when the latest of their grace periods is over.
  // A root whose last publish stopped midway may still serve top files naming what its state tombstoned:
  // those keys wait until it is committed again.
  const latest = new Map<string, number>();
  const blocked = new Set<string>();
  for (const { state, stale } of states.values()) {
    for (const t of state.tombstones) {
      if (stale === true) blocked.add(t.key);
      latest.set(t.key, Math.max(latest.get(t.key) ?? 0, Date.parse(t.due)));
    }
  }
  const due = new Set<string>();
  for (const key of [...alsoDue, ...latest.keys()]) {
    if (referenced.has(key) || blocked.has(key)) continue;
    if ((latest.get(key) ?? 0) <= now) due.add(key);
  }
  const deleted: string[] = [];
  const total = due.size;
  for (const key of [...due].sort()) {
    if (ctx.lock !== undefined) await ctx.lock.assertHeld();
    await ctx.storage.delete(key);
    deleted.push(key);
    ctx.onProgress?.({ step: "prune", done: deleted.length, total, bytes: 0, key });
  }
  return deleted;
}
