-- Up Migration
-- The scheme's paperwork per council, for the review rule: last annual review, DPIA and the date
-- the current certificate was issued. Entered by operators or the council's officers.
CREATE TABLE scheme_records (
  council_id text PRIMARY KEY REFERENCES councils (id),
  last_review_at timestamptz,
  dpia_at timestamptz,
  certificate_issued_at timestamptz,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE scheme_records;
