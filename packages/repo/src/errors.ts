/**
 * The error class of @packyard/repo. Like @packyard/formats' errors it carries a string `code` (a literal
 * union callers switch on), structured `data` and the original `cause`; the message says what was expected,
 * what was found and where (storage key, suite, package).
 */
import type { ErrorData } from "@packyard/formats";

/** Codes of {@link RepoError}. */
export type RepoErrorCode =
  /** The same name/version/architecture is held with other content (give `replace` to overwrite). */
  | "REPO_CONFLICT"
  /** The publish lock was taken over by another publisher; nothing more was written. */
  | "LOCK_LOST"
  /** The lock stayed held by another publisher past the lock timeout. */
  | "LOCK_TIMEOUT"
  /** The store does not honour conditional creates, so no lock can be held on it (give `--no-lock`). */
  | "LOCK_UNSUPPORTED"
  /** An index compression was asked for whose encoder is not installed (xz needs lzma-native). */
  | "MISSING_ENCODER"
  /** A file given to publish is not a package any format reads. */
  | "NOT_A_PACKAGE"
  /** A package's architecture is not one of the repository's architectures. */
  | "ARCH_NOT_IN_REPO"
  /** A package's format has no index in this repository family (e.g. an .rpm published as APT). */
  | "UNSUPPORTED_PACKAGE"
  /** A state document or pointer under `.packyard/` is not what this version writes. */
  | "CORRUPT_STATE"
  /** No signing key was given and none is configured. */
  | "MISSING_KEY"
  /**
   * The repository is hosted by a packyard server (`.packyard/owner.json`) and the operation did not pass
   * its owner marker: publish through the server named in the message.
   */
  | "REPO_OWNED_BY_SERVER"
  /** The key given cannot sign (public only, wrong type, unusable). */
  | "BAD_KEY"
  /** A persistent identity field (APT Origin, Label, Codename) would change without the explicit flag. */
  | "IDENTITY_CHANGE"
  /** A setting is invalid (suite name, component, architecture, grace period, ...). */
  | "INVALID_SETTING"
  /** The publisher's clock is far behind the suite's last Release Date (see MAX_CLOCK_WAIT_MS). */
  | "CLOCK_BEHIND"
  /** A checksum of a file given to publish disagrees with what its manifest or SHA256SUMS says. */
  | "CHECKSUM_MISMATCH"
  /** The storage endpoint could not be reached (connection refused, DNS, TLS, timeout). */
  | "STORAGE_UNREACHABLE"
  /** The storage refused the credentials or the operation (HTTP 401/403, EACCES). */
  | "ACCESS_DENIED"
  /** Any other storage failure (with the driver's error as `cause`). */
  | "STORAGE_FAILED"
  /** An object the repository needs is missing (a package or index named by a state). */
  | "NOT_FOUND"
  /** Verification of a published repository found a broken link (see `verifyRepository`). */
  | "VERIFY_FAILED"
  /** A distro target id is not in the catalogue (the message lists the known ones). */
  | "UNKNOWN_TARGET"
  /** A package is already signed by a key other than the repository's (give `resign` to replace it). */
  | "REPO_FOREIGN_SIGNATURE"
  /** A package file is damaged (an rpm header that does not parse or whose digest disagrees). */
  | "CORRUPT_PACKAGE";

/** A repository, storage, lock or publish failure; `data.key` names the storage key when there is one. */
export class RepoError extends Error {
  override readonly name = "RepoError";
  readonly code: RepoErrorCode;
  readonly data: ErrorData;
  constructor(code: RepoErrorCode, message: string, data: ErrorData = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = data;
  }
}

/** True for a {@link RepoError} (also across copies of this package). */
export function isRepoError(e: unknown): e is RepoError {
  return e instanceof Error && e.name === "RepoError" && typeof (e as RepoError).code === "string";
}
