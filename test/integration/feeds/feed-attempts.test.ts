import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraDetail } from '../../../src/schemas/api.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';

// Every feed attempt by a signed-in user leaves exactly one audit entry: started, refused (with the
// refusal's code), failed (start limit, stream lost) and ended. Real hub, real RTSP from the simulator.

interface Row {
  kind: string;
  actor: string;
  role: string | null;
  council_id: string | null;
  subject: string | null;
  incident_ref: string | null;
  detail: { code?: string; session?: string; why?: string };
}

describe('every live feed attempt is audited once', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let control: string;
  const siteId = uniqueId('attempts');
  const council = uniqueId('council');
  const cams = [`${siteId}-a`, `${siteId}-b`, `${siteId}-c`];
  const [camA, camB, camC] = cams as [string, string, string];
  const REF = 'INC-2026-1205-007';

  const api = async (path: string, token: string | null, body?: unknown, method = 'POST') => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const open = (cameraId: string, token = control, incidentRef: string | undefined = REF) =>
    api('/api/feeds', token, { cameraId, ...(incidentRef ? { incidentRef } : {}), reason: 'Reported theft' });
  const lastSeq = async () =>
    Number(
      (await h.hub.database.pool.query<{ s: string }>('SELECT max(seq) AS s FROM audit_log')).rows[0]?.s,
    );
  const feedEntriesAfter = async (seq: number) =>
    (
      await h.hub.database.pool.query<Row>(
        "SELECT kind, actor, role, council_id, subject, incident_ref, detail FROM audit_log WHERE seq > $1 AND kind LIKE 'feed.%' ORDER BY seq",
        [seq],
      )
    ).rows;
  const summary = (r: Row) => [r.kind, r.detail.code ?? null, r.actor, r.subject, r.incident_ref];

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__feeds__maxPerSite: '1',
        CCTV_HUB__feeds__startTimeoutMs: '6000',
        CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')),
      },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    await h.createUser('cr', 'controlroom');
    await h.createUser('aud', 'auditor');
    control = await h.login('cr');
    await h.registerSite(siteId, council, { cameraIds: cams });
    // Probes far apart: a camera made slow for the failure case stays judged up while it is opened.
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: cams,
      probeIntervalMs: 30_000,
    });
    await site.start();
    for (const id of cams)
      await eventually(
        `camera ${id} up with a stream`,
        async () => {
          const r = await api(`/api/cameras/${id}`, control, undefined, 'GET');
          const d = r.body as unknown as CameraDetail;
          return r.status === 200 && d.state === 'up' && d.stream?.uri ? true : undefined;
        },
        60_000,
      );
  }, 120_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('records nothing for a request without credentials (not an attempt by anyone)', async () => {
    const before = await lastSeq();
    expect((await open(camA, '')).status).toBe(401);
    expect(await feedEntriesAfter(before)).toEqual([]);
  });

  it('records a started and an ended feed once each', async () => {
    const before = await lastSeq();
    const opened = await open(camA);
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const session = opened.body as unknown as FeedSessionView;
    expect((await api(`/api/feeds/${session.id}`, control, undefined, 'DELETE')).status).toBe(204);
    const rows = await feedEntriesAfter(before);
    expect(rows.map(summary)).toEqual([
      ['feed.start', null, 'cr', `camera:${camA}`, REF],
      ['feed.end', null, 'cr', `camera:${camA}`, REF],
    ]);
    expect(rows.map((r) => [r.detail.session, r.council_id, r.role])).toEqual([
      [session.id, council, 'controlroom'],
      [session.id, council, 'controlroom'],
    ]);
  });

  it.each([
    {
      outcome: 'no incident reference',
      attempt: () => open(camA, control, ''),
      status: 400,
      entry: ['feed.refused', 'INCIDENT_REF_MISSING', 'cr', `camera:${camA}`, null],
    },
    {
      outcome: 'a malformed incident reference',
      attempt: () => open(camA, control, '<script>'),
      status: 400,
      entry: ['feed.refused', 'INCIDENT_REF_INVALID', 'cr', `camera:${camA}`, null],
    },
    {
      outcome: 'a role that may not view feeds',
      attempt: async () => open(camA, await h.login('aud')),
      status: 403,
      entry: ['feed.refused', 'FORBIDDEN', 'aud', `camera:${camA}`, REF],
    },
    {
      outcome: 'a camera the hub does not know (or has not approved)',
      attempt: () => open(`${siteId}-zz`),
      status: 404,
      entry: ['feed.refused', 'NOT_FOUND', 'cr', `camera:${siteId}-zz`, REF],
    },
  ])('records a refusal for $outcome, with its code', async ({ attempt, status, entry }) => {
    const before = await lastSeq();
    expect((await attempt()).status).toBe(status);
    expect((await feedEntriesAfter(before)).map(summary)).toEqual([entry]);
  });

  it("records a refusal for the site's feed limit, naming the limit", async () => {
    const first = await open(camA);
    expect(first.status).toBe(201);
    const before = await lastSeq();
    const refused = await open(camB);
    expect(refused.status).toBe(429);
    const rows = await feedEntriesAfter(before);
    expect(rows.map(summary)).toEqual([['feed.refused', 'SITE_FEED_LIMIT', 'cr', `camera:${camB}`, REF]]);
    expect(rows[0]?.council_id).toBe(council);
    const id = (first.body as unknown as FeedSessionView).id;
    expect((await api(`/api/feeds/${id}`, control, undefined, 'DELETE')).status).toBe(204);
  });

  it('records a failure when the camera gives no video within the start limit', async () => {
    await site.simulator.setFault(camC, { kind: 'slow-rtsp', delayMs: 15_000 });
    try {
      const before = await lastSeq();
      const failed = await open(camC);
      expect(failed.status).toBe(502);
      expect((await feedEntriesAfter(before)).map(summary)).toEqual([
        ['feed.failed', 'FEED_START_TIMEOUT', 'cr', `camera:${camC}`, REF],
      ]);
    } finally {
      await site.simulator.clearFault(camC);
    }
  }, 30_000);

  it('records a failure, in place of an end, when a playing stream is lost', async () => {
    const before = await lastSeq();
    const opened = await open(camA);
    expect(opened.status).toBe(201);
    const session = opened.body as unknown as FeedSessionView;
    const pid = h.hub.feedManager.upstreamPid(camA);
    expect(pid).not.toBeNull();
    // The pull dies under the hub (as when the town link drops): the session ends as failed.
    process.kill(pid as number, 'SIGKILL');
    const rows = await eventually(
      'the lost stream in the audit log',
      async () => {
        const r = await feedEntriesAfter(before);
        return r.length >= 2 ? r : undefined;
      },
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1500)); // nothing more arrives for the session
    expect((await feedEntriesAfter(before)).map(summary)).toEqual([
      ['feed.start', null, 'cr', `camera:${camA}`, REF],
      ['feed.failed', 'STREAM_LOST', 'cr', `camera:${camA}`, REF],
    ]);
    expect(rows[1]?.detail.session).toBe(session.id);
  }, 30_000);
});
