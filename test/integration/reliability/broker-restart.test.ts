import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../../support/cleanup.ts';
import { HubProcess } from '../../support/hub-process.ts';
import { LoadPublisher } from '../../support/load-publisher.ts';
import type { TestMosquitto } from '../../support/mosquitto.ts';
import { type TestServices, testServices, uniqueId } from '../../support/services.ts';
import { inventory, SitePublisher } from '../../support/site-publisher.ts';
import {
  camerasStored,
  countCheck,
  privateMosquitto,
  query,
  sleep,
  storedHealthCount,
  until,
} from './helpers/fixtures.ts';

// Fault: the broker (a private Mosquitto: this test stops and starts it, so it brings its own and
// ignores MQTT_URL) is stopped in the middle of a steady load and started again on the same port.
// Persistence is on, as on a production broker, so the hub's persistent session and the messages
// queued for it survive the restart. The publisher reconnects and sends again what was not
// acknowledged (QoS 1); the hub (its own process; embedded PGlite, or a fresh database on
// DATABASE_URL) reconnects. Exact count: every msgId the broker acknowledged is stored exactly once.

const RATE_PER_S = 300;

describe('reliability: stop and restart Mosquitto mid-load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-rel-broker-restart-'));
  const siteId = uniqueId('rel-broker');
  const cams = [1, 2, 3, 4].map((i) => `${siteId}-${i}`);
  let services: TestServices;
  let mosquitto: TestMosquitto;
  let hub: HubProcess;
  let site: SitePublisher;

  beforeAll(async () => {
    services = await testServices();
    const broker = await privateMosquitto(join(dir, 'mosquitto'), [siteId], true);
    mosquitto = broker.mosquitto;
    hub = new HubProcess({
      ...broker.hubEnv,
      CCTV_HUB__mqtt__clientId: `hub-${siteId}`,
      ...(services.databaseUrl
        ? { DATABASE_URL: services.databaseUrl }
        : { CCTV_HUB__database__dataDir: join(services.dataDir, 'pglite') }),
    });
    await hub.start();
    site = new SitePublisher(siteId, mosquitto.url, broker.siteCredentials.get(siteId) ?? null);
    await site.connect(false);
  }, 180_000);

  afterAll(async () => {
    await closeAll(
      () => site?.close(false),
      () => hub?.kill('SIGKILL'),
      () => mosquitto?.stop(),
      () => services?.cleanup(),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  const dbUrl = () => services.databaseUrl ?? hub.embeddedDatabaseUrl();

  it('stores every acknowledged message exactly once after the broker restarts', async () => {
    await site.publish('inventory', inventory(uniqueId('council'), cams));
    await until(async () => (await camerasStored(dbUrl(), cams)) === cams.length, 30_000, 'the inventory');
    const load = new LoadPublisher(site, cams, RATE_PER_S);
    load.start();
    await until(async () => (await storedHealthCount(dbUrl(), cams)) >= 500, 30_000, '500 rows stored');
    const storedBeforeKill = await storedHealthCount(dbUrl(), cams);
    await mosquitto.stop('SIGTERM');
    const killedAt = Date.now();
    // The publisher keeps observing; mqtt.js holds what it cannot send until it reconnects.
    await sleep(3_000);
    await until(async () => (await hub.healthz()).body.checks?.mqtt === false, 10_000, 'hub not ready');
    await mosquitto.restart();
    const downMs = Date.now() - killedAt;
    await until(async () => (await hub.healthz()).status === 200, 30_000, 'hub ready again');
    // Some of what was stored already comes again with its msgId (a publisher replaying after a crash).
    await load.resend(200);
    await sleep(4_000);
    await load.stop();
    expect(load.errors).toEqual([]);
    expect(load.acked.size).toBe(load.sent.size);

    await until(
      async () => (await storedHealthCount(dbUrl(), cams)) >= load.acked.size,
      60_000,
      `${load.acked.size} rows stored`,
      500,
    ).catch(() => {});
    // Give a redelivered duplicate (if any) time to show up before counting.
    await sleep(1_000);
    const check = await countCheck(dbUrl(), siteId, cams, load.acked);
    console.log(
      `[broker-restart ${services.databaseUrl ? 'postgresql' : 'pglite'}] published ${load.acked.size} (acked) + ${load.resent} sent again, stored before stop ${storedBeforeKill}, broker down ${downMs} ms, rows ${check.rows}, ledger ${check.ledger}, missing ${check.missing.length}, extra ${check.extra.length}`,
    );
    const drops = mosquitto.output
      .join('')
      .split('\n')
      .filter((l) => /dropp/i.test(l));
    if (drops.length > 0) console.log(`mosquitto: ${drops.length} drop notices, first: ${drops[0]}`);
    expect(check.missing.length, `missing: ${check.missing.slice(0, 5).join(', ')}`).toBe(0);
    expect(check.extra).toEqual([]);
    expect(check.missingFromLedger).toEqual([]);
    expect(check.rows).toBe(load.acked.size);
    expect(check.distinctMsgIds).toBe(check.rows);
    expect(check.ledger).toBe(load.acked.size);
    expect(check.duplicateObservations).toBe(0);
    // Nothing of the site was dead-lettered (a repeat that dedupe missed would fail its insert).
    expect(await query(dbUrl(), 'SELECT code, topic FROM dead_letters')).toEqual([]);
    expect(hub.tail(200_000)).not.toContain('"level":60');
    expect(hub.pid).not.toBeNull();
  }, 150_000);
});
