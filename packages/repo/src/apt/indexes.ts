/**
 * Every second-level index of an APT suite, built whole from its state: per component × architecture
 * `binary-<arch>/Packages` (with the `all` packages folded in, Debian's practice, repos.md §2.5) plus its
 * `.gz` and optional `.xz`, optional `Contents-<arch>.gz` per component, and with Acquire-By-Hash a copy
 * of each under `by-hash/SHA256/<hex>` (and `SHA512/<hex>` when listed), which is what apt fetches
 * (repos.md §2.6). A pure function of the state: same state, same bytes.
 */
import { createHash } from "node:crypto";
import { type Compression, compressBytes } from "@packyard/formats/compress";
import { isPackyardError } from "@packyard/formats";
import { RepoError } from "../errors.ts";
import { joinBytes } from "../bytes.ts";
import { type GzipPieceTable, type GzipPrevious, gzipBytes, gzipItems, itemPieces } from "../gzip.ts";
import { recordBytesOf } from "../publish/state-io.ts";
import type { AptSettings, IndexFileRecord, PackageRecord, RootState } from "../publish/state.ts";
import { contentsFile } from "./contents.ts";
import { comparePackageRecords, packagesFileBytes, packagesPart } from "./packages.ts";
import type { ReleaseFile } from "./release.ts";
import { validateAptSettings } from "./settings.ts";
import type { BuiltFile } from "./types.ts";

/** Options of {@link buildAptIndexes}. */
export interface AptIndexOptions {
  /** The compressor (default: @packyard/formats' `compressBytes`); tests inject one whose xz is missing. */
  compress?: (bytes: Uint8Array, compression: Compression) => Promise<Uint8Array>;
  /**
   * The `.gz` index a previous build wrote at a key, with its piece table, when the caller has it: its
   * unchanged pieces are copied instead of compressed again (the bytes are the same either way).
   */
  previous?: (key: string) => Promise<GzipPrevious | undefined>;
}

/** What {@link buildAptIndexes} produces. */
export interface AptIndexes {
  /** Canonical indexes (`kind: "index"`) and their by-hash copies (`kind: "blob"`); write the blobs first. */
  files: BuiltFile[];
  /** One record per canonical file, in the order of `files`. */
  indexes: IndexFileRecord[];
  /** The Release file list (paths relative to `dists/<suite>/`), ready for `releaseText`. */
  releaseFiles: ReleaseFile[];
}

// Debian compresses its indexes with gzip -9 and xz -6.
const GZIP = { algo: "gzip", level: 9 } satisfies Compression;
const XZ: Compression = { algo: "xz", level: 6 };

const encoder = new TextEncoder();

/** Bumped whenever the Packages text made of a record changes, so that no piece made by the old text is copied. */
const TEXT_VERSION = "apt-packages-1";

/** Where a record's pieces are cut (its package's SHA-256, random and stable) and what its stanza is made of. */
function pieceItem(r: PackageRecord): { cut: string; id: Uint8Array } {
  const id = recordBytesOf(r);
  const cut = /^[0-9a-f]{8}/.test(r.digests.sha256)
    ? r.digests.sha256
    : createHash("sha256").update(id).digest("hex");
  return { cut, id };
}

/** `deb/dists/<suite>/`: the folder of a suite's Release files and indexes, relative to the repository root. */
export function aptDistsDir(suite: string): string {
  return `deb/dists/${suite}/`;
}

function hex(bytes: Uint8Array, algo: "sha256" | "sha512"): string {
  return createHash(algo).update(bytes).digest("hex");
}

function corrupt(record: PackageRecord, expected: string, found: unknown): RepoError {
  return new RepoError(
    "CORRUPT_STATE",
    `APT state: ${record.name} ${record.version} ${record.arch}: expected ${expected}, found ${JSON.stringify(found)}`,
    { key: record.key, expected, found },
  );
}

/** Refuses records the suite cannot index, rather than silently leaving them out of every Packages. */
function checkRecord(settings: AptSettings, record: PackageRecord): void {
  // `in`: a record read from a state parses its stanza only when its Packages piece is made.
  if (!("deb" in record)) throw corrupt(record, "the control stanza (deb)", undefined);
  if (record.component === undefined || !settings.components.includes(record.component))
    throw corrupt(record, `a component of ${settings.components.join(", ")}`, record.component);
  if (record.arch !== "all" && !settings.architectures.includes(record.arch))
    throw new RepoError(
      "ARCH_NOT_IN_REPO",
      `APT suite ${settings.suite}: ${record.name} ${record.version} is for ${record.arch}, which is not one of the suite's architectures (${settings.architectures.join(", ")})`,
      { key: record.key, expected: settings.architectures, found: record.arch },
    );
}

/** gzip in one call (gzipBytes: the bytes compressBytes writes); xz through @packyard/formats. */
function compressIndexBytes(bytes: Uint8Array, compression: Compression): Promise<Uint8Array> {
  return compression.algo === "gzip"
    ? gzipBytes(bytes, compression.level)
    : compressBytes(bytes, compression);
}

async function compressIndex(
  compress: NonNullable<AptIndexOptions["compress"]>,
  bytes: Uint8Array,
  compression: Compression,
  key: string,
): Promise<Uint8Array> {
  try {
    return await compress(bytes, compression);
  } catch (cause) {
    if (isPackyardError(cause) && cause.code === "OPTIONAL_DEPENDENCY_MISSING")
      throw new RepoError(
        "MISSING_ENCODER",
        `${key}: ${compression.algo} compression needs the optional package lzma-native, which is not installed (${cause.message}); install it or publish without xz`,
        { key, expected: "lzma-native" },
        { cause },
      );
    throw cause;
  }
}

