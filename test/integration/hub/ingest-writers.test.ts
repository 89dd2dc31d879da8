import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writerLane } from '../../../hub-server/src/ingest/pipeline.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { PrivatePostgres } from '../../support/private-postgres.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Two ingest writers on PostgreSQL (ingest.writers): each lane writes its own batches on its own
// connection, with a site's messages always in one lane. A site whose batch waits on the database
// must not hold back another site's messages, and every message is still stored once, in order per
// camera. On the embedded pair (one connection, one writer) the test brings a PostgreSQL of its own.

const privatePg = process.env.DATABASE_URL ? null : new PrivatePostgres();
const unavailable = privatePg ? PrivatePostgres.unavailable() : null;

const DOWN = [{ code: 'unreachable' as const, message: 'no answer' }];

/** A site id whose messages go to the given lane of two. */
function siteInLane(lane: number): string {
  for (;;) {
    const id = uniqueId('lane');
    if (writerLane(id, 2) === lane) return id;
  }
}

describe.skipIf(unavailable !== null)('ingest with two writers', () => {
  let h: HubHarness;
  const sites = [siteInLane(0), siteInLane(1)];
  const cams = sites.map((s) => [`${s}-c1`, `${s}-c2`]);
  const publishers: SitePublisher[] = [];
  const council = uniqueId('council');

  const stored = async (msgIds: string[]) =>
    (
      await h.hub.database.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = ANY($1)',
        [msgIds],
      )
    ).rows[0]?.n ?? 0;

  beforeAll(async () => {
    if (privatePg) await privatePg.start();
    h = await startHub({
      ...(privatePg ? { DATABASE_URL: privatePg.url } : {}),
      CCTV_HUB__ingest__writers: '2',
      // Small batches: the stop test below needs a queue several batches long.
      CCTV_HUB__ingest__batchSize: '5',
      // Short, for the quiet-lane test; the other tests' samples are all from the last second.
      CCTV_HUB__state__staleAfterMs: '3000',
    });
    for (const [i, siteId] of sites.entries()) {
      await h.registerSite(siteId, council, { cameraIds: cams[i] as string[] });
      const site = new SitePublisher(siteId, h.hub.mqttUrl);
      await site.connect();
      await site.publish('inventory', inventory(council, cams[i] as string[]));
      publishers.push(site);
    }
    await eventually('both inventories', async () =>
      cams.flat().every((id) => h.hub.fleet.cameras.has(id)) ? true : undefined,
    );
  }, 180_000);

  let hubStopped = false;

  afterAll(async () => {
    // After the stop test the hub's embedded broker is gone: a clean close would wait for it forever.
    for (const site of publishers) hubStopped ? site.kill() : await site.close();
    if (hubStopped) await h?.services.cleanup();
    else await h?.stop();
    privatePg?.destroy();
  });

  it("writes one site's messages while another site's batch waits on the database", async () => {
    const [siteA, siteB] = publishers as [SitePublisher, SitePublisher];
    const [camA, camB] = [cams[0]?.[0] as string, cams[1]?.[0] as string];
    // Observed now: after the cameras' inventory, so neither sample is merged into history as late.
    const up = await Promise.all([
      siteA.publish('health', health(camA, 'up'), camA, new Date()),
      siteB.publish('health', health(camB, 'up'), camB, new Date()),
    ]);
    await eventually('both cameras up', async () => ((await stored(up)) === 2 ? true : undefined));
    // Another connection holds camera A's row: the batch that changes its state waits for it.
    const locker = new pg.Client({ connectionString: h.services.databaseUrl ?? privatePg?.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM cameras WHERE id = $1 FOR UPDATE', [camA]);
      const downA = await siteA.publish('health', health(camA, 'down', DOWN), camA, new Date());
      await eventually('camera A blocked', async () => {
        const waiting = await locker.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        return (waiting.rows[0]?.n ?? 0) > 0 ? true : undefined;
      });
      const downB = await siteB.publish('health', health(camB, 'down', DOWN), camB, new Date());
      // The other lane stores B's message while A's batch is held.
      await eventually(
        'camera B stored',
        async () => ((await stored([downB])) === 1 ? true : undefined),
        10_000,
      );
      expect(await stored([downA])).toBe(0);
      await eventually('camera B down', async () =>
        h.hub.fleet.cameras.get(camB)?.state === 'down' ? true : undefined,
      );
      expect(await stored([downA])).toBe(0);
      await locker.query('ROLLBACK');
      await eventually('camera A stored', async () => ((await stored([downA])) === 1 ? true : undefined));
      await eventually('camera A down', async () =>
        h.hub.fleet.cameras.get(camA)?.state === 'down' ? true : undefined,
      );
    } finally {
      await locker.end().catch(() => {});
    }
  });

  it('stores every message once and keeps each camera in order', async () => {
    const ids: string[] = [];
    const states = ['up', 'down'] as const;
    const sent: Promise<string>[] = [];
    // 100 samples a camera, 1 ms apart, all observed after the last test's (400 in all: the
    // machine's Mosquitto queues at most 1,000 per subscriber).
    await new Promise((r) => setTimeout(r, 500));
    const from = Date.now() - 400;
    for (let i = 0; i < 100; i++)
      for (const [s, site] of publishers.entries())
        for (const cam of cams[s] as string[])
          sent.push(
            site.publish(
              'health',
              health(cam, states[i % 2] as 'up', i % 2 ? DOWN : []),
              cam,
              new Date(from + i),
            ),
          );
    ids.push(...(await Promise.all(sent)));
    await eventually(
      'every message stored',
      async () => ((await stored(ids)) === ids.length ? true : undefined),
      30_000,
    );
    // Every sample changed its camera's state: each camera's intervals are its samples, in order.
    for (const cam of cams.flat()) {
      const rows = await h.hub.database.pool.query<{ state: string; at: Date }>(
        `SELECT state, started_at AS at FROM camera_state_intervals
         WHERE camera_id = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at, id`,
        [cam, new Date(from), new Date(from + 100)],
      );
      expect(rows.rows.map((r) => r.state)).toEqual(Array.from({ length: 100 }, (_, i) => states[i % 2]));
      expect(rows.rows.map((r) => r.at.getTime())).toEqual(Array.from({ length: 100 }, (_, i) => from + i));
    }
  });

  it("turns a quiet lane's cameras stale while another lane's sites keep sending", async () => {
    const [siteA, siteB] = publishers as [SitePublisher, SitePublisher];
    const [camA, camB] = [cams[0]?.[0] as string, cams[1]?.[1] as string];
    const up = await siteB.publish('health', health(camB, 'up'), camB, new Date());
    await eventually('camera B up', async () =>
      (await stored([up])) === 1 && h.hub.fleet.cameras.get(camB)?.state === 'up' ? true : undefined,
    );
    // Site A keeps its lane busy (never a quiet second for the hub); site B says nothing more.
    let state = h.hub.fleet.cameras.get(camB)?.state;
    for (let i = 0; i < 40 && state !== 'unknown'; i++) {
      await siteA.publish('health', health(camA, 'up'), camA, new Date());
      await new Promise((r) => setTimeout(r, 250));
      state = h.hub.fleet.cameras.get(camB)?.state;
    }
    expect(state).toBe('unknown');
  });

  // Last: it stops the hub.
  it('writes everything queued before it stops, however many batches it takes', async () => {
    const [siteA] = publishers as [SitePublisher];
    const camA = cams[0]?.[0] as string;
    const locker = new pg.Client({ connectionString: h.services.databaseUrl ?? privatePg?.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM cameras WHERE id = $1 FOR UPDATE', [camA]);
      // 15 state changes of one camera: the first batch of 5 waits on the lock, 10 queue behind it
      // (under 20: a Mosquitto with its default settings sends no more unacknowledged).
      const received = h.hub.pipeline.stats.received;
      const from = Date.now() - 100;
      const ids = await Promise.all(
        Array.from({ length: 15 }, (_, i) =>
          siteA.publish(
            'health',
            i % 2 ? health(camA, 'up') : health(camA, 'down', DOWN),
            camA,
            new Date(from + i),
          ),
        ),
      );
      await eventually('all 15 read', async () =>
        h.hub.pipeline.stats.received >= received + 15 ? true : undefined,
      );
      hubStopped = true;
      const stopping = h.hub.stop();
      await new Promise((r) => setTimeout(r, 300));
      await locker.query('ROLLBACK');
      await stopping;
      const rows = await locker.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = ANY($1)',
        [ids],
      );
      expect(rows.rows[0]?.n).toBe(15);
    } finally {
      await locker.end().catch(() => {});
    }
  });
});
