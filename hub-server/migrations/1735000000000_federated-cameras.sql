-- Up Migration
-- Cameras this hub receives from other hubs (a network of hubs): the view the owning hub shared,
-- as it shared it, with its geometry for incident search. Never part of this hub's evidence: no
-- intervals, uptime or compliance are kept for them here; the owning hub keeps those.
CREATE TABLE federated_cameras (
  id text PRIMARY KEY,
  -- The hub that owns the camera: the link it arrived on (from this hub's configuration), never
  -- what the message says.
  origin_hub text NOT NULL,
  view jsonb NOT NULL,
  state text NOT NULL,
  council_id text NOT NULL,
  location geometry(Point, 4326) NOT NULL,
  bearing_deg double precision NOT NULL,
  hfov_deg double precision NOT NULL,
  design_distance_m double precision NOT NULL,
  fov geometry(Polygon, 4326),
  received_at timestamptz NOT NULL
);
CREATE INDEX federated_cameras_origin_idx ON federated_cameras (origin_hub);
CREATE INDEX federated_cameras_location_idx ON federated_cameras USING gist (location);
CREATE INDEX federated_cameras_fov_idx ON federated_cameras USING gist (fov);

CREATE FUNCTION cctv_federated_cameras_fov() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.fov := cctv_fov(NEW.location, NEW.bearing_deg, NEW.hfov_deg, NEW.design_distance_m);
  RETURN NEW;
END
$$;

CREATE TRIGGER federated_cameras_fov BEFORE INSERT OR UPDATE OF location, bearing_deg, hfov_deg, design_distance_m
  ON federated_cameras FOR EACH ROW EXECUTE FUNCTION cctv_federated_cameras_fov();

-- Down Migration
DROP TRIGGER federated_cameras_fov ON federated_cameras;
DROP FUNCTION cctv_federated_cameras_fov();
DROP TABLE federated_cameras;