/**
 * The hashes lists of Release for the canonical files among `files` (kind `index`): paths relative to
 * `dists/<suite>/`, size, SHA-256, and SHA-512 when the suite lists it.
 */
export function aptReleaseFiles(settings: AptSettings, files: readonly BuiltFile[]): ReleaseFile[] {
  const dir = aptDistsDir(settings.suite);
  const withSha512 = settings.hashes.includes("SHA512");
  return files
    .filter((f) => f.kind === "index" && f.key.startsWith(dir))
    .map((f) => {
      const entry: ReleaseFile = {
        path: f.key.slice(dir.length),
        size: f.bytes.length,
        sha256: hex(f.bytes, "sha256"),
      };
      if (withSha512) entry.sha512 = hex(f.bytes, "sha512");
      return entry;
    });
}

/**
 * Builds every index of the suite in `state.apt` from `state.packages`. Empty Packages files are written
 * too (apt then sees an empty architecture rather than a missing one).
 * @throws RepoError CORRUPT_STATE (no APT settings, a record without control stanza or with an unknown
 * component), ARCH_NOT_IN_REPO, INVALID_SETTING (see `validateAptSettings`), MISSING_ENCODER (xz asked for
 * without lzma-native).
 */
export async function buildAptIndexes(state: RootState, options: AptIndexOptions = {}): Promise<AptIndexes> {
  const settings = state.apt;
  if (settings === undefined)
    throw new RepoError("CORRUPT_STATE", `state of ${state.root}: expected APT settings (apt), found none`, {
      key: state.root,
    });
  validateAptSettings(settings);
  for (const r of state.packages) checkRecord(settings, r);
  const compress = options.compress ?? compressIndexBytes;
  const dists = aptDistsDir(settings.suite);
  const files = new Map<string, BuiltFile>();
  const indexes: IndexFileRecord[] = [];
  const releaseFiles: ReleaseFile[] = [];
  const withSha512 = settings.hashes.includes("SHA512");

  const add = (key: string, bytes: Uint8Array, gzip?: GzipPieceTable) => {
    const sha256 = hex(bytes, "sha256");
    const sha512 = withSha512 ? hex(bytes, "sha512") : undefined;
    files.set(key, gzip === undefined ? { key, bytes, kind: "index" } : { key, bytes, kind: "index", gzip });
    const record: IndexFileRecord = { key, size: bytes.length, sha256 };
    if (settings.byHash) {
      const dir = key.slice(0, key.lastIndexOf("/") + 1);
      record.byHash = `${dir}by-hash/SHA256/${sha256}`;
      // Equal contents in one folder (two empty Contents) share a by-hash object: a Map keeps one.
      files.set(record.byHash, { key: record.byHash, bytes, kind: "blob" });
      if (sha512 !== undefined) {
        const k = `${dir}by-hash/SHA512/${sha512}`;
        files.set(k, { key: k, bytes, kind: "blob" });
      }
    }
    indexes.push(record);
    const entry: ReleaseFile = { path: key.slice(dists.length), size: bytes.length, sha256 };
    if (sha512 !== undefined) entry.sha512 = sha512;
    releaseFiles.push(entry);
  };

  const listOnly = (key: string, bytes: Uint8Array) => {
    const entry: ReleaseFile = {
      path: key.slice(dists.length),
      size: bytes.length,
      sha256: hex(bytes, "sha256"),
    };
    if (withSha512) entry.sha512 = hex(bytes, "sha512");
    releaseFiles.push(entry);
  };

  for (const component of settings.components) {
    for (const arch of settings.architectures) {
      const records = state.packages.filter(
        (r) => r.component === component && (r.arch === arch || r.arch === "all"),
      );
      const base = `${dists}${component}/binary-${arch}/Packages`;
      if (options.compress === undefined) {
        // In pieces known by their packages: only the pieces whose packages changed are made and
        // deflated, the others copied from the previous Packages.gz, and the plain text comes back whole.
        const sorted = [...records].sort(comparePackageRecords);
        const gz = await gzipItems(
          sorted.map((r, i) => () => packagesPart(r, settings.hashes, i === 0)),
          itemPieces(sorted.map(pieceItem)),
          {
            level: GZIP.level,
            previous: await options.previous?.(`${base}.gz`),
            salt: `${TEXT_VERSION} ${settings.hashes.join(",")}`,
            text: true,
          },
        );
        const plain = joinBytes(gz.text!);
        add(base, plain);
        add(`${base}.gz`, gz.bytes, gz.table);
        if (settings.compressions.includes("xz"))
          add(`${base}.xz`, await compressIndex(compress, plain, XZ, `${base}.xz`));
        continue;
      }
      const plain = packagesFileBytes(records, settings.hashes);
      add(base, plain);
      add(`${base}.gz`, await compressIndex(compress, plain, GZIP, `${base}.gz`));
      if (settings.compressions.includes("xz"))
        add(`${base}.xz`, await compressIndex(compress, plain, XZ, `${base}.xz`));
    }
    if (settings.contents) {
      for (const arch of settings.architectures) {
        const records = state.packages.filter(
          (r) => r.component === component && (r.arch === arch || r.arch === "all"),
        );
        const key = `${dists}${component}/Contents-${arch}`;
        const plain = encoder.encode(contentsFile(records));
        add(`${key}.gz`, await compressIndex(compress, plain, GZIP, `${key}.gz`));
        // Listed, not written (Debian's practice): apt 2.6 fetches an index target only when Release also
        // lists its uncompressed name, then takes the .gz it finds beside it.
        listOnly(key, plain);
      }
    }
  }
  return { files: [...files.values()], indexes, releaseFiles };
}
