-- Sign-in sessions of the web interface (issue 21). The cookie holds 32 random bytes (base64url); only
-- their SHA-256 is stored, so a copy of this table opens no session. A session ends at the first of: idle
-- expiry (moved forward as it is used), absolute expiry (fixed at sign-in), revocation (sign out, sign out
-- everywhere). Timestamps come from the server's clock, as elsewhere.
CREATE TABLE sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  id_sha256 bytea NOT NULL CHECK (octet_length(id_sha256) = 32),
  created_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  idle_expires_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  CONSTRAINT sessions_id_sha256_key UNIQUE (id_sha256),
  CONSTRAINT sessions_expiry_order CHECK (idle_expires_at <= expires_at AND created_at <= expires_at)
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;
