-- Up Migration
-- Reports read the closed intervals overlapping the partial hours at a window's edges; a GiST index
-- on the interval's time range finds about one per camera instead of scanning each camera's history.
CREATE INDEX camera_state_intervals_span_idx ON camera_state_intervals
  USING gist (tstzrange(started_at, ended_at)) WHERE ended_at IS NOT NULL;

-- Down Migration
DROP INDEX camera_state_intervals_span_idx;
