-- Builds: agents, build requests, the job queue, attempts, live logs, project build secrets and GitHub
-- webhooks. Conventions as in 0001 (bigint identities, timestamptz written by the server; queue times that
-- leases and backoff compare come from the database clock, now(), so agents' and servers' clocks do not
-- matter).

-- Build agents: machines that claim jobs over HTTP with a Bearer agent token (`pka_` + 32 random bytes,
-- shown once; only its SHA-256 is kept). project_id NULL: a shared agent an admin registered; else an agent
-- an owner registered for one project, which claims only that project's jobs.
CREATE TABLE agents (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  project_id bigint REFERENCES projects (id) ON DELETE CASCADE,
  token_sha256 bytea NOT NULL CHECK (octet_length(token_sha256) = 32),
  -- Labels the agent offers; a job whose labels are all among them may be claimed by it.
  labels text[] NOT NULL DEFAULT '{}',
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT agents_token_sha256_key UNIQUE (token_sha256)
);
CREATE UNIQUE INDEX agents_shared_name_key ON agents (name) WHERE project_id IS NULL;
CREATE UNIQUE INDEX agents_project_name_key ON agents (project_id, name) WHERE project_id IS NOT NULL;

-- A build request: one package at one version for some catalogue targets. The packyard.yml and the sources
-- (access name → sha256) are recorded as they were when the build was requested, so a retry builds the same
-- bytes even if the package's files change meanwhile; source_date_epoch is fixed here for the same reason.
-- state follows the jobs' states (the server recomputes it whenever a job changes).
CREATE TABLE builds (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL,
  package_id bigint NOT NULL,
  version text NOT NULL CHECK (length(version) BETWEEN 1 AND 128 AND version !~ '[[:space:][:cntrl:]/]'),
  state text NOT NULL CHECK (state IN ('pending', 'running', 'publishing', 'succeeded', 'failed', 'cancelled')),
  -- Catalogue ids, in request order.
  targets text[] NOT NULL CHECK (cardinality(targets) > 0),
  force boolean NOT NULL DEFAULT false,
  config text NOT NULL,
  -- [{ "accessName": "...", "sha256": "<hex>", "size": n }]
  sources jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(sources) = 'array'),
  source_date_epoch bigint NOT NULL CHECK (source_date_epoch >= 0),
  -- [{ "code": "...", "message": "..." }] — e.g. a signature: block ignored because the server signs.
  warnings jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(warnings) = 'array'),
  trigger text NOT NULL DEFAULT 'api' CHECK (trigger IN ('api', 'webhook', 'web')),
  requested_by bigint REFERENCES users (id) ON DELETE SET NULL,
  -- Next log sequence number of this build (the SSE event id); taken under this row's lock, so sequence
  -- order is commit order and a reader resuming after n sees no gap.
  log_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  cancel_requested_at timestamptz,
  CONSTRAINT builds_package_fkey FOREIGN KEY (package_id, project_id)
    REFERENCES packages (id, project_id) ON DELETE CASCADE
);
CREATE INDEX builds_package_idx ON builds (package_id, created_at);
CREATE INDEX builds_project_idx ON builds (project_id, created_at);

