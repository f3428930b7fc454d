/**
 * The S3 driver: a repository in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph RGW...), optionally under
 * a key prefix. A single PUT is atomic on S3 (readers see the old or the new object), streams of unknown
 * length go up as multipart uploads (the object appears only when the upload completes), and `create` is a
 * PUT with `If-None-Match: *`.
 */
import { Readable } from "node:stream";
import type { ListObjectsV2CommandOutput, S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { isRepoError, RepoError } from "../errors.ts";
import { checkKey, checkLimit, checkPrefix, checkRange } from "./key.ts";
import { plainBytes } from "./read.ts";
import { contentTypeFor, type ListPage, type ObjectInfo, type PutOptions, type Storage } from "./storage.ts";

/** The AWS SDK's S3 client and multipart uploader, loaded on first use (~100 ms of start-up otherwise). */
type Sdk = typeof import("@aws-sdk/client-s3") & Pick<typeof import("@aws-sdk/lib-storage"), "Upload">;
let sdkLoad: Promise<Sdk> | undefined;

/**
 * Loads the SDK once per process. Importing this module does not: a publish to a folder never needs it,
 * and `@packyard/repo`'s entry point (which names {@link s3Storage}) is imported by every command.
 */
function loadSdk(): Promise<Sdk> {
  sdkLoad ??= Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]).then(
    ([s3, storage]) => ({ ...s3, Upload: storage.Upload }),
  );
  return sdkLoad;
}

/** Static credentials of an S3 access key. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where an S3 storage is and how to reach it. */
export interface S3StorageOptions {
  bucket: string;
  /** Key prefix of the repository inside the bucket (`apt`, `repos/stable`); no leading or trailing `/` needed. */
  prefix?: string;
  /** Endpoint URL of an S3-compatible store (`http://127.0.0.1:9000`); default: AWS S3 of the region. */
  endpoint?: string;
  /** Region; default: the SDK's chain (AWS_REGION, profile), else `us-east-1`. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default: true when `endpoint` is given, else false. */
  forcePathStyle?: boolean;
  /** Access key; default: the SDK's credential chain (environment, profile, SSO, instance role...). */
  credentials?: S3Credentials;
  /** A ready client (then `endpoint`, `region`, `forcePathStyle` and `credentials` are not used). */
  client?: S3Client;
}

/** Part size of multipart uploads: S3's minimum, so a stream is buffered 5 MiB (times the queue) at a time. */
const PART_SIZE = 5 * 1024 * 1024;
/** Parts uploaded in parallel. */
const QUEUE_SIZE = 4;
/** S3 returns at most 1,000 keys a page. */
const MAX_PAGE = 1000;

/** Node and TLS error codes of a store that cannot be reached (no HTTP answer). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "EPROTO",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** S3 error codes meaning the credentials or the policy refused the request. */
const DENIED_CODES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
  "AccountProblem",
  "InvalidSecurity",
  "CredentialsProviderError",
]);

/** What the SDK attaches to a service error. */
interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  errors?: unknown[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(e: unknown): string | undefined {
  return (e as SdkError | undefined)?.name;
}

/** True for an error that never got an HTTP answer: refused, DNS, TLS, reset, timeout. */
function isNetworkError(e: unknown, depth = 0): boolean {
  if (typeof e !== "object" || e === null || depth > 4) return false;
  const err = e as SdkError;
  if (statusOf(e) !== undefined && statusOf(e)! > 0) return false;
  if (err.code !== undefined && NETWORK_CODES.has(err.code)) return true;
  if (err.name === "TimeoutError") return true;
  // Node reports a refused connection to every address of a name as an AggregateError.
  if (Array.isArray(err.errors) && err.errors.some((x) => isNetworkError(x, depth + 1))) return true;
  return isNetworkError(err.cause, depth + 1);
}

let defaultRegion: Promise<string> | undefined;

/** The region the SDK's own chain finds (AWS_REGION, the profile), or `us-east-1` when there is none. */
function resolveDefaultRegion(): Promise<string> {
  defaultRegion ??= (async () => {
    const probe = new (await loadSdk()).S3Client({});
    try {
      return await probe.config.region();
    } catch {
      return "us-east-1";
    } finally {
      probe.destroy();
    }
  })();
  return defaultRegion;
}

/** The bucket prefix as stored: `""` or `a/b/`. */
function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (trimmed === "") return "";
  checkKey(trimmed);
  return `${trimmed}/`;
}

