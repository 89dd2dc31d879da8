import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView, LiveChanges, LiveSnapshot, SiteView } from '../../../src/schemas/api.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// agent -> broker -> hub -> database -> socket.io client, with the camera simulator: all real parts.
// Runs on the embedded pair by default and on PostgreSQL+PostGIS and Mosquitto when DATABASE_URL and
// MQTT_URL are set (CI runs both).

describe('end to end: simulator -> edge agent -> MQTT -> hub -> database -> live socket', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let socket: Socket;
  const siteId = uniqueId('e2e');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];
  const latest = new Map<string, CameraView>();
  const siteStates: SiteView[] = [];

  const waitForCamera = (id: string, match: (c: CameraView) => boolean, timeoutMs: number, what: string) =>
    new Promise<CameraView>((resolve, reject) => {
      const current = latest.get(id);
      if (current && match(current)) return resolve(current);
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what} (last: ${JSON.stringify(latest.get(id))})`)),
        timeoutMs,
      );
      const onChanges = (changes: LiveChanges) => {
        const c = changes.cameras.find((x) => x.id === id);
        if (c && match(c)) {
          clearTimeout(timer);
          socket.off('changes', onChanges);
          resolve(c);
        }
      };
      socket.on('changes', onChanges);
    });

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__state__staleAfterMs: '8000' });
    await h.createUser('ops', 'operator');
    const token = await h.login('ops');
    socket = io(h.hub.url, { auth: { token }, transports: ['websocket'] });
    const snapshot = await new Promise<LiveSnapshot>((resolve, reject) => {
      socket.once('snapshot', resolve);
      socket.once('connect_error', reject);
    });
    // A shared broker may hold other sites' retained state; this site does not exist yet.
    expect(snapshot.cameras.filter((c) => c.siteId === siteId)).toEqual([]);
    socket.on('changes', (changes: LiveChanges) => {
      for (const c of changes.cameras) latest.set(c.id, c);
      siteStates.push(...changes.sites.filter((s) => s.id === siteId));
    });
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SiteHarness({ siteId, councilId: council, mqttUrl: h.hub.mqttUrl, cameraIds: cams });
    await site.start();
  }, 180_000);

  afterAll(async () => {
    socket?.close();
    await site?.stop();
    await h?.stop();
  });

  it('sees every camera come up with health and stream metadata stored', async () => {
    for (const id of cams) await waitForCamera(id, (c) => c.state === 'up', 30_000, `${id} up`);
    // A screen may show a change before its batch is stored (live.pushBeforeCommit).
    await h.hub.pipeline.idle();
    const detail = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM health_samples WHERE camera_id = ANY($1)',
      [cams],
    );
    expect(detail.rows[0]?.n).toBeGreaterThanOrEqual(3);
    const token = await h.login('ops');
    const waitStream = async () => {
      for (let i = 0; i < 100; i++) {
        const r = await fetch(`${h.hub.url}/api/cameras/${cams[0]}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await r.json()) as {
          stream: { codec: string; width: number; height: number; fps: number } | null;
          health: { clock: unknown } | null;
        };
        if (body.stream && body.health) return body;
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error('no stream metadata within 20 s');
    };
    const body = await waitStream();
    expect(body.stream).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(body.stream?.fps).toBeGreaterThan(8);
    expect(body.health?.clock).not.toBeNull();
  });

  it('turns a camera down when it becomes unreachable and up again when it recovers', async () => {
    const target = cams[1] as string;
    await site.simulator.setFault(target, { kind: 'unreachable' });
    const down = await waitForCamera(target, (c) => c.state === 'down', 15_000, `${target} down`);
    expect(down.reasons.map((r) => r.code)).toContain('unreachable');
    await site.simulator.clearFault(target);
    await waitForCamera(target, (c) => c.state === 'up', 15_000, `${target} up again`);
    // A screen may show a change before its batch is stored (live.pushBeforeCommit): the database
    // is read once the ingest has stored what it received.
    await h.hub.pipeline.idle();
    const intervals = await h.hub.database.pool.query<{ state: string }>(
      'SELECT state FROM camera_state_intervals WHERE camera_id = $1 ORDER BY started_at, id',
      [target],
    );
    expect(intervals.rows.map((r) => r.state)).toEqual(['unknown', 'up', 'down', 'up']);
  });

  it('marks the site offline and its cameras unknown when the agent dies', async () => {
    await site.killAgent();
    for (const id of cams) {
      const c = await waitForCamera(id, (x) => x.state === 'unknown', 30_000, `${id} unknown`);
      expect(c.reasons[0]?.code).toBe('site_offline');
    }
    expect(siteStates.some((s) => s.state === 'offline')).toBe(true);
    await h.hub.pipeline.idle();
    const open = await h.hub.database.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM camera_state_intervals WHERE camera_id = ANY($1) AND ended_at IS NULL AND state = 'unknown'",
      [cams],
    );
    expect(open.rows[0]?.n).toBe(cams.length);
  });

  it('recovers when the agent comes back', async () => {
    await site.startAgent();
    for (const id of cams) await waitForCamera(id, (c) => c.state === 'up', 30_000, `${id} up after restart`);
    expect(siteStates.at(-1)?.state).toBe('online');
  });
});
