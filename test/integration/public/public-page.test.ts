import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UptimeReport } from '../../../src/schemas/api.ts';
import type {
  PublicPageData,
  PublicPageSettings,
  PublicPageSettingsView,
} from '../../../src/schemas/public-page.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

// A council's public CCTV page: switched on by the council, served without login, with only what the
// council publishes (no live state, feed or ids), the same availability figure as its uptime report,
// downloads under its licence, cached and rate limited. Real broker and database, a fake hub clock so
// the 12 months have a history: cameras first seen in January 2026, one down for 6 hours in February.

const at = (s: string) => Date.parse(s);
const H = 3_600_000;

describe("a council's public CCTV page", () => {
  let h: HubHarness;
  let clock = at('2026-01-10T00:00:00Z');
  const council = uniqueId('council');
  const other = uniqueId('other');
  const siteId = uniqueId('public');
  const cams = [0, 1, 2].map((i) => `${siteId}-cam${i}`);
  const pending = `${siteId}-new`;
  let officer = '';
  let otherOfficer = '';
  let op = '';
  let room = '';
  const settings: PublicPageSettings = {
    enabled: true,
    purpose: 'To prevent and detect crime and disorder in the town centre.\n\nAnd to help people feel safe.',
    responsibleBody: 'Example Town Council',
    contact: 'CCTV office, Town Hall, Example TR18 1AA; cctv@example.gov.uk',
    coarsenM: 0,
    licence: 'OGL-UK-3.0',
  };

  const call = async (method: string, path: string, bearer?: string, body?: unknown) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: r.status, text, json, headers: r.headers };
  };
  const loginAll = async () => {
    op = await h.login('op');
    officer = await h.login('officer');
    otherOfficer = await h.login('other-officer');
    room = await h.login('room');
  };

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__state__staleAfterMs: String(400 * 24 * H),
        CCTV_HUB__http__publicPagesPerMinute: '200',
      },
      { now: () => clock },
    );
    await h.createUser('op', 'operator');
    await h.createUser('officer', 'council', [council]);
    await h.createUser('other-officer', 'council', [other]);
    await h.createUser('room', 'controlroom');
    await h.registerSite(siteId, council, { cameraIds: cams });
    await h.registerSite(uniqueId('other-site'), other, { cameraIds: [] });
    const site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    let sent = h.hub.pipeline.stats.received;
    const send = async (iso: string, fn: () => Promise<unknown>) => {
      clock = at(iso);
      await fn();
      sent++;
      for (let i = 0; i < 200 && h.hub.pipeline.stats.received < sent; i++)
        await new Promise((r) => setTimeout(r, 25));
      await h.hub.pipeline.idle();
    };
    await send('2026-01-10T00:00:00Z', () =>
      site.publish('inventory', inventory(council, [...cams, pending]), undefined, new Date(clock)),
    );
    await send('2026-01-10T00:00:00Z', () =>
      site.publish('siteState', { state: 'online' }, undefined, new Date(clock)),
    );
    for (const cam of cams)
      await send('2026-01-10T00:01:00Z', () =>
        site.publish('health', health(cam, 'up'), cam, new Date(clock)),
      );
    await send('2026-02-01T10:00:00Z', () =>
      site.publish('health', health(cams[1] as string, 'down'), cams[1], new Date(clock)),
    );
    await send('2026-02-01T16:00:00Z', () =>
      site.publish('health', health(cams[1] as string, 'up'), cams[1], new Date(clock)),
    );
    await site.close(false);
    clock = at('2026-12-04T12:00:00Z');
    await loginAll();
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  it('is off until the council switches it on: the same 404 as for no council at all', async () => {
    expect((await call('GET', `/api/councils/${council}/public-page`, officer)).json).toBeNull();
    expect((await call('GET', `/public/councils/${council}`)).status).toBe(404);
    expect((await call('GET', '/public/councils/no-such-council')).status).toBe(404);
    const off = await call('PUT', `/api/councils/${council}/public-page`, officer, {
      ...settings,
      enabled: false,
    });
    expect(off.status).toBe(200);
    const page = await call('GET', `/public/councils/${council}`);
    expect(page.status).toBe(404);
    expect(page.text).toContain('There is no public CCTV page here');
    expect((await call('GET', `/public/councils/${council}/data.json`)).status).toBe(404);
    expect((await call('GET', `/public/councils/${council}/cameras.csv`)).status).toBe(404);
  });

  it("lets only the council's officers and operators change it, audited", async () => {
    expect((await call('PUT', `/api/councils/${council}/public-page`, otherOfficer, settings)).status).toBe(
      404,
    );
    expect((await call('PUT', `/api/councils/${council}/public-page`, room, settings)).status).toBe(403);
    expect((await call('PUT', `/api/councils/${council}/public-page`, undefined, settings)).status).toBe(401);
    const bad = await call('PUT', `/api/councils/${council}/public-page`, officer, {
      ...settings,
      coarsenM: 42,
    });
    expect(bad.status).toBe(400);
    const control = await call('PUT', `/api/councils/${council}/public-page`, officer, {
      ...settings,
      contact: 'Town Hall\u0007',
    });
    expect(control.status).toBe(400);
    const saved = await call('PUT', `/api/councils/${council}/public-page`, officer, settings);
    expect(saved.status).toBe(200);
    expect(saved.json).toMatchObject({
      ...settings,
      councilId: council,
      updatedBy: 'officer',
      url: `/public/councils/${council}`,
    });
    expect((saved.json as PublicPageSettingsView).updatedAt).toBe(new Date(clock).toISOString());
    const audit = await h.hub.database.pool.query<{ actor: string; council_id: string }>(
      `SELECT actor, council_id FROM audit_log WHERE kind = 'config.public-page' ORDER BY seq`,
    );
    expect(audit.rows).toEqual([
      { actor: 'officer', council_id: council },
      { actor: 'officer', council_id: council },
    ]);
    expect((await call('PUT', `/api/councils/${council}/public-page`, op, settings)).status).toBe(200);
  });

  it('publishes where the approved cameras are, why, who is responsible, and no live state, feed or id', async () => {
    const page = await call('GET', `/public/councils/${council}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('public, max-age=300');
    const data = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    // The pending camera is not part of the scheme yet.
    expect(data.cameraCount).toBe(3);
    expect(data.places.map((p) => p.name)).toEqual(cams.map((c) => `Camera ${c}`).reverse());
    expect(data.places.map((p) => [p.lat, p.lon])).toEqual([
      [50.102, -5.5],
      [50.101, -5.5],
      [50.1, -5.5],
    ]);
    expect(data).toMatchObject({
      purpose: settings.purpose,
      responsibleBody: settings.responsibleBody,
      contact: settings.contact,
      positionsTo: 0,
      licence: { id: 'OGL-UK-3.0', name: 'Open Government Licence v3.0' },
      computedAt: new Date(clock).toISOString(),
    });
    for (const text of [page.text, JSON.stringify(data)]) {
      // No camera or site id as a value (the test's camera names contain their ids), no pending camera.
      for (const id of [...cams, pending, siteId]) expect(text).not.toContain(`"${id}"`);
      expect(text).not.toContain(pending);
      expect(text).not.toMatch(
        /rtsps?:|\/feeds\/|\/api\/feeds|"state"|stateSince|lastSeenAt|type="hidden"|\bhidden\b/,
      );
    }
    // The text is escaped, with its paragraphs.
    expect(page.text).toContain(
      '<p>To prevent and detect crime and disorder in the town centre.</p><p>And to help people feel safe.</p>',
    );
    expect(page.text).toContain('Example TR18 1AA; cctv@example.gov.uk');
  });

  it('states the availability over the 12 complete months, the same figure as the uptime report', async () => {
    const data = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    expect(data.availability.from).toBe('2025-12-01T00:00:00.000Z');
    expect(data.availability.to).toBe('2026-12-01T00:00:00.000Z');
    const report = (
      await call(
        'GET',
        `/api/uptime?scope=council&id=${council}&window=custom&from=${data.availability.from}&to=${data.availability.to}`,
        officer,
      )
    ).json as UptimeReport;
    expect(data.availability.share).toBe(
      Math.round((report.total.availability as number) * 1_000_000) / 1_000_000,
    );
    // By hand: three cameras observed from 00:01 on 10 January to 1 December, one down for 6 hours.
    const observed = 3 * (at('2026-12-01T00:00:00Z') - at('2026-01-10T00:01:00Z'));
    expect(data.availability.share).toBeCloseTo(1 - (6 * H) / observed, 6);
    const page = await call('GET', `/public/councils/${council}`);
    expect(page.text).toContain(
      `${((data.availability.share as number) * 100).toFixed(3)}% from December 2025 to November 2026`,
    );
    expect(data.certification.codes.length).toBeGreaterThanOrEqual(0);
    expect(['met', 'met_with_warnings', 'not_fully_assessed', 'not_met', 'not_evaluated']).toContain(
      data.certification.status,
    );
  });

  it('coarsens positions when the council chooses, without names', async () => {
    await call('PUT', `/api/councils/${council}/public-page`, officer, { ...settings, coarsenM: 500 });
    const data = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    expect(data.positionsTo).toBe(500);
    expect(data.places.every((p) => p.name === null)).toBe(true);
    // Three cameras 111 m apart fall in at most two 500 m squares, none at a surveyed position.
    expect(data.places.length).toBeLessThanOrEqual(2);
    expect(data.places.reduce((n, p) => n + p.cameras, 0)).toBe(3);
    for (const p of data.places) expect([50.1, 50.101, 50.102]).not.toContain(p.lat);
    const page = await call('GET', `/public/councils/${council}`);
    expect(page.text).not.toContain(`Camera ${cams[0]}`);
  });

  it('offers the places as CSV and GeoJSON under the licence', async () => {
    const csv = await call('GET', `/public/councils/${council}/cameras.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('link')).toContain('rel="license"');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('latitude,longitude,cameras,name,purposes,positions_to_m,licence,computed_at');
    const data = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    expect(lines.length).toBe(data.places.length + 1);
    expect(lines[1]).toMatch(/^50\.\d+,-5\.\d+,\d,,\w+,500,OGL-UK-3\.0,/);
    const geo = await call('GET', `/public/councils/${council}/cameras.geojson`);
    expect(geo.headers.get('content-type')).toContain('application/geo+json');
    const fc = geo.json as { features: { geometry: { coordinates: number[] } }[]; licence: { id: string } };
    expect(fc.licence.id).toBe('OGL-UK-3.0');
    expect(fc.features.map((f) => f.geometry.coordinates)).toEqual(data.places.map((p) => [p.lon, p.lat]));
  });

  it('reuses its figures for the cache time, and shows a change the council makes at once', async () => {
    const first = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    clock += 60_000;
    const cached = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    expect(cached.computedAt).toBe(first.computedAt);
    clock += 300_000;
    const fresh = (await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData;
    expect(fresh.computedAt).toBe(new Date(clock).toISOString());
    await loginAll();
    await call('PUT', `/api/councils/${council}/public-page`, officer, {
      ...settings,
      coarsenM: 0,
      purpose: 'Changed.',
    });
    expect(
      ((await call('GET', `/public/councils/${council}/data.json`)).json as PublicPageData).purpose,
    ).toBe('Changed.');
  });

  it('lists published councils, and is in the API definition', async () => {
    const index = await call('GET', '/public/councils');
    expect(index.text).toContain(`href="/public/councils/${council}"`);
    expect(index.text).not.toContain(other);
    const openapi = (await call('GET', '/openapi.json')).json as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/public/councils/{councilId}',
        '/public/councils/{councilId}/data.json',
        '/public/councils/{councilId}/cameras.csv',
        '/public/councils/{councilId}/cameras.geojson',
      ]),
    );
  });

  it('rate limits each address, without slowing the rest of the hub', async () => {
    let limited: Awaited<ReturnType<typeof call>> | null = null;
    for (let i = 0; i < 250 && !limited; i++) {
      const r = await call('GET', `/public/councils/${council}/data.json`);
      if (r.status === 429) limited = r;
    }
    expect(limited?.status).toBe(429);
    expect((limited?.json as { code?: string } | undefined)?.code).toBe('RATE_LIMITED');
    expect((await call('GET', '/api/ui-config')).status).toBe(200);
  });
});
