/** `packyard serve`: runs the packyard server (accounts, projects; see @packyard/server). */
import { type Command, runFrom } from "../command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "run the packyard server (embedded database and storage by default)",
  help: `Usage: packyard serve [--data DIR] [--host HOST] [--port PORT] [--public-url URL] [--repo-base-url URL] [--allow-signup] [--metrics-public] [--admin-token-file FILE] [--reindex] [--log-level LEVEL]

Runs the packyard server. With no settings everything lives in the data folder: the embedded database
(PGlite), the storage and master.key (created 0600 on first start). One server per data folder.
The first start creates the admin user and prints an admin token once on stdout.

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

SIGTERM or SIGINT stops it: no new connections, requests in flight finish (up to 30 s).
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
    "log-level": { type: "string" },
  },
  positionals: { min: 0, max: 0 },
  run: runFrom(() => import("../run/serve.ts")),
};
