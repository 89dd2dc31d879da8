import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OgcCollection, OgcFeature, OgcFeatureCollection, OgcLink } from '../../../src/schemas/ogc.ts';
import type { InventoryPayload } from '../../../src/schemas/payloads.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, SitePublisher } from '../../support/site-publisher.ts';

// The hub's cameras as OGC API Features, read by a real OGC client (GDAL's ogrinfo, the library QGIS
// uses for the same layers) with a council's API key, and by hand for what ogrinfo does not show
// (paging links, datetime, bad parameters). Real broker and database: cameras arrive by MQTT
// inventory, PostGIS filters and encodes.

const run = promisify(execFile);

const P = { lat: 50.12, lon: -5.53 };
const M_PER_DEG_LAT = 111_320;
const mPerDegLon = M_PER_DEG_LAT * Math.cos((P.lat * Math.PI) / 180);
const from = (north: number, east: number) => ({
  lat: P.lat + north / M_PER_DEG_LAT,
  lon: P.lon + east / mPerDegLon,
});

describe('OGC API Features for council GIS', () => {
  let h: HubHarness;
  let opToken: string;
  let keyA = '';
  let keyB = '';
  const councilA = uniqueId('council-a');
  const councilB = uniqueId('council-b');
  const siteA = uniqueId('ogc-a');
  const siteB = uniqueId('ogc-b');
  const publishers: SitePublisher[] = [];
  // Council A: five cameras in a row going east, 100 m apart; council B: two, 2 km north.
  const camerasA = [0, 1, 2, 3, 4].map((i) => ({
    id: `${siteA}-cam${i}`,
    name: `Market Street ${i}`,
    location: from(0, i * 100),
    bearingDeg: 90,
  }));
  const camerasB = [0, 1].map((i) => ({
    id: `${siteB}-cam${i}`,
    name: `Harbour ${i}`,
    location: from(2000, i * 100),
    bearingDeg: 180,
  }));
  let beforeDown = '';

  const api = async (path: string, bearer?: string) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    const text = await r.text();
    return {
      status: r.status,
      type: r.headers.get('content-type') ?? '',
      json: text ? JSON.parse(text) : null,
    };
  };
  const ogr = async (key: string, ...args: string[]) => {
    const { stdout } = await run(
      'ogrinfo',
      ['--config', 'GDAL_HTTP_HEADERS', `Authorization: Bearer ${key}`, '-ro', ...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  };
  const source = () => `OAPIF:${h.hub.url}/ogc`;
  /** The features ogrinfo printed, as field maps. */
  const parseFeatures = (text: string) =>
    text
      .split(/^OGRFeature\([^)]*\):\d+$/m)
      .slice(1)
      .map((block) => {
        const fields: Record<string, string> = {};
        for (const m of block.matchAll(/^\s+(\w+) \((\w+)\) = (.*)$/gm))
          fields[m[1] as string] = m[3] as string;
        const point = /POINT \(([-\d.]+) ([-\d.]+)\)/.exec(block);
        return { fields, point: point ? [Number(point[1]), Number(point[2])] : null };
      });

  const inventory = (council: string, name: string, cams: typeof camerasA): InventoryPayload => ({
    siteName: name,
    councilId: council,
    hubId: 'test-hub',
    location: P,
    cameras: cams.map((c) => ({
      id: c.id,
      name: c.name,
      commissioning: {
        location: c.location,
        bearingDeg: c.bearingDeg,
        hfovDeg: 60,
        designDistanceM: 40,
        purpose: 'recognise',
      },
    })),
  });

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    opToken = await h.login('op');
    for (const [site, council, cams, name, location] of [
      [siteA, councilA, camerasA, 'Market site', from(0, 0)],
      [siteB, councilB, camerasB, 'Harbour site', from(2000, 0)],
    ] as const) {
      await h.registerSite(site, council, { cameraIds: cams.map((c) => c.id), name, location });
      const publisher = new SitePublisher(site, h.hub.mqttUrl);
      publishers.push(publisher);
      await publisher.connect(false);
      const start = h.hub.pipeline.stats.received;
      await publisher.publish('inventory', inventory(council, name, [...cams]));
      await publisher.publish('siteState', { state: 'online' });
      for (const c of cams) await publisher.publish('health', health(c.id, 'up'), c.id);
      for (let i = 0; i < 200 && h.hub.pipeline.stats.received < start + 2 + cams.length; i++)
        await new Promise((r) => setTimeout(r, 25));
      await h.hub.pipeline.idle();
    }
    for (const [council, set] of [
      [councilA, (k: string) => (keyA = k)],
      [councilB, (k: string) => (keyB = k)],
    ] as const) {
      const r = await fetch(`${h.hub.url}/api/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `GIS ${council}`, role: 'council', councilIds: [council] }),
      });
      expect(r.status).toBe(201);
      set(((await r.json()) as { key: string }).key);
    }
    // One of council A's cameras goes down later: the layer at an earlier time shows it up.
    await new Promise((r) => setTimeout(r, 50));
    beforeDown = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 50));
    const start = h.hub.pipeline.stats.received;
    await publishers[0]?.publish('health', health(camerasA[2]?.id as string, 'down'), camerasA[2]?.id);
    for (let i = 0; i < 200 && h.hub.pipeline.stats.received < start + 1; i++)
      await new Promise((r) => setTimeout(r, 25));
    await h.hub.pipeline.idle();
  }, 120_000);

  afterAll(async () => {
    for (const p of publishers) await p.close(false);
    await h?.stop();
  });

  it("lists a council's cameras in ogrinfo (GDAL's OGC API Features client) with the right count and attributes", async () => {
    const layers = await ogr(keyA, source());
    expect(layers).toMatch(/^1: cameras \(title: CCTV cameras\) \(Point\)$/m);
    expect(layers).toMatch(/^2: camera-views \(title: CCTV camera view cones\) \(Polygon\)$/m);
    expect(layers).toMatch(/^3: sites \(title: CCTV sites\) \(Point\)$/m);
    const summary = await ogr(keyA, '-so', source(), 'cameras');
    expect(summary).toMatch(/Feature Count: 5\b/);
    const features = parseFeatures(await ogr(keyA, '-al', '-q', source(), 'cameras'));
    expect(features.map((f) => f.fields.name)).toEqual(camerasA.map((c) => c.name));
    for (const [i, f] of features.entries()) {
      const camera = camerasA[i] as (typeof camerasA)[number];
      expect(f.fields).toMatchObject({
        councilId: councilA,
        siteId: siteA,
        siteName: 'Market site',
        purpose: 'recognise',
        approval: 'approved',
        state: i === 2 ? 'down' : 'up',
      });
      expect(Number(f.fields.bearingDeg)).toBe(90);
      expect(Number(f.fields.hfovDeg)).toBe(60);
      expect(Number(f.fields.rangeM)).toBe(40);
      expect(f.point?.[0]).toBeCloseTo(camera.location.lon, 6);
      expect(f.point?.[1]).toBeCloseTo(camera.location.lat, 6);
    }
  }, 120_000);

  it("shows another council's key none of them, and no key nothing at all", async () => {
    const features = parseFeatures(await ogr(keyB, '-al', '-q', source(), 'cameras'));
    expect(features.map((f) => f.fields.name)).toEqual(camerasB.map((c) => c.name));
    expect(features.every((f) => f.fields.councilId === councilB)).toBe(true);
    const ids = (await api('/ogc/collections/cameras/items?limit=1000', keyB)).json as OgcFeatureCollection;
    expect(ids.features.some((f) => camerasA.some((c) => c.id === f.id))).toBe(false);
    // One of A's cameras asked for by id with B's key: as if it did not exist.
    expect((await api(`/ogc/collections/cameras/items/${camerasA[0]?.id}`, keyB)).status).toBe(404);
    expect((await api(`/ogc/collections/cameras/items/${camerasA[0]?.id}`, keyA)).status).toBe(200);
    expect((await api('/ogc/collections/cameras/items')).status).toBe(401);
    expect((await api('/ogc')).status).toBe(401);
  }, 60_000);

  it('filters by bbox in ogrinfo and on the hub, and by property', async () => {
    // A box around A's cameras 1 and 2 only.
    const sw = from(-20, 50);
    const ne = from(20, 250);
    const features = parseFeatures(
      await ogr(
        keyA,
        '-al',
        '-q',
        '-spat',
        String(sw.lon),
        String(sw.lat),
        String(ne.lon),
        String(ne.lat),
        source(),
        'cameras',
      ),
    );
    expect(features.map((f) => f.fields.name)).toEqual(['Market Street 1', 'Market Street 2']);
    const byBbox = (
      await api(`/ogc/collections/cameras/items?bbox=${sw.lon},${sw.lat},${ne.lon},${ne.lat}`, keyA)
    ).json as OgcFeatureCollection;
    expect(byBbox.numberMatched).toBe(2);
    const down = (await api('/ogc/collections/cameras/items?state=down', keyA)).json as OgcFeatureCollection;
    expect(down.features.map((f) => f.id)).toEqual([camerasA[2]?.id]);
    // View cones cover what the camera sees: a box 30 m east of camera 0 meets its cone only.
    const ahead = from(0, 30);
    const cones = (
      await api(
        `/ogc/collections/camera-views/items?bbox=${ahead.lon - 1e-5},${ahead.lat - 1e-5},${ahead.lon + 1e-5},${ahead.lat + 1e-5}`,
        keyA,
      )
    ).json as OgcFeatureCollection;
    expect(cones.features.map((f) => [f.id, f.geometry?.type])).toEqual([[camerasA[0]?.id, 'Polygon']]);
  }, 60_000);

  it('serves the landing page, conformance and collections the standard asks for', async () => {
    const landing = await api('/ogc', keyA);
    expect(landing.status).toBe(200);
    const rels = (landing.json.links as OgcLink[]).map((l) => l.rel);
    expect(rels).toEqual(expect.arrayContaining(['self', 'service-desc', 'conformance', 'data']));
    const conformance = await api('/ogc/conformance', keyA);
    expect(conformance.json.conformsTo).toContain(
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
    );
    expect(conformance.json.conformsTo).toContain(
      'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
    );
    const cameras = (await api('/ogc/collections/cameras', keyA)).json as OgcCollection;
    // The extent is the caller's cameras only.
    const [w, s, e, n] = cameras.extent.spatial.bbox[0] as number[];
    expect(w).toBeCloseTo(camerasA[0]?.location.lon as number, 6);
    expect(e).toBeCloseTo(camerasA[4]?.location.lon as number, 6);
    expect(s).toBeCloseTo(P.lat, 6);
    expect(n).toBeCloseTo(P.lat, 6);
    expect(cameras.links.find((l) => l.rel === 'items')?.type).toBe('application/geo+json');
    expect((await api('/ogc/collections/nothing', keyA)).status).toBe(404);
    const items = await api('/ogc/collections/sites/items', keyA);
    expect(items.type).toContain('application/geo+json');
    expect(
      (items.json as OgcFeatureCollection).features.map((f) => [f.id, f.properties.cameraCount]),
    ).toEqual([[siteA, 5]]);
    // The API definition lists the OGC paths.
    const openapi = await api('/openapi.json');
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining(['/ogc', '/ogc/conformance', '/ogc/collections/cameras/items']),
    );
  });

  it('pages with next and prev links, counting what matched', async () => {
    const first = (await api('/ogc/collections/cameras/items?limit=2', keyA)).json as OgcFeatureCollection;
    expect(first).toMatchObject({ numberMatched: 5, numberReturned: 2 });
    const seen = first.features.map((f) => f.id);
    let next = first.links.find((l) => l.rel === 'next')?.href;
    while (next) {
      const url = new URL(next);
      const page = (await api(`${url.pathname}${url.search}`, keyA)).json as OgcFeatureCollection;
      expect(page.links.find((l) => l.rel === 'prev')).toBeTruthy();
      seen.push(...page.features.map((f) => f.id));
      next = page.links.find((l) => l.rel === 'next')?.href;
    }
    expect(seen).toEqual(camerasA.map((c) => c.id));
    // Past the end: nothing returned, still the count; a limit above the maximum is served, not refused.
    const past = (await api('/ogc/collections/cameras/items?offset=10', keyA)).json as OgcFeatureCollection;
    expect(past).toMatchObject({ numberMatched: 5, numberReturned: 0 });
    expect((await api('/ogc/collections/cameras/items?limit=50000', keyA)).status).toBe(200);
  });

  it("gives the cameras' state at a time with datetime", async () => {
    const then = (
      await api(`/ogc/collections/cameras/items?datetime=${encodeURIComponent(beforeDown)}`, keyA)
    ).json as OgcFeatureCollection;
    expect(then.features.map((f) => f.properties.state)).toEqual(['up', 'up', 'up', 'up', 'up']);
    const now = (
      await api(`/ogc/collections/cameras/items?datetime=${encodeURIComponent(`${beforeDown}/..`)}`, keyA)
    ).json as OgcFeatureCollection;
    expect(now.features.map((f) => f.properties.state)).toEqual(['up', 'up', 'down', 'up', 'up']);
    // Before the cameras were first seen, there were none.
    const before = (await api('/ogc/collections/cameras/items?datetime=2001-01-01T00:00:00Z', keyA))
      .json as OgcFeatureCollection;
    expect(before.numberMatched).toBe(0);
  });

  it('refuses unknown parameters and bad values with a clear error', async () => {
    const unknown = await api('/ogc/collections/cameras/items?colour=red', keyA);
    expect(unknown.status).toBe(400);
    expect(unknown.json.message).toContain('colour');
    const bbox = await api('/ogc/collections/cameras/items?bbox=1,2,3', keyA);
    expect(bbox.status).toBe(400);
    expect(bbox.json.code).toBe('BAD_BBOX');
    const time = await api('/ogc/collections/cameras/items?datetime=yesterday', keyA);
    expect(time.status).toBe(400);
    expect(time.json.code).toBe('BAD_DATETIME');
    const feature = (await api(`/ogc/collections/camera-views/items/${camerasA[1]?.id}`, keyA))
      .json as OgcFeature;
    expect(feature.geometry?.type).toBe('Polygon');
    expect(feature.links?.map((l) => l.rel)).toEqual(['self', 'collection']);
  });
});
