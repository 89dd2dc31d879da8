-- Up Migration
-- How much video each camera's recording holds, as the site agent read it from ONVIF Profile G recording
-- search (about hourly): the retention rule's evidence. One row per reading, so a report for a finished
-- month can be judged on the reading it had at the month's end. The recorder id is the agent config's
-- name for the device, never an address.
CREATE TABLE retention_readings (
  msg_id text PRIMARY KEY,
  camera_id text NOT NULL REFERENCES cameras (id),
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  days_retained integer NOT NULL CHECK (days_retained >= 0),
  earliest_at timestamptz NOT NULL,
  latest_at timestamptz,
  source text NOT NULL CHECK (source IN ('camera', 'recorder')),
  payload jsonb NOT NULL
);
CREATE INDEX retention_readings_camera_idx ON retention_readings (camera_id, observed_at DESC);

-- Down Migration
DROP TABLE retention_readings;
