-- packyard server schema, first migration. Plain PostgreSQL 15 (Debian 12), which PGlite runs unchanged.
-- Never edit this file once released: the migrator records its SHA-256 and refuses a changed one; add
-- 0002_*.sql instead.
--
-- Conventions:
--   * ids are bigint identities, except signing_keys.id, a uuid the server draws before the row exists
--     (it is part of the AES-GCM associated data the secret is sealed with);
--   * timestamps are timestamptz written by the server from its injected clock (no DEFAULT now()), so tests
--     with a fixed clock see fixed rows;
--   * ON DELETE: a project's deletion takes everything that belongs to it (members, tokens scoped to it,
--     packages, releases, files, artifacts, keys, repositories); blobs are shared content-addressed objects,
--     so rows that use one RESTRICT its deletion and the collector deletes only unreferenced blobs; history
--     that names a user (who uploaded, who acted) is kept with the user set to NULL when the user goes;
--     memberships RESTRICT a user's deletion, so the server must remove them first through its rules (the
--     last owner of a project cannot leave).

-- Master key check values: HMAC-SHA256(master key, fixed label) per master key version, so a start with
-- another master key stops with MASTER_KEY_MISMATCH before it writes anything.
CREATE TABLE master_keys (
  version integer PRIMARY KEY CHECK (version > 0),
  check_value bytea NOT NULL CHECK (octet_length(check_value) = 32),
  created_at timestamptz NOT NULL
);

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  is_admin boolean NOT NULL DEFAULT false,
  -- scrypt (node:crypto) with a per-user salt; the cost parameters are stored so they can be raised later
  -- and old hashes still verify. All NULL: no password (an account used through tokens only).
  password_hash bytea,
  password_salt bytea,
  scrypt_n integer,
  scrypt_r integer,
  scrypt_p integer,
  created_at timestamptz NOT NULL,
  CONSTRAINT users_password_complete CHECK (
    (password_hash IS NULL AND password_salt IS NULL AND scrypt_n IS NULL AND scrypt_r IS NULL AND scrypt_p IS NULL)
    OR (password_hash IS NOT NULL AND octet_length(password_hash) >= 32
        AND password_salt IS NOT NULL AND octet_length(password_salt) >= 16
        AND scrypt_n > 1 AND scrypt_r > 0 AND scrypt_p > 0)
  )
);
CREATE UNIQUE INDEX users_slug_key ON users (slug);
-- Emails compare without case: Alice@Example.org and alice@example.org are one account.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  display_name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  CONSTRAINT projects_slug_key UNIQUE (slug)
);

CREATE TABLE memberships (
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  role text NOT NULL CHECK (role IN ('viewer', 'maintainer', 'owner')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- API tokens: `pky_` + 32 random bytes, shown once; only the SHA-256 of the whole token string is kept.
-- kind 'api' is a user's token (scopes, optionally one project); kind 'repository' is a project's read
-- token for a private repository (HTTP basic auth from apt/dnf/pacman), scope read only, never API access.
CREATE TABLE api_tokens (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'repository')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_sha256 bytea NOT NULL CHECK (octet_length(token_sha256) = 32),
  scopes text[] NOT NULL CHECK (
    cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write', 'publish', 'keys', 'admin']::text[]
  ),
  project_id bigint REFERENCES projects (id) ON DELETE CASCADE,
  expires_at timestamptz,
  revoked_at timestamptz,
  -- Written at most once a minute per token (the server compares before it updates).
  last_used_at timestamptz,
  created_at timestamptz NOT NULL,
  CONSTRAINT api_tokens_token_sha256_key UNIQUE (token_sha256),
  CONSTRAINT api_tokens_repository_read CHECK (
    kind = 'api' OR (project_id IS NOT NULL AND scopes = ARRAY['read']::text[])
  )
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
CREATE INDEX api_tokens_project_idx ON api_tokens (project_id) WHERE project_id IS NOT NULL;

-- A package of a project: its packyard.yml as uploaded (validated by the formats config loader first).
CREATE TABLE packages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9+._-]{0,127}$'),
  config text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT packages_project_name_key UNIQUE (project_id, name),
  -- Target of releases' composite key, so a release's project is its package's project.
  CONSTRAINT packages_id_project_key UNIQUE (id, project_id)
);

-- A release is package × version, unique. project_id is repeated (and tied to the package's by the composite
-- key) so artifacts can be unique per project.
CREATE TABLE releases (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id bigint NOT NULL,
  project_id bigint NOT NULL,
  version text NOT NULL CHECK (length(version) BETWEEN 1 AND 128 AND version !~ '[[:space:][:cntrl:]/]'),
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT releases_package_version_key UNIQUE (package_id, version),
  CONSTRAINT releases_id_project_key UNIQUE (id, project_id),
  CONSTRAINT releases_package_fkey FOREIGN KEY (package_id, project_id)
    REFERENCES packages (id, project_id) ON DELETE CASCADE
);
CREATE INDEX releases_project_idx ON releases (project_id);

