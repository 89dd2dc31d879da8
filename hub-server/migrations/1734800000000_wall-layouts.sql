-- Up Migration
-- Camera wall layouts: each user's named lists of cameras and the grid they are shown in. Only
-- camera ids are kept (a layout opens no feed by itself: every tile is a feed attempt of its own).
CREATE TABLE wall_layouts (
  username text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  name text NOT NULL,
  grid smallint NOT NULL CHECK (grid BETWEEN 1 AND 4),
  camera_ids text[] NOT NULL CHECK (cardinality(camera_ids) <= 16),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (username, name)
);

-- Down Migration
DROP TABLE wall_layouts;
