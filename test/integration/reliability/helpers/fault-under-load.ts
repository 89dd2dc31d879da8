import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../../../support/cleanup.ts';
import { HubProcess } from '../../../support/hub-process.ts';
import { LoadPublisher } from '../../../support/load-publisher.ts';
import type { TestMosquitto } from '../../../support/mosquitto.ts';
import { registerSitesViaApi } from '../../../support/register-site.ts';
import { type TestServices, testServices, uniqueId } from '../../../support/services.ts';
import { inventory, SitePublisher } from '../../../support/site-publisher.ts';
import {
  camerasStored,
  countCheck,
  privateMosquitto,
  query,
  sleep,
  storedHealthCount,
  until,
} from './fixtures.ts';

const RATE_PER_S = 300;

/** What a fault step may act on. */
export interface FaultContext {
  hub: HubProcess;
  mosquitto: TestMosquitto;
  load: LoadPublisher;
}

export interface FaultUnderLoad {
  /** Names the describe block, the log line and the temporary directory. */
  name: string;
  title: string;
  testTitle: string;
  /** Mosquitto persistence (on where the broker itself restarts). */
  persistence: boolean;
  /** Breaks and repairs something while the load runs; resolves once the hub should catch up. */
  fault: (ctx: FaultContext) => Promise<void>;
}

/**
 * A fault in the middle of a steady QoS 1 load: real processes throughout (the hub as its own
 * process, a private Mosquitto the test may stop or outlive the hub with, the hub's database:
 * embedded PGlite, or a fresh database on DATABASE_URL). After the fault the publisher sends some
 * already-stored messages again with their msgIds, as a publisher replaying after a crash does.
 * Exact count: every msgId the broker acknowledged to the publisher is stored exactly once.
 */
export function describeFaultUnderLoad(spec: FaultUnderLoad): void {
  describe(spec.title, () => {
    const dir = mkdtempSync(join(tmpdir(), `cctv-rel-${spec.name}-`));
    const siteId = uniqueId(`rel-${spec.name}`);
    const cams = [1, 2, 3, 4].map((i) => `${siteId}-${i}`);
    const council = uniqueId('council');
    let services: TestServices;
    let mosquitto: TestMosquitto;
    let hub: HubProcess;
    let site: SitePublisher;

    beforeAll(async () => {
      services = await testServices();
      const broker = await privateMosquitto(join(dir, 'mosquitto'), [siteId], spec.persistence);
      mosquitto = broker.mosquitto;
      hub = new HubProcess({
        ...broker.hubEnv,
        CCTV_HUB__mqtt__clientId: `hub-${siteId}`,
        ...(services.databaseUrl
          ? { DATABASE_URL: services.databaseUrl }
          : { CCTV_HUB__database__dataDir: join(services.dataDir, 'pglite') }),
      });
      await hub.start();
      await registerSitesViaApi(hub.url, dbUrl(), [{ siteId, councilId: council, cameraIds: cams }]);
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

    it(spec.testTitle, async () => {
      await site.publish('inventory', inventory(council, cams));
      await until(async () => (await camerasStored(dbUrl(), cams)) === cams.length, 30_000, 'the inventory');
      const load = new LoadPublisher(site, cams, RATE_PER_S);
      load.start();
      await until(async () => (await storedHealthCount(dbUrl(), cams)) >= 500, 30_000, '500 rows stored');
      const storedBefore = await storedHealthCount(dbUrl(), cams);
      const faultAt = Date.now();
      await spec.fault({ hub, mosquitto, load });
      const downMs = Date.now() - faultAt;
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
        `[${spec.name} ${services.databaseUrl ? 'postgresql' : 'pglite'}] published ${load.acked.size} (acked) + ${load.resent} sent again, stored before the fault ${storedBefore}, fault and repair ${downMs} ms, rows ${check.rows}, ledger ${check.ledger}, missing ${check.missing.length}, extra ${check.extra.length}`,
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
}
