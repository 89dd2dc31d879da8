import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView, LiveChanges, LiveSnapshot } from '../../../src/schemas/api.ts';
import { buildTopic } from '../../../src/topics.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

describe('hub ingest, state, REST and live push', () => {
  let h: HubHarness;
  let token: string;
  let site: SitePublisher;
  const siteId = uniqueId('site');
  const council = uniqueId('council');
  const cams = [`${siteId}-c1`, `${siteId}-c2`];

  const api = async <T>(path: string, bearer = token): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${h.hub.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const camera = async (id: string) => (await api<CameraView>(`/api/cameras/${id}`)).body;
  const deadLetters = async () =>
    (
      await h.hub.database.pool.query<{ code: string; path: string; topic: string }>(
        'SELECT code, path, topic FROM dead_letters ORDER BY id',
      )
    ).rows;

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    token = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: cams });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
    await site.publish('inventory', inventory(council, cams));
    await site.publish('siteState', { state: 'online', agentVersion: 'test' });
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('serves /healthz and the OpenAPI document', async () => {
    const health = await fetch(`${h.hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const doc = (await (await fetch(`${h.hub.url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/cameras', '/api/cameras/{id}', '/api/auth/login', '/api/sites']),
    );
  });

  it('refuses API calls without a valid token', async () => {
    expect((await fetch(`${h.hub.url}/api/cameras`)).status).toBe(401);
    expect((await api('/api/cameras', 'not-a-token')).status).toBe(401);
  });

  it('creates cameras from the inventory and moves them up on health', async () => {
    await eventually('cameras listed', async () => {
      const list = (await api<CameraView[]>(`/api/cameras?siteId=${siteId}`)).body;
      return list.length === 2 ? list : undefined;
    });
    await site.publish('health', health(cams[0] as string, 'up'), cams[0]);
    const up = await eventually('camera up', async () => {
      const c = await camera(cams[0] as string);
      return c.state === 'up' ? c : undefined;
    });
    expect(up.lastSeenAt).not.toBeNull();
    expect(up.location.type).toBe('Point');
    expect(up.councilId).toBe(council);
  });

  it('pushes a snapshot then batched changes over socket.io', async () => {
    const socket: Socket = io(h.hub.url, { auth: { token }, transports: ['websocket'] });
    try {
      const snapshot = await new Promise<LiveSnapshot>((resolve, reject) => {
        socket.once('snapshot', resolve);
        socket.once('connect_error', reject);
      });
      expect(snapshot.cameras.map((c) => c.id)).toEqual(expect.arrayContaining(cams));
      const changed = new Promise<CameraView>((resolve) => {
        socket.on('changes', (changes: LiveChanges) => {
          const c = changes.cameras.find((x) => x.id === cams[1] && x.state === 'down');
          if (c) resolve(c);
        });
      });
      await site.publish(
        'health',
        health(cams[1] as string, 'down', [{ code: 'unreachable', message: 'connection refused' }]),
        cams[1],
      );
      const c = await changed;
      expect(c.reasons[0]?.code).toBe('unreachable');
    } finally {
      socket.close();
    }
  });

  it('gives sockets that connect together one shared snapshot, and changes only after it', async () => {
    const before = h.hub.liveSnapshots;
    const sockets: Socket[] = Array.from({ length: 30 }, () =>
      io(h.hub.url, { auth: { token }, transports: ['websocket'] }),
    );
    try {
      const orders = sockets.map((socket) => {
        const events: string[] = [];
        socket.on('snapshot', (s: LiveSnapshot) =>
          events.push(s.cameras.some((c) => c.id === cams[0]) ? 'snapshot' : 'empty snapshot'),
        );
        socket.on('changes', (changes: LiveChanges) => {
          if (changes.cameras.some((c) => cams.includes(c.id))) events.push('changes');
        });
        return events;
      });
      await eventually('every socket has its snapshot', async () =>
        orders.every((events) => events.includes('snapshot')) ? true : undefined,
      );
      await site.publish(
        'health',
        health(cams[1] as string, 'down', [{ code: 'unreachable', message: 'still refused' }]),
        cams[1],
      );
      await site.publish('health', health(cams[1] as string, 'up'), cams[1]);
      await eventually('every socket has the changes', async () =>
        orders.every((events) => events.includes('changes')) ? true : undefined,
      );
      for (const events of orders) {
        expect(events[0]).toBe('snapshot');
        expect(events.filter((e) => e.endsWith('snapshot'))).toEqual(['snapshot']);
      }
      const after = h.hub.liveSnapshots;
      expect(after.sockets - before.sockets).toBe(30);
      // Built and encoded once per group of sockets connecting within a few milliseconds, not 30 times.
      expect(after.sent - before.sent).toBeLessThan(30);
    } finally {
      for (const socket of sockets) socket.close();
    }
  });

  it('refuses sockets without a valid token', async () => {
    const socket = io(h.hub.url, {
      auth: { token: 'forged' },
      transports: ['websocket'],
      reconnection: false,
    });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.close();
    expect(error.message).toBe('unauthorized');
  });

  it('dead-letters bad input with a reason and keeps ingesting good messages', async () => {
    const before = (await deadLetters()).length;
    const t = (kind: 'health', cam: string) => buildTopic(kind, { siteId, cameraId: cam });
    await site.raw(t('health', cams[0] as string), '{not json');
    await site.raw(
      t('health', cams[0] as string),
      JSON.stringify(site.envelope({ ...health(cams[0] as string, 'up'), state: 'sideways' })),
    );
    await site.raw(
      buildTopic('health', { siteId: 'other-site', cameraId: cams[0] }),
      JSON.stringify(site.envelope(health(cams[0] as string, 'up'))),
    );
    await site.raw(
      t('health', cams[0] as string),
      JSON.stringify(site.envelope({ ...health(cams[0] as string, 'up'), pad: 'x'.repeat(70_000) })),
    );
    await site.raw(`cctv/v1/site/${siteId}/bogus`, '{}');
    await site.raw(
      t('health', 'no-such-camera'),
      JSON.stringify(site.envelope(health('no-such-camera', 'up'))),
    );
    await site.publish(
      'health',
      health(cams[0] as string, 'degraded', [{ code: 'clock_offset', message: 'clock 7 s off' }]),
      cams[0],
    );
    await eventually('degraded after bad input', async () =>
      (await camera(cams[0] as string)).state === 'degraded' ? true : undefined,
    );
    const rows = (
      await eventually('dead letters', async () => {
        const all = await deadLetters();
        return all.length - before >= 6 ? all : undefined;
      })
    ).slice(before);
    // The message on another site's topic may be written by another ingest writer (on PostgreSQL),
    // so its row may come before or after the others.
    expect(rows.map((r) => r.code).sort()).toEqual(
      ['BAD_JSON', 'BAD_SCHEMA', 'SITE_MISMATCH', 'TOO_LARGE', 'BAD_TOPIC', 'UNKNOWN_CAMERA'].sort(),
    );
    expect(rows.find((r) => r.code === 'BAD_SCHEMA')?.path).toBe('/payload/state');
    // Each rejection is logged once with its topic, code and first error path.
    const warnings = h.logs
      .map((l) => JSON.parse(l) as { msg: string; code?: string; topic?: string; path?: string })
      .filter((l) => l.msg.startsWith('rejected message'));
    for (const row of rows) {
      expect(warnings.some((w) => w.code === row.code && w.topic === row.topic && w.path === row.path)).toBe(
        true,
      );
    }
    expect(warnings.find((w) => w.code === 'SITE_MISMATCH')?.msg).toMatch(
      /envelope siteId .* does not match topic site other-site/,
    );
    const stats = (
      await api<{
        deadLettered: number;
        process: {
          rssMb: number;
          heapUsedMb: number;
          eventLoopDelay: { p99Ms: number; maxMs: number } | null;
        };
        live: { connections: number; slowSocketsClosed: number } | null;
      }>('/api/ingest/stats')
    ).body;
    expect(stats.deadLettered).toBeGreaterThanOrEqual(6);
    // The hub's own figures come with the ingest counters.
    expect(stats.process.heapUsedMb).toBeGreaterThan(1);
    expect(stats.process.rssMb).toBeGreaterThan(stats.process.heapUsedMb);
    expect(stats.process.eventLoopDelay?.maxMs).toBeGreaterThanOrEqual(
      stats.process.eventLoopDelay?.p99Ms ?? 0,
    );
    expect(stats.live).toMatchObject({ slowSocketsClosed: 0 });
  });

  it('is idempotent on msgId', async () => {
    const envelope = site.envelope(
      health(cams[0] as string, 'degraded', [{ code: 'clock_offset', message: 'clock 7 s off' }]),
    );
    const topic = buildTopic('health', { siteId, cameraId: cams[0] });
    await site.raw(topic, JSON.stringify(envelope));
    await site.raw(topic, JSON.stringify(envelope));
    await site.raw(topic, JSON.stringify(envelope));
    await h.hub.pipeline.idle();
    await eventually('sample stored', async () => {
      const r = await h.hub.database.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = $1',
        [envelope.msgId],
      );
      return r.rows[0]?.n === 1 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 300));
    const r = await h.hub.database.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = $1',
      [envelope.msgId],
    );
    expect(r.rows[0]?.n).toBe(1);
  });

  it('keeps state as intervals with exactly one open interval per camera', async () => {
    const rows = (
      await h.hub.database.pool.query<{ state: string; ended_at: Date | null }>(
        'SELECT state, ended_at FROM camera_state_intervals WHERE camera_id = $1 ORDER BY started_at, id',
        [cams[0]],
      )
    ).rows;
    expect(rows.map((r) => r.state)).toEqual(['unknown', 'up', 'degraded']);
    expect(rows.filter((r) => r.ended_at === null)).toHaveLength(1);
  });

  it("turns the site's cameras unknown when its last will arrives", async () => {
    site.kill();
    const offline = await eventually(
      'cameras unknown',
      async () => {
        const list = (await api<CameraView[]>(`/api/cameras?siteId=${siteId}`)).body;
        return list.every((c) => c.state === 'unknown') ? list : undefined;
      },
      30_000,
    );
    expect(offline[0]?.reasons[0]?.code).toBe('site_offline');
    const sites = (await api<{ id: string; state: string }[]>('/api/sites')).body;
    expect(sites.find((s) => s.id === siteId)?.state).toBe('offline');
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect();
  });

  it('scopes a council officer to its own councils', async () => {
    const otherSite = new SitePublisher(uniqueId('site'), h.hub.mqttUrl);
    const otherCouncil = uniqueId('council');
    await h.registerSite(otherSite.siteId, otherCouncil, { cameraIds: [`${otherSite.siteId}-c1`] });
    await otherSite.connect(false);
    await otherSite.publish('inventory', inventory(otherCouncil, [`${otherSite.siteId}-c1`]));
    await eventually('other camera', async () =>
      (await camera(`${otherSite.siteId}-c1`)).id ? true : undefined,
    );
    await h.createUser('officer', 'council', [council]);
    const officer = await h.login('officer');
    const mine = (await api<CameraView[]>('/api/cameras', officer)).body;
    expect(mine.length).toBe(2);
    expect(mine.every((c) => c.councilId === council)).toBe(true);
    expect((await api(`/api/cameras/${otherSite.siteId}-c1`, officer)).status).toBe(404);
    expect((await api('/api/ingest/stats', officer)).status).toBe(403);
    await otherSite.close();
  });
});
