/**
 * A project's signing keys (`/projects/:project/keys`, keys/project-keys.ts listKeys): state (rotation),
 * algorithm, full fingerprints in groups of four, public key downloads and, for owners, the backup
 * download (the API's routes, reached with the session cookie). No key material is ever in the page.
 */
import type { FastifyInstance } from "fastify";
import { listKeys } from "../../keys/project-keys.ts";
import {
  canAct,
  groupsOfFour,
  type PagesOptions,
  pageContext,
  projectNav,
  sendPage,
  when,
} from "../forms.ts";
import { html } from "../html.ts";
import { projectRoute } from "./projects.ts";

export function keyPages(app: FastifyInstance, o: PagesOptions): void {
  const { db, clock } = o.deps;

  app.get<{ Params: { project: string } }>(
    "/projects/:project/keys",
    projectRoute("viewer"),
    async (request, reply) => {
      const ctx = pageContext(request, reply, o.runtime);
      const access = request.project!;
      const keys = await listKeys(db, access.id, clock.now());
      const api = `/api/v1/projects/${access.slug}/keys`;
      const rotating = keys.some((k) => k.state === "retiring");
      return sendPage(reply, ctx, {
        title: `${access.slug}: keys`,
        nav: projectNav(access, "Keys"),
        body: html`<div>
        <h1>Signing keys of ${access.slug}</h1>
        <p>${rotating ? "A rotation is under way: the retiring key still signs until its overlap ends." : "No rotation under way."}</p>
        <table>
          <caption>Keys, active first</caption>
          <thead><tr><th scope="col">Purpose</th><th scope="col">State</th><th scope="col">Algorithm</th><th scope="col">Fingerprint</th><th scope="col">Dates</th><th scope="col">Public key</th></tr></thead>
          <tbody>
            ${keys.map(
              (k) => html`<tr>
                <td>${k.purpose === "openpgp" ? "OpenPGP" : "apk"}</td>
                <td><span class="badge" data-state=${k.state}>${k.state}</span></td>
                <td>${k.algorithm}</td>
                <td><code class="fingerprint">${groupsOfFour(k.fingerprint)}</code>${
                  k.signingFingerprint !== null && k.signingFingerprint !== k.fingerprint
                    ? html`<br />signing subkey <code class="fingerprint">${groupsOfFour(k.signingFingerprint)}</code>`
                    : null
                }</td>
                <td>created ${when(k.createdAt)}${k.overlapUntil === null ? null : html`<br />overlap until ${when(k.overlapUntil)}`}${
                  k.expiresAt === null ? null : html`<br />expires ${when(k.expiresAt)}`
                }</td>
                <td>${
                  k.state === "retired"
                    ? "—"
                    : k.purpose === "openpgp"
                      ? html`<a href=${`${api}/${k.id}.asc`}>${k.id}.asc</a>`
                      : html`<a href=${`${api}/${k.id}.rsa.pub`}>${k.apkKeyName ?? `${k.id}.rsa.pub`}</a>`
                }</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${
          canAct(access, "owner")
            ? html`<section aria-labelledby="backup">
                <h2 id="backup">Backup</h2>
                <p>The backup holds the secret keys: keep it offline. <a href=${`${api}/backup`} download="">Download the key backup (tar.gz)</a></p>
              </section>`
            : null
        }
      </div>`,
      });
    },
  );
}
