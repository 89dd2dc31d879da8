-- Up Migration
-- The latest probe of each secondary media profile (sub-stream) of a camera, by profile token. The main
-- stream stays in cameras.last_stream; every probe of either is kept in stream_samples. Sub-streams are
-- judged by the bitrate-declared rule and shown in the camera detail, each on its own.
CREATE TABLE camera_sub_streams (
  camera_id text NOT NULL REFERENCES cameras (id),
  token text NOT NULL,
  observed_at timestamptz NOT NULL,
  payload jsonb NOT NULL,
  PRIMARY KEY (camera_id, token)
);

-- Down Migration
DROP TABLE camera_sub_streams;
