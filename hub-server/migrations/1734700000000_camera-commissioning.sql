-- Up Migration
-- Commissioning records sent by a site box (npm run agent -- commission): who, when, the view's
-- purpose and geometry as the installer recorded them, and what was measured at that moment. Kept
-- as they came, dated, one row per record; the hub judges each against the purpose when read.
CREATE TABLE camera_commissioning (
  id bigserial PRIMARY KEY,
  msg_id text NOT NULL UNIQUE,
  camera_id text NOT NULL REFERENCES cameras (id),
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  recorded_by text NOT NULL,
  payload jsonb NOT NULL
);
CREATE INDEX camera_commissioning_camera ON camera_commissioning (camera_id, observed_at DESC);

-- Down Migration
DROP TABLE camera_commissioning;
