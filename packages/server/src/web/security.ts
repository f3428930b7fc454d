/**
 * Security headers of the HTML pages, with @fastify/helmet: a Content-Security-Policy that allows only the
 * site's own files (no inline script, no inline event handler, no inline style: the data islands are
 * `type="application/json"`), no framing, forms posting to the site only, and helmet's other defaults.
 */
import helmet from "@fastify/helmet";
import type { FastifyInstance, FastifyReply } from "fastify";

/** The pages' CSP directives (helmet writes them in this order). */
export const PAGE_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:"],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // helmet's default upgrade-insecure-requests would break a self-hosted server on plain http.
  upgradeInsecureRequests: null,
} as const;

/**
 * Registers helmet in `app`'s own scope (call it inside an encapsulated plugin: the routes of that plugin
 * get the headers, the JSON API and the repository files do not).
 *
 * @example export const myPages: FastifyPluginAsync<PluginOptions> = async (app) => { await pageSecurity(app); … }
 */
export async function pageSecurity(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...PAGE_CSP_DIRECTIVES } },
    // Same-origin requests keep their referrer, so browsers send the real Origin on the pages' form posts
    // (under no-referrer Chromium sends `Origin: null`); nothing goes to other sites.
    referrerPolicy: { policy: "same-origin" },
  });
}

/** Options of {@link sendHtml}. */
export interface SendHtmlOptions {
  /** `cache-control: no-store` (signed-in pages: nothing of them is kept by a shared or browser cache). */
  noStore?: boolean;
}

/**
 * Sends a rendered page: `text/html; charset=utf-8` and `status`.
 *
 * @example return sendHtml(reply, renderPage(page), 200, { noStore: true });
 */
export function sendHtml(
  reply: FastifyReply,
  html: string,
  status = 200,
  options: SendHtmlOptions = {},
): FastifyReply {
  reply.status(status).header("content-type", "text/html; charset=utf-8");
  if (options.noStore === true) reply.header("cache-control", "no-store");
  return reply.send(html);
}
