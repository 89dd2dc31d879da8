-- Up Migration
-- The registry is the hub's, not the sites': an operator registers a site (its council, hub and the
-- networks its cameras may be on), and a camera first seen in an inventory waits for approval before
-- it counts in any council's evidence. Sites and cameras that exist already were accepted under the
-- old rules: they stay, registered and approved from when they were first seen. Their camera networks
-- start empty, so no live feed is opened to them until an operator records where their cameras are.
ALTER TABLE sites
  ADD COLUMN registered_at timestamptz,
  ADD COLUMN registered_by text NOT NULL DEFAULT 'migration',
  ADD COLUMN camera_networks text[] NOT NULL DEFAULT '{}',
  ADD COLUMN max_cameras integer CHECK (max_cameras IS NULL OR max_cameras > 0);
UPDATE sites s SET registered_at = LEAST(
  s.state_since,
  COALESCE((SELECT min(i.started_at) FROM site_state_intervals i WHERE i.site_id = s.id), s.state_since),
  COALESCE((SELECT min(ci.started_at) FROM camera_state_intervals ci JOIN cameras c ON c.id = ci.camera_id
            WHERE c.site_id = s.id), s.state_since));
ALTER TABLE sites ALTER COLUMN registered_at SET NOT NULL, ALTER COLUMN registered_at SET DEFAULT now();

ALTER TABLE cameras
  ADD COLUMN first_seen_at timestamptz,
  ADD COLUMN approval text NOT NULL DEFAULT 'pending'
    CHECK (approval IN ('pending', 'approved', 'rejected', 'retired')),
  ADD COLUMN approval_at timestamptz,
  ADD COLUMN approval_by text,
  -- The span in which the camera counts in its council's evidence: from its approval until it is
  -- retired. Null counted_from: never counted (pending or rejected).
  ADD COLUMN counted_from timestamptz,
  ADD COLUMN counted_to timestamptz,
  ADD CONSTRAINT cameras_counted_span CHECK (counted_to IS NULL OR counted_from <= counted_to);
UPDATE cameras c SET
  first_seen_at = LEAST(c.state_since, COALESCE((SELECT min(i.started_at) FROM camera_state_intervals i
                                                 WHERE i.camera_id = c.id), c.state_since)),
  approval = 'approved', approval_by = 'migration';
UPDATE cameras SET approval_at = first_seen_at, counted_from = first_seen_at;
ALTER TABLE cameras ALTER COLUMN first_seen_at SET NOT NULL, ALTER COLUMN first_seen_at SET DEFAULT now();
CREATE INDEX cameras_pending_idx ON cameras (site_id) WHERE approval = 'pending';

-- Cameras an operator listed when registering (or editing) a site: approved when first seen.
CREATE TABLE site_expected_cameras (
  site_id text NOT NULL REFERENCES sites (id),
  camera_id text NOT NULL,
  listed_by text NOT NULL,
  listed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (site_id, camera_id)
);

-- Which council and hub held a site when: a move is an operator action, and a past month's evidence
-- stays with the council that held the site then.
CREATE TABLE site_assignments (
  id bigserial PRIMARY KEY,
  site_id text NOT NULL REFERENCES sites (id),
  council_id text NOT NULL REFERENCES councils (id),
  hub_id text NOT NULL REFERENCES hubs (id),
  valid_from timestamptz NOT NULL,
  valid_to timestamptz,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX site_assignments_open_idx ON site_assignments (site_id) WHERE valid_to IS NULL;
INSERT INTO site_assignments (site_id, council_id, hub_id, valid_from)
  SELECT id, council_id, hub_id, registered_at FROM sites;

-- Down Migration
DROP TABLE site_assignments;
DROP TABLE site_expected_cameras;
DROP INDEX cameras_pending_idx;
ALTER TABLE cameras DROP COLUMN counted_to, DROP COLUMN counted_from, DROP COLUMN approval_by, DROP COLUMN approval_at, DROP COLUMN approval, DROP COLUMN first_seen_at;
ALTER TABLE sites DROP COLUMN max_cameras, DROP COLUMN camera_networks, DROP COLUMN registered_by, DROP COLUMN registered_at;
