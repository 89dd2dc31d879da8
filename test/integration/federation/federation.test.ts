import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashMqttPassword } from '../../../hub-server/src/auth/mqtt-password.ts';
import type { CameraView, LiveChanges } from '../../../src/schemas/api.ts';
import type { LinkStatus } from '../../../src/schemas/federation.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import type { IncidentResult } from '../../../src/schemas/incident-api.ts';
import type { SourceChanges, SourceCreated, SourceView } from '../../../src/schemas/sources.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { MobileSource } from '../../simulators/mobile/mobile-source.ts';
import { closeAll, startTogether } from '../../support/cleanup.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { secretFile } from '../../support/hub-network.ts';
import { LinkProxy } from '../../support/link-proxy.ts';
import { TestMosquitto } from '../../support/mosquitto.ts';
import { SiteHarness } from '../../support/site-harness.ts';
import { commissioning, health, SitePublisher } from '../../support/site-publisher.ts';
import { createTestPki } from '../../support/test-pki.ts';

// A network of hubs on real parts: two regional hubs and a force hub, each with its own Mosquitto
// (configured by the hub's own generator: users, ACLs, and TLS bridges from each region to the force
// broker, each bridge through a TCP relay the test can cut) and its own database. Sites publish to
// their regional broker; the force hub's control room sees both regions on one table, live, and
// searches across them; a cut bridge turns that region's cameras unknown at the force hub, and they
// catch up when it returns.

const PASSWORD = 'Correct-Horse-7';
const LINK_TIMEOUT_MS = 6000;
/** The force hub's drone unit, whose sources the cross-force agreement shares with Dorset. */
const DRONE_UNIT = 'Devon and Cornwall Police drone unit';

interface Region {
  id: string;
  council: string;
  site: string;
  cameras: string[];
  /** Where its cameras stand: side by side, looking north, so one search covers both regions. */
  lon: number;
  broker: TestMosquitto;
  relay: LinkProxy;
  hub: HubHarness;
  publisher: SitePublisher;
  key: string;
}

