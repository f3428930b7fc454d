/**
 * The one interface every package format implements. `index.ts` builds the registry from plain
 * imports; nothing registers itself on import.
 */
import type { KnownArtifact } from "./info/artifact-info.ts";
import type { KnownPayload } from "./info/known-payload.ts";
import type { FormatId, PackageInfo } from "./info/types.ts";
import type { ConfigBlock } from "./config/block.ts";
import type { Signer } from "./sign/signer.ts";
import type { SpoolFactory } from "./spool/spool.ts";
import type { ByteSource, PackageSpec } from "./spec/types.ts";
import type { ReadLimits } from "./limits.ts";

/** A non-fatal remark from a writer (for example: zstd debs are unreadable on Debian 11). */
export interface Warning {
  code: string;
  message: string;
}

/** What a writer may use beside the spec and its options. All optional: defaults are pure and in memory. */
export interface WriteContext {
  /** Where parts whose size/digest must come first are buffered (memory below a threshold, temp file above). */
  spool?: SpoolFactory;
  /** Signs the package when the format embeds signatures (rpm header, deb _gpgorigin, apk .SIGN). */
  signer?: Signer;
  /**
   * When signatures are made, in seconds since the epoch (SOURCE_DATE_EPOCH at the CLI edge). With a fixed
   * date, OpenPGP (RSA, EdDSA), apk (RSA) and macOS (CMS signingTime) signatures are byte-for-byte
   * reproducible. Optional: writers then date signatures `spec.date`; `sign` and `detachedSignature` use a
   * date recorded in the artifact (rpm BUILDTIME, deb member mtime, Arch .PKGINFO builddate) and fail with
   * SpecError MISSING_FIELD when there is none: library code never reads the clock. An OpenPGP date earlier
   * than the signing key's creation is raised to it (verifiers refuse signatures older than the key).
   */
  date?: number;
  warn?: (w: Warning) => void;
  /**
   * Called once the payload is written, with what the writer knows of it, by the formats that can say
   * (deb): a build passes it to the reader as ReadContext.knownPayload when it reads the package back.
   */
  onPayload?: (payload: KnownPayload) => void;
}

/** What a reader may use. */
export interface ReadContext {
  limits?: Partial<ReadLimits>;
  /** Public keys (armored OpenPGP or PEM) to verify embedded or detached signatures against. */
  publicKeys?: string[];
  /** A detached signature lying beside the artifact (Arch `.sig`). */
  detachedSignature?: Uint8Array;
  spool?: SpoolFactory;
  /**
   * The artifact's size and md5, sha1, sha256 and sha512, when the caller computed them over exactly these
   * bytes (a build hashes its package while writing it): PackageInfo.artifact takes them instead of
   * hashing the file again. Trusted, not checked; ignored unless `size` is the source's and all four are
   * given.
   */
  knownArtifact?: KnownArtifact;
  /**
   * The payload as the writer that made exactly these bytes described it (WriteContext.onPayload): the
   * reader takes its file list instead of decompressing the payload again. Trusted, not checked (the
   * tests compare both ways); ignored by readers of another format.
   */
  knownPayload?: KnownPayload;
}

/** A detached artifact produced beside the package (Arch `FILE.sig`). */
export interface DetachedArtifact {
  /** Appended to the package file name, e.g. `.sig`. */
  suffix: string;
  bytes: Uint8Array;
}

/** One package format: naming, validation, writing, reading, and its packyard.yml block. */
export interface PackageFormat<O = unknown> {
  id: FormatId;
  /** Canonical file name, e.g. `hello_1.0.0-1_amd64.deb`. */
  fileName(spec: PackageSpec, options: O): string;
  /** Format-specific checks; throws SpecError naming the field. `write` calls it too. */
  validate(spec: PackageSpec, options: O): void;
  /** Streams the artifact's bytes. Deterministic: same spec and options, same bytes. */
  write(spec: PackageSpec, options: O, ctx?: WriteContext): AsyncIterable<Uint8Array>;
  /** Parses any artifact of this format (ours or a real tool's). */
  read(source: ByteSource, ctx?: ReadContext): Promise<PackageInfo>;
  /**
   * Signatures that live beside the artifact rather than inside it (Arch `.sig`), dated `ctx.date` (pass
   * the build date for reproducible output).
   */
  detachedSignature?(
    artifact: ByteSource,
    options: O,
    signer: Signer,
    ctx?: WriteContext,
  ): Promise<DetachedArtifact | undefined>;
  /** Signs an existing artifact (ours or a real tool's), returning the new bytes; signatures dated `ctx.date`. */
  sign?(artifact: ByteSource, signer: Signer, ctx?: WriteContext): AsyncIterable<Uint8Array>;
  /** Orders two version strings as this format's package manager does (PackageInfo.versionString): negative, 0, positive. */
  compareVersions(a: string, b: string): number;
  /** The newest of `packages` by compareVersions (the first wins a tie), or undefined when empty. */
  newest<P extends { versionString: string }>(packages: readonly P[]): P | undefined;
  /** True when the first bytes look like this format (for `packyard inspect`). */
  sniff(head: Uint8Array, fileName: string): boolean;
  /** This format's block in packyard.yml (nfpm's schema for deb/rpm/archlinux/apk). */
  config: ConfigBlock<O>;
}
