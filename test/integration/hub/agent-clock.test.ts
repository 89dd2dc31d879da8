import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackResult } from '../../../src/compliance/result.ts';
import type { LiveChanges, SiteView } from '../../../src/schemas/api.ts';
import type { AgentClockHealth, HealthPayload } from '../../../src/schemas/payloads.ts';
import { eventually as eventuallyWithin } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Sites publish through the real broker with envelope observedAt set on purpose: the hub compares it
// with its own receive time and flags agents whose clock it cannot trust.

/** This file's waits allow 20 s (the hub's clock window needs a few batches). */
const eventually = <T>(what: string, probe: () => Promise<T | undefined>) =>
  eventuallyWithin(what, probe, 20_000);

const synced = (synchronized: boolean | null): AgentClockHealth => ({
  synchronized,
  source: synchronized === null ? 'none' : 'timedatectl',
  offsetMs: null,
  maxErrorMs: null,
  checkedAt: new Date().toISOString(),
});

/** A health sample with a camera clock reading 100 ms off the agent's: passes the clock rule when trusted. */
const withClock = (cameraId: string): HealthPayload => ({
  ...health(cameraId, 'up'),
  clock: {
    offsetMs: 100,
    roundTripMs: 8,
    dateTimeType: 'NTP',
    timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
    daylightSavings: true,
  },
});

describe('agent clock health at the hub', () => {
  let h: HubHarness;
  let token: string;
  let socket: Socket;
  const pushed: SiteView[] = [];
  const council = uniqueId('council');
  const sites: SitePublisher[] = [];

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${h.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  const siteView = async (id: string) => (await api<SiteView[]>('/api/sites')).find((s) => s.id === id);
  const clockRule = async (cameraId: string) => {
    const body = await api<{ cameras: { result: PackResult }[] }>(
      `/api/compliance?scope=camera&id=${cameraId}`,
    );
    return body.cameras[0]?.result.results.find((r) => r.ruleId === 'clock-offset');
  };

  /** A registered site that connects, says who it is and reports one camera, with its clock `aheadMs` off the hub's. */
  async function startSite(
    name: string,
    { aheadMs = 0, agentClock = synced(true) }: { aheadMs?: number; agentClock?: AgentClockHealth } = {},
  ) {
    const id = uniqueId(name);
    await h.registerSite(id, council, { cameraIds: [`${id}-c1`] });
    const site = new SitePublisher(id, h.hub.mqttUrl);
    sites.push(site);
    await site.connect();
    const at = () => new Date(Date.now() + aheadMs);
    await site.publish('inventory', inventory(council, [`${id}-c1`]), undefined, at());
    await site.publish('siteState', { state: 'online', agentVersion: 'test', agentClock }, undefined, at());
    await site.publish('health', withClock(`${id}-c1`), `${id}-c1`, at());
    return { id, site, cameraId: `${id}-c1` };
  }

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__compliance__evaluateIntervalMs: '1000' });
    await h.createUser('op', 'operator');
    token = await h.login('op');
    socket = io(h.hub.url, { auth: { token }, transports: ['websocket'] });
    socket.on('changes', (changes: LiveChanges) => pushed.push(...changes.sites));
    await new Promise<void>((resolve, reject) => {
      socket.once('snapshot', () => resolve());
      socket.once('connect_error', reject);
    });
  }, 180_000);

  afterAll(async () => {
    socket?.close();
    for (const site of sites) await site.close();
    await h?.stop();
  });

  it('flags a site whose agent clock is 10 s ahead, in the API and a live push, and does not trust its camera offsets', async () => {
    const { id, cameraId } = await startSite('ahead', { aheadMs: 10_000 });
    const view = await eventually('flagged site', async () => {
      const v = await siteView(id);
      return v?.clockSuspect ? v : undefined;
    });
    // The estimate is the observed time less the hub's receive time, so it reads a little under 10 s
    // by however long delivery took (seconds on a loaded machine), never over.
    expect(view.clockReason).toMatch(/agent clock is \d+\.\d s ahead of the hub/);
    expect(view.agentClockOffsetMs).toBeGreaterThan(6_000);
    expect(view.agentClockOffsetMs).toBeLessThanOrEqual(10_000);
    const push = await eventually('live push', async () => pushed.find((s) => s.id === id && s.clockSuspect));
    expect(push.clockReason).toMatch(/ahead of the hub/);
    // Not evaluable first for want of a health reading (on a loaded machine the first one can come
    // after the first evaluation), then for the agent's clock: wait for the latter.
    const rule = await eventually('clock rule', async () => {
      const r = await clockRule(cameraId);
      return r?.status === 'not_evaluable' && !/no health reading/.test(r.reason ?? '') ? r : undefined;
    });
    expect(rule.reason).toMatch(/agent's clock is not trustworthy/);
  });

  it('does not flag an honest site, and evaluates its camera offsets', async () => {
    const { id, cameraId } = await startSite('honest');
    const view = await eventually('honest site with an offset estimate', async () => {
      const v = await siteView(id);
      return v?.agentClockOffsetMs !== null && v?.agentClock ? v : undefined;
    });
    expect(view.clockSuspect).toBe(false);
    expect(view.clockReason).toBeNull();
    expect(Math.abs(view.agentClockOffsetMs as number)).toBeLessThan(2_000);
    expect(view.agentClock?.synchronized).toBe(true);
    const rule = await eventually('clock rule', async () => {
      const r = await clockRule(cameraId);
      return r?.status === 'pass' ? r : undefined;
    });
    expect(rule.reason).toMatch(/0.100 s ahead of the agent/);
  });

  it('flags a site whose agent says its clock is not NTP-synchronised', async () => {
    const { id } = await startSite('unsynced', { agentClock: synced(false) });
    const view = await eventually('flagged site', async () => {
      const v = await siteView(id);
      return v?.clockSuspect ? v : undefined;
    });
    expect(view.clockReason).toMatch(/not NTP-synchronised \(timedatectl\)/);
    expect(view.agentClock?.synchronized).toBe(false);
    // The offset itself is fine: only the agent's own report flags it.
    expect(Math.abs(view.agentClockOffsetMs as number)).toBeLessThan(2_000);
  });

  it('does not flag an honest site replaying hour-old data from its outbox', async () => {
    const { id, site, cameraId } = await startSite('replay', { agentClock: synced(null) });
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++)
      await site.publish('health', health(cameraId, 'up'), cameraId, new Date(hourAgo + i * 10_000));
    // The replay is in once the camera's history holds all of it.
    await eventually('replayed samples stored', async () => {
      const r = await h.hub.database.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM health_samples WHERE camera_id = $1',
        [cameraId],
      );
      return Number(r.rows[0]?.n) >= 21 ? true : undefined;
    });
    const view = await siteView(id);
    expect(view?.clockSuspect).toBe(false);
    expect(Math.abs(view?.agentClockOffsetMs as number)).toBeLessThan(2_000);
    expect(view?.agentClock?.synchronized).toBeNull();
    expect(pushed.filter((s) => s.id === id).every((s) => !s.clockSuspect)).toBe(true);
  });
});
