/**
 * Settings: a project's members and roles (projects/service.ts setMember, changeMember via setMember,
 * removeMember: a change that would leave no owner shows LAST_OWNER) and its GitHub webhook secret
 * (builds/github.ts rotateWebhookSecret, shown once); the account's API tokens (accounts/tokens.ts
 * grantToken, as the API's token routes, listTokens, revokeOwnToken: a new token is shown in the answer to its
 * creation only) and its plan and usage (billing/usage.ts usageOf, what GET /api/v1/usage answers; the signed-in user is the
 * billing account).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { VNode } from "preact";
import type { Role } from "../../app/authz.ts";
import { ROLES } from "../../app/authz.ts";
import {
  grantToken,
  listTokens,
  revokeOwnToken,
  SCOPES,
  type Scope,
  TOKEN_NAME_MAX,
} from "../../accounts/tokens.ts";
import type { LimitName } from "../../billing/plans.ts";
import { type UsageView, usageOf } from "../../billing/usage.ts";
import { getWebhook, rotateWebhookSecret } from "../../builds/github.ts";
import { ServerError } from "../../errors.ts";
import { listMembers, removeMember, setMember } from "../../projects/service.ts";
import {
  accountNav,
  canAct,
  csrfField,
  errorBlock,
  type FormError,
  field,
  fields,
  formCsrf,
  formError,
  formOf,
  PAGE_RESPONSE,
  type PagesOptions,
  pageContext,
  projectNav,
  sendPage,
  when,
} from "../forms.ts";
import { html } from "../html.ts";
import { projectRoute } from "./projects.ts";

export function settingsPages(app: FastifyInstance, o: PagesOptions): void {
  const { deps } = o;
  const { db, clock } = deps;

  async function projectSettings(
    request: FastifyRequest,
    reply: FastifyReply,
    shown: { error?: FormError; webhookSecret?: string } = {},
    status = 200,
  ) {
    const ctx = pageContext(request, reply, o.runtime);
    const access = request.project!;
    const members = await listMembers(db, access.id);
    const owner = canAct(access, "owner");
    // The API shows a webhook to maintainers and owners only (hooks plugin): the page the same.
    const seesWebhook = canAct(access, "maintainer");
    const webhook = seesWebhook ? await getWebhook(db, access.id).catch(() => undefined) : undefined;
    const action = `/projects/${access.slug}/settings`;
    return sendPage(
      reply,
      ctx,
      {
        title: `${access.slug}: settings`,
        nav: projectNav(access, "Settings"),
        body: html`<div>
          <h1>Settings of ${access.slug}</h1>
          ${errorBlock(shown.error)}
          <section aria-labelledby="members">
            <h2 id="members">Members and roles</h2>
            <table>
              <caption>Members</caption>
              <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Since</th>${owner ? html`<th scope="col">Actions</th>` : null}</tr></thead>
              <tbody>
                ${members.map(
                  (m) => html`<tr>
                    <td>${m.user}</td>
                    <td>${m.role}</td>
                    <td>${when(m.since)}</td>
                    ${
                      owner
                        ? html`<td>
                            <form method="post" action=${`${action}/members`} class="inline">
                              ${csrfField(ctx.csrf)}
                              <input type="hidden" name="user" value=${m.user} />
                              <label for=${`role-${m.user}`}>Role of ${m.user}</label>
                              <select id=${`role-${m.user}`} name="role">
                                ${ROLES.map((r) => html`<option value=${r} selected=${r === m.role}>${r}</option>`)}
                              </select>
                              <button type="submit">Change role</button>
                            </form>
                            <form method="post" action=${`${action}/members/remove`} class="inline">
                              ${csrfField(ctx.csrf)}
                              <input type="hidden" name="user" value=${m.user} />
                              <button type="submit" aria-label=${`Remove ${m.user}`}>Remove</button>
                            </form>
                          </td>`
                        : null
                    }
                  </tr>`,
                )}
              </tbody>
            </table>
            ${
              owner
                ? html`<h3>Add a member</h3>
                  <form method="post" action=${`${action}/members`} class="stacked">
                    ${csrfField(ctx.csrf)}
                    <label for="member-user">User name</label>
                    <input id="member-user" name="user" required />
                    <label for="member-role">Role</label>
                    <select id="member-role" name="role">
                      ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
                    </select>
                    <button type="submit">Add member</button>
                  </form>`
                : null
            }
          </section>
          ${
            seesWebhook
              ? html`<section aria-labelledby="webhook">
            <h2 id="webhook">GitHub webhook</h2>
            ${
              webhook === undefined
                ? html`<p>No webhook is set up (PUT /api/v1/projects/${access.slug}/webhook makes one).</p>`
                : html`<p>Builds package ${webhook.package}; updated ${when(webhook.updatedAt)}.</p>
                  ${
                    shown.webhookSecret === undefined
                      ? null
                      : html`<div role="status" class="shown-once">
                          <p>The new secret, shown this once: paste it into GitHub's webhook settings now.</p>
                          <p><code id="webhook-secret">${shown.webhookSecret}</code>
                          <button type="button" data-copy-target="webhook-secret" data-copy-label="the secret">Copy</button></p>
                        </div>`
                  }
                  ${
                    owner
                      ? html`<form method="post" action=${`${action}/webhook-secret`}>
                          ${csrfField(ctx.csrf)}
                          <button type="submit">Make a new webhook secret</button>
                        </form>`
                      : null
                  }`
            }
          </section>`
              : null
          }
        </div>`,
      },
      status,
    );
  }

  app.get<{ Params: { project: string } }>(
    "/projects/:project/settings",
    projectRoute("viewer"),
    async (request, reply) => projectSettings(request, reply),
  );

  const ownerForm = {
    ...projectRoute("owner", true),
    config: { authz: { project: "owner" as const, scope: "write" as const }, csrf: "form" as const },
    preHandler: formCsrf(o.runtime),
  };

  app.post<{ Params: { project: string } }>(
    `/projects/:project/settings/members`,
    ownerForm,
    async (request, reply) => {
      const form = formOf(request);
      const role = field(form, "role") as Role;
      try {
        if (!ROLES.includes(role))
          throw new ServerError("INVALID_REQUEST", `Expected a role (${ROLES.join(", ")}), found ${role}`, {
            field: "role",
          });
        await setMember(deps, request.project!.id, field(form, "user"), role, request.principal!.userId);
        return reply.status(303).header("location", `/projects/${request.project!.slug}/settings`).send();
      } catch (e) {
        const error = formError(e);
        return projectSettings(request, reply, { error }, error.status);
      }
    },
  );

  app.post<{ Params: { project: string } }>(
    `/projects/:project/settings/members/remove`,
    ownerForm,
    async (request, reply) => {
      try {
        await removeMember(
          deps,
          request.project!.id,
          field(formOf(request), "user"),
          request.principal!.userId,
        );
        return reply.status(303).header("location", `/projects/${request.project!.slug}/settings`).send();
      } catch (e) {
        const error = formError(e);
        return projectSettings(request, reply, { error }, error.status);
      }
    },
  );

  app.post<{ Params: { project: string } }>(
    `/projects/:project/settings/webhook-secret`,
    ownerForm,
    async (request, reply) => {
      try {
        const { secret } = await rotateWebhookSecret(deps, request.project!.id, request.principal!.userId);
        return projectSettings(request, reply, { webhookSecret: secret });
      } catch (e) {
        const error = formError(e);
        return projectSettings(request, reply, { error }, error.status);
      }
    },
  );

  // --- the account: tokens, plan and usage ---------------------------------------------------------------

  async function tokensPage(
    request: FastifyRequest,
    reply: FastifyReply,
    shown: { error?: FormError; token?: string } = {},
    status = 200,
  ) {
    const ctx = pageContext(request, reply, o.runtime);
    const tokens = await listTokens(db, request.principal!.userId);
    const scopes = SCOPES.filter((s) => s !== "admin" || request.principal!.isAdmin);
    return sendPage(
      reply,
      ctx,
      {
        title: "API tokens",
        nav: accountNav("Tokens"),
        body: html`<div>
          <h1>API tokens</h1>
          ${
            shown.token === undefined
              ? null
              : html`<div role="status" class="shown-once">
                  <p>Your new token, shown this once: copy it now; it cannot be shown again.</p>
                  <p><code id="new-token">${shown.token}</code>
                  <button type="button" data-copy-target="new-token" data-copy-label="the token">Copy</button></p>
                </div>`
          }
          ${
            tokens.length === 0
              ? html`<p>No tokens.</p>`
              : html`<table>
                  <caption>Your tokens</caption>
                  <thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Project</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">State</th></tr></thead>
                  <tbody>
                    ${tokens.map(
                      (t) => html`<tr>
                        <td>${t.name}</td>
                        <td>${t.scopes.join(", ")}</td>
                        <td>${t.project ?? "any"}</td>
                        <td>${when(t.lastUsedAt)}</td>
                        <td>${when(t.expiresAt)}</td>
                        <td>${
                          t.revokedAt !== null
                            ? html`revoked ${when(t.revokedAt)}`
                            : html`<form method="post" action=${`/settings/tokens/${t.id}/revoke`}>
                                ${csrfField(ctx.csrf)}
                                <button type="submit" aria-label=${`Revoke token ${t.name}`}>Revoke</button>
                              </form>`
                        }</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>`
          }
          <section aria-labelledby="new-token-heading">
            <h2 id="new-token-heading">Create a token</h2>
            ${errorBlock(shown.error)}
            <form method="post" action="/settings/tokens" class="stacked">
              ${csrfField(ctx.csrf)}
              <label for="token-name">Name</label>
              <input id="token-name" name="name" required maxlength=${TOKEN_NAME_MAX} />
              <fieldset>
                <legend>Scopes</legend>
                ${scopes.map(
                  (s) => html`<div class="check">
                    <input type="checkbox" id=${`scope-${s}`} name="scopes" value=${s} checked=${s === "read"} />
                    <label for=${`scope-${s}`}>${s}</label>
                  </div>`,
                )}
              </fieldset>
              <button type="submit">Create token</button>
            </form>
          </section>
        </div>`,
      },
      status,
    );
  }

  const signedIn = {
    config: { authz: { signedIn: true as const } },
    schema: { response: PAGE_RESPONSE },
  };
  const signedInForm = {
    config: { authz: { signedIn: true as const }, csrf: "form" as const, rateLimit: o.strict },
    preHandler: formCsrf(o.runtime),
    schema: { response: PAGE_RESPONSE },
  };

  app.get("/settings/tokens", signedIn, async (request, reply) => tokensPage(request, reply));

  app.post("/settings/tokens", signedInForm, async (request, reply) => {
    const form = formOf(request);
    const caller = request.principal!;
    try {
      const made = await grantToken(
        db,
        clock.now(),
        { id: caller.userId, isAdmin: caller.isAdmin },
        { name: field(form, "name"), scopes: fields(form, "scopes") as Scope[] },
        caller,
      );
      return tokensPage(request, reply, { token: made.token }, 201);
    } catch (e) {
      const error = formError(e);
      return tokensPage(request, reply, { error }, error.status);
    }
  });

  app.post<{ Params: { id: number } }>(
    "/settings/tokens/:id/revoke",
    {
      ...signedInForm,
      config: { authz: { signedIn: true as const }, csrf: "form" as const },
      schema: {
        params: { type: "object", required: ["id"], properties: { id: { type: "integer", minimum: 1 } } },
        response: PAGE_RESPONSE,
      },
    },
    async (request, reply) => {
      await revokeOwnToken(db, request.principal!.userId, request.params.id, clock.now());
      return reply.status(303).header("location", "/settings/tokens").send();
    },
  );

  app.get("/settings/plan", signedIn, async (request, reply) => {
    const ctx = pageContext(request, reply, o.runtime);
    // The signed-in user is the billing account, as GET /api/v1/usage reads it (billing/usage.ts).
    const usage = await usageOf(db, deps.config.plans, request.principal!.userId);
    return sendPage(reply, ctx, {
      title: "Plan and usage",
      nav: accountNav("Plan and usage"),
      body: planBody(usage, deps.config.plans !== undefined),
    });
  });
}

/** How each limit is named and counted on the plan page. */
const LIMIT_ROWS: { limit: LimitName; label: string; unit: "count" | "bytes" }[] = [
  { limit: "projects", label: "Projects", unit: "count" },
  { limit: "builds_per_month", label: "Builds this period", unit: "count" },
  { limit: "storage_bytes", label: "Storage", unit: "bytes" },
  { limit: "targets", label: "Targets in one build request", unit: "count" },
];

