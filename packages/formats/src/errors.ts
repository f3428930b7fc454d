/**
 * The few error classes of packyard. Each carries a string `code` (a literal union, so callers can
 * switch on it), structured `data`, and the original `cause`. Messages say what was expected, what was
 * found, and where (field path, byte offset, file name).
 */

/** Data attached to every packyard error: where the problem is and what was seen. */
export interface ErrorData {
  /** Field path in a spec or config, e.g. `entries[3].path` or `deb.compression`. */
  field?: string;
  /** Byte offset in an artifact being read. */
  offset?: number;
  /** File or member name involved. */
  path?: string;
  expected?: unknown;
  found?: unknown;
  [key: string]: unknown;
}

abstract class PackyardError<C extends string> extends Error {
  readonly code: C;
  readonly data: ErrorData;
  constructor(code: C, message: string, data: ErrorData = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = data;
  }
}

/** Codes of {@link SpecError}: a spec, config or option the user wrote is not acceptable. */
export type SpecErrorCode =
  | "INVALID_FIELD"
  | "MISSING_FIELD"
  | "UNKNOWN_KEY"
  | "UNSUPPORTED_KEY"
  | "INVALID_NAME"
  | "INVALID_VERSION"
  | "VERSION_UNREPRESENTABLE"
  | "INVALID_ARCH"
  | "INVALID_RELATION"
  | "INVALID_PATH"
  | "DUPLICATE_PATH"
  | "INVALID_MODE"
  | "INVALID_SCRIPT"
  | "MISSING_SOURCE"
  | "GLOB_NO_MATCH"
  | "CONFIG_SYNTAX"
  | "CONFIG_READ"
  | "UNSUPPORTED_FEATURE"
  | "UNSUPPORTED_KEY_TYPE"
  | "UNKNOWN_FORMAT"
  | "OPTIONAL_DEPENDENCY_MISSING";

/** A spec, config file or option is invalid; `data.field` names the field. */
export class SpecError extends PackyardError<SpecErrorCode> {
  override readonly name = "SpecError";
}

/** Codes of {@link FormatError}: an artifact being read is malformed, unsupported or over a limit. */
export type FormatErrorCode =
  | "TRUNCATED"
  | "BAD_MAGIC"
  | "BAD_CHECKSUM"
  | "BAD_HEADER"
  | "BAD_MEMBER_ORDER"
  | "MISSING_MEMBER"
  | "UNEXPECTED_MEMBER"
  | "UNSAFE_PATH"
  | "UNSUPPORTED"
  | "UNSUPPORTED_VERSION"
  | "CORRUPT_COMPRESSED_DATA"
  | "DIGEST_MISMATCH"
  | "LIMIT_UNPACKED_BYTES"
  | "LIMIT_ENTRIES"
  | "LIMIT_HEADER_BYTES"
  | "DUPLICATE_KEY"
  | "UNKNOWN_KEY"
  | "INVALID_VALUE"
  | "UNCUT_SEGMENT"
  | "MISSING_PARENT_DIR"
  | "OFFSET_OUT_OF_RANGE"
  | "CYCLIC_STRUCTURE"
  | "UNSUPPORTED_PAYLOAD";

/** An artifact being read is malformed; `data.offset` and/or `data.path` say where. */
export class FormatError extends PackyardError<FormatErrorCode> {
  override readonly name = "FormatError";
}

/** Codes of {@link SignError}. */
export type SignErrorCode =
  | "KEY_READ"
  | "KEY_UNSUPPORTED"
  | "KEY_NOT_FOUND"
  | "KEY_LOCKED"
  | "BAD_PASSPHRASE"
  | "NO_SIGNING_KEY"
  | "SIGN_FAILED"
  | "VERIFY_FAILED";

/** A key could not be read, unlocked or used. */
export class SignError extends PackyardError<SignErrorCode> {
  override readonly name = "SignError";
}

/** Codes of {@link IOError}: the file system or a temp file failed under us. */
export type IOErrorCode = "READ_FAILED" | "WRITE_FAILED" | "NOT_FOUND";

/** A read or write on the host failed (the runtime seam, spool, CLI outputs). */
export class IOError extends PackyardError<IOErrorCode> {
  override readonly name = "IOError";
}

/** Every error class packyard throws on purpose. */
export type PackyardErrorAny = SpecError | FormatError | SignError | IOError;

/** True when `e` is one of packyard's typed errors (as opposed to a bug). */
export function isPackyardError(e: unknown): e is PackyardErrorAny {
  return e instanceof SpecError || e instanceof FormatError || e instanceof SignError || e instanceof IOError;
}
