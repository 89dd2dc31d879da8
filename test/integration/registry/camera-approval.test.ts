import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A camera first seen in a site's inventory is monitored but counted in no council's evidence until
// an operator approves it, and then only from the approval on; retiring it ends its counted time; a
// site moved to another council takes its cameras' future, not their past. Driven by a fake hub
// clock so the figures are exact to the second.

const MIN = 60_000;
const T0 = Date.parse('2026-06-10T09:00:00Z');

interface UptimeRow {
  cameraId: string;
  durationsMs: { up: number };
}

describe('registry: camera approval and site moves in the evidence', () => {
  let h: HubHarness;
  let clock = T0;
  let token = '';
  let site: SitePublisher;
  const councilA = uniqueId('appr-a');
  const councilB = uniqueId('appr-b');
  const siteId = uniqueId('appr');
  const listed = `${siteId}-1`;
  const surprise = `${siteId}-2`;

  const api = async <T>(method: string, path: string, body?: unknown) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as T };
  };
  /** Both cameras report up at the hub's current time, and the hub has stored it. */
  const heartbeat = async () => {
    const before = h.hub.pipeline.stats.received;
    await site.publish('health', health(listed, 'up'), listed, new Date(clock));
    await site.publish('health', health(surprise, 'up'), surprise, new Date(clock));
    for (let i = 0; i < 500 && h.hub.pipeline.stats.received < before + 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    await h.hub.pipeline.idle();
  };
  const upMs = async (scope: string, id: string, fromMs: number, toMs: number) => {
    const from = new Date(fromMs).toISOString();
    const to = new Date(toMs).toISOString();
    const report = await api<{ cameras: UptimeRow[] }>(
      'GET',
      `/api/uptime?scope=${scope}&id=${id}&window=custom&from=${from}&to=${to}&perCamera=true`,
    );
    expect(report.status).toBe(200);
    return Object.fromEntries(report.body.cameras.map((c) => [c.cameraId, c.durationsMs.up]));
  };

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__state__staleAfterMs: String(60 * MIN) }, { now: () => clock });
    await h.createUser('appr-op', 'operator');
    token = await h.login('appr-op');
    await h.registerSite(siteId, councilA, { cameraIds: [listed] });
    await h.registerSite(uniqueId('other'), councilB);
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    const before = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventory(councilA, [listed, surprise]), undefined, new Date(clock));
    await site.publish('siteState', { state: 'online' }, undefined, new Date(clock));
    for (let i = 0; i < 500 && h.hub.pipeline.stats.received < before + 2; i++)
      await new Promise((r) => setTimeout(r, 10));
    await heartbeat();
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('shows a camera the operator did not list as pending, and counts it nowhere', async () => {
    const cams = await api<{ id: string; approval: string }[]>('GET', `/api/cameras?siteId=${siteId}`);
    expect(Object.fromEntries(cams.body.map((c) => [c.id, c.approval]))).toEqual({
      [listed]: 'approved',
      [surprise]: 'pending',
    });
    const pending = await api<{ id: string }[]>('GET', '/api/registry/cameras?approval=pending');
    expect(pending.body.map((c) => c.id)).toContain(surprise);
    clock = T0 + 10 * MIN;
    await heartbeat();
    const up = await upMs('council', councilA, T0, clock);
    expect(up).toEqual({ [listed]: 10 * MIN });
  });

  it('counts an approved camera from the approval on, and audits the decision', async () => {
    const approved = await api<{ approval: string; approvalAt: string }>(
      'POST',
      `/api/registry/cameras/${surprise}/approval`,
      { decision: 'approve', note: 'commissioned on site by the council' },
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      approval: 'approved',
      approvalAt: new Date(T0 + 10 * MIN).toISOString(),
    });
    clock = T0 + 20 * MIN;
    await heartbeat();
    expect(await upMs('council', councilA, T0, clock)).toEqual({ [listed]: 20 * MIN, [surprise]: 10 * MIN });
    const csv = await fetch(`${h.hub.url}/api/reports/councils/${councilA}/uptime.csv?month=2026-06`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await csv.text()).toContain(surprise);
    const audit = await api<{
      entries: { kind: string; subject: string; reason: string; detail: { from: string } }[];
    }>('GET', '/api/audit?kind=config.camera');
    expect(audit.body.entries[0]).toMatchObject({
      kind: 'config.camera.approve',
      subject: `camera:${surprise}`,
      reason: 'commissioned on site by the council',
      detail: { from: 'pending' },
    });
  });

  it('stops counting a retired camera and refuses to approve it again', async () => {
    expect(
      (await api('POST', `/api/registry/cameras/${surprise}/approval`, { decision: 'retire' })).status,
    ).toBe(200);
    clock = T0 + 30 * MIN;
    await heartbeat();
    expect(await upMs('council', councilA, T0, clock)).toEqual({ [listed]: 30 * MIN, [surprise]: 10 * MIN });
    const again = await api<{ code: string }>('POST', `/api/registry/cameras/${surprise}/approval`, {
      decision: 'approve',
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('BAD_TRANSITION');
  });

  it('moves a site to another council only with a reason, keeping the past with the council that held it', async () => {
    const noReason = await api<{ code: string }>('PATCH', `/api/registry/sites/${siteId}`, {
      councilId: councilB,
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.code).toBe('REASON_REQUIRED');
    const moved = await api<{ move: { effect: string; at: string } }>(
      'PATCH',
      `/api/registry/sites/${siteId}`,
      {
        councilId: councilB,
        reason: 'boundary review: the car park passed to the neighbouring council',
      },
    );
    expect(moved.status).toBe(200);
    expect(moved.body.move.at).toBe(new Date(T0 + 30 * MIN).toISOString());
    expect(moved.body.move.effect).toMatch(/No past month's evidence changes/);
    clock = T0 + 40 * MIN;
    await heartbeat();
    expect(await upMs('council', councilA, T0, clock)).toEqual({ [listed]: 30 * MIN, [surprise]: 10 * MIN });
    expect(await upMs('council', councilB, T0, clock)).toEqual({ [listed]: 10 * MIN });
    const cams = await api<{ id: string; councilId: string }[]>('GET', `/api/cameras?siteId=${siteId}`);
    expect(cams.body.every((c) => c.councilId === councilB)).toBe(true);
    const audit = await api<{ entries: { kind: string; councilId: string }[] }>(
      'GET',
      '/api/audit?kind=config.site.move',
    );
    expect(new Set(audit.body.entries.map((e) => e.councilId))).toEqual(new Set([councilA, councilB]));
  });

  it('refuses the old council in the site inventory after the move', async () => {
    const before = h.hub.pipeline.stats.deadLetterCodes.INVENTORY_COUNCIL_MISMATCH ?? 0;
    await site.publish('inventory', inventory(councilA, [listed, surprise]), undefined, new Date(clock));
    for (
      let i = 0;
      i < 500 && (h.hub.pipeline.stats.deadLetterCodes.INVENTORY_COUNCIL_MISMATCH ?? 0) === before;
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    expect(h.hub.pipeline.stats.deadLetterCodes.INVENTORY_COUNCIL_MISMATCH).toBe(before + 1);
  });
});
