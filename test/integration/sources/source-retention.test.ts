import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceRetention } from '../../../hub-server/src/sources/source-retention.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// A source's stored track and stream checks are kept sources.trackRetentionDays, then deleted: by
// the hub at start (and hourly), in chunks, on the real database.

const DAY = 86_400_000;

describe("mobile sources' tracks past their retention period", () => {
  let h: HubHarness;
  const sourceId = uniqueId('drone');
  const site = uniqueId('air-ops');

  const count = async (table: 'source_positions' | 'source_stream_checks', column: string) =>
    (
      await h.hub.database.pool.query<{ old: number; recent: number }>(
        `SELECT count(*) FILTER (WHERE ${column} < now() - interval '31 days')::int AS old,
                count(*) FILTER (WHERE ${column} >= now() - interval '31 days')::int AS recent
         FROM ${table} WHERE source_id = $1 ${table === 'source_stream_checks' ? "AND codec = 'seeded'" : ''}`,
        [sourceId],
      )
    ).rows[0];
  /** Fixes and checks `ages` days old (one of each per age). */
  const store = async (ages: number[]) => {
    for (const [i, age] of ages.entries()) {
      const at = new Date(Date.now() - age * DAY);
      await h.hub.database.pool.query(
        `INSERT INTO source_positions (source_id, msg_id, observed_at, received_at, location)
         VALUES ($1, $2, $3, $3, ST_SetSRID(ST_MakePoint(-5.5, 50.1), 4326))`,
        [sourceId, `m-${age}-${i}-${Math.random()}`, at],
      );
      await h.hub.database.pool.query(
        // Marked: the hub's own checks of the (live, unreachable) source are not counted.
        "INSERT INTO source_stream_checks (source_id, checked_at, ok, codec) VALUES ($1, $2, true, 'seeded')",
        [sourceId, at],
      );
    }
  };

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    const token = await h.login('op');
    await h.registerSite(site, uniqueId('council'));
    const created = await fetch(`${h.hub.url}/api/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: sourceId,
        kind: 'drone',
        name: 'Drone',
        unit: 'Drone unit',
        relaySiteId: site,
        streamUrl: 'rtsp://10.0.0.1:8554/live',
      }),
    });
    expect(created.status).toBe(201);
  }, 120_000);

  afterAll(() => h?.stop());

  it('deletes fixes and stream checks older than the period at start, and keeps the rest', async () => {
    await store([40, 35, 32, 30, 2, 0]);
    expect(await count('source_positions', 'observed_at')).toEqual({ old: 3, recent: 3 });
    // The hub starts the job as it starts (then hourly); the job runs beside the hub's serving, so
    // it may finish just after the hub is ready.
    await h.restart();
    await eventually('the retention job at start', async () => {
      const c = await count('source_stream_checks', 'checked_at');
      return c?.old === 0 ? c : undefined;
    });
    expect(await count('source_positions', 'observed_at')).toEqual({ old: 0, recent: 3 });
    expect(await count('source_stream_checks', 'checked_at')).toEqual({ old: 0, recent: 3 });
  });

  it('goes through a backlog in chunks', async () => {
    await store([50, 49, 48, 47, 46, 1]);
    const lines: string[] = [];
    const retention = new SourceRetention({
      pool: h.hub.database.pool,
      days: 31,
      now: Date.now,
      chunk: 2,
      log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    const done = await retention.runOnce();
    expect([done.positions, done.streamChecks]).toEqual([5, 5]);
    expect(await count('source_positions', 'observed_at')).toEqual({ old: 0, recent: 4 });
    expect(lines.join('')).toContain('past their retention period');
    // Nothing left to do: nothing deleted, nothing logged.
    expect(await retention.runOnce()).toMatchObject({ positions: 0, streamChecks: 0 });
    expect(lines).toHaveLength(1);
  });
});
