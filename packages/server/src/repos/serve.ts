/**
 * Serving a hosted repository's files: `GET|HEAD /r/<project>/<repository>/<path>` streams the object
 * `repos/<project>/<repository>/<path>` from Storage, as a static web server in front of a repository
 * folder would, with the headers package managers and caches rely on:
 *
 * - The path is read from the raw request URL, one segment at a time: a segment that is empty, `.` or `..`
 *   (also percent-encoded: `%2e%2e`), that decodes to something holding `/`, `\`, NUL or another control
 *   character, or that is not valid percent-encoding makes the answer a plain 404, as do a missing object
 *   and anything under `.packyard/` (engine state and lock). A 404 is a short `text/plain` body, never a
 *   page or a listing.
 * - Content-Type from @packyard/repo's `contentTypeFor`.
 * - Cache-Control by key pattern ({@link cacheControlForKey}), the same marks publish puts on the object
 *   (Storage's `head` does not report the mark an object was put with, and the folder driver keeps none).
 * - A strong ETag from the storage's tag, Last-Modified, `If-None-Match` / `If-Modified-Since` → 304,
 *   one `Range` → 206 with Content-Range (several ranges: the whole object, 200, as RFC 9110 allows;
 *   unsatisfiable → 416), `If-Range`, `Accept-Ranges: bytes`.
 *
 * The bytes are streamed, never held whole; when the object changes between `head` and `get` (a publish
 * rewrote it) and the byte count differs from the Content-Length already sent, the response is cut (the
 * client sees a broken transfer and retries) rather than ending with bytes of two versions under one ETag.
 */
