/**
 * The web interface (issue 21, items 2 and 3): sessions, CSRF and the signed-in pages. Every page is
 * rendered on the server (web/html.ts, web/layout.ts) under the pages' security headers (web/security.ts),
 * and every action calls the service functions the API's routes call. Registered by app.ts with the app's
 * plugin options; `WebOptions` come from `buildApp`'s options.
 *
 * Sessions and the CSRF checks of the API's own routes live in the app-wide authorization hook
 * (app/authz.ts, web/csrf.ts); this plugin records their settings for the app's database handle.
 */
import cookie from "@fastify/cookie";
import csrfProtection from "@fastify/csrf-protection";
import multipart from "@fastify/multipart";
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from "fastify";
import type { PluginOptions } from "../app/app.ts";
import { sendError, statusOf } from "../app/http-errors.ts";
import { isServerError } from "../errors.ts";
import { DEFAULT_UPLOAD_LIMIT } from "../uploads/blob-store.ts";
import { CSRF_COOKIE, csrfKey, csrfUserInfo, registerWeb, type WebRuntime } from "./csrf.ts";
import { acceptForms, type PagesOptions } from "./forms.ts";
import { html, renderPage } from "./html.ts";
import { Layout } from "./layout.ts";
import { buildPages } from "./pages/builds.ts";
import { keyPages } from "./pages/keys.ts";
import { packagePages } from "./pages/packages.ts";
import { projectPages } from "./pages/projects.ts";
import { repositoryPages } from "./pages/repositories.ts";
import { settingsPages } from "./pages/settings.ts";
import { clearSessionCookie, signInPages } from "./pages/sign-in.ts";
import { pageSecurity, sendHtml } from "./security.ts";
import { DEFAULT_LIFETIMES } from "./sessions.ts";

/** Settings of the web interface (tests shorten expiries). */
export interface WebOptions {
  /** Idle expiry of a sign-in session in milliseconds (default 12 hours; slid forward as it is used). */
  sessionIdleMs?: number;
  /** Absolute expiry of a sign-in session in milliseconds (default 14 days). */
  sessionAbsoluteMs?: number;
  /**
   * The cookies' Secure attribute: true or false forces it; absent, it is set when the public URL is https
   * or the request came over https.
   */
  secureCookies?: boolean;
}

/** The web routes: sign-in and out, projects, packages, releases, builds, keys, repositories, settings. */
export function webPlugin(options: WebOptions = {}): FastifyPluginAsync<PluginOptions> {
  return async (app: FastifyInstance, plugin: PluginOptions) => {
    const { deps } = plugin;
    const publicUrl = deps.config.publicUrl;
    const runtime: WebRuntime = {
      lifetimes: {
        idleMs: options.sessionIdleMs ?? DEFAULT_LIFETIMES.idleMs,
        absoluteMs: options.sessionAbsoluteMs ?? DEFAULT_LIFETIMES.absoluteMs,
      },
      hmacKey: csrfKey(deps.masterKey),
      publicOrigin: publicUrl === undefined ? undefined : new URL(publicUrl).origin,
      secureCookies: options.secureCookies,
    };
    registerWeb(deps.db, runtime);

    await pageSecurity(app);
    await app.register(cookie);
    await app.register(csrfProtection, {
      cookieKey: CSRF_COOKIE,
      cookieOpts: { path: "/", sameSite: "lax", httpOnly: true },
      getUserInfo: csrfUserInfo,
      csrfOpts: { hmacKey: runtime.hmacKey, userInfo: true },
    });
    const uploadLimitBytes = deps.config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
    // One byte over the limit reaches the upload functions, which refuse it as the API does (PAYLOAD_TOO_LARGE).
    await app.register(multipart, { limits: { fileSize: uploadLimitBytes + 1, files: 1, fields: 20 } });
    acceptForms(app);

    const pages: PagesOptions = {
      deps,
      runtime,
      strict: { max: plugin.rateLimit.strictMax, timeWindow: plugin.rateLimit.windowMs },
      uploadLimitBytes,
    };

    // Pages answer in HTML: an expired session or none goes to the sign-in form; a refusal is a page naming
    // the code. Unexpected failures keep the API's handling (500 INTERNAL with the request id, logged).
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (isServerError(error, "SESSION_EXPIRED") || isServerError(error, "UNAUTHENTICATED")) {
        if (isServerError(error, "SESSION_EXPIRED")) clearSessionCookie(request, reply, pages);
        return reply.status(303).header("location", "/sign-in").header("cache-control", "no-store").send();
      }
      if (!isServerError(error) && !Array.isArray(error.validation)) return sendError(error, request, reply);
      const code = isServerError(error) ? error.code : "INVALID_REQUEST";
      const status = isServerError(error) ? statusOf(error.code) : 400;
      const page = renderPage(html`<${Layout} title=${`Error ${status}`}>
        <h1>Error ${status}</h1>
        <div class="error" role="alert"><p><strong>${code}:</strong> ${error.message}</p></div>
        <p><a href="/">Back to your projects</a></p>
      <//>`);
      return sendHtml(reply, page, status, { noStore: true });
    });

    signInPages(app, pages);
    projectPages(app, pages);
    const packagePage = packagePages(app, pages);
    buildPages(app, pages, packagePage);
    keyPages(app, pages);
    repositoryPages(app, pages);
    settingsPages(app, pages);
  };
}
