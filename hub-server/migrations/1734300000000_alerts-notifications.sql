-- Up Migration

-- Every alert the hub has opened, kept after it clears: the alerts view's acknowledged and resolved
-- lists, acknowledgement comments, and what notifications have been sent for it. One row per
-- opening: alert_id (kind:subject) is reused when the same fault comes back, uid is not.
CREATE TABLE alert_records (
  uid bigserial PRIMARY KEY,
  alert_id text NOT NULL,
  kind text NOT NULL,
  severity text NOT NULL,
  site_id text NOT NULL,
  council_id text NOT NULL,
  camera_ids text[] NOT NULL DEFAULT '{}',
  message text NOT NULL,
  opened_at timestamptz NOT NULL,
  cleared_at timestamptz,
  acknowledged_by text,
  acknowledged_at timestamptz,
  ack_comment text,
  -- pending: to be sent once its site's group wait is over; sent; suppressed: cleared before that.
  open_notice text NOT NULL DEFAULT 'pending' CHECK (open_notice IN ('pending', 'sent', 'suppressed')),
  -- none: nothing to tell (its opening was never sent); pending; sent.
  clear_notice text NOT NULL DEFAULT 'none' CHECK (clear_notice IN ('none', 'pending', 'sent'))
);
CREATE UNIQUE INDEX alert_records_open ON alert_records (alert_id) WHERE cleared_at IS NULL;
CREATE INDEX alert_records_opened ON alert_records (opened_at DESC);
CREATE INDEX alert_records_unsent ON alert_records (site_id)
  WHERE open_notice = 'pending' OR clear_notice = 'pending';

-- What a user (or a team, through a shared mailbox or webhook) asks to be told.
CREATE TABLE notification_rules (
  id bigserial PRIMARY KEY,
  owner text NOT NULL,
  name text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
  target text NOT NULL,
  secret text,
  council_ids text[] NOT NULL DEFAULT '{}',
  site_ids text[] NOT NULL DEFAULT '{}',
  kinds text[] NOT NULL DEFAULT '{}',
  severities text[] NOT NULL DEFAULT '{}',
  quiet_start smallint CHECK (quiet_start BETWEEN 0 AND 1439),
  quiet_end smallint CHECK (quiet_end BETWEEN 0 AND 1439),
  mode text NOT NULL DEFAULT 'immediate' CHECK (mode IN ('immediate', 'digest')),
  digest_hour smallint NOT NULL DEFAULT 7 CHECK (digest_hour BETWEEN 0 AND 23),
  last_digest_at timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_rules_owner ON notification_rules (owner);

-- The durable delivery queue: written in the same transaction that marks alerts as told, delivered
-- by a worker with retries and backoff, dead after the last attempt (and retried by hand from there).
CREATE TABLE notification_outbox (
  id bigserial PRIMARY KEY,
  rule_id bigint REFERENCES notification_rules (id) ON DELETE SET NULL,
  rule_name text,
  channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'mqtt')),
  target text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('alerts', 'digest', 'test')),
  subject text NOT NULL,
  text_body text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead', 'quiet')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notification_outbox_rule ON notification_outbox (rule_id, id DESC);

-- Down Migration
DROP TABLE notification_outbox;
DROP TABLE notification_rules;
DROP TABLE alert_records;
