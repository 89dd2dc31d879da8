-- Up Migration
-- Declared maintenance: one-off or recurring (weekly, monthly) in Europe/London wall-clock time.
-- Time inside a window counts as maintenance and is excluded from availability. A window cannot be
-- created or moved into the past; a running window or series can only be ended (ended_at/until).
CREATE TABLE maintenance_windows (
  id bigserial PRIMARY KEY,
  scope_kind text NOT NULL CHECK (scope_kind IN ('camera', 'site', 'council')),
  scope_id text NOT NULL,
  title text NOT NULL,
  reason text NOT NULL DEFAULT '',
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
  recurrence text NOT NULL DEFAULT 'none' CHECK (recurrence IN ('none', 'weekly', 'monthly')),
  until timestamptz,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX maintenance_windows_scope_idx ON maintenance_windows (scope_kind, scope_id);

-- Down Migration
DROP TABLE maintenance_windows;
