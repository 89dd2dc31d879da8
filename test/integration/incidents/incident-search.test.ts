import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeometryRepository } from '../../../hub-server/src/repositories/geometry-repository.ts';
import type { CameraView, LiveSnapshot } from '../../../src/schemas/api.ts';
import type { FovCollection, IncidentResult } from '../../../src/schemas/incident-api.ts';
import type { InventoryPayload } from '../../../src/schemas/payloads.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { health, SitePublisher } from '../../support/site-publisher.ts';

// Cameras placed around an incident point, through real MQTT ingest into PostGIS (PGlite or
// PostgreSQL, whichever this run uses), then searched through the API. Expectations by hand.

const P = { lat: 50.2, lon: -5.3 };
const M_PER_DEG_LAT = 111_320;
const mPerDegLon = M_PER_DEG_LAT * Math.cos((P.lat * Math.PI) / 180);
/** A position `north` and `east` metres from P. */
const from = (north: number, east: number) => ({
  lat: P.lat + north / M_PER_DEG_LAT,
  lon: P.lon + east / mPerDegLon,
});

describe('incident search on PostGIS', () => {
  let h: HubHarness;
  let site: SitePublisher;
  let token: string;
  const siteId = uniqueId('incident');
  const council = uniqueId('council');
  const id = (name: string) => `${siteId}-${name}`;
  // name: [metres north of P, metres east of P, bearing, design distance]
  const layout: Record<string, [number, number, number, number]> = {
    front: [-50, 0, 0, 100], // 50 m south, facing north: sees P
    behind: [-50, 0, 180, 100], // same place, facing away
    beside: [0, -60, 0, 100], // 60 m west, facing north: P is 90 degrees off its axis
    'far-front': [-150, 0, 0, 200], // outside a 100 m radius, but its view reaches P
    'front-down': [-30, 0, 0, 100], // sees P, nearest, but down
    away: [-1000, 0, 0, 100], // too far for anything
  };
  const inventoryPayload = (): InventoryPayload => ({
    siteName: 'Incident test site',
    councilId: council,
    hubId: 'test-hub',
    location: P,
    cameras: Object.entries(layout).map(([name, [north, east, bearingDeg, designDistanceM]]) => ({
      id: id(name),
      name,
      commissioning: {
        location: from(north, east),
        bearingDeg,
        hfovDeg: 60,
        designDistanceM,
        purpose: 'recognise',
      },
    })),
  });
  const search = async (body: unknown, bearer = token) => {
    const response = await fetch(`${h.hub.url}/api/incidents/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as IncidentResult & { code?: string } };
  };
  const names = (r: IncidentResult) => r.cameras.map((c) => c.name);
  const settle = async (expected: number) => {
    for (let i = 0; i < 200 && h.hub.pipeline.stats.received < expected; i++)
      await new Promise((r) => setTimeout(r, 25));
    await h.hub.pipeline.idle();
  };

  const liveSocket = (bearer: string) =>
    new Promise<{ socket: Socket; snapshot: LiveSnapshot }>((resolve, reject) => {
      const socket = io(h.hub.url, {
        auth: { token: bearer },
        transports: ['websocket'],
        reconnection: false,
      });
      socket.once('snapshot', (snapshot: LiveSnapshot) => resolve({ socket, snapshot }));
      socket.once('connect_error', reject);
    });

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('op', 'operator');
    await h.createUser('cr', 'controlroom');
    await h.createUser('aud', 'auditor');
    await h.createUser('other', 'council', ['another-council']);
    token = await h.login('cr');
    // Its name and place are the registry's (what the place search finds), not the inventory's.
    await h.registerSite(siteId, council, {
      cameraIds: Object.keys(layout).map(id),
      name: 'Incident test site',
      location: P,
    });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    let sent = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventoryPayload());
    await site.publish('siteState', { state: 'online' });
    sent += 2;
    for (const name of Object.keys(layout)) {
      await site.publish('health', health(id(name), name === 'front-down' ? 'down' : 'up'), id(name));
      sent++;
    }
    await settle(sent);
  });

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  it('ranks cameras in front of, behind and beside a point', async () => {
    const { status, body } = await search({ point: P, radiusM: 100 });
    expect(status).toBe(200);
    // Covering cameras first (working before down), then the rest by distance.
    expect(names(body)).toEqual(['front', 'far-front', 'front-down', 'behind', 'beside']);
    const byName = new Map(body.cameras.map((c) => [c.name, c]));
    expect(byName.get('front')?.covers).toBe(true);
    expect(byName.get('behind')?.covers).toBe(false);
    expect(byName.get('beside')?.covers).toBe(false);
    expect(byName.get('front')?.distanceM).toBeCloseTo(50, 0);
    expect(byName.get('far-front')?.distanceM).toBeCloseTo(150, 0);
    expect(byName.get('front')?.offAxisDeg).toBeLessThan(0.5);
    expect(byName.get('behind')?.offAxisDeg).toBeGreaterThan(179.5);
    expect(byName.get('beside')?.offAxisDeg).toBeCloseTo(90, 0);
    expect(byName.get('front-down')?.state).toBe('down');
    expect(body.cameras.map((c) => c.rank)).toEqual([1, 2, 3, 4, 5]);
  });

  it('filters by state and by radius', async () => {
    expect(names((await search({ point: P, radiusM: 100, states: ['down'] })).body)).toEqual(['front-down']);
    // 40 m: only front-down (30 m) is that close, but the covering cameras' views reach P too.
    expect(names((await search({ point: P, radiusM: 40 })).body)).toEqual([
      'front',
      'far-front',
      'front-down',
    ]);
  });

  it('finds the cameras whose view overlaps a drawn polygon', async () => {
    const [a, b, c, d] = [from(-20, -20), from(-20, 20), from(20, 20), from(20, -20)];
    const ring = [a, b, c, d, a].map((p) => [p.lon, p.lat] as [number, number]);
    const { status, body } = await search({ polygon: { type: 'Polygon', coordinates: [ring] } });
    expect(status).toBe(200);
    // Ranked by the share of the 40 m square each view covers (sector half-width is d tan 30):
    // far-front sees all of it, front all but the corners nearest it, front-down about 78 %.
    expect(names(body)).toEqual(['far-front', 'front', 'front-down']);
    for (const cam of body.cameras) expect(cam.covers).toBe(true);
    const share = new Map(body.cameras.map((cam) => [cam.name, cam.coverage ?? -1]));
    expect(share.get('far-front')).toBeCloseTo(1, 2);
    expect(share.get('front')).toBeCloseTo(0.992, 2);
    expect(share.get('front-down')).toBeCloseTo(0.78, 1);
  });

  it('refuses bad targets with a clear message', async () => {
    const both = await search({
      point: P,
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      },
    });
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('BAD_TARGET');
    const open = await search({
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
    });
    expect(open.status).toBe(400);
    expect(open.body.code).toBe('BAD_POLYGON');
    const bowtie = await search({
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 1],
            [1, 0],
            [0, 1],
            [0, 0],
          ],
        ],
      },
    });
    expect(bowtie.status).toBe(400);
    expect(bowtie.body.code).toBe('BAD_POLYGON');
    expect((await search({ point: { lat: 95, lon: 0 } })).status).toBe(400);
    expect((await search({ point: P, radiusM: 50_000 })).status).toBe(400);
  });

  it('lets only searching roles search, within their councils', async () => {
    expect((await search({ point: P }, await h.login('aud'))).status).toBe(403);
    const other = await search({ point: P, radiusM: 100 }, await h.login('other'));
    expect(other.status).toBe(200);
    expect(other.body.cameras).toEqual([]);
    const anonymous = await fetch(`${h.hub.url}/api/incidents/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ point: P }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('serves fields of view and keeps an operator survey over later inventories', async () => {
    const fov = await fetch(`${h.hub.url}/api/cameras/fov`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(fov.headers.get('content-type')).toContain('application/json');
    const collection = (await fov.json()) as FovCollection;
    // Written page by page: the same collection whatever the page size, each camera once.
    const inPages = async (pageSize: number, options: { limit?: number } = {}) => {
      let text = '';
      for await (const piece of new GeometryRepository(h.hub.database.pool).fieldsOfView(
        null,
        options,
        pageSize,
      ))
        text += piece;
      return JSON.parse(text) as FovCollection;
    };
    for (const size of [1, 2, collection.features.length, collection.features.length + 1]) {
      expect(await inPages(size)).toEqual(collection);
      // A limit over several pages stops at the limit, and says how many there are in all.
      expect(await inPages(size, { limit: 2 })).toEqual({
        type: 'FeatureCollection',
        features: collection.features.slice(0, 2),
        numberMatched: collection.features.length,
      });
    }
    expect(new Set(collection.features.map((f) => f.id)).size).toBe(collection.features.length);
    expect(collection.features.length).toBeGreaterThanOrEqual(3);
    const front = collection.features.find((f) => f.id === id('front'));
    expect(front?.geometry.coordinates[0]?.length).toBeGreaterThan(10);
    const apex = front?.geometry.coordinates[0]?.[0];
    expect(apex?.[1]).toBeCloseTo(from(-50, 0).lat, 5);
    // The geometry the cone was built from: the site's commissioning data, not yet surveyed.
    expect(front?.properties).toMatchObject({ bearingDeg: 0, hfovDeg: 60, rangeM: 100, surveyedAt: null });
    expect(front?.properties.location.lat).toBeCloseTo(from(-50, 0).lat, 9);

    // A map's view: only the cones that reach into the box; a limit says how many match in all.
    const fovWith = async (query: string) => {
      const res = await fetch(`${h.hub.url}/api/cameras/fov?${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: (await res.json()) as FovCollection & { code?: string } };
    };
    const at = from(-50, 0);
    const around = (m: number) =>
      `bbox=${at.lon - m / 71_500},${at.lat - m / 111_320},${at.lon + m / 71_500},${at.lat + m / 111_320}`;
    const near = await fovWith(around(1));
    expect(near.status).toBe(200);
    expect(near.body.features.map((f) => f.id)).toContain(id('front'));
    expect(near.body.features.length).toBeLessThan(collection.features.length);
    expect(near.body.numberMatched).toBeUndefined();
    const far = await fovWith('bbox=10,10,10.001,10.001');
    expect(far.body).toEqual({ type: 'FeatureCollection', features: [] });
    const counted = await fovWith('limit=0');
    expect(counted.body).toEqual({
      type: 'FeatureCollection',
      features: [],
      numberMatched: collection.features.length,
    });
    const nearCounted = await fovWith(`${around(1)}&limit=0`);
    expect(nearCounted.body.numberMatched).toBe(near.body.features.length);
    const bad = await fovWith('bbox=1,2,3');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_BBOX');
    expect((await fovWith('limit=-1')).status).toBe(400);

    const put = (bearer: string, body: unknown) =>
      fetch(`${h.hub.url}/api/cameras/${id('behind')}/geometry`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const turned = { location: from(-50, 0), bearingDeg: 0, hfovDeg: 60, rangeM: 80 };
    expect((await put(token, turned)).status).toBe(403);
    const op = await h.login('op');
    expect((await put(op, { ...turned, bearingDeg: 400 })).status).toBe(400);
    // Live views learn the survey at once (the map's markers turn without a reload).
    const live = await liveSocket(token);
    const pushed = new Promise<CameraView>((resolve) =>
      live.socket.on('changes', (c: { cameras: CameraView[] }) => {
        const cam = c.cameras.find((x) => x.id === id('behind'));
        if (cam) resolve(cam);
      }),
    );
    expect(live.snapshot.cameras.find((c) => c.id === id('behind'))?.bearingDeg).toBe(180);
    expect((await put(op, turned)).status).toBe(204);
    expect((await pushed).bearingDeg).toBe(0);
    live.socket.close();
    const after = await search({ point: P, radiusM: 100 });
    expect(after.body.cameras.find((c) => c.name === 'behind')?.covers).toBe(true);
    expect(after.body.cameras.find((c) => c.name === 'behind')?.rangeM).toBe(80);
    const surveyed = (
      (await (
        await fetch(`${h.hub.url}/api/cameras/fov`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as FovCollection
    ).features.find((f) => f.id === id('behind'));
    expect(surveyed?.properties).toMatchObject({ bearingDeg: 0, hfovDeg: 60, rangeM: 80 });
    expect(Date.parse(surveyed?.properties.surveyedAt ?? '')).not.toBeNaN();

    // The site sends its inventory again (as after a restart): the surveyed bearing stays.
    const before = h.hub.pipeline.stats.received;
    await site.publish('inventory', inventoryPayload());
    await settle(before + 1);
    const again = await search({ point: P, radiusM: 100 });
    expect(again.body.cameras.find((c) => c.name === 'behind')?.bearingDeg).toBe(0);
    expect(again.body.cameras.find((c) => c.name === 'behind')?.covers).toBe(true);
    const later = await liveSocket(token);
    expect(later.snapshot.cameras.find((c) => c.id === id('behind'))?.bearingDeg).toBe(0);
    later.socket.close();
    // The survey is a configuration change: it is in the audit log with who made it.
    const audit = await h.hub.database.pool.query<{ actor: string; subject: string }>(
      "SELECT actor, subject FROM audit_log WHERE kind = 'config.camera.geometry'",
    );
    expect(audit.rows).toEqual([{ actor: 'op', subject: `camera:${id('behind')}` }]);
  });

  it('finds places by town or site name, or as typed coordinates', async () => {
    const places = async (q: string) => {
      const response = await fetch(`${h.hub.url}/api/places?q=${encodeURIComponent(q)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (await response.json()) as { name: string; kind: string; lat: number; lon: number }[];
    };
    const penzance = (await places('penz')).find((p) => p.name === 'Penzance');
    expect(penzance).toMatchObject({ kind: 'town' });
    expect(penzance?.lat).toBeCloseTo(50.1186, 3);
    expect(await places('50.2, -5.3')).toEqual([
      { name: '50.2, -5.3', kind: 'coordinates', detail: 'coordinates (WGS84)', lat: 50.2, lon: -5.3 },
    ]);
    const sites = await places('incident test');
    expect(sites.map((p) => p.kind)).toEqual(['site']);
    expect(sites[0]?.lat).toBeCloseTo(P.lat, 6);
  });
});
