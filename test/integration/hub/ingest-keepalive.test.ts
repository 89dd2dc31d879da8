import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import type { TestMosquitto } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';
import { privateMosquitto } from '../reliability/helpers/fixtures.ts';

// A backlog that takes the hub several keep-alive periods to store: each batch is slowed down in
// the database, so the broker's answer to the hub's keep-alive ping waits behind messages the hub
// has not read yet. The hub must take the messages it keeps reading as signs of life, stay
// connected, and store everything once (a reconnect would bring every unacknowledged message again).
// Against an external broker this runs a private Mosquitto with the configuration the hub generates
// (the shared one keeps Mosquitto's defaults, which drop all but 1,000 queued messages).

const KEEPALIVE_S = 2;

describe('ingest keep-alive under a backlog', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('ka');
  const cams = Array.from({ length: 20 }, (_, i) => `${siteId}-c${i}`);
  const dir = mkdtempSync(join(tmpdir(), 'cctv-keepalive-'));
  let mosquitto: TestMosquitto | null = null;

  beforeAll(async () => {
    const broker = process.env.MQTT_URL
      ? await privateMosquitto(join(dir, 'mosquitto'), [siteId], false)
      : null;
    mosquitto = broker?.mosquitto ?? null;
    h = await startHub({
      ...broker?.hubEnv,
      CCTV_HUB__mqtt__keepaliveS: String(KEEPALIVE_S),
      CCTV_HUB__ingest__batchSize: '20',
      CCTV_HUB__ingest__maxQueued: '100',
    });
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl, broker?.siteCredentials.get(siteId) ?? null);
    await site.connect(false);
    await site.publish('inventory', inventory(council, cams));
    await eventually('the inventory', async () =>
      cams.every((id) => h.hub.fleet.cameras.has(id)) ? true : undefined,
    );
    // 40 ms more for every batch of health samples: 20 messages a batch, at most ~500 a second.
    await h.hub.database.pool.query(`
      CREATE FUNCTION test_slow_batch() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(0.04); RETURN NULL; END $$;
      CREATE TRIGGER test_slow_batch AFTER INSERT ON health_samples
        FOR EACH STATEMENT EXECUTE FUNCTION test_slow_batch();`);
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
    await mosquitto?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays connected while it works through the backlog, and stores each message once', async () => {
    const before = structuredClone(h.hub.pipeline.stats);
    const connection = h.hub.ingestConnection;
    expect(connection?.connected).toBe(true);
    const started = Date.now();
    const ids = await Promise.all(
      Array.from({ length: 3000 }, (_, i) =>
        site.publish('health', health(cams[i % cams.length] as string, 'up'), cams[i % cams.length]),
      ),
    );
    await eventually(
      'the backlog stored',
      async () =>
        h.hub.pipeline.stats.accepted +
          h.hub.pipeline.stats.duplicates -
          before.accepted -
          before.duplicates >=
        ids.length
          ? true
          : undefined,
      120_000,
    );
    const tookS = (Date.now() - started) / 1000;
    // The backlog lasted well past the point (1.5 keep-alive periods) where a hub that waited for its
    // PINGRESP behind it would have reconnected.
    expect(tookS).toBeGreaterThan(2 * KEEPALIVE_S);
    expect(h.hub.ingestConnection).toEqual({ ...connection, connected: true });
    expect(h.hub.pipeline.stats.duplicates - before.duplicates).toBe(0);
    expect(h.hub.pipeline.stats.accepted - before.accepted).toBe(ids.length);
    const stored = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = ANY($1)',
      [ids],
    );
    expect(stored.rows[0]?.n).toBe(ids.length);
  });
});