-- Content-addressed objects in storage at blobs/sha256/<sha256>. A row is written only after the object is
-- committed to that key; the collector deletes rows (then objects) no file or artifact references.
CREATE TABLE blobs (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size bigint NOT NULL CHECK (size >= 0),
  created_at timestamptz NOT NULL
);

-- Source files and release assets of a package, by access name (DistroPack's file reference). Uploading
-- the same access name again points the row at the new blob.
CREATE TABLE package_files (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  package_id bigint NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
  access_name text NOT NULL CHECK (access_name ~ '^[A-Za-z0-9._-]{1,128}$' AND access_name NOT IN ('.', '..')),
  blob_sha256 text NOT NULL REFERENCES blobs (sha256) ON DELETE RESTRICT,
  uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT package_files_access_name_key UNIQUE (package_id, access_name)
);
CREATE INDEX package_files_blob_idx ON package_files (blob_sha256);

-- Ready-made packages (deb, rpm, pacman, apk, pkg, archives) of a release, with the PackageInfo the formats
-- reader produced, so a publish never reads the package again. One name+version+arch per format per
-- project: the same triple with other bytes is VERSION_EXISTS.
CREATE TABLE artifacts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id bigint NOT NULL,
  project_id bigint NOT NULL,
  format text NOT NULL CHECK (format ~ '^[a-z0-9-]{1,32}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
  version text NOT NULL CHECK (length(version) BETWEEN 1 AND 256),
  arch text NOT NULL CHECK (length(arch) BETWEEN 1 AND 64),
  file_name text NOT NULL CHECK (file_name ~ '^[A-Za-z0-9][A-Za-z0-9+~:%._-]{0,254}$'),
  blob_sha256 text NOT NULL REFERENCES blobs (sha256) ON DELETE RESTRICT,
  info jsonb NOT NULL CHECK (jsonb_typeof(info) = 'object'),
  uploaded_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT artifacts_release_fkey FOREIGN KEY (release_id, project_id)
    REFERENCES releases (id, project_id) ON DELETE CASCADE,
  CONSTRAINT artifacts_package_key UNIQUE (project_id, format, name, version, arch)
);
CREATE INDEX artifacts_release_idx ON artifacts (release_id);
CREATE INDEX artifacts_blob_idx ON artifacts (blob_sha256);

-- Signing keys per project: OpenPGP (v4 RSA-4096) and apk (RSA-4096). The secret key and its passphrase
-- are sealed with AES-256-GCM under the master key: ciphertext with its 16-byte tag, a random 96-bit nonce
-- each, the master key version, and associated data binding project id + key id + purpose. The public key
-- is stored binary (OpenPGP packets / DER SubjectPublicKeyInfo): no armor or PEM text in this table.
-- Rotation: the new key is 'active'; the old one is 'retiring' (APT and apk indexes carry both signatures)
-- until overlap_until, then 'retired' (kept sealed).
CREATE TABLE signing_keys (
  id uuid PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('openpgp', 'apk')),
  state text NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
  algorithm text NOT NULL,
  fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16,128}$'),
  public_key bytea NOT NULL,
  secret_sealed bytea NOT NULL CHECK (octet_length(secret_sealed) > 16),
  secret_nonce bytea NOT NULL CHECK (octet_length(secret_nonce) = 12),
  passphrase_sealed bytea CHECK (octet_length(passphrase_sealed) >= 16),
  passphrase_nonce bytea CHECK (octet_length(passphrase_nonce) = 12),
  master_key_version integer NOT NULL REFERENCES master_keys (version) ON DELETE RESTRICT,
  created_at timestamptz NOT NULL,
  activated_at timestamptz,
  overlap_until timestamptz,
  retired_at timestamptz,
  CONSTRAINT signing_keys_passphrase_complete CHECK ((passphrase_sealed IS NULL) = (passphrase_nonce IS NULL)),
  CONSTRAINT signing_keys_fingerprint_key UNIQUE (project_id, purpose, fingerprint)
);
-- One active key per project and purpose.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (project_id, purpose) WHERE state = 'active';

-- Hosted repositories, in @packyard/repo's layout at repos/<project>/<name>/ (one per project for now).
-- settings: families and targets (apt suites/components/architectures/Origin/Label, rpm targets, pacman,
-- apk), retention. A private repository is served only with a read token.
CREATE TABLE repositories (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  private boolean NOT NULL DEFAULT false,
  settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT repositories_project_name_key UNIQUE (project_id, name)
);

-- What was done and by whom (key backups, member changes, deletions). Kept when the actor or project goes.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  project_id bigint REFERENCES projects (id) ON DELETE SET NULL,
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),
  details jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_events_project_idx ON audit_events (project_id, at);