describe('a force hub joining two regional hubs over Mosquitto bridges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-federation-'));
  const pki = createTestPki(dir);
  const secret = (name: string, value?: string) => secretFile(dir, name, value);
  const regions: Region[] = [];
  const bridgePasswords = {
    'region-a': secret('bridge-a'),
    'region-b': secret('bridge-b'),
  };
  /** The force hub's bridge into Dorset's broker, and the key Dorset's hub reads the force hub with. */
  const forceToDorset = secret('bridge-force');
  const dorsetKey = secret('dorset.key');
  let dorsetBroker: TestMosquitto;
  let dorset: HubHarness;
  let dorsetToken = '';
  let forceBroker: TestMosquitto;
  let force: HubHarness;
  let token = '';
  let socket: Socket | null = null;
  const pushed: CameraView[] = [];
  /** The force hub's air operations site relays its drone's signed telemetry; a body-worn camera too. */
  const airOps = `fed-air-${randomBytes(2).toString('hex')}`;
  const airOpsPassword = `site-${randomBytes(8).toString('hex')}`;
  const droneId = `fed-drone-${randomBytes(2).toString('hex')}`;
  const bodyId = `fed-body-${randomBytes(2).toString('hex')}`;
  let drone: MobileSource;
  let body: MobileSource;
  let station: SitePublisher | null = null;
  /** Region B's cameras stream real H.264 over RTSP, so a feed can be pulled through the force hub. */
  const simulator = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${force.hub.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const camerasAtForce = () => api<CameraView[]>('/api/cameras');
  const until = async <T>(
    what: string,
    read: () => Promise<T>,
    ok: (value: T) => boolean,
    timeoutMs: number,
  ) => {
    const started = Date.now();
    let last: T | undefined;
    while (Date.now() - started < timeoutMs) {
      last = await read();
      if (ok(last)) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} not within ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 600)}`);
  };
  const stateOf = (cameras: CameraView[], id: string) => cameras.find((c) => c.id === id);
  /** Dorset's REST API, as its control room. */
  const atDorset = async (path: string, init: RequestInit = {}) =>
    fetch(`${dorset.hub.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${dorsetToken}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  const actors = async (h: HubHarness, kind: string, ref: string) =>
    (
      await h.hub.database.pool.query<{ actor: string }>(
        'SELECT actor FROM audit_log WHERE kind = $1 AND incident_ref = $2 ORDER BY seq',
        [kind, ref],
      )
    ).rows.map((r) => r.actor);

  /** Opens a feed at Dorset and waits for its first playlist with a segment, relayed by Dorset. */
  const feedAtDorset = async (cameraId: string, incidentRef: string, reason: string) => {
    const opened = await atDorset('/api/feeds', {
      method: 'POST',
      body: JSON.stringify({ cameraId, incidentRef, reason }),
    });
    expect(opened.status).toBe(201);
    const session = (await opened.json()) as FeedSessionView;
    await until(
      `a playlist of ${cameraId} at Dorset`,
      async () => {
        const response = await fetch(`${dorset.hub.url}${session.url}`);
        return response.status === 200 ? await response.text() : '';
      },
      (text) => /seg\d+\.ts/.test(text),
      45_000,
    );
    return session;
  };

  beforeAll(async () => {
    const forceUser = { username: 'hub-force', password: secret('force-mqtt').value };
    // Dorset's force hub: its broker takes the Devon and Cornwall force hub's bridge (TLS).
    const dorsetUser = { username: 'hub-dorset', password: secret('dorset-mqtt').value };
    dorsetBroker = new TestMosquitto(
      join(dir, 'dorset-broker'),
      dorsetUser,
      { certFile: pki.certFile, keyFile: pki.keyFile },
      { peers: [{ hub: 'force', password: forceToDorset.value }] },
    );
    mkdirSync(join(dir, 'dorset-broker'));
    await dorsetBroker.start([]);
    forceBroker = new TestMosquitto(
      join(dir, 'force-broker'),
      forceUser,
      { certFile: pki.certFile, keyFile: pki.keyFile },
      {
        peers: Object.entries(bridgePasswords).map(([hub, p]) => ({ hub, password: p.value })),
        bridges: () => [
          {
            self: 'force',
            peer: 'dorset',
            host: '127.0.0.1',
            port: dorsetBroker.tlsPort,
            caFile: pki.caFile,
            password: forceToDorset.value,
          },
        ],
      },
    );
    mkdirSync(join(dir, 'force-broker'));
    await forceBroker.start([{ siteId: airOps, passwordHash: await hashMqttPassword(airOpsPassword) }]);

    // The two regions (relay, broker, hub, site) start side by side.
    const startRegion = async (i: number, id: string): Promise<Region> => {
      const letter = id.slice(-1);
      const relay = new LinkProxy({ host: '127.0.0.1', port: forceBroker.tlsPort });
      await relay.up();
      const hubUser = { username: `hub-${letter}`, password: secret(`${id}-mqtt`).value };
      const site = `fed-site-${letter}-${randomBytes(2).toString('hex')}`;
      const sitePassword = `site-${randomBytes(8).toString('hex')}`;
      const broker = new TestMosquitto(join(dir, `${id}-broker`), hubUser, null, {
        bridges: () => [
          {
            self: id,
            peer: 'force',
            host: '127.0.0.1',
            port: relay.port,
            caFile: pki.caFile,
            password: bridgePasswords[id as keyof typeof bridgePasswords].value,
          },
        ],
      });
      mkdirSync(join(dir, `${id}-broker`));
      await broker.start([{ siteId: site, passwordHash: await hashMqttPassword(sitePassword) }]);
      const key = secret(`${id}.key`);
      const passwordFile = secret(`${id}-hub-password`, hubUser.password).file;
      const hub = await startHub(
        {
          MQTT_URL: broker.url,
          CCTV_HUB__mqtt__username: hubUser.username,
          CCTV_HUB__mqtt__passwordFile: passwordFile,
          CCTV_HUB__federation__hubId: id,
          CCTV_HUB__federation__heartbeatMs: '1000',
          CCTV_HUB__federation__shares: JSON.stringify([{ peer: 'force', keyFile: key.file }]),
          CCTV_HUB__feeds__dir: mkdtempSync(join(dir, `${id}-feeds-`)),
        },
        { feedCredentials: (camera) => ({ username: 'admin', password: SiteHarness.password(camera.id) }) },
      );
      const council = `council-${letter}`;
      const cameras = [`${site}-1`, `${site}-2`];
      const lon = -5.5371 + i * 0.0004;
      await hub.registerSite(site, council, { cameraIds: cameras, location: { lat: 50.1186, lon } });
      const publisher = new SitePublisher(site, broker.url, { username: site, password: sitePassword });
      await publisher.connect();
      return { id, council, site, cameras, lon, broker, relay, hub, publisher, key: key.value };
    };
    const started: (Region | undefined)[] = [];
    try {
      await startTogether(
        ...['region-a', 'region-b'].map((id, i) =>
          startRegion(i, id).then((r) => {
            started[i] = r;
          }),
        ),
      );
    } finally {
      // In order (the tests take regions[0] as region A), and what started even when the other failed.
      for (const r of started) if (r) regions.push(r);
    }

    const forceMqttPassword = secret('force-hub-password', forceUser.password).file;
    force = await startHub(
      {
        MQTT_URL: forceBroker.url,
        CCTV_HUB__mqtt__username: forceUser.username,
        CCTV_HUB__mqtt__passwordFile: forceMqttPassword,
        CCTV_HUB__federation__hubId: 'force',
        CCTV_HUB__federation__linkTimeoutMs: String(LINK_TIMEOUT_MS),
        CCTV_HUB__federation__heartbeatMs: '1000',
        CCTV_HUB__feeds__dir: mkdtempSync(join(dir, 'force-feeds-')),
        // The cross-force agreement: Dorset sees one camera of each region and the drone unit's
        // sources, nothing else.
        CCTV_HUB__federation__shares: JSON.stringify([
          {
            peer: 'dorset',
            keyFile: dorsetKey.file,
            cameras: regions.map((r) => r.cameras[0]),
            sources: { units: [DRONE_UNIT] },
          },
        ]),
        CCTV_HUB__federation__links: JSON.stringify(
          regions.map((r) => ({
            hub: r.id,
            apiUrl: r.hub.hub.url,
            keyFile: join(dir, `${r.id}.key`),
          })),
        ),
      },
      {
        feedCredentials: (camera) =>
          camera.id === droneId || camera.id === bodyId
            ? { username: 'admin', password: SiteHarness.password(droneId) }
            : null,
      },
    );
    await force.createUser('force-cr', 'controlroom', [], PASSWORD);
    token = await force.login('force-cr', PASSWORD);
    const dorsetPassword = secret('dorset-hub-password', dorsetUser.password).file;
    dorset = await startHub({
      MQTT_URL: dorsetBroker.url,
      CCTV_HUB__mqtt__username: dorsetUser.username,
      CCTV_HUB__mqtt__passwordFile: dorsetPassword,
      CCTV_HUB__federation__hubId: 'dorset',
      CCTV_HUB__federation__linkTimeoutMs: String(LINK_TIMEOUT_MS),
      CCTV_HUB__federation__links: JSON.stringify([
        { hub: 'force', apiUrl: force.hub.url, keyFile: dorsetKey.file },
      ]),
    });
    await dorset.createUser('dorset-cr', 'controlroom', [], PASSWORD);
    dorsetToken = await dorset.login('dorset-cr', PASSWORD);

    await simulator.start();
    // Each region's site says what it has and that everything is up.
    for (const r of regions) {
      await r.publisher.publish('siteState', { state: 'online', agentVersion: 'test' });
      await r.publisher.publish('inventory', {
        siteName: `Site ${r.site}`,
        councilId: r.council,
        hubId: 'test-hub',
        location: { lat: 50.1186, lon: r.lon },
        cameras: r.cameras.map((id, j) => ({
          id,
          name: `Camera ${id}`,
          commissioning: { ...commissioning(50.1186 + j * 0.0002, r.lon), bearingDeg: 0 },
        })),
      });
      for (const id of r.cameras) await r.publisher.publish('health', health(id, 'up'), id);
    }
    const b = regions[1] as Region;
    const endpoints = await simulator.addCamera({
      id: b.cameras[0] as string,
      username: 'admin',
      password: SiteHarness.password(b.cameras[0] as string),
      profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
    });
    await b.publisher.publish(
      'stream',
      {
        cameraId: b.cameras[0] as string,
        uri: endpoints.rtspUrl,
        codec: 'h264',
        width: 320,
        height: 240,
        fps: 10,
        bitrateKbps: 300,
        declared: null,
        probeMs: 50,
      },
      b.cameras[0],
    );

    // The force hub's own sources: a drone of the drone unit and an officer's body-worn camera.
    const droneStream = await simulator.addCamera({
      id: droneId,
      username: 'admin',
      password: SiteHarness.password(droneId),
      profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
    });
    await force.registerSite(airOps, 'force-air-ops');
    await force.createUser('force-op', 'operator', [], PASSWORD);
    const operator = await force.login('force-op', PASSWORD);
    const register = async (id: string, kind: 'drone' | 'bodyworn', unit: string) => {
      const response = await fetch(`${force.hub.url}/api/sources`, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id,
          kind,
          name: id,
          unit,
          relaySiteId: airOps,
          streamUrl: droneStream.rtspUrl,
        }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as SourceCreated).telemetryKey;
    };
    const startMs = Date.now();
    const overA = { lat: 50.1186, lon: (regions[0] as Region).lon };
    drone = new MobileSource({
      id: droneId,
      kind: 'drone',
      key: await register(droneId, 'drone', DRONE_UNIT),
      route: [overA, { lat: 50.1186, lon: overA.lon + 0.01 }],
      speedMps: 2,
      altitudeM: 60,
      gimbalPitchDeg: 45,
      startMs,
    });
    body = new MobileSource({
      id: bodyId,
      kind: 'bodyworn',
      key: await register(bodyId, 'bodyworn', 'Response officers'),
      route: [overA, { lat: 50.1196, lon: overA.lon }],
      speedMps: 1.4,
      startMs,
    });
    station = new SitePublisher(airOps, forceBroker.url, { username: airOps, password: airOpsPassword });
    await station.connect();
  }, 180_000);

  afterAll(() =>
    closeAll(
      async () => {
        socket?.disconnect();
      },
      ...regions.map((r) => () => r.publisher.close()),
      async () => station?.close(),
      () => dorset?.stop(),
      () => force?.stop(),
      ...regions.map((r) => () => r.hub.stop()),
      ...regions.map((r) => () => r.relay.down()),
      ...regions.map((r) => () => r.broker.stop()),
      () => forceBroker?.stop(),
      () => dorsetBroker?.stop(),
      () => simulator.stop(),
      async () => rmSync(dir, { recursive: true, force: true }),
    ),
  );

  it("shows both regions' cameras at the force hub, live, with their regional state", async () => {
    const all = regions.flatMap((r) => r.cameras);
    await until(
      'every regional camera up at the force hub',
      camerasAtForce,
      (cams) => all.every((id) => stateOf(cams, id)?.state === 'up'),
      30_000,
    );
    const cams = await camerasAtForce();
    for (const r of regions)
      for (const id of r.cameras) {
        const view = stateOf(cams, id) as CameraView;
        expect(view.councilId).toBe(r.council);
        // The owner is the link the camera came on, not what the regional view calls its hub.
        expect(view.hubId).toBe(r.id);
        expect(view.siteId).toBe(r.site);
        expect(view.location.coordinates[0]).toBeCloseTo(r.lon, 6);
      }
    const links = await api<LinkStatus[]>('/api/federation/links');
    expect(links.map((l) => [l.hub, l.state, l.cameras])).toEqual([
      ['region-a', 'up', 2],
      ['region-b', 'up', 2],
    ]);

    // A socket at the force hub: its snapshot has every regional camera; a change in region A reaches it.
    socket = io(force.hub.url, { auth: { token }, transports: ['websocket'] });
    const snapshot = await new Promise<{ cameras: CameraView[] }>((resolve) =>
      socket?.once('snapshot', resolve),
    );
    expect(all.every((id) => snapshot.cameras.some((c) => c.id === id))).toBe(true);
    socket.on('changes', (change: LiveChanges) => pushed.push(...change.cameras));
    const [a] = regions as [Region, Region];
    const sentAt = Date.now();
    await a.publisher.publish(
      'health',
      health(a.cameras[0] as string, 'down', [{ code: 'unreachable', message: 'no answer' }]),
      a.cameras[0],
    );
    const tookMs = await until(
      'the down camera pushed to the force socket',
      async () => pushed,
      (list) => list.some((c) => c.id === a.cameras[0] && c.state === 'down'),
      10_000,
    );
    console.log(`region A change to a force-hub socket: ${Date.now() - sentAt} ms (seen after ${tookMs} ms)`);
    const view = stateOf(await camerasAtForce(), a.cameras[0] as string);
    expect(view?.state).toBe('down');
    expect(view?.reasons.map((x) => x.code)).toEqual(['unreachable']);
  });

  it('searches incidents across both regions at the force hub', async () => {
    const result = await api<IncidentResult>('/api/incidents/search', {
      method: 'POST',
      body: JSON.stringify({ point: { lat: 50.1188, lon: -5.5369 }, radiusM: 150 }),
    });
    const found = result.cameras.map((c) => c.cameraId);
    for (const r of regions) expect(found.filter((id) => r.cameras.includes(id))).not.toEqual([]);
    // A camera's state in the results is the state its link gives now.
    const a = regions[0] as Region;
    expect(result.cameras.find((c) => c.cameraId === a.cameras[0])?.state).toBe('down');
  });

  it("turns a region's cameras unknown when its bridge is cut, and catches up when it returns", async () => {
    const [a, b] = regions as [Region, Region];
    await a.relay.down();
    const cutAt = Date.now();
    // Meanwhile, in region A, the down camera recovers and the other goes down.
    await a.publisher.publish('health', health(a.cameras[0] as string, 'up'), a.cameras[0]);
    await a.publisher.publish(
      'health',
      health(a.cameras[1] as string, 'down', [{ code: 'no_video', message: 'black' }]),
      a.cameras[1],
    );
    await until(
      "region A's cameras unknown at the force hub",
      camerasAtForce,
      (cams) => a.cameras.every((id) => stateOf(cams, id)?.state === 'unknown'),
      30_000,
    );
    const unknownAfterMs = Date.now() - cutAt;
    console.log(
      `bridge cut to unknown at the force hub: ${unknownAfterMs} ms (link timeout ${LINK_TIMEOUT_MS} ms)`,
    );
    expect(unknownAfterMs).toBeLessThan(30_000);
    let cams = await camerasAtForce();
    expect(stateOf(cams, a.cameras[0] as string)?.reasons.map((x) => x.code)).toEqual(['hub_link_down']);
    // Never the last state it had: not up, not down.
    expect(b.cameras.map((id) => stateOf(cams, id)?.state)).toEqual(['up', 'up']);
    // The force hub's control rooms are told: one alert for the site behind the cut link.
    await until(
      'a hub_link_down alert at the force hub',
      async () => force.hub.openAlerts,
      (alerts) => alerts.some((x) => x.id === `hub_link_down:${a.site}` && x.cameraIds.length === 2),
      10_000,
    );
    expect((await api<LinkStatus[]>('/api/federation/links')).find((l) => l.hub === 'region-a')?.state).toBe(
      'down',
    );
    // Incident search says unknown too.
    const search = await api<IncidentResult>('/api/incidents/search', {
      method: 'POST',
      body: JSON.stringify({ point: { lat: 50.1188, lon: -5.5369 }, radiusM: 150 }),
    });
    expect(search.cameras.find((c) => c.cameraId === a.cameras[0])?.state).toBe('unknown');

    await a.relay.up();
    await until(
      "region A's cameras in their real state again",
      camerasAtForce,
      (list) =>
        stateOf(list, a.cameras[0] as string)?.state === 'up' &&
        stateOf(list, a.cameras[1] as string)?.state === 'down',
      30_000,
    );
    cams = await camerasAtForce();
    expect(stateOf(cams, a.cameras[1] as string)?.reasons.map((x) => x.code)).toEqual(['no_video']);
    const link = (await api<LinkStatus[]>('/api/federation/links')).find((l) => l.hub === 'region-a');
    expect(link?.state).toBe('up');
    await until(
      'the link alert cleared',
      async () => force.hub.openAlerts,
      (alerts) => !alerts.some((x) => x.kind === 'hub_link_down'),
      10_000,
    );
    // It caught up by a snapshot over HTTP, not by a backlog the bridge kept.
    expect(link?.snapshots).toBeGreaterThanOrEqual(2);
  });

  it("lets no hub's bridge speak for another, and no peer read a share without its key", async () => {
    const [a, b] = regions as [Region, Region];
    const before = await camerasAtForce();
    // Region B's bridge credential, publishing as if it were region A: the force broker's ACL drops it.
    const impostor = await mqtt.connectAsync(forceBroker.url, {
      username: 'bridge.region-b',
      password: bridgePasswords['region-b'].value,
      protocolVersion: 4,
    });
    const fake = {
      v: 1,
      epoch: 'forged-epoch-0001',
      seq: 1,
      sentAt: new Date().toISOString(),
      cameras: before.filter((c) => a.cameras.includes(c.id)).map((c) => ({ ...c, state: 'down' })),
      removed: [],
    };
    await impostor.publishAsync('cctv/federation/in/region-a/changes', JSON.stringify(fake), { qos: 1 });
    await impostor.endAsync();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await camerasAtForce();
    for (const id of a.cameras) expect(stateOf(after, id)?.state).toBe(stateOf(before, id)?.state);

    // The regional snapshot route: another peer's key, or no key, is refused.
    const url = `${a.hub.hub.url}/api/federation/v1/snapshot?peer=force`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${b.key}` } })).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${a.key}` } });
    expect(ok.status).toBe(200);
    const snapshot = (await ok.json()) as { hub: string; cameras: CameraView[] };
    expect(snapshot.hub).toBe('region-a');
    expect(snapshot.cameras.map((c) => c.id).sort()).toEqual([...a.cameras].sort());
  });

  it('opens a region B feed at the force hub through region B, audited on both hubs with one reference', async () => {
    const b = regions[1] as Region;
    const cameraId = b.cameras[0] as string;
    const incidentRef = 'INC-2026-1205-077';
    const session = await api<FeedSessionView>('/api/feeds', {
      method: 'POST',
      body: JSON.stringify({ cameraId, incidentRef, reason: 'Disturbance across the force border' }),
    });
    // Played through the force hub's relay: the viewer needs no route to, or account at, region B.
    expect(session.url).toMatch(
      /^\/linked-feeds\/region-b\/feeds\/[0-9a-f]{32}\/\d+\/[A-Za-z0-9_-]+\/index\.m3u8$/,
    );
    let playlist = '';
    await until(
      'a playlist with segments through the force hub',
      async () => {
        const response = await fetch(`${force.hub.url}${session.url}`);
        playlist = response.status === 200 ? await response.text() : '';
        return playlist;
      },
      (text) => text.includes('#EXTM3U') && /seg\d+\.ts/.test(text),
      45_000,
    );
    const segment = (playlist.match(/seg\d+\.ts/) as RegExpMatchArray)[0];
    const video = await fetch(`${force.hub.url}${session.url.replace('index.m3u8', segment)}`);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp2t');
    expect((await video.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    // A forged signature is refused by region B, through the relay.
    const forged = session.url.replace(/\/([A-Za-z0-9_-]+)\/index\.m3u8$/, '/AAAA/index.m3u8');
    expect((await fetch(`${force.hub.url}${forged}`)).status).toBe(403);

    const audited = async (h: HubHarness, kind: string) =>
      (
        await h.hub.database.pool.query<{
          actor: string;
          incident_ref: string;
          detail: Record<string, unknown>;
        }>(
          'SELECT actor, incident_ref, detail FROM audit_log WHERE kind = $1 AND incident_ref = $2 ORDER BY seq',
          [kind, incidentRef],
        )
      ).rows;
    const atForce = await audited(force, 'feed.start');
    expect(atForce.map((r) => [r.actor, r.detail.owningHub])).toEqual([['force-cr', 'region-b']]);
    const atRegion = await audited(b.hub, 'feed.start');
    expect(atRegion.map((r) => r.actor)).toEqual(['force-cr@force']);
    expect(atRegion[0]?.detail.session).toBe(session.id);

    const closed = await fetch(`${force.hub.url}/api/feeds/${session.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(closed.status).toBe(204);
    expect(b.hub.hub.feedManager.list()).toEqual([]);
    expect((await audited(force, 'feed.end')).map((r) => r.actor)).toEqual(['force-cr']);
    await until(
      'region B audits the end',
      () => audited(b.hub, 'feed.end'),
      (rows) => rows.length === 1,
      10_000,
    );
  });

  it('shares only the listed cameras with another force, and refuses and audits the rest', async () => {
    const [a, b] = regions as [Region, Region];
    const listed = [a.cameras[0] as string, b.cameras[0] as string].sort();
    await until(
      'Dorset sees exactly the listed cameras',
      async () => ((await (await atDorset('/api/cameras')).json()) as CameraView[]).map((c) => c.id).sort(),
      (ids) => JSON.stringify(ids) === JSON.stringify(listed),
      30_000,
    );

    // A listed camera's feed, opened at Dorset: through the force hub, at region B, audited on all three.
    const incidentRef = 'DOR-2026-1205-009';
    const session = await feedAtDorset(b.cameras[0] as string, incidentRef, 'Pursuit crossing into Dorset');
    expect(session.url.startsWith('/linked-feeds/force/linked-feeds/region-b/feeds/')).toBe(true);
    expect(await actors(dorset, 'feed.start', incidentRef)).toEqual(['dorset-cr']);
    expect(await actors(force, 'feed.start', incidentRef)).toEqual(['dorset-cr@dorset']);
    expect(await actors(b.hub, 'feed.start', incidentRef)).toEqual(['dorset-cr@dorset@force']);
    const closed = await atDorset(`/api/feeds/${session.id}`, { method: 'DELETE' });
    expect(closed.status).toBe(204);
    // Closed along the chain: nothing left running at the owning hub.
    await until(
      'the feed closed at region B',
      async () => b.hub.hub.feedManager.list(),
      (l) => l.length === 0,
      10_000,
    );

    // An unlisted camera: Dorset does not know it, and says so in its audit log...
    const unlisted = b.cameras[1] as string;
    const refusedRef = 'DOR-2026-1205-010';
    const refused = await atDorset('/api/feeds', {
      method: 'POST',
      body: JSON.stringify({ cameraId: unlisted, incidentRef: refusedRef, reason: 'Not in the agreement' }),
    });
    expect(refused.status).toBe(404);
    expect(await actors(dorset, 'feed.refused', refusedRef)).toEqual(['dorset-cr']);
    // ...and the force hub refuses Dorset's key for it, and audits that too.
    const direct = await fetch(`${force.hub.url}/api/federation/v1/feeds?peer=dorset`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dorsetKey.value}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        cameraId: unlisted,
        incidentRef: refusedRef,
        reason: 'Asked directly',
        user: 'dorset-cr',
      }),
    });
    expect(direct.status).toBe(404);
    expect(((await direct.json()) as { code: string }).code).toBe('NOT_SHARED');
    expect(await actors(force, 'feed.refused', refusedRef)).toEqual(['dorset-cr@dorset']);
    // Dorset's key reads nothing at a regional hub: its agreement is with the force hub only.
    const regional = await fetch(`${b.hub.hub.url}/api/federation/v1/snapshot?peer=dorset`, {
      headers: { authorization: `Bearer ${dorsetKey.value}` },
    });
    expect(regional.status).toBe(401);
  });

  it("shares the drone unit's sources with Dorset: live with their track, in its incident search, feeds opened at the force hub", async () => {
    const dorsetSocket = io(dorset.hub.url, { auth: { token: dorsetToken }, transports: ['websocket'] });
    const pushes: SourceChanges[] = [];
    dorsetSocket.on('sources', (change: SourceChanges) => pushes.push(change));
    try {
      // Six fixes a second apart, each signed by its source and relayed by the air operations site.
      const t0 = Date.now() - 5000;
      for (let i = 0; i <= 5; i++) {
        const at = t0 + i * 1000;
        for (const source of [drone, body])
          await (station as SitePublisher).publish(
            'telemetry',
            source.fix(at),
            source.options.id,
            new Date(at),
          );
      }
      await until(
        'the drone at Dorset, up, with its track',
        async () => (await (await atDorset('/api/sources')).json()) as SourceView[],
        (list) => list.some((v) => v.id === droneId && v.state === 'up' && v.track.length === 6),
        30_000,
      );
      const atDorsetNow = (await (await atDorset('/api/sources')).json()) as SourceView[];
      // Only the drone unit's source crosses; the body-worn camera stays at the force hub.
      expect(atDorsetNow.map((v) => [v.id, v.hubId, v.kind])).toEqual([[droneId, 'force', 'drone']]);
      const own = (await api<SourceView[]>('/api/sources')).map((v) => [v.id, v.hubId ?? null]).sort();
      expect(own).toEqual(
        [
          [bodyId, null],
          [droneId, null],
        ].sort(),
      );
      // The same track at both hubs, point for point.
      const atForce = (await api<SourceView[]>('/api/sources')).find((v) => v.id === droneId);
      expect(atDorsetNow[0]?.track).toEqual(atForce?.track);
      expect(atDorsetNow[0]?.footprint).toEqual(atForce?.footprint);
      // Dorset's control-room screen is pushed the drone too (hub and track included).
      await until(
        "the drone on Dorset's socket",
        async () => pushes.flatMap((p) => p.sources).filter((v) => v.id === droneId),
        (views) => views.some((v) => v.hubId === 'force' && v.state === 'up'),
        10_000,
      );
      expect(pushes.flatMap((p) => p.sources).some((v) => v.id === bodyId)).toBe(false);

      // Dorset's incident search at the drone's position: the force hub answers for its source, with
      // the figures its own search gives.
      const here = drone.positionAt(t0 + 5000);
      const query = { point: { lat: here.lat, lon: here.lon }, radiusM: 100, sourcesWithinMinutes: 5 };
      const found = (await (
        await atDorset('/api/incidents/search', { method: 'POST', body: JSON.stringify(query) })
      ).json()) as IncidentResult;
      const atForceSearch = await api<IncidentResult>('/api/incidents/search', {
        method: 'POST',
        body: JSON.stringify(query),
      });
      const drones = (r: IncidentResult) => r.sources.filter((x) => x.sourceId === droneId);
      expect(drones(found).map((x) => [x.sourceId, x.hubId, x.coversNow])).toEqual([
        [droneId, 'force', true],
      ]);
      const { rank: _r1, hubId: _h1, ...dorsetFigures } = drones(found)[0] ?? {};
      const { rank: _r2, ...forceFigures } = drones(atForceSearch)[0] ?? {};
      expect(dorsetFigures).toEqual(forceFigures);
      expect(found.sources.some((x) => x.sourceId === bodyId)).toBe(false);
      expect(atForceSearch.sources.some((x) => x.sourceId === bodyId)).toBe(true);
      expect(found.sourcesUnavailable).toBeUndefined();

      // Its feed, opened at Dorset: at the force hub, which owns it, audited at both.
      const incidentRef = 'DOR-2026-1206-021';
      const session = await feedAtDorset(droneId, incidentRef, 'Drone over the border pursuit');
      expect(session.url.startsWith('/linked-feeds/force/feeds/')).toBe(true);
      expect(await actors(dorset, 'feed.start', incidentRef)).toEqual(['dorset-cr']);
      expect(await actors(force, 'feed.start', incidentRef)).toEqual(['dorset-cr@dorset']);
      expect((await atDorset(`/api/feeds/${session.id}`, { method: 'DELETE' })).status).toBe(204);

      // The body-worn camera is not Dorset's to view: unknown there, and refused to its key at the force hub.
      const refusedRef = 'DOR-2026-1206-022';
      const refused = await atDorset('/api/feeds', {
        method: 'POST',
        body: JSON.stringify({ cameraId: bodyId, incidentRef: refusedRef, reason: 'Not in the agreement' }),
      });
      expect(refused.status).toBe(404);
      const direct = await fetch(`${force.hub.url}/api/federation/v1/feeds?peer=dorset`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dorsetKey.value}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          cameraId: bodyId,
          incidentRef: refusedRef,
          reason: 'Asked directly',
          user: 'dorset-cr',
        }),
      });
      expect(direct.status).toBe(404);
      expect(((await direct.json()) as { code: string }).code).toBe('NOT_SHARED');
      const searched = await fetch(`${force.hub.url}/api/federation/v1/sources/search?peer=dorset`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dorsetKey.value}`, 'content-type': 'application/json' },
        body: JSON.stringify(query),
      });
      expect(((await searched.json()) as { sourceId: string }[]).map((x) => x.sourceId)).toEqual([droneId]);
      // A region's key reads no source search at the force hub: it has no agreement for them.
      const regional = await fetch(`${force.hub.url}/api/federation/v1/sources/search?peer=region-a`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(regions[0] as Region).key}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(query),
      });
      expect(regional.status).toBe(401);
    } finally {
      dorsetSocket.disconnect();
    }
  });

  it('drops a camera its region retires from the force hub at once, by a change message', async () => {
    const [a] = regions as [Region, Region];
    const retired = a.cameras[1] as string;
    const linkOf = async () =>
      (await api<LinkStatus[]>('/api/federation/links')).find((l) => l.hub === 'region-a') as LinkStatus;
    await until('region A up at the force hub', linkOf, (l) => l.state === 'up' && l.cameras === 2, 30_000);
    const snapshotsBefore = (await linkOf()).snapshots;
    // The site's inventory no longer lists the camera: region A retires it.
    await a.publisher.publish('inventory', {
      siteName: `Site ${a.site}`,
      councilId: a.council,
      hubId: 'test-hub',
      location: { lat: 50.1186, lon: a.lon },
      cameras: [
        {
          id: a.cameras[0] as string,
          name: `Camera ${a.cameras[0]}`,
          commissioning: { ...commissioning(50.1186, a.lon), bearingDeg: 0 },
        },
      ],
    });
    const tookMs = await until(
      'the retired camera gone at the force hub',
      camerasAtForce,
      (cams) => !cams.some((c) => c.id === retired),
      10_000,
    );
    console.log(`a camera retired in region A left the force hub after ${tookMs} ms`);
    expect((await linkOf()).snapshots).toBe(snapshotsBefore);
    expect((await linkOf()).cameras).toBe(1);
  });
});
