-- Up Migration
-- The ids of the rules failing or warning in each camera's latest result, kept beside the result so
-- fleet summaries list them without unpacking thousands of results.
ALTER TABLE compliance_status ADD COLUMN failing text[] NOT NULL DEFAULT '{}';
UPDATE compliance_status SET failing = ARRAY(
  SELECT r ->> 'ruleId' FROM jsonb_array_elements(result -> 'results') r WHERE r ->> 'status' IN ('fail', 'warn'));

-- Down Migration
ALTER TABLE compliance_status DROP COLUMN failing;
