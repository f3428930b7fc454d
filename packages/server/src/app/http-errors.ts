/**
 * Errors as the API answers them, mapped in this one place: `{ "error": { "code", "message", "details" } }`
 * with the status its code implies. Fastify's own errors (schema validation, body limits, content types,
 * rate limits) are translated to packyard codes; anything unexpected is 500 INTERNAL carrying the request id
 * (the log has the rest), never a stack or the original message.
 */
import { isRepoError, type RepoErrorCode } from "@packyard/repo";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServerError, ServerError, type ServerErrorCode } from "../errors.ts";

/** HTTP status of each code a request can fail with; codes not listed are 500. */
const STATUS: Partial<Record<ServerErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_NAME: 400,
  TOKEN_IN_QUERY: 400,
  UNAUTHENTICATED: 401,
  BAD_SIGNATURE: 401,
  SESSION_EXPIRED: 401,
  PLAN_LIMIT_REACHED: 402,
  CSRF_INVALID: 403,
  SUBSCRIPTION_INACTIVE: 403,
  URL_INVALID: 403,
  FORBIDDEN: 403,
  SIGNUP_DISABLED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  LAST_OWNER: 409,
  VERSION_EXISTS: 409,
  VERSION_NOT_NEWER: 409,
  STALE_ATTEMPT: 409,
  JOB_STATE: 409,
  REPO_IDENTITY_LOCKED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CHECKSUM_MISMATCH: 422,
  NOT_A_PACKAGE: 422,
  INVALID_CONFIG: 422,
  REPO_REFUSED: 422,
  UNKNOWN_TARGET: 422,
  MISSING_SOURCE: 422,
  ARTIFACT_INVALID: 422,
  KEY_INVALID: 422,
  KEY_PUBLIC_ONLY: 422,
  KEY_ALGORITHM_UNSUPPORTED: 422,
  KEY_TOO_WEAK: 422,
  KEY_EXPIRED: 422,
  KEY_PASSPHRASE_WRONG: 422,
  RATE_LIMITED: 429,
  DB_UNAVAILABLE: 503,
  UNAVAILABLE: 503,
  LOCK_LOST: 503,
  LOCK_TIMEOUT: 503,
};

/** The status a code answers with. */
export function statusOf(code: ServerErrorCode): number {
  return STATUS[code] ?? 500;
}

/** The body of an error answer. */
export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** JSON schema of {@link ErrorBody}, for routes' response schemas. */
export const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        details: { type: "object", additionalProperties: true },
      },
    },
  },
} as const;

/** Fastify's error codes that are the client's fault, as packyard codes. */
const FASTIFY_CODES: Record<string, ServerErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "INVALID_REQUEST",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_REQUEST",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_REQUEST",
  FST_ERR_VALIDATION: "INVALID_REQUEST",
  FST_ERR_MAX_PARAM_LENGTH: "INVALID_REQUEST",
};

/**
 * @packyard/repo's errors (publishing, repository settings) as the API answers them; `details.repoCode`
 * keeps the library's code. Codes not listed (CORRUPT_STATE, VERIFY_FAILED, MISSING_ENCODER,
 * LOCK_UNSUPPORTED: the server's own state or build is at fault) stay unexpected: 500 INTERNAL.
 *
 * | RepoError code | answer |
 * | --- | --- |
 * | REPO_CONFLICT (same name/version/arch held with other bytes) | 409 VERSION_EXISTS |
 * | IDENTITY_CHANGE (Origin/Label/Codename of a published suite) | 409 REPO_IDENTITY_LOCKED |
 * | LOCK_LOST, LOCK_TIMEOUT (the publish lock) | 503 LOCK_LOST, 503 LOCK_TIMEOUT |
 * | NOT_FOUND (a removal selecting nothing) | 404 NOT_FOUND |
 * | NOT_A_PACKAGE, UNSUPPORTED_PACKAGE, CORRUPT_PACKAGE | 422 NOT_A_PACKAGE |
 * | CHECKSUM_MISMATCH (a stored package's bytes changed) | 422 CHECKSUM_MISMATCH |
 * | MISSING_KEY, BAD_KEY (the project's keys cannot sign this) | 422 KEY_INVALID |
 * | INVALID_SETTING, UNKNOWN_TARGET, ARCH_NOT_IN_REPO, REPO_FOREIGN_SIGNATURE | 422 REPO_REFUSED |
 * | STORAGE_UNREACHABLE, ACCESS_DENIED, STORAGE_FAILED, CLOCK_BEHIND | 503 UNAVAILABLE |
 */
