/** `packyard serve`: runs the packyard server (accounts, projects, builds; see @packyard/server). */
import { type Command, runFrom } from "../command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the packyard server (embedded database and storage by default)",
  help: `Usage: packyard serve [--data DIR] [--host HOST] [--port PORT] [--public-url URL] [--repo-base-url URL] [--allow-signup] [--metrics-public] [--admin-token-file FILE] [--reindex] [--workers N | --no-worker] [--local-agent] [--log-retention-days N] [--plans FILE] [--log-level LEVEL]

Runs the packyard server. With no settings everything lives in the data folder: the embedded database
(PGlite), the storage and master.key (created 0600 on first start). One server per data folder.
The first start creates the admin user and prints an admin token once on stdout.

Builds: the server runs an in-process build worker that claims queued build jobs and writes their
packages in a worker thread. It never runs user build steps (a packyard.yml build: block): such jobs wait
for an agent (packyard agent, or --local-agent). Expired leases are taken back, publishes cut by a stop
are resumed at start-up, and finished builds older than the retention are deleted hourly (each
package's last succeeded and last failed build are kept).

Options:
      --data DIR              data folder (default: ./packyard-data)
      --host HOST             address to listen on (default: 127.0.0.1)
      --port PORT             port to listen on (default: 8080; 0 picks a free one)
      --public-url URL        the URL clients reach the server at (behind a proxy; default: the address it
                              listens on), used in links and install text
      --repo-base-url URL     where users fetch hosted repositories when the storage is served directly
                              (an S3 website or CDN); install text points there instead of PUBLIC-URL/r/
      --allow-signup          anyone may create an account (default: an administrator creates them)
      --metrics-public        serve /metrics without a token (default: an admin token)
      --admin-token-file FILE write the first admin token to FILE (0600) instead of printing it
      --reindex               rebuild the database's repository records from the repository states in the
                              storage (they are authoritative) before serving
      --workers N             in-process build worker slots (default: 1)
      --no-worker             no in-process build worker (same as --workers 0): agents build every job
      --local-agent           also start a build agent as a child process (registered as a shared agent
                              named local-<random>; it runs build steps, see packyard agent --help)
      --log-retention-days N  delete finished builds and their logs after N days (default: 30)
      --plans FILE            plans and their limits (JSON, see README "Plans and billing"); checked at
                              start. Without it every account is unlimited
      --log-level LEVEL       fatal, error, warn, info (default), debug or trace; logs are JSON on stderr
      --debug                 stack traces on errors
  -h, --help                  show this help

Environment:
  DATABASE_URL                 PostgreSQL (postgres://user:password@host:port/db) instead of the embedded database
  PACKYARD_STORAGE             s3://bucket/prefix (or a folder) instead of DIR/storage
  PACKYARD_S3_ENDPOINT, PACKYARD_S3_REGION, PACKYARD_S3_PATH_STYLE (true/false), AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION: S3 settings and credentials
  PACKYARD_MASTER_KEY          the master key (64 hex digits or base64), instead of DIR/master.key
  PACKYARD_MASTER_KEY_FILE     a file holding the master key (32 bytes, mode 0600)
  PACKYARD_BUILD_LEASE_MS      lease of a claimed build job, renewed by heartbeats (default: 60000)
  PACKYARD_BUILD_HEARTBEAT_MS  the in-process workers' heartbeat interval (default: a quarter of the
                               lease, at most 15000)
  PACKYARD_BILLING_WEBHOOK_SECRET  the billing webhook's signing secret(s), comma-separated while rotating
                               (POST /hooks/billing answers 404 without one)

SIGTERM or SIGINT stops it: no new connections, requests in flight finish (up to 30 s), the build
workers' running jobs finish and are published, the local agent is stopped.
`,
  options: {
    data: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    "public-url": { type: "string" },
    "repo-base-url": { type: "string" },
    "allow-signup": { type: "boolean" },
    "metrics-public": { type: "boolean" },
    "admin-token-file": { type: "string" },
    reindex: { type: "boolean" },
    workers: { type: "string" },
    "no-worker": { type: "boolean" },
    "local-agent": { type: "boolean" },
    "log-retention-days": { type: "string" },
    "log-level": { type: "string" },
    plans: { type: "string" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../run/serve.ts")),
};
