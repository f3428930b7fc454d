/**
 * The web interface (issue 21, items 1–4): server-rendered pages, sessions and CSRF, the public install
 * page. Registered by app.ts with the app's plugin options.
 */
import type { FastifyPluginAsync } from "fastify";
import type { PluginOptions } from "../app/app.ts";

/** Settings of the web interface (tests shorten expiries). */
export interface WebOptions {
  /** Idle expiry of a sign-in session in milliseconds. */
  sessionIdleMs?: number;
}

/** The web routes (filled in by issue 21's web work). */
export function webPlugin(_options: WebOptions = {}): FastifyPluginAsync<PluginOptions> {
  return async () => {};
}
