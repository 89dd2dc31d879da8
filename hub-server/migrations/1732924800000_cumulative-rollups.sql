-- Up Migration
-- Running totals per camera in the hourly rollup: cum_*_ms is the sum of *_ms over that camera's
-- buckets up to and including this one. Time in whole hours [a, b) is then the latest row before b
-- minus the latest row before a: two index probes per camera, whatever the length of the window.
-- Kept in the same transaction as the per-bucket values (see addRollups).
ALTER TABLE camera_state_hourly
  ADD COLUMN cum_up_ms bigint NOT NULL DEFAULT 0,
  ADD COLUMN cum_degraded_ms bigint NOT NULL DEFAULT 0,
  ADD COLUMN cum_down_ms bigint NOT NULL DEFAULT 0,
  ADD COLUMN cum_unknown_ms bigint NOT NULL DEFAULT 0,
  ADD COLUMN cum_maintenance_ms bigint NOT NULL DEFAULT 0;

UPDATE camera_state_hourly h SET
  cum_up_ms = r.up, cum_degraded_ms = r.degraded, cum_down_ms = r.down,
  cum_unknown_ms = r.unknown, cum_maintenance_ms = r.maintenance
FROM (
  SELECT camera_id, bucket_start,
    sum(up_ms) OVER w AS up, sum(degraded_ms) OVER w AS degraded, sum(down_ms) OVER w AS down,
    sum(unknown_ms) OVER w AS unknown, sum(maintenance_ms) OVER w AS maintenance
  FROM camera_state_hourly
  WINDOW w AS (PARTITION BY camera_id ORDER BY bucket_start)
) r
WHERE h.camera_id = r.camera_id AND h.bucket_start = r.bucket_start;

-- Each camera's latest hourly bucket and its running totals. A window ending after that bucket (the
-- usual case: a report up to now, and a camera whose state has not changed in the last hour) takes its
-- end value from here without searching the hourly rollup.
CREATE TABLE camera_state_totals (
  camera_id text PRIMARY KEY REFERENCES cameras (id),
  bucket_start timestamptz NOT NULL,
  cum_up_ms bigint NOT NULL,
  cum_degraded_ms bigint NOT NULL,
  cum_down_ms bigint NOT NULL,
  cum_unknown_ms bigint NOT NULL,
  cum_maintenance_ms bigint NOT NULL
);
INSERT INTO camera_state_totals
SELECT DISTINCT ON (camera_id) camera_id, bucket_start, cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms,
  cum_maintenance_ms
FROM camera_state_hourly ORDER BY camera_id, bucket_start DESC;

-- Down Migration
DROP TABLE camera_state_totals;
ALTER TABLE camera_state_hourly
  DROP COLUMN cum_up_ms, DROP COLUMN cum_degraded_ms, DROP COLUMN cum_down_ms,
  DROP COLUMN cum_unknown_ms, DROP COLUMN cum_maintenance_ms;