-- One job per (packager format, architecture, build environment) of a build; its one artifact goes to every
-- target in `targets` (the native writers make the same bytes for debian-12 and ubuntu-24.04).
--   pending → running → publishing → succeeded | failed | cancelled
-- attempt is the current attempt number and the fencing token: calls carrying an older one are refused.
CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  build_id bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  -- A packager of @packyard/formats' build API: deb, rpm, archlinux, apk.
  format text NOT NULL CHECK (format ~ '^[a-z0-9.-]{1,32}$'),
  -- The package architecture as packyard.yml writes it (amd64, arm64, all, ...); writers translate it.
  arch text NOT NULL CHECK (length(arch) BETWEEN 1 AND 64),
  -- Build environment id (server build-side catalogue; 'native' = written by @packyard/formats anywhere).
  environment text NOT NULL DEFAULT 'native' CHECK (environment ~ '^[a-z0-9][a-z0-9.-]{0,63}$'),
  targets text[] NOT NULL CHECK (cardinality(targets) > 0),
  -- The package's packyard.yml has build steps: only an agent runs it (never the in-process worker).
  has_steps boolean NOT NULL DEFAULT false,
  -- Labels an agent must offer to claim it.
  labels text[] NOT NULL DEFAULT '{}',
  state text NOT NULL CHECK (state IN ('pending', 'running', 'publishing', 'succeeded', 'failed', 'cancelled')),
  attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts > 0),
  run_after timestamptz NOT NULL DEFAULT now(),
  -- 'agent:<id>' or 'worker:<uuid>' while running.
  lease_owner text,
  lease_expires_at timestamptz,
  cancel_requested boolean NOT NULL DEFAULT false,
  -- The uploaded, unsigned package of the attempt that succeeded (published from it, once).
  upload_sha256 text REFERENCES blobs (sha256) ON DELETE RESTRICT,
  upload_file_name text,
  -- The published artifact.
  artifact_id bigint REFERENCES artifacts (id) ON DELETE SET NULL,
  failure_code text,
  failure_message text,
  -- Bytes of log stored for this job (capped; past the cap one truncation marker is stored).
  log_bytes bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  started_at timestamptz,
  finished_at timestamptz,
  CONSTRAINT jobs_build_key UNIQUE (build_id, format, arch, environment),
  CONSTRAINT jobs_lease_complete CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
);
CREATE INDEX jobs_build_idx ON jobs (build_id);
CREATE INDEX jobs_pending_idx ON jobs (created_at) WHERE state = 'pending';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_publishing_idx ON jobs (id) WHERE state = 'publishing';

-- Every claim of a job. state 'lost': the lease expired (or the agent came back with an older attempt).
CREATE TABLE job_attempts (
  job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt integer NOT NULL CHECK (attempt > 0),
  lease_owner text NOT NULL,
  agent_id bigint REFERENCES agents (id) ON DELETE SET NULL,
  state text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'lost', 'cancelled')),
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz,
  finished_at timestamptz,
  failure_code text,
  failure_message text,
  PRIMARY KEY (job_id, attempt)
);

-- Log chunks. seq is the build's sequence (builds.log_seq), the SSE event id; (job, attempt, chunk) makes a
-- resent chunk a no-op.
CREATE TABLE job_logs (
  build_id bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  seq bigint NOT NULL CHECK (seq > 0),
  job_id bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt integer NOT NULL CHECK (attempt >= 0),
  chunk integer NOT NULL CHECK (chunk >= 0),
  stream text NOT NULL CHECK (stream IN ('stdout', 'stderr', 'system')),
  at timestamptz NOT NULL,
  text text NOT NULL,
  PRIMARY KEY (build_id, seq),
  CONSTRAINT job_logs_chunk_key UNIQUE (job_id, attempt, chunk, stream)
);

-- Project build secrets (names → values), sealed like signing keys (AAD: project + name + purpose
-- 'build-secret'); sent only to jobs with build steps, redacted from their logs.
CREATE TABLE project_secrets (
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Z_][A-Z0-9_]{0,63}$'),
  value_sealed bytea NOT NULL CHECK (octet_length(value_sealed) >= 16),
  value_nonce bytea NOT NULL CHECK (octet_length(value_nonce) = 12),
  master_key_version integer NOT NULL REFERENCES master_keys (version) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, name)
);

-- GitHub webhook of a project: its secret (shown once, sealed; AAD project + purpose 'webhook'), how
-- release assets map to access names, and whether tag pushes build.
CREATE TABLE project_webhooks (
  project_id bigint PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  secret_sealed bytea NOT NULL CHECK (octet_length(secret_sealed) >= 16),
  secret_nonce bytea NOT NULL CHECK (octet_length(secret_nonce) = 12),
  master_key_version integer NOT NULL REFERENCES master_keys (version) ON DELETE RESTRICT,
  -- The package the webhook builds.
  package_id bigint REFERENCES packages (id) ON DELETE CASCADE,
  -- [{ "pattern": "app-*-linux-amd64.tar.gz", "accessName": "app-tarball" }]
  assets jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(assets) = 'array'),
  -- Access name a tag push's source tarball is stored under; NULL: tag pushes do not build.
  push_access_name text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Deliveries seen (X-GitHub-Delivery), so a redelivery does not build twice.
CREATE TABLE webhook_deliveries (
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  delivery_id text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 200),
  event text NOT NULL,
  build_id bigint REFERENCES builds (id) ON DELETE SET NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, delivery_id)
);
