/**
 * CSRF defence for requests made with the session cookie. Two checks, both required on every
 * state-changing request (anything but GET, HEAD, OPTIONS) that carries the cookie, the API's routes
 * included:
 *
 * - origin: `Sec-Fetch-Site` must be `same-origin` or `none` when sent, and `Origin` (when sent) must be
 *   this server's own origin (the public URL's, else the request's scheme and Host), or `null` together
 *   with `Sec-Fetch-Site: same-origin` (what Chromium sends from a page under `Referrer-Policy: no-referrer`);
 * - token: @fastify/csrf-protection's tokens (the `_csrf` form field or the `x-csrf-token` header), made
 *   from a secret in an HttpOnly cookie and bound to the session (the token's user info is the SHA-256 of
 *   the session id; a page shown before sign-in binds its token to {@link PRE_SESSION}).
 *
 * Bearer-token calls carry no cookie and are not checked. A failure is 403 CSRF_INVALID.
 *
 * The app's `onRequest` authorization hook (app/authz.ts) runs for every route, outside the web plugin's
 * scope, so the web plugin records what these checks need per database handle ({@link registerWeb}).
 */
import { createHash, createHmac } from "node:crypto";
import CSRF from "@fastify/csrf";

type TokenMaker = CSRF.TokensUserinfo;
import type { FastifyRequest } from "fastify";
import type { Db } from "../db/db.ts";
import { ServerError } from "../errors.ts";
import type { MasterKey } from "../keys/master-key.ts";
import { DEFAULT_LIFETIMES, type SessionLifetimes, sessionCookieOf } from "./sessions.ts";

/** The cookie holding the CSRF secret (HttpOnly; tokens are made from it). */
export const CSRF_COOKIE = "packyard_csrf";

/** The form field a page's token travels in. */
export const CSRF_FIELD = "_csrf";

/** The header a script's token travels in. */
export const CSRF_HEADER = "x-csrf-token";

/** The user info of tokens made for a browser without a session (the sign-in form). */
export const PRE_SESSION = "pre-session";

/** What the authorization hook needs from the web plugin. */
export interface WebRuntime {
  lifetimes: SessionLifetimes;
  /** The HMAC key tokens are made with (derived from the master key: stable across restarts). */
  hmacKey: Buffer;
  /** The public URL's origin, when configured. */
  publicOrigin: string | undefined;
  /** Forces the cookies' Secure attribute on or off; undefined: from the public URL or the request. */
  secureCookies: boolean | undefined;
}

const runtimes = new WeakMap<Db, WebRuntime>();
const tokenMakers = new WeakMap<Buffer, TokenMaker>();

/** Records the web settings of the app built over `db`. */
export function registerWeb(db: Db, runtime: WebRuntime): void {
  runtimes.set(db, runtime);
}

/** The web settings of the app over `db`; undefined when no web plugin is registered (sessions off). */
export function webRuntimeOf(db: Db): WebRuntime | undefined {
  return runtimes.get(db);
}

/** Defaults for an app whose web plugin has not recorded settings. */
export const NO_WEB: Pick<WebRuntime, "lifetimes"> = { lifetimes: DEFAULT_LIFETIMES };

/** The CSRF HMAC key of a master key: HMAC-SHA256(master key, label). */
export function csrfKey(masterKey: MasterKey): Buffer {
  return createHmac("sha256", masterKey.bytes).update("packyard csrf tokens v1").digest();
}

/** The token maker of a key (the options @fastify/csrf-protection is registered with). */
export function csrfTokens(hmacKey: Buffer): TokenMaker {
  let made = tokenMakers.get(hmacKey);
  if (made === undefined) {
    made = CSRF({ userInfo: true, hmacKey }) as TokenMaker;
    tokenMakers.set(hmacKey, made);
  }
  return made;
}

/** Whether `method` changes state (CSRF-checked with a cookie). */
export function changesState(method: string): boolean {
  return method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
}

/** The user info a request's tokens are bound to: its session (hashed) or {@link PRE_SESSION}. */
export function csrfUserInfo(request: FastifyRequest): string {
  const cookie = sessionCookieOf(request);
  return cookie === undefined ? PRE_SESSION : createHash("sha256").update(cookie).digest("base64url");
}

/** Whether the request reached the server over https (or the public URL is https). */
export function isSecure(request: FastifyRequest, runtime: WebRuntime): boolean {
  if (runtime.secureCookies !== undefined) return runtime.secureCookies;
  if (runtime.publicOrigin?.startsWith("https:")) return true;
  return request.protocol === "https";
}

const invalid = (message: string, data: Record<string, unknown> = {}) =>
  new ServerError("CSRF_INVALID", message, data);

/** The origin check (see the module comment); throws 403 CSRF_INVALID. */
export function checkOrigin(request: FastifyRequest, runtime: WebRuntime): void {
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    throw invalid(`Expected a request from this site's own pages, found Sec-Fetch-Site: ${String(site)}`, {
      field: "Sec-Fetch-Site",
    });
  const origin = request.headers.origin;
  if (origin === undefined) return;
  // Under the pages' `Referrer-Policy: no-referrer` (helmet's default) Chromium sends `Origin: null` on a
  // same-origin form post; `Sec-Fetch-Site` (which no page script can set) then says where it came from.
  // Without it, "null" (a sandboxed frame, a privacy setting) is refused like any other foreign origin.
  if (origin === "null" && site === "same-origin") return;
  const own = runtime.publicOrigin ?? `${request.protocol}://${request.host}`;
  if (origin !== own && origin !== `${request.protocol}://${request.host}`)
    throw invalid(`Expected Origin ${own}, found ${origin.slice(0, 200)}`, { field: "Origin" });
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    // A malformed value (`%` alone) counts as none: a refusal, not a 500.
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The token check for `token` (from the form field or the header); throws 403 CSRF_INVALID. */
export function checkToken(request: FastifyRequest, runtime: WebRuntime, token: unknown): void {
  const secret = cookieValue(request, CSRF_COOKIE);
  if (secret === undefined || secret === "")
    throw invalid("Expected the CSRF cookie a page of this site sets, found none; reload the page", {
      field: CSRF_COOKIE,
    });
  if (typeof token !== "string" || token === "")
    throw invalid(
      `Expected a CSRF token in the ${CSRF_FIELD} field or the ${CSRF_HEADER} header, found none`,
      {
        field: CSRF_HEADER,
      },
    );
  if (!csrfTokens(runtime.hmacKey).verify(secret, token, csrfUserInfo(request)))
    throw invalid(
      "Expected a CSRF token made for this session, found another (the page may predate a sign-in); reload the page",
      { field: CSRF_HEADER },
    );
}

/** The token a request carries in its header, if any. */
export function headerToken(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return Array.isArray(value) ? value[0] : value;
}
