-- Up Migration
-- One-time enrolment codes: an operator issues one for a registered site; a site box exchanges it
-- once, before it expires, for the site's identity and a fresh MQTT credential. Only a hash of the
-- code is kept. Issuing a new code retires the site's unused ones.
CREATE TABLE enrolment_codes (
  id bigserial PRIMARY KEY,
  site_id text NOT NULL REFERENCES sites (id),
  code_hash text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  retired_at timestamptz,
  used_at timestamptz,
  used_from text,
  agent_hostname text,
  agent_version text
);
CREATE INDEX enrolment_codes_site ON enrolment_codes (site_id, id DESC);

-- Down Migration
DROP TABLE enrolment_codes;
