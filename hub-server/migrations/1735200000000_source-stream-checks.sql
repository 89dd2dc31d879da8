-- Up Migration
-- Checks of mobile sources' streams made by the hub (while on duty or live): stream uptime on duty.
CREATE TABLE source_stream_checks (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL REFERENCES mobile_sources (id),
  checked_at timestamptz NOT NULL,
  ok boolean NOT NULL,
  codec text,
  width integer,
  height integer,
  fps double precision,
  bitrate_kbps double precision,
  error_code text,
  error text
);
CREATE INDEX source_stream_checks_source_time ON source_stream_checks (source_id, checked_at);

-- Down Migration
DROP TABLE source_stream_checks;