/** A byte count with its binary-prefixed size (e.g. "1048576 bytes (1.0 MiB)"). */
export function byteText(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = "";
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return unit === "" ? `${n} bytes` : `${n} bytes (${value.toFixed(1)} ${unit})`;
}

/** The plan page's body: plan, status, period, and per limit what is used and what is allowed. */
export function planBody(usage: UsageView, withPlans: boolean): VNode {
  const amount = (n: number | null, unit: "count" | "bytes") =>
    n === null ? "unlimited" : unit === "bytes" ? byteText(n) : String(n);
  return html`<div>
    <h1>Plan and usage</h1>
    <dl>
      <dt>Plan</dt>
      <dd><strong>${usage.plan.name}</strong> (${usage.plan.id})</dd>
      <dt>Subscription</dt>
      <dd><span class="badge" data-state=${usage.status}>${usage.status}</span>${
        usage.status === "active"
          ? null
          : " — new writes wait until it is active again; hosted repositories and install pages keep serving"
      }</dd>
      <dt>Current period</dt>
      <dd>${when(usage.period.start)} to ${when(usage.period.end)}</dd>
    </dl>
    ${
      withPlans
        ? null
        : html`<p class="note">This server runs without a plans file: no limit applies to your account.</p>`
    }
    <table>
      <caption>Usage against the plan's limits</caption>
      <thead><tr><th scope="col">Limit</th><th scope="col">Used</th><th scope="col">Allowed</th></tr></thead>
      <tbody>
        ${LIMIT_ROWS.map(
          (r) => html`<tr>
            <th scope="row">${r.label}</th>
            <td>${r.limit === "targets" ? "— (counted per request)" : amount(usage.used[r.limit], r.unit)}</td>
            <td>${amount(usage.limits[r.limit], r.unit)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
