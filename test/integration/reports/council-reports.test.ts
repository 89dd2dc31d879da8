import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { pdfPages } from '../../support/pdf-text.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// Two councils share a hub; each council's CSV exports and PDF evidence pack, fetched through the
// API and parsed back, hold that council's cameras only.

describe('council reports through the API', () => {
  let h: HubHarness;
  let op: string;
  const councilA = uniqueId('council-a');
  const councilB = uniqueId('council-b');
  const siteA = new Map<string, SitePublisher>();
  const camsA = ['a1', 'a2', 'a3'].map((c) => `${councilA}-${c}`);
  const camsB = ['b1', 'b2'].map((c) => `${councilB}-${c}`);

  const get = async (path: string, token = op) => {
    const r = await fetch(`${h.hub.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  };

  beforeAll(async () => {
    h = await startHub({ CCTV_HUB__compliance__evaluateIntervalMs: '1000' });
    await h.createUser('op', 'operator');
    await h.createUser('officer-b', 'council', [councilB]);
    await h.createUser('control', 'controlroom');
    op = await h.login('op');
    for (const [council, cams] of [
      [councilA, camsA],
      [councilB, camsB],
    ] as const) {
      await h.registerSite(`${council}-site`, council, { cameraIds: cams });
      const site = new SitePublisher(`${council}-site`, h.hub.mqttUrl);
      await site.connect(false);
      await site.publish('inventory', inventory(council, cams));
      await site.publish('siteState', { state: 'online' });
      for (const cam of cams) {
        await site.publish(
          'health',
          {
            ...health(cam, 'up'),
            clock: {
              offsetMs: 420,
              roundTripMs: 3,
              dateTimeType: 'NTP',
              timeZone: 'GMT0BST,M3.5.0/1,M10.5.0',
              daylightSavings: false,
            },
          },
          cam,
        );
      }
      siteA.set(council, site);
    }
    // Wait for the evaluation job to have a result for every camera.
    for (let i = 0; i < 100; i++) {
      const r = await fetch(`${h.hub.url}/api/compliance?scope=fleet`, {
        headers: { authorization: `Bearer ${op}` },
      });
      const body = (await r.json()) as { evaluated: number };
      if (body.evaluated >= camsA.length + camsB.length) break;
      await new Promise((res) => setTimeout(res, 200));
    }
  }, 180_000);

  afterAll(async () => {
    for (const s of siteA.values()) await s.close();
    await h?.stop();
  });

  it('exports uptime, compliance and maintenance CSVs with only that council', async () => {
    for (const file of ['uptime.csv', 'compliance.csv', 'maintenance.csv']) {
      const r = await get(`/api/reports/councils/${councilA}/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toMatch(
        new RegExp(`attachment; filename="cctv-${councilA}-\\d{4}-\\d{2}-${file}"`),
      );
      const text = r.body.toString('utf8');
      for (const cam of camsB) expect(text).not.toContain(cam);
    }
    const uptime = parse((await get(`/api/reports/councils/${councilA}/uptime.csv`)).body.toString('utf8'), {
      columns: true,
      bom: true,
    }) as Record<string, string>[];
    expect(uptime.map((r) => r.camera_id).sort()).toEqual([...camsA].sort());
    const compliance = parse(
      (await get(`/api/reports/councils/${councilA}/compliance.csv`)).body.toString('utf8'),
      { columns: true, bom: true },
    ) as Record<string, string>[];
    expect(new Set(compliance.map((r) => r.camera_id))).toEqual(new Set(camsA));
    expect(compliance.some((r) => r.rule_id === 'clock-offset')).toBe(true);
  });

  it('builds a PDF evidence pack that opens and names only that council', async () => {
    const r = await get(`/api/reports/councils/${councilA}/evidence.pdf`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    const text = (await pdfPages(r.body)).join('\n');
    for (const cam of camsA) expect(text).toContain(cam);
    for (const cam of camsB) expect(text).not.toContain(cam);
    expect(text).toContain('public-space-baseline@3');
  });

  it('evaluates the review rule from the scheme records a council enters', async () => {
    const reviewOf = async () => {
      const r = await fetch(`${h.hub.url}/api/compliance?scope=camera&id=${camsA[0]}`, {
        headers: { authorization: `Bearer ${op}` },
      });
      const body = (await r.json()) as {
        cameras: { result: { results: { ruleId: string; status: string; reason: string }[] } }[];
      };
      return body.cameras[0]?.result.results.find((x) => x.ruleId === 'review');
    };
    const waitReview = async (status: string) => {
      for (let i = 0; i < 100; i++) {
        const r = await reviewOf();
        if (r?.status === status) return r;
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error(`review never became ${status}: ${JSON.stringify(await reviewOf())}`);
    };
    expect((await reviewOf())?.status).toBe('not_evaluable');
    const day = 86_400_000;
    const put = (body: unknown, token = op) =>
      fetch(`${h.hub.url}/api/compliance/records/${councilA}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const recent = new Date(Date.now() - 100 * day).toISOString();
    expect((await put({ lastReviewAt: recent, dpiaAt: recent, certificateIssuedAt: null })).status).toBe(200);
    await waitReview('pass');
    const old = new Date(Date.now() - 400 * day).toISOString();
    expect((await put({ lastReviewAt: old, dpiaAt: recent, certificateIssuedAt: null })).status).toBe(200);
    const failed = await waitReview('fail');
    expect(failed.reason).toMatch(/review/i);
    expect(
      (
        await put({
          lastReviewAt: new Date(Date.now() + day).toISOString(),
          dpiaAt: null,
          certificateIssuedAt: null,
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await put(
          { lastReviewAt: recent, dpiaAt: recent, certificateIssuedAt: null },
          await h.login('officer-b'),
        )
      ).status,
    ).toBe(404);
  });

  it('scopes reports: other councils, control rooms and bad file names are refused', async () => {
    const officer = await h.login('officer-b');
    expect((await get(`/api/reports/councils/${councilA}/uptime.csv`, officer)).status).toBe(404);
    expect((await get(`/api/reports/councils/${councilB}/uptime.csv`, officer)).status).toBe(200);
    expect(
      (await get(`/api/reports/councils/${councilA}/evidence.pdf`, await h.login('control'))).status,
    ).toBe(403);
    expect((await get(`/api/reports/councils/${councilA}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);
    expect((await get(`/api/reports/councils/${councilA}/uptime.csv?month=2026-13`)).status).toBe(400);
    expect((await get(`/api/reports/councils/${councilA}/uptime.csv`, 'forged')).status).toBe(401);
  });
});
