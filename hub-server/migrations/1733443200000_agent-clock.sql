-- Up Migration
-- Each site agent's clock health: what the agent says of its own NTP sync (from its site state), the
-- hub's estimate of its offset (smallest receive delay over a window), and whether camera clock
-- offsets measured against it are therefore suspect.
ALTER TABLE sites
  ADD COLUMN agent_clock jsonb,
  ADD COLUMN agent_clock_offset_ms double precision,
  ADD COLUMN clock_suspect boolean NOT NULL DEFAULT false,
  ADD COLUMN clock_reason text;

-- Down Migration
ALTER TABLE sites
  DROP COLUMN clock_reason,
  DROP COLUMN clock_suspect,
  DROP COLUMN agent_clock_offset_ms,
  DROP COLUMN agent_clock;
