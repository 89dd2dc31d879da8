-- Up Migration
-- Camera geometry for control rooms: each camera's field of view as a polygon (a sector from its
-- location along its bearing, as wide as its horizontal field of view, as long as its useful range),
-- kept by a trigger whenever the geometry changes, with spatial indexes for incident search.

-- Useful range; when null the commissioned design distance is used.
ALTER TABLE cameras ADD COLUMN range_m double precision CHECK (range_m IS NULL OR range_m > 0);
-- Set when a hub operator surveyed the geometry through the API: inventories no longer overwrite it.
ALTER TABLE cameras ADD COLUMN geometry_set_by text;
ALTER TABLE cameras ADD COLUMN geometry_set_at timestamptz;
ALTER TABLE cameras ADD COLUMN fov geometry(Polygon, 4326);

-- The sector: apex at the camera, arc points every 5 degrees or less, distances on the spheroid.
-- A 360-degree camera covers a disc.
CREATE FUNCTION cctv_fov(loc geometry, bearing double precision, hfov double precision, range_m double precision)
RETURNS geometry LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN loc IS NULL OR bearing IS NULL OR hfov IS NULL OR range_m IS NULL OR hfov <= 0 OR range_m <= 0 THEN NULL
    WHEN hfov >= 360 THEN ST_Buffer(loc::geography, range_m, 'quad_segs=16')::geometry
    ELSE ST_MakePolygon(ST_MakeLine(ARRAY[loc] || ARRAY(
      SELECT ST_Project(loc::geography, range_m, radians(bearing - hfov / 2 + hfov * i / k.n))::geometry
      FROM (SELECT greatest(2, ceil(hfov / 5)::int) AS n) k, generate_series(0, k.n) AS i
      ORDER BY i) || ARRAY[loc]))
  END
$$;

CREATE FUNCTION cctv_cameras_fov() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.fov := cctv_fov(NEW.location, NEW.bearing_deg, NEW.hfov_deg, COALESCE(NEW.range_m, NEW.design_distance_m));
  RETURN NEW;
END
$$;

CREATE TRIGGER cameras_fov BEFORE INSERT OR UPDATE OF location, bearing_deg, hfov_deg, range_m, design_distance_m
  ON cameras FOR EACH ROW EXECUTE FUNCTION cctv_cameras_fov();

UPDATE cameras SET fov = cctv_fov(location, bearing_deg, hfov_deg, COALESCE(range_m, design_distance_m));

CREATE INDEX cameras_fov_idx ON cameras USING gist (fov);

-- Down Migration
DROP INDEX cameras_fov_idx;
DROP TRIGGER cameras_fov ON cameras;
DROP FUNCTION cctv_cameras_fov();
DROP FUNCTION cctv_fov(geometry, double precision, double precision, double precision);
ALTER TABLE cameras DROP COLUMN fov, DROP COLUMN geometry_set_at, DROP COLUMN geometry_set_by, DROP COLUMN range_m;
