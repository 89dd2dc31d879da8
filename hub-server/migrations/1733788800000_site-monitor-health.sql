-- Up Migration
-- Each site agent's own health, as its latest site state reports it: whether it is impaired (starved
-- of CPU, event loop stalled), so checks it could not complete are inconclusive rather than a
-- camera's downtime, and the figures behind that. Null: the agent reports none (older agents) or is offline.
ALTER TABLE sites ADD COLUMN monitor_health jsonb;

-- Down Migration
ALTER TABLE sites DROP COLUMN monitor_health;
