import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraView, UptimeReport } from '../../../src/schemas/api.ts';
import type { MaintenanceWindowView } from '../../../src/schemas/maintenance.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Maintenance windows through the API on a fake hub clock: the live state, immutability of the
// past, scoping, and their exclusion from availability (hand-computed).

const H = 3_600_000;
const M = 60_000;
const T0 = Date.parse('2026-11-24T08:00:00Z');

describe('maintenance windows', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let op: string;
  let clock = T0;
  const siteId = uniqueId('maint');
  const council = uniqueId('council');
  const cam = `${siteId}-a`;

  const call = async <T>(method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const cameraState = async () => (await call<CameraView>('GET', `/api/cameras/${cam}`, op)).body.state;
  const waitState = async (state: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await cameraState()) === state) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`camera never became ${state} (is ${await cameraState()})`);
  };
  const settle = async (n: number) => {
    for (let i = 0; i < 200 && h.hub.pipeline.stats.received < n; i++)
      await new Promise((r) => setTimeout(r, 25));
    await h.hub.pipeline.idle();
  };

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__state__staleAfterMs: String(30 * 24 * H) }, { now: () => clock });
    await h.createUser('op', 'operator');
    await h.createUser('aud', 'auditor');
    await h.createUser('officer', 'council', [council]);
    await h.createUser('stranger', 'council', ['another-council']);
    op = await h.login('op');
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    const base = h.hub.pipeline.stats.received;
    // Dated on the hub's (fake) clock: a statement ahead of it would be refused.
    await site.publish('inventory', inventory(council, [cam]), undefined, new Date(T0));
    await site.publish('siteState', { state: 'online' }, undefined, new Date(T0));
    await settle(base + 2);
    await site.publish('health', health(cam, 'up'), cam, new Date(T0));
    await settle(base + 3);
    await waitState('up');
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  let windowId = 0;

  it('creates a window in the future and edits it before it starts', async () => {
    const created = await call<MaintenanceWindowView>('POST', '/api/maintenance', op, {
      scope: 'site',
      scopeId: siteId,
      title: 'Lens cleaning',
      startsAt: iso(T0 + 2 * H),
      endsAt: iso(T0 + 4 * H),
    });
    expect(created.status).toBe(201);
    windowId = created.body.id;
    expect(created.body.next).toEqual([{ from: iso(T0 + 2 * H), to: iso(T0 + 4 * H) }]);
    const moved = await call<MaintenanceWindowView>('PATCH', `/api/maintenance/${windowId}`, op, {
      startsAt: iso(T0 + H),
      endsAt: iso(T0 + 3 * H),
    });
    expect(moved.status).toBe(200);
    expect(moved.body.startsAt).toBe(iso(T0 + H));
  });

  it('refuses windows in the past, writes by auditors, and other councils', async () => {
    const past = await call<{ code: string }>('POST', '/api/maintenance', op, {
      scope: 'camera',
      scopeId: cam,
      title: 'x',
      startsAt: iso(T0 - H),
      endsAt: iso(T0 + H),
    });
    expect(past.status).toBe(400);
    expect(past.body.code).toBe('PAST_WINDOW');
    const auditor = await h.login('aud');
    expect(
      (
        await call('POST', '/api/maintenance', auditor, {
          scope: 'camera',
          scopeId: cam,
          title: 'x',
          startsAt: iso(T0 + H),
          endsAt: iso(T0 + 2 * H),
        })
      ).status,
    ).toBe(403);
    const stranger = await h.login('stranger');
    expect(
      (
        await call('POST', '/api/maintenance', stranger, {
          scope: 'camera',
          scopeId: cam,
          title: 'x',
          startsAt: iso(T0 + H),
          endsAt: iso(T0 + 2 * H),
        })
      ).status,
    ).toBe(404);
    expect((await call(`GET`, `/api/maintenance/${windowId}`, stranger)).status).toBe(404);
    expect((await call<unknown[]>('GET', '/api/maintenance', stranger)).body).toEqual([]);
    const officer = await h.login('officer');
    expect((await call<unknown[]>('GET', '/api/maintenance', officer)).body).toHaveLength(1);
  });

  it('puts the camera in maintenance while the window runs, and the past cannot be edited', async () => {
    clock = T0 + H + 5 * M;
    await waitState('maintenance');
    expect((await call('PATCH', `/api/maintenance/${windowId}`, op, { title: 'renamed' })).status).toBe(409);
    expect((await call('DELETE', `/api/maintenance/${windowId}`, op)).status).toBe(409);
    // A health sample during maintenance does not end it.
    const base = h.hub.pipeline.stats.received;
    await site.publish('health', health(cam, 'down'), cam, new Date(clock));
    await settle(base + 1);
    expect(await cameraState()).toBe('maintenance');
  });

  it('ends a running window early; the camera leaves maintenance at that moment', async () => {
    clock = T0 + 2 * H;
    const ended = await call<MaintenanceWindowView>('POST', `/api/maintenance/${windowId}/end`, op);
    expect(ended.status).toBe(200);
    expect(ended.body.endedAt).toBe(iso(T0 + 2 * H));
    expect((await call('POST', `/api/maintenance/${windowId}/end`, op)).status).toBe(409);
    clock = T0 + 2 * H + M;
    await waitState('unknown');
    const base = h.hub.pipeline.stats.received;
    clock = T0 + 2 * H + 5 * M;
    await site.publish('health', health(cam, 'up'), cam, new Date(clock));
    await settle(base + 1);
    await waitState('up');
  });

  it('excludes the maintenance from availability', async () => {
    clock = T0 + 4 * H;
    const report = await call<UptimeReport>(
      'GET',
      `/api/uptime?scope=camera&id=${cam}&window=custom&from=${iso(T0)}&to=${iso(T0 + 4 * H)}`,
      op,
    );
    // up 08:00-09:00, maintenance 09:00-10:00 (ended early), unknown 10:00-10:05, up 10:05-12:00.
    expect(report.body.total.durationsMs).toEqual({
      up: H + 115 * M,
      degraded: 0,
      down: 0,
      unknown: 5 * M,
      maintenance: H,
    });
    expect(report.body.total.availability).toBe(1);
  });

  it('deletes a window that has not started', async () => {
    const w = await call<MaintenanceWindowView>('POST', '/api/maintenance', op, {
      scope: 'council',
      scopeId: council,
      title: 'Monthly check',
      startsAt: iso(T0 + 48 * H),
      endsAt: iso(T0 + 49 * H),
      recurrence: 'monthly',
    });
    expect(w.status).toBe(201);
    expect(w.body.next.length).toBeGreaterThanOrEqual(1);
    expect((await call('DELETE', `/api/maintenance/${w.body.id}`, op)).status).toBe(204);
    expect((await call('GET', `/api/maintenance/${w.body.id}`, op)).status).toBe(404);
  });
});
