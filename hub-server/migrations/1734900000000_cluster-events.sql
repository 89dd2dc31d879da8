-- Up Migration
-- The event log of a region's hub processes (cluster mode): what one process changed that the others
-- hold in memory, in commit order. Appends are serialised with an advisory lock, so a reader that
-- finds a sequence number missing knows it missed something and reloads. Kept for minutes only.
CREATE TABLE cluster_events (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  origin text NOT NULL,
  kind text NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX cluster_events_at ON cluster_events (at);

-- Failed logins and enrolment attempts by key (address, address and user name), counted by every hub
-- process of a region in cluster mode. Rows older than the limits' window are deleted.
CREATE TABLE auth_failures (
  id bigserial PRIMARY KEY,
  key text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key, at);

-- Who leads the region now, and where the other processes reach it (they forward live feeds there).
CREATE TABLE cluster_leader (
  lease integer PRIMARY KEY,
  instance_id text NOT NULL,
  url text NOT NULL,
  since timestamptz NOT NULL
);

-- Down Migration
DROP TABLE cluster_leader;
DROP TABLE auth_failures;
DROP TABLE cluster_events;
