-- Up Migration
-- Which certification code applies: the most specific assignment wins (camera, site, council),
-- else the hub's default code. Results always pin code@version and the overrides used.
CREATE TABLE certification_assignments (
  scope_kind text NOT NULL CHECK (scope_kind IN ('camera', 'site', 'council')),
  scope_id text NOT NULL,
  code text NOT NULL,
  version text,
  overrides jsonb NOT NULL DEFAULT '{}',
  assigned_by text NOT NULL,
  assigned_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope_kind, scope_id)
);

-- Latest evaluation per camera.
CREATE TABLE compliance_status (
  camera_id text PRIMARY KEY REFERENCES cameras (id),
  pack_ref text NOT NULL,
  status text NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'not_evaluable')),
  result jsonb NOT NULL,
  evaluated_at timestamptz NOT NULL,
  status_since timestamptz NOT NULL
);

-- History: one row per camera per Europe/London day with the day's worst and latest status.
CREATE TABLE compliance_daily (
  camera_id text NOT NULL REFERENCES cameras (id),
  day date NOT NULL,
  pack_ref text NOT NULL,
  worst_status text NOT NULL,
  latest_status text NOT NULL,
  latest_result jsonb NOT NULL,
  evaluated_at timestamptz NOT NULL,
  PRIMARY KEY (camera_id, day)
);

-- Down Migration
DROP TABLE compliance_daily;
DROP TABLE compliance_status;
DROP TABLE certification_assignments;
