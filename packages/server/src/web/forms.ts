/**
 * What the pages share: reading `application/x-www-form-urlencoded` bodies, the page context (signed-in
 * user, the session's CSRF token, the project navigation), the CSRF check of a form's `_csrf` field, and
 * the common blocks (error message, status badge, dates).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import type { Principal, ProjectAccess } from "../app/authz.ts";
import { statusOf } from "../app/http-errors.ts";
import { isServerError, ServerError } from "../errors.ts";
import {
  CSRF_COOKIE,
  CSRF_FIELD,
  checkOrigin,
  checkToken,
  csrfUserInfo,
  isSecure,
  type WebRuntime,
} from "./csrf.ts";
import { html, renderPage } from "./html.ts";
import { Layout } from "./layout.ts";
import { sendHtml } from "./security.ts";

/** Largest form body read (the upload forms are multipart and stream past this). */
export const FORM_LIMIT = 64 * 1024;

/** A parsed urlencoded form: every field's values, in order. */
export type FormFields = Record<string, string[]>;

/** Makes `app` (the pages' scope) read urlencoded form bodies into {@link FormFields}. */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: FORM_LIMIT },
    (_request, body, done) => {
      const fields: FormFields = {};
      for (const [k, v] of new URLSearchParams(body as string)) (fields[k] ??= []).push(v);
      done(null, fields);
    },
  );
}

/** The form fields of a request (empty without a form body). */
export function formOf(request: FastifyRequest): FormFields {
  const body = request.body;
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as FormFields) : {};
}

/** One field's first value, trimmed ("" when absent). */
export function field(form: FormFields, name: string): string {
  return (form[name]?.[0] ?? "").trim();
}

/** Every value of a field (checkboxes). */
export function fields(form: FormFields, name: string): string[] {
  return form[name] ?? [];
}

/** The CSRF checks of a form post (origin and the `_csrf` field or header); throws 403 CSRF_INVALID. */
export function checkForm(request: FastifyRequest, runtime: WebRuntime, token: string | undefined): void {
  checkOrigin(request, runtime);
  const header = request.headers["x-csrf-token"];
  checkToken(request, runtime, token !== undefined && token !== "" ? token : header);
}

/** A preHandler checking a urlencoded form's `_csrf` field. */
export function formCsrf(runtime: WebRuntime) {
  return async (request: FastifyRequest): Promise<void> => {
    checkForm(request, runtime, formOf(request)[CSRF_FIELD]?.[0]);
  };
}

/** A fresh CSRF token for the page being rendered, bound to the request's session (or none yet). */
export function csrfTokenFor(request: FastifyRequest, reply: FastifyReply, runtime: WebRuntime): string {
  return reply.generateCsrf({
    userInfo: csrfUserInfo(request),
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: isSecure(request, runtime),
  });
}

/** What every signed-in page is rendered with. */
export interface PageContext {
  principal: Principal;
  csrf: string;
  runtime: WebRuntime;
}

/** The signed-in page context of a request (the authorization hook set its principal). */
export function pageContext(request: FastifyRequest, reply: FastifyReply, runtime: WebRuntime): PageContext {
  return { principal: request.principal!, csrf: csrfTokenFor(request, reply, runtime), runtime };
}

/** The project pages' navigation. */
export function projectNav(
  project: { slug: string },
  current: string,
): { href: string; label: string; current?: boolean }[] {
  const base = `/projects/${project.slug}`;
  const items = [
    { href: base, label: "Packages" },
    { href: `${base}/releases`, label: "Releases" },
    { href: `${base}/builds`, label: "Builds" },
    { href: `${base}/keys`, label: "Keys" },
    { href: `${base}/repositories`, label: "Repositories" },
    { href: `${base}/settings`, label: "Settings" },
  ];
  return items.map((i) => (i.label === current ? { ...i, current: true } : i));
}

/** The account navigation (no project chosen). */
export function accountNav(current: string): { href: string; label: string; current?: boolean }[] {
  return [
    { href: "/", label: "Projects" },
    { href: "/settings/tokens", label: "Tokens" },
    { href: "/settings/plan", label: "Plan and usage" },
  ].map((i) => (i.label === current ? { ...i, current: true } : i));
}

/** Renders a signed-in page. */
export function sendPage(
  reply: FastifyReply,
  ctx: PageContext,
  page: { title: string; nav: { href: string; label: string; current?: boolean }[]; body: VNode | VNode[] },
  status = 200,
): FastifyReply {
  const user = { slug: ctx.principal.userSlug, isAdmin: ctx.principal.isAdmin };
  return sendHtml(
    reply,
    renderPage(
      html`<${Layout} title=${page.title} user=${user} csrfToken=${ctx.csrf} nav=${page.nav}>${page.body}<//>`,
    ),
    status,
    { noStore: true },
  );
}

/** An error shown above a form (role=alert), or nothing. */
export function errorBlock(error: { code: string; message: string } | undefined): VNode | null {
  if (error === undefined) return null;
  return html`<div class="error" role="alert"><p><strong>Error ${error.code}:</strong> ${error.message}</p></div>`;
}

/** A service failure as a form re-render needs it: message, code and the status the API answers with. */
export interface FormError {
  code: string;
  message: string;
  status: number;
}

/** The form error of a refused action; rethrows what is not a service error. */
export function formError(e: unknown): FormError {
  if (isServerError(e)) return { code: e.code, message: e.message, status: statusOf(e.code) };
  throw e;
}

/** The hidden CSRF field of a form. */
export function csrfField(token: string): VNode {
  return html`<input type="hidden" name=${CSRF_FIELD} value=${token} />`;
}

/** A build or job state as a text badge (the word carries the meaning; colour only repeats it). */
export function stateBadge(state: string, live = false): VNode {
  return html`<span class="badge" data-state=${state} data-build-state=${live ? state : undefined}>${state}</span>`;
}

/** A date as ISO 8601 in a `<time>` element. */
export function when(date: Date | string | null | undefined): VNode | string {
  if (date === null || date === undefined) return "—";
  const iso = typeof date === "string" ? date : date.toISOString();
  return html`<time datetime=${iso}>${iso.replace("T", " ").replace(/\.\d+Z$/, " UTC")}</time>`;
}

/** A fingerprint in groups of four characters. */
export function groupsOfFour(fingerprint: string): string {
  return (fingerprint.toUpperCase().match(/.{1,4}/g) ?? []).join(" ");
}

/** The session cookie's and the CSRF cookie's names, for sign-out. */
export const COOKIES = { csrf: CSRF_COOKIE };

/** Throws NOT_FOUND unless the caller's role in the project is at least `role` (pages hide stronger actions). */
export function canAct(project: ProjectAccess, role: "maintainer" | "owner"): boolean {
  return role === "owner" ? project.role === "owner" : project.role !== "viewer";
}

/** A ServerError for a form field the page expected. */
export function missingField(name: string, what: string): ServerError {
  return new ServerError("INVALID_REQUEST", `Expected ${what} in the ${name} field, found none`, {
    field: name,
  });
}

/** What each area's page routes are registered with. */
export interface PagesOptions {
  deps: import("../app/deps.ts").AppDeps;
  runtime: WebRuntime;
  /** The strict rate limit (sign-in, token creation). */
  strict: { max: number; timeWindow: number };
  /** Largest upload, as the API's. */
  uploadLimitBytes: number;
}

/** The response schema of an HTML page route (listed in the OpenAPI document as HTML). */
export const PAGE_RESPONSE = {
  200: { type: "string" },
  201: { type: "string" },
  303: { type: "null" },
  "4xx": { type: "string" },
} as const;
