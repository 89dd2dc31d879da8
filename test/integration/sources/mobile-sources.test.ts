import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import type { IncidentResult } from '../../../src/schemas/incident-api.ts';
import type {
  CoverageExport,
  SourceChanges,
  SourceCreated,
  SourceUptime,
  SourceView,
  TelemetryPayload,
} from '../../../src/schemas/sources.ts';
import { signTelemetry } from '../../../src/sources/telemetry.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { MobileSource } from '../../simulators/mobile/mobile-source.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { freePort } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { SitePublisher } from '../../support/site-publisher.ts';
import { serveTestPicture } from '../../support/srt.ts';

// A police drone relayed by a ground station site: its signed telemetry moves it on the map, incident
// search finds it while overhead and, with a time window, after it has passed; its feed opens with an
// incident reference and is audited; the coverage export matches its stored track; bad telemetry is
// refused with a code. Real broker, database (PostGIS computes the footprints) and RTSP stream.

const SECOND = 1000;

describe('mobile sources: a drone over a town', () => {
  let h: HubHarness;
  let opToken: string;
  let roomToken: string;
  let councilToken: string;
  let station: SitePublisher;
  let otherSite: SitePublisher;
  let socket: Socket | null = null;
  const simulator = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const stationId = uniqueId('air-ops');
  const otherId = uniqueId('town');
  const council = uniqueId('council');
  const droneId = uniqueId('drone');
  const streamUser = 'viewer';
  const streamPassword = 'Drone-View-77';
  let drone: MobileSource;
  let key = '';
  /** The fixes' time base: the drone's last fix is at T. */
  const T = Math.floor(Date.now() / SECOND) * SECOND;
  const pushes: SourceChanges[] = [];

  const api = async <T>(path: string, init: RequestInit = {}, bearer = opToken) => {
    const r = await fetch(`${h.hub.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
    const text = await r.text();
    return {
      status: r.status,
      body: (text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T,
    };
  };
  const send = (publisher: SitePublisher, fix: TelemetryPayload, sourceId = fix.sourceId) =>
    publisher.publish('telemetry', fix, sourceId, new Date(fix.at));
  const stored = async () =>
    (
      await h.hub.database.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM source_positions WHERE source_id = $1',
        [droneId],
      )
    ).rows[0]?.n ?? 0;
  const deadLetterCodes = async () =>
    (
      await h.hub.database.pool.query<{ code: string }>(
        `SELECT code FROM dead_letters WHERE topic LIKE $1 ORDER BY id`,
        [`%/source/%`],
      )
    ).rows.map((r) => r.code);
  /** Fixes every second from `from` to `to` (seconds relative to T), skipping the given seconds. */
  const fly = async (from: number, to: number, skip: (s: number) => boolean = () => false) => {
    for (let s = from; s <= to; s++) if (!skip(s)) await send(station, drone.fix(T + s * SECOND));
  };
  // The drone flies east from Penzance at 40 m/s; P is where it is at T-30 s.
  const start = { lat: 50.1186, lon: -5.5371 };
  const P = () => drone.positionAt(T - 30 * SECOND);

  beforeAll(async () => {
    await simulator.start();
    const endpoints = await simulator.addCamera({
      id: droneId,
      username: streamUser,
      password: streamPassword,
      profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
    });
    h = await startHub(
      {
        CCTV_HUB__sources__staleAfterMs: '5000',
        CCTV_HUB__sources__offlineAfterMs: '90000',
      },
      {
        feedCredentials: (camera) =>
          camera.id === droneId ? { username: streamUser, password: streamPassword } : null,
      },
    );
    await h.createUser('op', 'operator');
    await h.createUser('room', 'controlroom');
    await h.createUser(council, 'council', [council]);
    opToken = await h.login('op');
    roomToken = await h.login('room');
    councilToken = await h.login(council);
    await h.registerSite(stationId, council);
    await h.registerSite(otherId, council);
    station = new SitePublisher(stationId, h.hub.mqttUrl);
    otherSite = new SitePublisher(otherId, h.hub.mqttUrl);
    await station.connect(false);
    await otherSite.connect(false);

    const created = await api<SourceCreated>('/api/sources', {
      method: 'POST',
      body: JSON.stringify({
        id: droneId,
        kind: 'drone',
        name: 'Police drone 1',
        unit: 'Devon and Cornwall Police drone unit',
        relaySiteId: stationId,
        streamUrl: endpoints.rtspUrl,
      }),
    });
    expect(created.status).toBe(201);
    key = created.body.telemetryKey;
    drone = new MobileSource({
      id: droneId,
      kind: 'drone',
      key,
      route: [start, { lat: 50.1186, lon: -5.48 }],
      speedMps: 40,
      altitudeM: 60,
      gimbalPitchDeg: 45,
      startMs: T - 40 * SECOND,
    });
    socket = io(h.hub.url, { auth: { token: roomToken }, transports: ['websocket'] });
    socket.on('sources', (change: SourceChanges) => pushes.push(change));
  }, 180_000);

  afterAll(async () => {
    socket?.close();
    await station?.close(false);
    await otherSite?.close(false);
    await simulator.stop();
    await h?.stop();
  });

  it('shows the registered drone to control rooms, offline until it reports, and to no council', async () => {
    const first = await eventually('the full list on the socket', async () => pushes.find((p) => p.full));
    expect(first.sources.map((s) => [s.id, s.state, s.kind])).toEqual([[droneId, 'offline', 'drone']]);
    expect((await api('/api/sources', {}, councilToken)).status).toBe(403);
    // The key is shown once: the registry never returns it.
    const registry = await api<unknown[]>('/api/sources/registry');
    expect(JSON.stringify(registry.body)).not.toContain(key);
  });

  it('moves the drone with its telemetry and draws its footprint', async () => {
    await fly(-40, -30);
    const moved = await eventually('the drone at P on the socket', async () =>
      pushes
        .flatMap((p) => p.sources)
        .find((s) => s.id === droneId && s.lastFixAt === new Date(T - 30 * SECOND).toISOString()),
    );
    expect(moved.location?.coordinates[0]).toBeCloseTo(P().lon, 6);
    expect(moved.location?.coordinates[1]).toBeCloseTo(P().lat, 6);
    // Changes carry the new track points only; together they make the track.
    const points = pushes.filter((p) => !p.full).flatMap((p) => p.sources.flatMap((s) => s.track));
    expect(new Set(points.map((p) => p[2])).size).toBe(11);
    const view = (await api<SourceView[]>('/api/sources', {}, roomToken)).body[0] as SourceView;
    expect(view.state).not.toBe('offline');
    expect(view.altitudeM).toBe(60);
    // The footprint lies ahead of the drone (camera tilted 45 degrees down, flying east): its near
    // edge 25 m ahead and 91 m wide, its far edge 145 m ahead and 220 m wide at 60 m up (70 by 45
    // degrees of view), so its corners are 52 m and 182 m away, as PostGIS computed them.
    const ring = view.footprint?.coordinates[0] ?? [];
    expect(ring.length).toBe(5);
    const lons = ring.map((c) => c[0] as number);
    expect(Math.min(...lons)).toBeGreaterThan(P().lon);
    const ahead = await h.hub.database.pool.query<{ near: number; far: number }>(
      `SELECT min(ST_Distance(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, ST_PointN(ST_ExteriorRing(footprint), i)::geography)) AS near,
              max(ST_Distance(ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, ST_PointN(ST_ExteriorRing(footprint), i)::geography)) AS far
       FROM source_positions, generate_series(1, 4) i WHERE source_id = $3 AND observed_at = $4`,
      [P().lon, P().lat, droneId, new Date(T - 30 * SECOND)],
    );
    expect(ahead.rows[0]?.near).toBeCloseTo(51.8, 0);
    expect(ahead.rows[0]?.far).toBeCloseTo(181.7, 0);
  });

  it('finds the drone overhead in an incident search, and after it has passed only within the time window', async () => {
    const search = (body: object, token = roomToken) =>
      api<IncidentResult>('/api/incidents/search', { method: 'POST', body: JSON.stringify(body) }, token);
    const overhead = await search({ point: { lat: P().lat, lon: P().lon }, radiusM: 200 });
    expect(overhead.status).toBe(200);
    expect(overhead.body.sources.map((s) => [s.sourceId, s.coversNow])).toEqual([[droneId, true]]);
    expect(overhead.body.sources[0]?.distanceM).toBeLessThan(1);
    expect(overhead.body.sources[0]?.rank).toBe(1);
    // A council officer's search lists no police sources.
    expect((await search({ point: { lat: P().lat, lon: P().lon } }, councilToken)).body.sources).toEqual([]);

    // On it flies, 1.2 km further east (with a ten-second gap in its telemetry).
    await fly(-29, 0, (s) => s >= -20 && s <= -11);
    await eventually('every fix stored', async () => ((await stored()) === 11 + 20 ? true : undefined));
    const passed = await search({ point: { lat: P().lat, lon: P().lon }, radiusM: 220 });
    const found = passed.body.sources.find((s) => s.sourceId === droneId);
    expect(found?.coversNow).toBe(false);
    expect(found?.distanceM).toBeGreaterThan(1000);
    // Within 220 m of P from 180 m to 620 m along: the fixes of T-35 s to T-25 s.
    expect(found?.coveredFrom).toBe(new Date(T - 35 * SECOND).toISOString());
    expect(found?.coveredTo).toBe(new Date(T - 25 * SECOND).toISOString());
    expect(found?.closestM).toBeLessThan(1);
    const tooLong = await search({
      point: { lat: P().lat, lon: P().lon },
      radiusM: 200,
      sourcesWithinMinutes: 0,
    });
    expect(tooLong.body.sources).toEqual([]);
    // An area drawn around P finds it too.
    const d = 0.001;
    const area = await search({
      polygon: {
        type: 'Polygon',
        coordinates: [
          [
            [P().lon - d, P().lat - d],
            [P().lon + d, P().lat - d],
            [P().lon + d, P().lat + d],
            [P().lon - d, P().lat + d],
            [P().lon - d, P().lat - d],
          ],
        ],
      },
    });
    expect(area.status).toBe(200);
    expect(area.body.sources.map((s) => [s.sourceId, s.coversNow])).toEqual([[droneId, false]]);
  });

  it('refuses telemetry with a bad signature, from another site, out of the area or impossibly fast, with a code', async () => {
    const before = await stored();
    const good = drone.fix(T - 500);
    await send(station, { ...good, sig: signTelemetry(good, Buffer.alloc(32, 7)) });
    await send(otherSite, drone.fix(T - 400));
    await send(station, drone.fix(T - 300, { lat: 40.0, lon: -5.5 }));
    // Five kilometres from the fix of T in 0.2 s.
    await send(station, drone.fix(T - 200, { lat: 50.1186, lon: -5.41 }));
    const unknown = new MobileSource({ ...drone.options, id: uniqueId('ghost') });
    await send(station, unknown.fix(T - 100));
    const codes = await eventually('five refusals dead-lettered', async () => {
      const list = await deadLetterCodes();
      return list.length >= 5 ? list : undefined;
    });
    expect(codes.slice(-5).sort()).toEqual(
      [
        'BAD_SIGNATURE',
        'IMPOSSIBLE_SPEED',
        'POSITION_OUT_OF_AREA',
        'SOURCE_NOT_OF_SITE',
        'SOURCE_NOT_REGISTERED',
      ].sort(),
    );
    expect(await stored()).toBe(before);
    // A payload naming another source than its topic never gets as far as the checks.
    await send(station, drone.fix(T - 50), 'someone-else');
    await eventually('the mismatch dead-lettered', async () =>
      (await deadLetterCodes()).includes('SOURCE_MISMATCH') ? true : undefined,
    );
    // Refusals of what a site asserted are audited.
    const audited = await eventually('the refusal audited', async () => {
      const r = await h.hub.database.pool.query<{ code: string }>(
        `SELECT reason AS code FROM audit_log WHERE kind = 'site.refused' AND actor = $1`,
        [`site:${otherId}`],
      );
      return r.rows.length > 0 ? r.rows : undefined;
    });
    expect(audited.map((r) => r.code)).toContain('SOURCE_NOT_OF_SITE');
  });

  it('exports which sources covered the point, and when, matching the stored track', async () => {
    const p = P();
    const res = await api<CoverageExport>(
      `/api/sources/coverage?lat=${p.lat}&lon=${p.lon}&radiusM=100&from=${encodeURIComponent(new Date(T - 120 * SECOND).toISOString())}&to=${encodeURIComponent(new Date(T + SECOND).toISOString())}&incidentRef=CR-2026-1205-0042`,
      {},
      roomToken,
    );
    expect(res.status).toBe(200);
    const expected = await h.hub.database.pool.query<{ first: Date; last: Date; n: number }>(
      `SELECT min(observed_at) AS first, max(observed_at) AS last, count(*)::int AS n FROM source_positions
       WHERE source_id = $3 AND (ST_DWithin(location::geography, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, 100)
         OR ST_Covers(footprint, ST_SetSRID(ST_MakePoint($1, $2), 4326)))`,
      [p.lon, p.lat, droneId],
    );
    const row = expected.rows[0] as { first: Date; last: Date; n: number };
    expect(res.body.sources.map((s) => s.sourceId)).toEqual([droneId]);
    expect(res.body.sources[0]?.intervals).toEqual([
      {
        from: row.first.toISOString(),
        to: row.last.toISOString(),
        fixes: row.n,
        closestM: expect.any(Number),
        footprintCovered: expect.any(Boolean),
      },
    ]);
    expect(row.n).toBeGreaterThanOrEqual(5);
    const audit = await h.hub.database.pool.query<{ actor: string }>(
      `SELECT actor FROM audit_log WHERE kind = 'export.source-coverage' AND incident_ref = 'CR-2026-1205-0042'`,
    );
    expect(audit.rows.map((r) => r.actor)).toEqual(['room']);
  });

  it('counts the link uptime only while on duty, with the gap in its telemetry', async () => {
    const duty = await api(
      '/api/sources/' + droneId + '/duty',
      {
        method: 'POST',
        body: JSON.stringify({
          startsAt: new Date(T - 40 * SECOND).toISOString(),
          endsAt: new Date(T + 3600 * SECOND).toISOString(),
          reason: 'Night patrol, Penzance',
        }),
      },
      roomToken,
    );
    expect(duty.status).toBe(201);
    const up = await api<SourceUptime>(
      `/api/sources/${droneId}/uptime?from=${encodeURIComponent(new Date(T - 3600 * SECOND).toISOString())}&to=${encodeURIComponent(new Date(T + 3600 * SECOND).toISOString())}`,
      {},
      roomToken,
    );
    expect(up.status).toBe(200);
    const computedAt = Date.parse(up.body.computedAt);
    expect(up.body.dutyMs).toBe(computedAt - (T - 40 * SECOND));
    // Fresh from T-40 s to T-16 s (the fix of T-21 s lasts 5 s), from T-10 s to T, and 5 s after T.
    expect(up.body.linkedMs).toBe(24 * SECOND + 10 * SECOND + Math.min(5 * SECOND, computedAt - T));
    const view = (await api<SourceView[]>('/api/sources', {}, roomToken)).body[0];
    expect(view?.onDuty).toBe(true);
  });

  it("checks the drone's stream on duty, as the agent checks a camera's, and counts the checks on duty", async () => {
    // On duty since the last test: the hub's prober reads its stream (ffprobe, a few seconds).
    const view = await eventually(
      'a stream check of the drone',
      async () =>
        (await api<SourceView[]>('/api/sources', {}, roomToken)).body.find(
          (v) => v.id === droneId && v.stream,
        ),
      30_000,
    );
    expect(view.stream).toMatchObject({ ok: true, codec: 'h264', width: 320, height: 240, errorCode: null });
    expect(view.stream?.fps).toBeGreaterThan(5);
    const rows = await h.hub.database.pool.query<{ ok: boolean; codec: string }>(
      'SELECT ok, codec FROM source_stream_checks WHERE source_id = $1',
      [droneId],
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.rows.every((r) => r.ok && r.codec === 'h264')).toBe(true);
    const up = await api<SourceUptime>(
      `/api/sources/${droneId}/uptime?from=${encodeURIComponent(new Date(T - 3600 * SECOND).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 3600 * SECOND).toISOString())}`,
      {},
      roomToken,
    );
    expect(up.body.streamChecks).toBe(rows.rows.length);
    expect(up.body.streamChecksOk).toBe(rows.rows.length);
    expect(up.body.streamAvailability).toBe(1);

    // A source whose stream does not answer: its check fails with a code; its link state is its own.
    // A privileged port nothing in the suite listens on: a free port picked now could be taken a
    // moment later by another test's RTSP or HTTP server, and then the check would read that.
    const deadPort = 9;
    const deadId = uniqueId('dead-drone');
    const created = await api<SourceCreated>('/api/sources', {
      method: 'POST',
      body: JSON.stringify({
        id: deadId,
        kind: 'drone',
        name: 'Drone 3',
        unit: 'Devon and Cornwall Police drone unit',
        relaySiteId: stationId,
        streamUrl: `rtsp://127.0.0.1:${deadPort}/live`,
      }),
    });
    expect(created.status).toBe(201);
    const dutyFrom = Date.now() - 1000;
    await api(
      `/api/sources/${deadId}/duty`,
      {
        method: 'POST',
        body: JSON.stringify({
          startsAt: new Date(dutyFrom).toISOString(),
          endsAt: new Date(dutyFrom + 3600 * SECOND).toISOString(),
          reason: 'Stream test',
        }),
      },
      roomToken,
    );
    const dead = await eventually(
      'a failed stream check',
      async () =>
        (await api<SourceView[]>('/api/sources', {}, roomToken)).body.find(
          (v) => v.id === deadId && v.stream,
        ),
      30_000,
    );
    expect(dead.stream).toMatchObject({ ok: false, codec: null, errorCode: 'no_video' });
    expect(dead.state).toBe('offline');
    const deadUp = await api<SourceUptime>(
      `/api/sources/${deadId}/uptime?from=${encodeURIComponent(new Date(dutyFrom - 1000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      {},
      roomToken,
    );
    expect(deadUp.body).toMatchObject({ streamChecks: 1, streamChecksOk: 0, streamAvailability: 0 });
    // Control rooms were told on the socket.
    expect(pushes.flatMap((p) => p.sources).some((s) => s.id === deadId && s.stream?.ok === false)).toBe(
      true,
    );
    expect((await api(`/api/sources/${deadId}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);

  it('opens the drone feed with an incident reference, audited like a camera feed', async () => {
    await fly(1, 1);
    const opened = await api<FeedSessionView>(
      '/api/feeds',
      {
        method: 'POST',
        body: JSON.stringify({
          cameraId: droneId,
          incidentRef: 'CR-2026-1205-0042',
          reason: 'Suspect vehicle, A30',
        }),
      },
      roomToken,
    );
    expect(opened.status).toBe(201);
    expect(opened.body.councilId).toBeNull();
    expect(opened.body.siteId).toBe(stationId);
    const playlist = await eventually(
      'a playlist',
      async () => {
        const r = await fetch(`${h.hub.url}${opened.body.url}`);
        const text = r.status === 200 ? await r.text() : '';
        return /\.ts/.test(text) ? text : undefined;
      },
      45_000,
    );
    expect(playlist).toContain('#EXTM3U');
    const audit = await h.hub.database.pool.query<{
      actor: string;
      subject: string;
      council_id: string | null;
    }>(
      `SELECT actor, subject, council_id FROM audit_log WHERE kind = 'feed.start' AND incident_ref = 'CR-2026-1205-0042'`,
    );
    expect(audit.rows).toEqual([{ actor: 'room', subject: `camera:${droneId}`, council_id: null }]);
    // A council officer cannot open it.
    const refused = await api(
      '/api/feeds',
      {
        method: 'POST',
        body: JSON.stringify({ cameraId: droneId, incidentRef: 'CR-2026-1205-0043', reason: 'Curious' }),
      },
      councilToken,
    );
    expect(refused.status).toBe(403);
    expect((await api(`/api/feeds/${opened.body.id}`, { method: 'DELETE' }, roomToken)).status).toBe(204);
  }, 90_000);

  it('pulls an RTMP source too, without viewing credentials when the hub holds none', async () => {
    const port = await freePort();
    const ffmpegPath = resolveMediaBinaries().ffmpegPath;
    // A one-client RTMP server (a test picture, H.264), started again after each client: the hub's
    // stream check is one, the feed the next.
    const server = serveTestPicture(
      ffmpegPath,
      ['-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/drone-2`],
      60,
    );
    try {
      const id = uniqueId('rtmp-drone');
      const created = await api<SourceCreated>('/api/sources', {
        method: 'POST',
        body: JSON.stringify({
          id,
          kind: 'drone',
          name: 'Drone 2',
          unit: 'Devon and Cornwall Police drone unit',
          relaySiteId: stationId,
          streamUrl: `rtmp://127.0.0.1:${port}/live/drone-2`,
        }),
      });
      expect(created.status).toBe(201);
      const second = new MobileSource({
        ...drone.options,
        id,
        key: created.body.telemetryKey,
        startMs: Date.now(),
      });
      await send(station, second.fix(Date.now() - 200));
      // Live, so the hub checks its stream: RTMP is read like RTSP.
      const checked = await eventually(
        'the RTMP drone up, its stream checked',
        async () => {
          const v = (await api<SourceView[]>('/api/sources', {}, roomToken)).body.find((x) => x.id === id);
          return v?.state === 'up' && v.stream ? v : undefined;
        },
        30_000,
      );
      expect(checked.stream).toMatchObject({ ok: true, codec: 'h264', width: 320, height: 240 });
      // The one-client server notices the check has gone and listens again for the feed.
      await eventually('the RTMP server listening again', async () =>
        server.starts() >= 2 ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const opened = await api<FeedSessionView>(
        '/api/feeds',
        {
          method: 'POST',
          body: JSON.stringify({ cameraId: id, incidentRef: 'CR-2026-1205-0044', reason: 'RTMP' }),
        },
        roomToken,
      );
      expect(opened.status).toBe(201);
      const playlist = await eventually(
        'an RTMP playlist',
        async () => {
          const r = await fetch(`${h.hub.url}${opened.body.url}`);
          const text = r.status === 200 ? await r.text() : '';
          return /\.ts/.test(text) ? text : undefined;
        },
        30_000,
      );
      expect(playlist).toContain('#EXTM3U');
      expect((await api(`/api/feeds/${opened.body.id}`, { method: 'DELETE' }, roomToken)).status).toBe(204);
      // A site cannot report an RTMP address for a camera: the scheme is for registered sources only.
      const refused = await api('/api/sources', {
        method: 'POST',
        body: JSON.stringify({
          id: uniqueId('bad'),
          kind: 'drone',
          name: 'Bad',
          unit: 'u',
          relaySiteId: stationId,
          streamUrl: 'http://127.0.0.1/x',
        }),
      });
      expect(refused.status).toBe(400);
    } finally {
      server.stop();
    }
  }, 90_000);
});
