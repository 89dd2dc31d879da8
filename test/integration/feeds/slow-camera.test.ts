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

// A slow but working camera (it answers RTSP DESCRIBE after 6 s) opens a feed within the feed's own
// 10 s start limit: the hub's RTSP socket timeout is that limit, not a fixed 5 s.

describe('a live feed from a slow camera', () => {
  let h: HubHarness;
  let site: SiteHarness;
  let control: string;
  const siteId = uniqueId('slowfeed');
  const council = uniqueId('council');
  const cam = `${siteId}-01`;

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__feeds__startTimeoutMs: '10000',
        CCTV_HUB__feeds__dir: mkdtempSync(join(tmpdir(), 'cctv-feeds-')),
      },
      { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
    );
    await h.createUser('cr', 'controlroom');
    control = await h.login('cr');
    await h.registerSite(siteId, council, { cameraIds: [cam] });
    // Probes 30 s apart (the first within 31 s): the camera is judged up on its first probe, and the
    // feed is opened well before the next one sees it slow.
    site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: h.hub.mqttUrl,
      cameraIds: [cam],
      probeIntervalMs: 30_000,
    });
    await site.start();
    await eventually(
      'camera up with a stream',
      async () => {
        const r = await fetch(`${h.hub.url}/api/cameras/${cam}`, {
          headers: { authorization: `Bearer ${control}` },
        });
        const d = r.status === 200 ? ((await r.json()) as CameraDetail) : undefined;
        return d?.state === 'up' && d.stream?.uri ? true : undefined;
      },
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    await site?.stop();
    await h?.stop();
  });

  it('opens within the start limit although the camera takes 6 s to answer', async () => {
    await site.simulator.setFault(cam, { kind: 'slow-rtsp', delayMs: 6_000 });
    const startedAt = Date.now();
    const r = await fetch(`${h.hub.url}/api/feeds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${control}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cameraId: cam, incidentRef: 'INC-2026-0099', reason: 'Slow camera check' }),
    });
    const body = (await r.json()) as FeedSessionView & { message?: string };
    expect(r.status, body.message).toBe(201);
    expect(body.status).toBe('live');
    // It really waited for the slow answer.
    expect(Date.now() - startedAt).toBeGreaterThan(5_500);
  }, 60_000);
});