const REPO_CODES: Partial<Record<RepoErrorCode, ServerErrorCode>> = {
  REPO_CONFLICT: "VERSION_EXISTS",
  IDENTITY_CHANGE: "REPO_IDENTITY_LOCKED",
  LOCK_LOST: "LOCK_LOST",
  LOCK_TIMEOUT: "LOCK_TIMEOUT",
  NOT_FOUND: "NOT_FOUND",
  NOT_A_PACKAGE: "NOT_A_PACKAGE",
  UNSUPPORTED_PACKAGE: "NOT_A_PACKAGE",
  CORRUPT_PACKAGE: "NOT_A_PACKAGE",
  CHECKSUM_MISMATCH: "CHECKSUM_MISMATCH",
  MISSING_KEY: "KEY_INVALID",
  BAD_KEY: "KEY_INVALID",
  INVALID_SETTING: "REPO_REFUSED",
  UNKNOWN_TARGET: "REPO_REFUSED",
  ARCH_NOT_IN_REPO: "REPO_REFUSED",
  REPO_FOREIGN_SIGNATURE: "REPO_REFUSED",
  STORAGE_UNREACHABLE: "UNAVAILABLE",
  ACCESS_DENIED: "UNAVAILABLE",
  STORAGE_FAILED: "UNAVAILABLE",
  CLOCK_BEHIND: "UNAVAILABLE",
};

/** The packyard error an error stands for, or undefined for an unexpected one. */
function known(error: unknown): ServerError | undefined {
  if (isServerError(error)) return error;
  if (isRepoError(error)) {
    const code = REPO_CODES[error.code];
    if (code === undefined) return undefined;
    // Storage failures name the store (a folder, an S3 endpoint): the log has them, the answer does not.
    if (code === "UNAVAILABLE" && error.code !== "CLOCK_BEHIND")
      return new ServerError(
        code,
        `Expected the repository storage to answer, found it failing (${error.code}); the request id finds the details in the log`,
        { repoCode: error.code },
        { cause: error },
      );
    return new ServerError(code, error.message, { ...error.data, repoCode: error.code }, { cause: error });
  }
  const e = error as FastifyError;
  if (e instanceof Error && Array.isArray(e.validation)) {
    return new ServerError(
      "INVALID_REQUEST",
      `Expected the request to match the route's schema: ${e.message}`,
      {
        validation: e.validation.map((v) => ({
          where: `${e.validationContext ?? "request"}${v.instancePath}`,
          keyword: v.keyword,
          message: v.message,
        })),
      },
    );
  }
  const code = e instanceof Error && typeof e.code === "string" ? FASTIFY_CODES[e.code] : undefined;
  if (code !== undefined) return new ServerError(code, e.message);
  // JSON syntax errors from the body parser carry statusCode 400 and no FST code in some versions.
  if (e instanceof SyntaxError && (e as FastifyError).statusCode === 400)
    return new ServerError("INVALID_REQUEST", `Expected a JSON body, found: ${e.message}`);
  return undefined;
}

/** Headers a route may have set for the answer it meant to give, which must not describe an error. */
const SUCCESS_HEADERS = ["etag", "last-modified", "content-range", "accept-ranges", "content-disposition"];

/** Sends an error body for `error`. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // An error is never cached (a CDN keeping a storage outage's 503 for a year under an immutable URL), and
  // carries none of the validators or ranges the route set before it failed.
  for (const name of SUCCESS_HEADERS) reply.removeHeader(name);
  reply.header("cache-control", "no-store");
  const e = known(error);
  if (e === undefined) {
    request.log.error({ err: error }, "request failed unexpectedly");
    const body: ErrorBody = {
      error: {
        code: "INTERNAL",
        message: `The server failed unexpectedly; request id ${request.id} finds the details in its log`,
        details: { requestId: request.id },
      },
    };
    return reply.status(500).send(body);
  }
  const status = statusOf(e.code);
  if (status >= 500) request.log.error({ err: error }, "request failed");
  else request.log.debug({ code: e.code }, "request refused");
  const details: Record<string, unknown> = { ...e.data };
  if (status >= 500) details.requestId = request.id;
  const body: ErrorBody = { error: { code: e.code, message: e.message, details } };
  return reply.status(status).send(body);
}

/** Installs the error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new ServerError(
        "NOT_FOUND",
        `Expected a route for ${request.method} ${request.url.split("?")[0]}, found none`,
      ),
      request,
      reply,
    ),
  );
}
