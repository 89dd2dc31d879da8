-- Up Migration
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE hubs (
  id text PRIMARY KEY,
  name text NOT NULL,
  operator text NOT NULL DEFAULT '',
  location geometry(Point, 4326)
);

CREATE TABLE councils (
  id text PRIMARY KEY,
  name text NOT NULL,
  hub_id text NOT NULL REFERENCES hubs (id)
);

CREATE TABLE sites (
  id text PRIMARY KEY,
  name text NOT NULL,
  council_id text NOT NULL REFERENCES councils (id),
  hub_id text NOT NULL REFERENCES hubs (id),
  location geometry(Point, 4326),
  state text NOT NULL DEFAULT 'unknown' CHECK (state IN ('online', 'offline', 'unknown')),
  state_since timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  agent_version text,
  camera_count integer NOT NULL DEFAULT 0
);

CREATE TABLE cameras (
  id text PRIMARY KEY,
  site_id text NOT NULL REFERENCES sites (id),
  name text NOT NULL,
  location geometry(Point, 4326) NOT NULL,
  bearing_deg double precision NOT NULL,
  hfov_deg double precision NOT NULL,
  design_distance_m double precision NOT NULL,
  purpose text NOT NULL,
  commissioned_bitrate_kbps double precision,
  active boolean NOT NULL DEFAULT true,
  state text NOT NULL DEFAULT 'unknown' CHECK (state IN ('up', 'degraded', 'down', 'unknown', 'maintenance')),
  state_since timestamptz NOT NULL DEFAULT now(),
  reasons jsonb NOT NULL DEFAULT '[]',
  last_seen_at timestamptz,
  last_health jsonb,
  last_health_at timestamptz,
  last_stream jsonb,
  last_stream_at timestamptz
);
CREATE INDEX cameras_site_idx ON cameras (site_id);
CREATE INDEX cameras_location_idx ON cameras USING gist (location);

-- State as time intervals (transitions); ended_at is null for the open interval of each camera.
CREATE TABLE camera_state_intervals (
  id bigserial PRIMARY KEY,
  camera_id text NOT NULL REFERENCES cameras (id),
  state text NOT NULL CHECK (state IN ('up', 'degraded', 'down', 'unknown', 'maintenance')),
  reasons jsonb NOT NULL DEFAULT '[]',
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX camera_state_intervals_camera_idx ON camera_state_intervals (camera_id, started_at);
CREATE UNIQUE INDEX camera_state_intervals_open_idx ON camera_state_intervals (camera_id) WHERE ended_at IS NULL;

CREATE TABLE site_state_intervals (
  id bigserial PRIMARY KEY,
  site_id text NOT NULL REFERENCES sites (id),
  state text NOT NULL CHECK (state IN ('online', 'offline', 'unknown')),
  started_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX site_state_intervals_site_idx ON site_state_intervals (site_id, started_at);
CREATE UNIQUE INDEX site_state_intervals_open_idx ON site_state_intervals (site_id) WHERE ended_at IS NULL;

-- Every accepted message id: ingest is idempotent on msgId.
CREATE TABLE ingested_messages (
  msg_id text PRIMARY KEY,
  site_id text NOT NULL,
  seq bigint NOT NULL,
  kind text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE health_samples (
  msg_id text PRIMARY KEY,
  camera_id text NOT NULL REFERENCES cameras (id),
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL,
  clock_offset_ms double precision,
  payload jsonb NOT NULL
);
CREATE INDEX health_samples_camera_idx ON health_samples (camera_id, observed_at);

CREATE TABLE stream_samples (
  msg_id text PRIMARY KEY,
  camera_id text NOT NULL REFERENCES cameras (id),
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  payload jsonb NOT NULL
);
CREATE INDEX stream_samples_camera_idx ON stream_samples (camera_id, observed_at);

CREATE TABLE camera_events (
  msg_id text PRIMARY KEY,
  camera_id text NOT NULL REFERENCES cameras (id),
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  type text NOT NULL,
  active boolean NOT NULL,
  payload jsonb NOT NULL
);
CREATE INDEX camera_events_camera_idx ON camera_events (camera_id, observed_at);

-- Rejected messages, kept for inspection; raw bytes are truncated to a configured bound.
CREATE TABLE dead_letters (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic text NOT NULL,
  site_id text,
  code text NOT NULL,
  path text NOT NULL,
  message text NOT NULL,
  raw bytea NOT NULL,
  raw_size integer NOT NULL
);
CREATE INDEX dead_letters_received_idx ON dead_letters (received_at);

CREATE TABLE users (
  username text PRIMARY KEY,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('operator', 'council', 'controlroom', 'auditor')),
  council_ids text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled boolean NOT NULL DEFAULT false
);

-- Down Migration
DROP TABLE users;
DROP TABLE dead_letters;
DROP TABLE camera_events;
DROP TABLE stream_samples;
DROP TABLE health_samples;
DROP TABLE ingested_messages;
DROP TABLE site_state_intervals;
DROP TABLE camera_state_intervals;
DROP TABLE cameras;
DROP TABLE sites;
DROP TABLE councils;
DROP TABLE hubs;
