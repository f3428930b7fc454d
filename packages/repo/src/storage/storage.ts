/**
 * Storage: where a repository lives. One small streaming interface with three drivers (memory for tests, a
 * local folder, S3-compatible object storage); one contract suite runs against all of them. Keys are
 * relative, `/`-separated, never start with `/`, and have no empty, `.` or `..` segment.
 */

/** What `head` and `list` report about an object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** Opaque version tag (S3 ETag, a hash or mtime-based tag on disk); equal tags mean equal content. */
  etag?: string;
  lastModified?: Date;
}

/** Options of `put` and `create`. */
export interface PutOptions {
  /** Content-Type the store serves the object with (S3; ignored on disk). */
  contentType?: string;
  /** Cache-Control the store serves the object with (S3; ignored on disk). */
  cacheControl?: string;
}

/** One page of a listing: objects in ascending key order, and the cursor of the next page when there is one. */
export interface ListPage {
  objects: ObjectInfo[];
  cursor?: string;
}

/** A byte range: `start` inclusive, `end` exclusive (default: to the end). */
export interface ByteRange {
  start: number;
  end?: number;
}

/**
 * A repository's storage. Every method throws RepoError (STORAGE_UNREACHABLE, ACCESS_DENIED, STORAGE_FAILED),
 * and INVALID_SETTING for a key that is not a valid key (see `checkKey` in key.ts) before touching the store.
 */
export interface Storage {
  /** Where this is, for messages: `folder /srv/repo`, `s3://bucket/prefix`, `memory`. */
  readonly description: string;
  /**
   * How many blobs a publish writes at once into this store when its caller sets no `writeConcurrency`
   * (absent: the engine's default, 8). The folder driver asks for more: its writes mostly wait on the disk
   * and the thread pool (the engine bounds the bytes of package files under way whatever the number).
   */
  readonly writeConcurrency?: number;
  /**
   * The object's bytes as a stream (optionally a range of them, clamped to the object: a range past its end
   * yields nothing), or `undefined` when the key is absent. Read the stream to its end or stop iterating it:
   * until then it holds an open file or connection.
   */
  get(key: string, options?: { range?: ByteRange }): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Size and tag of the object, or `undefined` when absent. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Writes the object whole (readers see the old bytes or the new, never a part): from bytes, or from a
   * stream of unknown length (S3: multipart upload). When the stream throws, its error is rethrown as it is
   * and the old object (or its absence) stays.
   */
  put(key: string, body: Uint8Array | AsyncIterable<Uint8Array>, options?: PutOptions): Promise<void>;
  /**
   * Creates the object only if the key is absent (disk: link/O_EXCL; S3: `If-None-Match: *`). Returns
   * false, writing nothing, when it exists. A store that ignores the condition overwrites silently: the
   * publish lock probes for that before relying on it.
   */
  create(key: string, body: Uint8Array, options?: PutOptions): Promise<boolean>;
  /**
   * Keys starting with `prefix` (a plain string prefix, not only folders), ascending, paginated: a page holds
   * at most `limit` objects (default and S3's maximum 1,000) and, when more follow, a `cursor` to pass back
   * as is (opaque: the last key on disk and in memory, a continuation token on S3).
   */
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
  /** Removes the object; absent keys are not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Content types of the objects a repository holds, by key. Public keys (`keys/*.asc`, `keys/*.gpg`) are
 * `application/pgp-keys`, which browsers offer as a key import; other `.asc`/`.gpg`/`.sig` files are
 * signatures. Drivers that keep a Content-Type use it when `put` is given none.
 *
 * @example contentTypeFor("deb/dists/stable/InRelease"); // "text/plain; charset=utf-8"
 */
export function contentTypeFor(key: string): string {
  const slash = key.lastIndexOf("/");
  const name = key.slice(slash + 1);
  const folder = key.slice(0, slash + 1);
  const inKeys = folder === "keys/" || folder.endsWith("/keys/");
  if (inKeys && (name.endsWith(".asc") || name.endsWith(".gpg"))) return "application/pgp-keys";
  if (name.endsWith(".pem") || name.endsWith(".rsa.pub")) return "application/x-pem-file";
  if (name.endsWith(".deb") || name.endsWith(".udeb")) return "application/vnd.debian.binary-package";
  if (name.endsWith(".rpm")) return "application/x-rpm";
  if (name.endsWith(".gz")) return "application/gzip";
  if (name.endsWith(".xz")) return "application/x-xz";
  if (name.endsWith(".bz2")) return "application/x-bzip2";
  if (name.endsWith(".zst")) return "application/zstd";
  if (name.endsWith(".tar")) return "application/x-tar";
  if (name.endsWith(".asc") || name.endsWith(".gpg") || name.endsWith(".sig"))
    return "application/pgp-signature";
  if (name.endsWith(".json")) return "application/json";
  if (name.endsWith(".xml")) return "application/xml";
  if (name.endsWith(".html")) return "text/html; charset=utf-8";
  if (name.endsWith(".svg")) return "image/svg+xml";
  if (name.endsWith(".zip")) return "application/zip";
  if (name.endsWith(".rb")) return "text/x-ruby; charset=utf-8";
  if (name.endsWith(".sh")) return "text/x-shellscript; charset=utf-8";
  if (name.endsWith(".txt") || name.endsWith(".repo") || name.endsWith(".list") || name.endsWith(".sources"))
    return "text/plain; charset=utf-8";
  if (
    name === "InRelease" ||
    name === "Release" ||
    name === "SHA256SUMS" ||
    name.startsWith("Packages") ||
    name.startsWith("Contents")
  )
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

/** Cache-Control for an object that never changes once written (packages, by-hash files, states). */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
/** Cache-Control for an object rewritten by publishes (top files, canonical indexes, pointers). */
export const MUTABLE_CACHE = "max-age=60";
