-- Up Migration
-- Login sessions, so a signed token can be revoked before it expires (logout, an operator ending a
-- session, a user disabled or given another role), and API keys for integrations.
CREATE TABLE auth_sessions (
  id uuid PRIMARY KEY,
  username text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by text,
  ip text,
  user_agent text CHECK (length(user_agent) <= 300)
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (username, created_at DESC);

-- An API key is `cctvk_<id>_<secret>`: the id is looked up, the 256-bit random secret is compared
-- with its SHA-256 (a slow hash adds nothing against a secret of that strength). The key acts with
-- its own role and councils, never more than the operator who made it chose.
CREATE TABLE api_keys (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('operator', 'council', 'controlroom', 'auditor')),
  council_ids text[] NOT NULL DEFAULT '{}',
  secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  revoked_by text,
  last_used_at timestamptz,
  CHECK (role <> 'council' OR cardinality(council_ids) > 0)
);

ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

-- Down Migration
ALTER TABLE users DROP COLUMN last_login_at;
ALTER TABLE users DROP COLUMN password_changed_at;
DROP TABLE api_keys;
DROP TABLE auth_sessions;
