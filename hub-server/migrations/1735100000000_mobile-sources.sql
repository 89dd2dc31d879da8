-- Up Migration
-- Mobile sources (police drones, body-worn cameras): registered by an operator for a police unit,
-- relayed by a registered site, never part of a council's evidence. Their position fixes are kept as a
-- track with the footprint each fix gave (PostGIS), for incident search, disclosure exports and the
-- link's uptime while on duty.
CREATE TABLE mobile_sources (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('drone', 'bodyworn')),
  name text NOT NULL,
  unit text NOT NULL,
  relay_site_id text NOT NULL REFERENCES sites (id),
  stream_url text NOT NULL,
  hfov_deg double precision NOT NULL CHECK (hfov_deg > 0 AND hfov_deg <= 180),
  vfov_deg double precision NOT NULL CHECK (vfov_deg > 0 AND vfov_deg <= 180),
  range_m double precision NOT NULL CHECK (range_m > 0),
  -- The key the source signs its telemetry with (HMAC-SHA256): the hub must hold it to check it.
  telemetry_key bytea NOT NULL,
  key_issued_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  created_by text NOT NULL,
  retired_at timestamptz
);
CREATE INDEX mobile_sources_relay_idx ON mobile_sources (relay_site_id);

-- The ground footprint of a drone's camera: the trapezoid where the gimbal's field of view meets
-- flat ground, from the height above it, the tilt below the horizon, the bearing and the fields of
-- view. The far edge stops at max_range (a camera tilted near the horizon sees to the horizon); a
-- near edge past the vertical lies behind the drone. Null without the data for it.
CREATE FUNCTION cctv_drone_footprint(loc geometry, alt double precision, pitch double precision,
  bearing double precision, hfov double precision, vfov double precision, max_range double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH a AS (
    SELECT
      CASE WHEN pitch + vfov / 2 >= 89.9 THEN -alt / tan(radians(greatest(180 - (pitch + vfov / 2), 0.1)))
           ELSE alt / tan(radians(pitch + vfov / 2)) END AS d_near,
      least(max_range, alt / tan(radians(greatest(pitch - vfov / 2, 1)))) AS d_far
  ), d AS (
    SELECT least(d_near, d_far - 0.1) AS d_near, d_far,
      sqrt(alt * alt + d_near * d_near) * tan(radians(hfov / 2)) AS w_near,
      sqrt(alt * alt + d_far * d_far) * tan(radians(hfov / 2)) AS w_far
    FROM a
  ), c AS (
    -- A corner: `along` metres along the bearing (negative: behind), then `across` to its right.
    SELECT
      ST_Project(ST_Project(loc::geography, abs(d.d_near), radians(bearing + CASE WHEN d.d_near < 0 THEN 180 ELSE 0 END)),
        d.w_near, radians(bearing - 90))::geometry AS near_left,
      ST_Project(ST_Project(loc::geography, abs(d.d_near), radians(bearing + CASE WHEN d.d_near < 0 THEN 180 ELSE 0 END)),
        d.w_near, radians(bearing + 90))::geometry AS near_right,
      ST_Project(ST_Project(loc::geography, d.d_far, radians(bearing)), d.w_far, radians(bearing + 90))::geometry AS far_right,
      ST_Project(ST_Project(loc::geography, d.d_far, radians(bearing)), d.w_far, radians(bearing - 90))::geometry AS far_left
    FROM d
  )
  SELECT CASE
    WHEN loc IS NULL OR alt IS NULL OR alt <= 0 OR pitch IS NULL OR bearing IS NULL OR hfov IS NULL OR vfov IS NULL THEN NULL
    ELSE (SELECT ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[near_left, near_right, far_right, far_left, near_left])), 4326) FROM c)
  END
$$;

CREATE TABLE source_positions (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL REFERENCES mobile_sources (id),
  msg_id text NOT NULL,
  observed_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  location geometry(Point, 4326) NOT NULL,
  altitude_m double precision,
  heading_deg double precision,
  gimbal_pitch_deg double precision,
  gimbal_bearing_deg double precision,
  speed_mps double precision,
  battery_pct double precision,
  link_quality_pct double precision,
  footprint geometry(Polygon, 4326)
);
CREATE INDEX source_positions_track_idx ON source_positions (source_id, observed_at);
CREATE INDEX source_positions_time_idx ON source_positions (observed_at);
CREATE INDEX source_positions_location_idx ON source_positions USING gist (location);
CREATE INDEX source_positions_footprint_idx ON source_positions USING gist (footprint);

-- Missions and shifts: a source's link uptime counts only inside them.
CREATE TABLE source_duty_windows (
  id bigserial PRIMARY KEY,
  source_id text NOT NULL REFERENCES mobile_sources (id),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX source_duty_windows_idx ON source_duty_windows (source_id, starts_at);

-- Down Migration
DROP TABLE source_duty_windows;
DROP TABLE source_positions;
DROP FUNCTION cctv_drone_footprint(geometry, double precision, double precision, double precision, double precision,
  double precision, double precision);
DROP TABLE mobile_sources;