import { Readable } from "node:stream";
import {
  contentTypeFor,
  IMMUTABLE_CACHE,
  isRepoError,
  MUTABLE_CACHE,
  type ObjectInfo,
  type Storage,
} from "@packyard/repo";
import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * The Content-Security-Policy of every hosted file: a sandbox without `allow-same-origin` (scripts of the
 * repository's own install page still run, in an origin of their own).
 */
export const REPO_FILES_CSP = "sandbox allow-scripts allow-popups allow-downloads";

/** The folder of hosted repositories in the server's Storage: `repos/<project>/<repository>/`. */
export const REPOS_PREFIX = "repos/";

/** The engine's folder inside a repository: never served. */
const ENGINE_FOLDER = ".packyard";

/** A project slug, as the projects table accepts it. */
const PROJECT_SLUG = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** A repository name, as the repositories table accepts it. */
const REPOSITORY_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The storage prefix of a hosted repository. */
export function repoPrefix(project: string, repository: string): string {
  return `${REPOS_PREFIX}${project}/${repository}/`;
}

/** What a served URL names. */
export interface RepoPath {
  project: string;
  repository: string;
  /** The object's key inside the repository (`deb/dists/stable/InRelease`). */
  path: string;
}

/** One path segment decoded, or undefined when it cannot name part of a key. */
function decodeSegment(raw: string): string | undefined {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (segment === "" || segment === "." || segment === "..") return undefined;
  // `/` (from %2F), backslash, NUL and other control characters never appear in a published key.
  if (/[/\\\u0000-\u001f\u007f]/.test(segment)) return undefined;
  return segment;
}

/**
 * The project, repository and key a request URL names under `mount` (the files plugin's `/r/`), or
 * undefined when it names none (see the module comment for what is refused). The query string is ignored.
 *
 * @example parseRepoPath("/r/acme/main/deb/dists/stable/InRelease"); // { project: "acme", repository: "main", path: "deb/dists/stable/InRelease" }
 */
export function parseRepoPath(url: string, mount = "/r/"): RepoPath | undefined {
  const end = url.search(/[?#]/);
  const pathname = end < 0 ? url : url.slice(0, end);
  if (!pathname.startsWith(mount)) return undefined;
  const raw = pathname.slice(mount.length).split("/");
  if (raw.length < 3) return undefined;
  const segments: string[] = [];
  for (const r of raw) {
    const s = decodeSegment(r);
    if (s === undefined) return undefined;
    segments.push(s);
  }
  const [project, repository, ...rest] = segments as [string, string, ...string[]];
  if (!PROJECT_SLUG.test(project) || !REPOSITORY_NAME.test(repository)) return undefined;
  if (rest[0] === ENGINE_FOLDER) return undefined;
  return { project, repository, path: rest.join("/") };
}

/**
 * Cache-Control of a repository object by its key (the publish engine's marks, repos.md §7): immutable
 * for what never changes once written — package files (`.deb`, `.udeb`, `.ddeb`, `.rpm`, `.apk`,
 * `.pkg.tar.*` and their `.sig`), APT `by-hash/` copies, RPM-MD's checksum-named `repodata/<hash>-*` files,
 * download files `downloads/<name>/<version>/<file>` other than `SHA256SUMS`/`SHA256SUMS.asc` — and
 * `max-age=60` for everything rewritten by publishes (InRelease, Release, canonical Packages*, repomd.xml
 * and its signature, pacman databases, APKINDEX.tar.gz, keys, install text and pages).
 *
 * @example cacheControlForKey("deb/pool/main/h/hello/hello_1.0_amd64.deb"); // "public, max-age=31536000, immutable"
 */
export function cacheControlForKey(path: string): string {
  return isImmutableKey(path) ? IMMUTABLE_CACHE : MUTABLE_CACHE;
}

function isImmutableKey(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (path.includes("/by-hash/")) return true;
  if (/(^|\/)repodata\/[0-9a-f]{32,128}-[^/]+$/.test(path)) return true;
  if (/\.(deb|udeb|ddeb|rpm|apk)$/.test(name)) return true;
  if (/\.pkg\.tar(\.[a-z0-9]+)?(\.sig)?$/.test(name)) return true;
  if (/^downloads\/[^/]+\/[^/]+\/[^/]+$/.test(path) && !name.startsWith("SHA256SUMS")) return true;
  return false;
}

/** The strong ETag of an object: the storage's tag (S3's quotes and `W/` dropped), else size and time. */
export function etagOf(info: ObjectInfo): string | undefined {
  let tag = info.etag;
  if (tag !== undefined) tag = tag.replace(/^W\//, "").replace(/^"|"$/g, "");
  if ((tag === undefined || tag === "") && info.lastModified !== undefined)
    tag = `${info.size.toString(16)}-${info.lastModified.getTime().toString(16)}`;
  if (tag === undefined || tag === "" || !/^[\x21\x23-\x7e]+$/.test(tag)) return undefined;
  return `"${tag}"`;
}

/** Whether an `If-None-Match` list matches `etag` (weak comparison, RFC 9110 §13.1.2). */
function noneMatch(header: string, etag: string | undefined): boolean {
  if (header.trim() === "*") return true;
  if (etag === undefined) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => opaque(t) === etag);
}

/** An HTTP date's time in whole seconds, or undefined when it is not a date. */
function httpSeconds(text: string): number | undefined {
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

/**
 * The range a `Range` header asks of an object of `size` bytes: `{ start, end }` (end exclusive),
 * `"unsatisfiable"`, or undefined when the whole object is to be sent (no header, a header that is not one
 * `bytes=` range — several ranges are answered whole, an invalid header is ignored, RFC 9110 §14.2).
 *
 * @example parseRange("bytes=-10", 100); // { start: 90, end: 100 }
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (m === null) return undefined;
  const [first, last] = [m[1]!, m[2]!];
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size : Math.min(Number(last) + 1, size);
  return { start, end };
}

/** Whether `If-Range` lets a range be served: it matches the current ETag (strongly) or Last-Modified. */
function ifRangeHolds(header: string | undefined, etag: string | undefined, info: ObjectInfo): boolean {
  if (header === undefined) return true;
  const h = header.trim();
  if (h.startsWith('"') || h.startsWith("W/")) return etag !== undefined && h === etag;
  const since = httpSeconds(h);
  return (
    since !== undefined &&
    info.lastModified !== undefined &&
    Math.floor(info.lastModified.getTime() / 1000) === since
  );
}

/** The first value of a header that may repeat. */
function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Sends the plain 404 every missing or refused path gets. */
export function notFound(reply: FastifyReply): FastifyReply {
  return reply
    .status(404)
    .header("content-type", "text/plain; charset=utf-8")
    .header("cache-control", "no-store")
    .send("404 Not Found\n");
}

/** Passes a stream's bytes on, failing (so the response is cut) when their count is not `expected`. */
async function* exactly(
  source: AsyncIterable<Uint8Array>,
  expected: number,
  key: string,
): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of source) {
    sent += chunk.length;
    if (sent > expected) break;
    yield chunk;
  }
  if (sent !== expected)
    throw new Error(`${key} changed while it was sent: expected ${expected} bytes, found ${sent} or more`);
}

/**
 * Answers `request` with the object `prefix + path` of `storage` (`path`: the key inside the repository,
 * which decides Content-Type and Cache-Control; headers as the module comment says). HEAD gets the same
 * headers and no body, and opens no stream. A missing object is the plain 404. With `private` (a private
 * repository's file), Cache-Control says `private` instead of `public`.
 */
export async function sendObject(
  storage: Storage,
  prefix: string,
  path: string,
  request: FastifyRequest,
  reply: FastifyReply,
  options: { private?: boolean } = {},
): Promise<FastifyReply> {
  const key = prefix + path;
  let info: ObjectInfo | undefined;
  try {
    info = await storage.head(key);
  } catch (e) {
    // A key the storage refuses (a reserved temporary name): no such object.
    if (isRepoError(e) && e.code === "INVALID_SETTING") return notFound(reply);
    throw e;
  }
  if (info === undefined) return notFound(reply);
  const etag = etagOf(info);
  reply.header("content-type", contentTypeFor(path));
  const cache = cacheControlForKey(path);
  // A private repository's files may stay in the client's cache, never in a shared one.
  reply.header(
    "cache-control",
    options.private === true ? `private, ${cache.replace(/^public, /, "")}` : cache,
  );
  reply.header("accept-ranges", "bytes");
  reply.header("x-content-type-options", "nosniff");
  // Hosted files share the dashboard's origin: an HTML or SVG file among them (the install page, the badge,
  // anything a publish wrote) runs sandboxed in an opaque origin, so no script in it reaches the session
  // cookie or the API as the signed-in user. Package clients ignore the header.
  // A caller that set its own policy (the install page's index.html under /p/, its meta policy) keeps it.
  if (!reply.hasHeader("content-security-policy")) reply.header("content-security-policy", REPO_FILES_CSP);
  if (etag !== undefined) reply.header("etag", etag);
  if (info.lastModified !== undefined) reply.header("last-modified", info.lastModified.toUTCString());

  const headers = request.headers;
  const inm = headers["if-none-match"];
  const ims = headers["if-modified-since"];
  let notModified = false;
  if (inm !== undefined) notModified = noneMatch(inm, etag);
  else if (ims !== undefined && info.lastModified !== undefined) {
    const since = httpSeconds(ims);
    notModified = since !== undefined && Math.floor(info.lastModified.getTime() / 1000) <= since;
  }
  if (notModified) {
    reply.removeHeader("content-type");
    return reply.status(304).send();
  }

  const isHead = request.method === "HEAD";
  const rangeHeader = isHead ? undefined : headers.range;
  let range = parseRange(rangeHeader, info.size);
  if (range !== undefined && !ifRangeHolds(first(headers["if-range"]), etag, info)) range = undefined;
  if (range === "unsatisfiable") {
    return (
      reply
        .status(416)
        .header("content-range", `bytes */${info.size}`)
        .header("content-type", "text/plain; charset=utf-8")
        // The object's long cache lifetime must not stick to a refusal of one request's range.
        .header("cache-control", "no-store")
        .send("416 Range Not Satisfiable\n")
    );
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? info.size;
  reply.header("content-length", String(end - start));
  if (range !== undefined) {
    reply.status(206);
    reply.header("content-range", `bytes ${start}-${end - 1}/${info.size}`);
  }
  if (isHead) return reply.send();
  const body = await storage.get(key, range === undefined ? undefined : { range: { start, end } });
  if (body === undefined) {
    // Deleted between head and get.
    reply.removeHeader("content-length").removeHeader("content-range").removeHeader("etag");
    reply.removeHeader("last-modified").removeHeader("accept-ranges");
    return notFound(reply);
  }
  return reply.send(Readable.from(exactly(body, end - start, key), { objectMode: false }));
}
