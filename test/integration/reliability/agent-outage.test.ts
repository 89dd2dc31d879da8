import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll } from '../../support/cleanup.ts';
import { HubProcess } from '../../support/hub-process.ts';
import { LinkProxy } from '../../support/link-proxy.ts';
import { freePort } from '../../support/mosquitto.ts';
import { backdateRegistration, registerSitesViaApi } from '../../support/register-site.ts';
import { type TestServices, testServices, uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';
import { clearSession, query, sleep, until } from './helpers/fixtures.ts';

// Fault: a town site's link is cut for a long time (many hours on the agent's clock) and comes
// back. A real agent (in process, so the test gives it a fake clock and reads its outbox stats) with
// simulated ONVIF/RTSP cameras, a TCP relay for its link, the hub as its own process with its broker
// (embedded, or the one MQTT_URL names) and database (embedded PGlite, or DATABASE_URL).
// The agent's clock starts HOURS behind and is stepped forward while the link is down, so its
// observations span HOURS of agent time in a few seconds. Exact count: the hub stores as many
// health, stream and event rows as the agent appended to its outbox, each observation once.

const HOURS = 12;
const CUT_MS = 15_000;
const STEP_EVERY_MS = 100;

describe('reliability: agent cut off for a long outage', () => {
  const siteId = uniqueId('rel-link');
  const cams = [1, 2].map((i) => `${siteId}-${i}`);
  const council = uniqueId('council');
  let services: TestServices;
  let hub: HubProcess;
  let proxy: LinkProxy;
  let site: SiteHarness;
  let offsetMs = -HOURS * 3_600_000;
  const clock = () => Date.now() + offsetMs;

  beforeAll(async () => {
    services = await testServices();
    const mqttPort = await freePort();
    hub = new HubProcess({
      CCTV_HUB__mqtt__clientId: `hub-${siteId}`,
      ...(services.databaseUrl
        ? { DATABASE_URL: services.databaseUrl }
        : { CCTV_HUB__database__dataDir: `${services.dataDir}/pglite` }),
      ...(services.mqttUrl ? { MQTT_URL: services.mqttUrl } : { MQTT_PORT: String(mqttPort) }),
    });
    await hub.start();
    // The agent's observations start HOURS back on its clock: its site was registered before that.
    // The hub reads registrations at start, so it is restarted after the registration is dated back.
    await registerSitesViaApi(hub.url, dbUrl(), [{ siteId, councilId: council, cameraIds: cams }]);
    await backdateRegistration(dbUrl(), siteId, new Date(Date.now() - (HOURS + 1) * 3_600_000));
    await hub.kill('SIGTERM');
    await hub.start();
    proxy = LinkProxy.forUrl(services.mqttUrl ?? `mqtt://127.0.0.1:${mqttPort}`);
    await proxy.up();
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: proxy.url,
      cameraIds: cams,
      pollIntervalMs: 1_000,
      // No stream probes in the test's time: the scheduler arms a real timer from the agent's clock
      // once, so the first probe (poll interval plus up to this) would not come while it is stepped.
      probeIntervalMs: 1_000_000_000,
      now: clock,
    });
  }, 180_000);

  afterAll(async () => {
    await closeAll(
      () => proxy?.up(),
      () => site?.stop(),
      () => proxy?.down(),
      () => hub?.kill('SIGKILL'),
      async () => services?.mqttUrl && clearSession(services.mqttUrl, `hub-${siteId}`),
      () => services?.cleanup(),
    );
  });

  const dbUrl = () => services.databaseUrl ?? hub.embeddedDatabaseUrl();
  const count = async (table: string) =>
    (
      await query<{ n: number }>(
        dbUrl(),
        `SELECT count(*)::int AS n FROM ${table} WHERE camera_id = ANY($1)`,
        [cams],
      )
    )[0]?.n ?? 0;

  it(`stores every observation of ${HOURS} agent hours cut off exactly once after the link returns`, async () => {
    await site.start();
    const agent = site.agent;
    if (!agent) throw new Error('no agent');
    const outbox = () => {
      const stats = agent.stats().publisher?.outbox;
      if (!stats) throw new Error('agent has no outbox stats');
      return stats;
    };
    await until(async () => (await count('health_samples')) >= 2, 60_000, 'first samples stored');

    await proxy.down();
    const cutAt = clock();
    // The agent's clock runs HOURS forward while the link is down, up to the real time.
    const steps = CUT_MS / STEP_EVERY_MS;
    const stepMs = (HOURS * 3_600_000) / steps;
    const stepper = setInterval(() => {
      offsetMs = Math.min(0, offsetMs + stepMs);
    }, STEP_EVERY_MS);
    await sleep(CUT_MS);
    clearInterval(stepper);
    offsetMs = 0;
    const queuedAtReconnect = outbox().queued;
    expect(queuedAtReconnect).toBeGreaterThanOrEqual(20);

    await proxy.up();
    await until(
      () => {
        const s = outbox();
        return s.queued === 0 && s.inFlight === 0 && s.pending === 0;
      },
      60_000,
      'the outbox drained',
    );
    await sleep(2_000);
    await agent.stop('graceful');
    const final = outbox();
    expect(final, JSON.stringify(final)).toMatchObject({
      pending: 0,
      queued: 0,
      inFlight: 0,
      dropped: 0,
      refused: 0,
    });
    await until(
      async () => (await count('health_samples')) >= final.appended.health,
      30_000,
      `${final.appended.health} health rows`,
    ).catch(() => {});
    await sleep(1_000);

    const health = await count('health_samples');
    const stream = await count('stream_samples');
    const events = await count('camera_events');
    const span = await query<{ first: Date; last: Date; rows: number; distinct: number }>(
      dbUrl(),
      `SELECT min(observed_at) AS first, max(observed_at) AS last, count(*)::int AS rows,
              count(DISTINCT (camera_id, observed_at))::int AS distinct
         FROM health_samples WHERE camera_id = ANY($1) AND observed_at >= $2`,
      [cams, new Date(cutAt)],
    );
    const cutOff = span[0];
    const spanH = cutOff ? (cutOff.last.getTime() - cutOff.first.getTime()) / 3_600_000 : 0;
    console.log(
      `[agent-outage ${services.label}] appended health ${final.appended.health} stream ${final.appended.stream} event ${final.appended.event}; stored health ${health} stream ${stream} events ${events}; queued at reconnect ${queuedAtReconnect}; cut-off samples ${cutOff?.rows} over ${spanH.toFixed(1)} agent hours; acked ${final.acked}`,
    );
    expect(health).toBe(final.appended.health);
    expect(stream).toBe(final.appended.stream);
    expect(events).toBe(final.appended.event);
    expect(cutOff?.distinct).toBe(cutOff?.rows);
    expect(spanH).toBeGreaterThan(HOURS * 0.8);
    const all = await query<{ rows: number; distinct: number }>(
      dbUrl(),
      `SELECT count(*)::int AS rows, count(DISTINCT (camera_id, observed_at))::int AS distinct
         FROM health_samples WHERE camera_id = ANY($1)`,
      [cams],
    );
    expect(all[0]?.distinct).toBe(all[0]?.rows);
    const dead = await query<{ n: number }>(
      dbUrl(),
      'SELECT count(*)::int AS n FROM dead_letters WHERE site_id = $1 OR topic LIKE $2',
      [siteId, `%/${siteId}/%`],
    );
    expect(dead[0]?.n).toBe(0);
  }, 150_000);
});
