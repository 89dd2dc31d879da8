-- Up Migration
-- Time per state per camera, from closed state intervals only (the open interval is read live).
-- Hourly buckets start on UTC hours; daily buckets on Europe/London midnights (23 h and 25 h days
-- included). Rows are added to as intervals close, in the same transaction as the interval write.
CREATE TABLE camera_state_hourly (
  camera_id text NOT NULL REFERENCES cameras (id),
  bucket_start timestamptz NOT NULL,
  up_ms bigint NOT NULL DEFAULT 0,
  degraded_ms bigint NOT NULL DEFAULT 0,
  down_ms bigint NOT NULL DEFAULT 0,
  unknown_ms bigint NOT NULL DEFAULT 0,
  maintenance_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (camera_id, bucket_start)
);

CREATE TABLE camera_state_daily (
  camera_id text NOT NULL REFERENCES cameras (id),
  bucket_start timestamptz NOT NULL,
  up_ms bigint NOT NULL DEFAULT 0,
  degraded_ms bigint NOT NULL DEFAULT 0,
  down_ms bigint NOT NULL DEFAULT 0,
  unknown_ms bigint NOT NULL DEFAULT 0,
  maintenance_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (camera_id, bucket_start)
);
CREATE INDEX camera_state_daily_bucket_idx ON camera_state_daily (bucket_start);
CREATE INDEX camera_state_intervals_open_ended_idx ON camera_state_intervals (camera_id, ended_at);

-- Down Migration
DROP INDEX camera_state_intervals_open_ended_idx;
DROP TABLE camera_state_daily;
DROP TABLE camera_state_hourly;
