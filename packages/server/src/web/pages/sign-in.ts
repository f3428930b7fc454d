/**
 * Signing in and out: `GET /sign-in` (the form, with a CSRF token bound to no session yet), `POST /sign-in`
 * (accounts' signIn, scrypt; the strict rate limit), `POST /sign-out` and `POST /sign-out-everywhere`
 * (revokes every session of the user).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { signIn } from "../../accounts/users.ts";
import { isSecure } from "../csrf.ts";
import {
  checkForm,
  csrfField,
  csrfTokenFor,
  errorBlock,
  field,
  formOf,
  PAGE_RESPONSE,
  type PagesOptions,
} from "../forms.ts";
import { html, renderPage } from "../html.ts";
import { Layout } from "../layout.ts";
import { sendHtml } from "../security.ts";
import {
  createSession,
  revokeAllSessions,
  revokeSession,
  SESSION_COOKIE,
  sessionCookieOf,
} from "../sessions.ts";

/** The sign-in form. */
function signInPage(csrf: string, email: string, error?: { code: string; message: string }) {
  return renderPage(html`<${Layout} title="Sign in">
    <h1>Sign in</h1>
    ${errorBlock(error)}
    <form method="post" action="/sign-in" class="stacked">
      ${csrfField(csrf)}
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required value=${email} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit">Sign in</button>
    </form>
  <//>`);
}

/** Clears the session cookie. */
export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, o: PagesOptions): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: isSecure(request, o.runtime),
  });
}

export function signInPages(app: FastifyInstance, o: PagesOptions): void {
  const { db, clock } = o.deps;

  app.get(
    "/sign-in",
    { config: { authz: "public" }, schema: { response: PAGE_RESPONSE } },
    async (request, reply) =>
      sendHtml(reply, signInPage(csrfTokenFor(request, reply, o.runtime), ""), 200, { noStore: true }),
  );

  app.post(
    "/sign-in",
    {
      config: { authz: "public", csrf: "form", rateLimit: o.strict },
      schema: { response: PAGE_RESPONSE },
    },
    async (request, reply) => {
      const form = formOf(request);
      checkForm(request, o.runtime, form._csrf?.[0]);
      const email = field(form, "email");
      const password = form.password?.[0] ?? "";
      const user = email === "" || password === "" ? undefined : await signIn(db, email, password);
      if (user === undefined)
        return sendHtml(
          reply,
          signInPage(csrfTokenFor(request, reply, o.runtime), email, {
            code: "UNAUTHENTICATED",
            message: "Expected a known email with its password, found no match",
          }),
          401,
          { noStore: true },
        );
      const old = sessionCookieOf(request);
      if (old !== undefined) await revokeSession(db, old, clock.now());
      const { cookie, session } = await createSession(db, user.id, clock.now(), o.runtime.lifetimes);
      reply.setCookie(SESSION_COOKIE, cookie, {
        path: "/",
        httpOnly: true,
        sameSite: "lax",
        secure: isSecure(request, o.runtime),
        expires: session.expiresAt,
      });
      return reply.status(303).header("location", "/").header("cache-control", "no-store").send();
    },
  );

  app.post(
    "/sign-out",
    { config: { authz: { signedIn: true }, csrf: "form" }, schema: { response: PAGE_RESPONSE } },
    async (request, reply) => {
      checkForm(request, o.runtime, formOf(request)._csrf?.[0]);
      const cookie = sessionCookieOf(request);
      if (cookie !== undefined) await revokeSession(db, cookie, clock.now());
      clearSessionCookie(request, reply, o);
      return reply.status(303).header("location", "/sign-in").send();
    },
  );

  app.post(
    "/sign-out-everywhere",
    { config: { authz: { signedIn: true }, csrf: "form" }, schema: { response: PAGE_RESPONSE } },
    async (request, reply) => {
      checkForm(request, o.runtime, formOf(request)._csrf?.[0]);
      await revokeAllSessions(db, request.principal!.userId, clock.now());
      clearSessionCookie(request, reply, o);
      return reply.status(303).header("location", "/sign-in").send();
    },
  );
}
