-- Up Migration
-- The compliance job reads recent snapshot checks (health samples that carry an image check) of
-- every camera. With no index on time alone it scanned all of health_samples each run; this one
-- holds only the samples with a check, so it stays small and costs nothing for the rest.
CREATE INDEX health_samples_image_idx ON health_samples (observed_at)
  WHERE jsonb_typeof(payload -> 'image') = 'object';

-- Down Migration
DROP INDEX health_samples_image_idx;