/**
 * A {@link Storage} in an S3 bucket. Requests are tried twice at most, and connecting times out after 10 s,
 * so an unreachable endpoint fails in seconds (STORAGE_UNREACHABLE). `put` sets Content-Type from
 * {@link contentTypeFor} when no `contentType` is given. Checksums are computed and validated only where
 * S3 requires them, which keeps the requests acceptable to S3-compatible stores that lack the newer ones.
 *
 * @example const storage = s3Storage({ bucket: "packages", prefix: "apt", region: "eu-west-1" });
 */
export function s3Storage(options: S3StorageOptions): Storage {
  const bucket = options.bucket;
  if (typeof bucket !== "string" || bucket === "" || bucket.includes("/"))
    throw new RepoError(
      "INVALID_SETTING",
      `S3 bucket name ${JSON.stringify(bucket)} is invalid; expected a bucket name such as my-packages`,
      { bucket: String(bucket) },
    );
  const base = normalizePrefix(options.prefix);
  const endpoint = options.endpoint;
  const location = base === "" ? `s3://${bucket}` : `s3://${bucket}/${base.slice(0, -1)}`;
  const description = endpoint === undefined ? location : `${location} at ${endpoint}`;
  const endpointText = endpoint ?? "the AWS S3 endpoint";

  // The client is made on the first request, once the SDK is loaded (options are checked above, now).
  let ready: Promise<{ client: S3Client; sdk: Sdk }> | undefined;
  const connect = (): Promise<{ client: S3Client; sdk: Sdk }> => {
    ready ??= loadSdk().then((sdk) => ({
      sdk,
      client:
        options.client ??
        new sdk.S3Client({
          ...(endpoint === undefined ? {} : { endpoint }),
          region: options.region ?? resolveDefaultRegion,
          forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
          ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
          // One retry: enough for a dropped keep-alive connection, few enough to report a dead endpoint quickly.
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
        } satisfies S3ClientConfig),
    }));
    return ready;
  };

  const fail = (e: unknown, action: string, key: string): RepoError => {
    if (isRepoError(e)) return e;
    const status = statusOf(e);
    const code = nameOf(e) ?? "Error";
    const reason = (e as SdkError | undefined)?.message ?? String(e);
    const data = {
      key,
      bucket,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(status === undefined ? {} : { status, s3Code: code }),
    };
    const what = `${key} in s3://${bucket}/${base}`;
    if (isNetworkError(e))
      return new RepoError(
        "STORAGE_UNREACHABLE",
        `could not reach ${endpointText} to ${action} ${what}: ${reason}`,
        data,
        { cause: e },
      );
    if (status === 401 || status === 403 || DENIED_CODES.has(code))
      return new RepoError(
        "ACCESS_DENIED",
        `${endpointText} refused to ${action} ${what} (${code}${status ? `, HTTP ${status}` : ""}): ${reason}; check the credentials and the bucket's policy`,
        data,
        { cause: e },
      );
    return new RepoError(
      "STORAGE_FAILED",
      `could not ${action} ${what} at ${endpointText} (${code}${status ? `, HTTP ${status}` : ""}): ${reason}`,
      data,
      { cause: e },
    );
  };

  const putParams = (key: string, options: PutOptions | undefined) => ({
    Bucket: bucket,
    Key: base + key,
    ContentType: options?.contentType ?? contentTypeFor(key),
    ...(options?.cacheControl === undefined ? {} : { CacheControl: options.cacheControl }),
  });

  const head = async (key: string): Promise<ObjectInfo | undefined> => {
    try {
      const { client, sdk } = await connect();
      const out = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: base + key }));
      const info: ObjectInfo = { key, size: out.ContentLength ?? 0 };
      if (out.ETag !== undefined) info.etag = out.ETag;
      if (out.LastModified !== undefined) info.lastModified = out.LastModified;
      return info;
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw fail(e, "read the head of", key);
    }
  };

  return {
    description,

    async get(key, options) {
      checkKey(key);
      const range = options?.range;
      if (range) checkRange(key, range);
      // An empty range has no HTTP form (S3 ignores `bytes=5-4` and sends everything).
      if (range?.end !== undefined && range.end <= range.start)
        return (await head(key)) === undefined ? undefined : (async function* () {})();
      const header =
        range === undefined || (range.start === 0 && range.end === undefined)
          ? undefined
          : `bytes=${range.start}-${range.end === undefined ? "" : range.end - 1}`;
      let body: AsyncIterable<Uint8Array> | undefined;
      let expected: number | undefined;
      try {
        const { client, sdk } = await connect();
        const out = await client.send(
          new sdk.GetObjectCommand({ Bucket: bucket, Key: base + key, ...(header ? { Range: header } : {}) }),
        );
        // In Node the body is an IncomingMessage, an async iterable of Buffers.
        body = out.Body as AsyncIterable<Uint8Array> | undefined;
        expected = out.ContentLength;
      } catch (e) {
        const code = nameOf(e);
        if (code === "NoSuchKey" || code === "NotFound") return undefined;
        // A range starting past the end of an existing object: no bytes.
        if (statusOf(e) === 416 || code === "InvalidRange") return (async function* () {})();
        throw fail(e, "read", key);
      }
      return (async function* () {
        let received = 0;
        try {
          for await (const chunk of body ?? []) {
            received += chunk.length;
            yield plainBytes(chunk);
          }
        } catch (e) {
          throw fail(e, "read", key);
        }
        // A connection closed early can end the body quietly: never hand back a short object as whole.
        if (expected !== undefined && received !== expected)
          throw new RepoError(
            "STORAGE_FAILED",
            `${key} in s3://${bucket}/${base} ended after ${received} of ${expected} bytes`,
            { key, bucket, expected, found: received },
          );
      })();
    },

    async head(key) {
      checkKey(key);
      return head(key);
    },

    async put(key, body, options) {
      checkKey(key);
      const params = putParams(key, options);
      if (body instanceof Uint8Array) {
        try {
          const { client, sdk } = await connect();
          await client.send(new sdk.PutObjectCommand({ ...params, Body: body, ContentLength: body.length }));
        } catch (e) {
          throw fail(e, "write", key);
        }
        return;
      }
      // The caller's stream failing is the caller's error: rethrown as it was, not as a storage failure.
      // An iterator without `throw`, so that destroying the Readable returns the caller's stream rather
      // than throwing an AbortError into it (which would then look like the stream's own failure).
      let connected: { client: S3Client; sdk: Sdk };
      try {
        connected = await connect();
      } catch (e) {
        throw fail(e, "write", key);
      }
      let sourceError: { error: unknown } | undefined;
      const chunks = body[Symbol.asyncIterator]();
      const guarded: AsyncIterableIterator<Uint8Array> = {
        [Symbol.asyncIterator]: () => guarded,
        async next() {
          try {
            return await chunks.next();
          } catch (e) {
            sourceError = { error: e };
            throw e;
          }
        },
        return: async () => (await chunks.return?.()) ?? { done: true, value: undefined },
      };
      const stream = Readable.from(guarded);
      const upload = new connected.sdk.Upload({
        client: connected.client,
        params: { ...params, Body: stream },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        // Stops the caller's stream too (Readable.from returns its iterator when destroyed).
        stream.destroy();
        if (sourceError !== undefined) throw sourceError.error;
        throw fail(e, "write", key);
      }
      if (sourceError !== undefined) throw sourceError.error;
    },

    async create(key, body, options) {
      checkKey(key);
      try {
        const { client, sdk } = await connect();
        await client.send(
          new sdk.PutObjectCommand({
            ...putParams(key, options),
            Body: body,
            ContentLength: body.length,
            IfNoneMatch: "*",
          }),
        );
        return true;
      } catch (e) {
        const status = statusOf(e);
        const code = nameOf(e);
        // 412: the key exists. 409: a concurrent conditional write to the key is in flight; it may win.
        if (status === 412 || code === "PreconditionFailed") return false;
        if (status === 409 || code === "ConditionalRequestConflict") return false;
        throw fail(e, "create", key);
      }
    },

    async list(prefix, options = {}): Promise<ListPage> {
      checkPrefix(prefix);
      const limit = options.limit ?? MAX_PAGE;
      checkLimit(limit);
      let out: ListObjectsV2CommandOutput;
      try {
        const { client, sdk } = await connect();
        out = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            ...(base + prefix === "" ? {} : { Prefix: base + prefix }),
            MaxKeys: Math.min(limit, MAX_PAGE),
            ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
          }),
        );
      } catch (e) {
        throw fail(e, "list", `${prefix}*`);
      }
      const objects: ObjectInfo[] = [];
      for (const item of out.Contents ?? []) {
        if (item.Key === undefined || !item.Key.startsWith(base + prefix)) continue;
        const info: ObjectInfo = { key: item.Key.slice(base.length), size: item.Size ?? 0 };
        if (item.ETag !== undefined) info.etag = item.ETag;
        if (item.LastModified !== undefined) info.lastModified = item.LastModified;
        objects.push(info);
      }
      // S3 sorts by UTF-8 bytes already; some compatible stores only nearly do.
      objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const page: ListPage = { objects };
      if (out.IsTruncated && out.NextContinuationToken !== undefined) page.cursor = out.NextContinuationToken;
      return page;
    },

    async delete(key) {
      checkKey(key);
      try {
        const { client, sdk } = await connect();
        await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: base + key }));
      } catch (e) {
        if (nameOf(e) === "NoSuchKey") return;
        throw fail(e, "delete", key);
      }
    },
  };
}
