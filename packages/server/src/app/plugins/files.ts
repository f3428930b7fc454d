/**
 * Hosted repository files: `GET|HEAD /r/<project>/<repository>/<path>` (this plugin is registered with the
 * prefix `/r`) streams `repos/<project>/<repository>/<path>` from the server's Storage (repos/serve.ts has
 * the headers: Content-Type, Cache-Control, ETag, Last-Modified, 304, 206/416).
 *
 * The route's authz rule is "public"; a private repository is checked here instead, with HTTP basic auth
 * carrying a project read token (repos/read-tokens.ts), because that is what apt, dnf, zypper and pacman
 * send. Without valid credentials a private repository answers 401 with
 * `WWW-Authenticate: Basic realm="packyard <project>"` (apt and libcurl send credentials only after that
 * challenge, or up front where configured). Every path that names nothing — an unknown project or
 * repository, a missing object, `.packyard/…`, traversal in any spelling — is a plain-text 404.
 */
import type { FastifyInstance } from "fastify";
import type { PluginOptions } from "../app.ts";
import { ERRORS } from "../schemas.ts";
import { readTokenAllows } from "../../repos/read-tokens.ts";
import { notFound, parseRepoPath, repoPrefix, sendObject } from "../../repos/serve.ts";

/** Where this plugin is mounted. */
export const FILES_MOUNT = "/r/";

const FILE = {
  description: "The object's bytes (a part of them for 206)",
  content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
} as const;
const TEXT = {
  description: "A short plain-text reason",
  content: { "text/plain": { schema: { type: "string" } } },
} as const;

/** The repository folder served without a read token even when the repository is private. */
const PUBLIC_IN_PRIVATE = "keys/";

export async function filesPlugin(app: FastifyInstance, options: PluginOptions): Promise<void> {
  const { db, storage, clock } = options.deps;

  app.route({
    method: ["GET", "HEAD"],
    url: "/*",
    config: {
      authz: "public",
      rateLimit: { max: options.rateLimit.filesMax, timeWindow: options.rateLimit.windowMs },
    },
    schema: {
      summary: "A file of a hosted repository",
      description:
        "GET or HEAD /r/<project>/<repository>/<path>. Private repositories need HTTP basic auth with a project read token as the password.",
      response: {
        200: FILE,
        206: FILE,
        304: { description: "Not modified", type: "null" },
        401: TEXT,
        404: TEXT,
        416: TEXT,
        ...ERRORS,
      },
    },
    handler: async (request, reply) => {
      const target = parseRepoPath(request.url, FILES_MOUNT);
      if (target === undefined) return notFound(reply);
      const { rows } = await db.query<{ project_id: number; private: boolean }>(
        `SELECT r.project_id, r.private FROM repositories r JOIN projects p ON p.id = r.project_id
          WHERE p.slug = $1 AND r.name = $2`,
        [target.project, target.repository],
      );
      const repository = rows[0];
      if (repository === undefined) return notFound(reply);
      // Public keys stay public in a private repository: the install steps fetch them with plain curl/wget
      // before any credential is configured (apt's Signed-By key, the .repo's gpgkey, pacman-key, apk keys).
      if (repository.private && !target.path.startsWith(PUBLIC_IN_PRIVATE)) {
        const allowed = await readTokenAllows(
          db,
          repository.project_id,
          request.headers.authorization,
          clock.now(),
        );
        if (!allowed)
          return reply
            .status(401)
            .header("www-authenticate", `Basic realm="packyard ${target.project}"`)
            .header("content-type", "text/plain; charset=utf-8")
            .header("cache-control", "no-store")
            .send("401 Unauthorized: this repository needs a read token (HTTP basic auth)\n");
      }
      return sendObject(storage, repoPrefix(target.project, target.repository), target.path, request, reply, {
        private: repository.private,
      });
    },
  });
}
