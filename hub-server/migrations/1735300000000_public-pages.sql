-- Up Migration
-- A council's public transparency page (Surveillance Camera Code, principle 3): off until the
-- council switches it on; what it says about the scheme is the council's own text.
CREATE TABLE council_public_pages (
  council_id text PRIMARY KEY REFERENCES councils (id),
  enabled boolean NOT NULL DEFAULT false,
  purpose text NOT NULL,
  responsible_body text NOT NULL,
  contact text NOT NULL,
  coarsen_m integer NOT NULL DEFAULT 0 CHECK (coarsen_m IN (0, 100, 250, 500, 1000)),
  licence text NOT NULL,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE council_public_pages;
