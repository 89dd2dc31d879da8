import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/schemas/audit-api.ts';
import type { FeedSessionView } from '../../../src/schemas/feed-api.ts';
import type { SourceCreated, SourceView, TelemetryPayload } from '../../../src/schemas/sources.ts';
import { MobileSource } from '../../simulators/mobile/mobile-source.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { freePort } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { SitePublisher } from '../../support/site-publisher.ts';
import { serveSrt, srtMedia } from '../../support/srt.ts';

// A drone whose ground station serves its video over SRT with a passphrase (AES): the hub, with an
// ffmpeg built with libsrt, checks the stream and opens its feed with the passphrase from the
// credentials it holds, never from the address; an address carrying a passphrase or asking the hub to
// listen is refused; a source whose passphrase the hub does not hold fails its check. Real SRT (ffmpeg
// in listener mode), broker and database.

const PASSPHRASE = 'Drone-SRT-passphrase-31';

describe('mobile sources: a drone streaming over SRT', () => {
  let h: HubHarness;
  let opToken: string;
  let roomToken: string;
  let station: SitePublisher;
  let server: ReturnType<typeof serveSrt>;
  let port = 0;
  const stationId = uniqueId('air-ops');
  const droneId = uniqueId('srt-drone');
  const strangerId = uniqueId('srt-nokey');

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
  const register = (id: string, streamUrl: string) =>
    api<SourceCreated & { code: string; message: string }>('/api/sources', {
      method: 'POST',
      body: JSON.stringify({
        id,
        kind: 'drone',
        name: `Drone ${id}`,
        unit: 'Devon and Cornwall Police drone unit',
        relaySiteId: stationId,
        streamUrl,
      }),
    });
  /** Registers a drone on the SRT server and sends one fix, so it is live and its stream is checked. */
  const flyOne = async (id: string) => {
    const created = await register(id, `srt://127.0.0.1:${port}?streamid=${id}&latency=200`);
    expect(created.status).toBe(201);
    const drone = new MobileSource({
      id,
      kind: 'drone',
      key: created.body.telemetryKey,
      route: [
        { lat: 50.1186, lon: -5.5371 },
        { lat: 50.1186, lon: -5.48 },
      ],
      speedMps: 20,
      altitudeM: 60,
      gimbalPitchDeg: 45,
      startMs: Date.now() - 1000,
    });
    const fix: TelemetryPayload = drone.fix(Date.now() - 200);
    await station.publish('telemetry', fix, id, new Date(fix.at));
    return eventually(
      `${id} up, its stream checked`,
      async () => {
        const v = (await api<SourceView[]>('/api/sources', {}, roomToken)).body.find((x) => x.id === id);
        return v?.state === 'up' && v.stream ? v : undefined;
      },
      40_000,
    );
  };

  beforeAll(async () => {
    const media = srtMedia();
    const { ffmpegPath } = media;
    port = await freePort();
    server = serveSrt({ ffmpegPath, port, passphrase: PASSPHRASE });
    h = await startHub(
      {
        CCTV_HUB__sources__staleAfterMs: '30000',
        CCTV_HUB__sources__offlineAfterMs: '90000',
        // One check per source in this test: the one-client server then serves the feed.
        CCTV_HUB__sources__probeIntervalMs: '600000',
      },
      {
        // The hub holds the drone's passphrase (as feeds.credentialsFile would give it), not the stranger's.
        feedCredentials: (camera) => (camera.id === droneId ? { username: '', password: PASSPHRASE } : null),
        media,
      },
    );
    await h.createUser('op', 'operator');
    await h.createUser('room', 'controlroom');
    opToken = await h.login('op');
    roomToken = await h.login('room');
    await h.registerSite(stationId, uniqueId('council'));
    station = new SitePublisher(stationId, h.hub.mqttUrl);
    await station.connect(false);
  }, 120_000);

  afterAll(async () => {
    server?.stop();
    await station?.close(false);
    await h?.stop();
  });

  it('refuses an SRT address that carries a passphrase, asks the hub to listen, or has a path', async () => {
    const cases: [string, string, RegExp][] = [
      [`srt://127.0.0.1:${port}?passphrase=${PASSPHRASE}`, 'STREAM_URL_CREDENTIALS', /credentials file/],
      [`srt://127.0.0.1:${port}?mode=listener`, 'STREAM_URL_INVALID', /mode=caller only|mode listener/],
      [`srt://127.0.0.1:${port}?latency=200&pkt_size=1316`, 'STREAM_URL_INVALID', /not pkt_size/],
      [`srt://127.0.0.1:${port}/live`, 'STREAM_URL_INVALID', /no path/],
      ['srt://127.0.0.1?streamid=x', 'STREAM_URL_INVALID', /needs a port/],
    ];
    for (const [url, code, message] of cases) {
      const refused = await register(uniqueId('bad'), url);
      expect(refused.status, url).toBe(400);
      expect(refused.body.code, url).toBe(code);
      expect(refused.body.message, url).toMatch(message);
    }
    // Nothing of them was stored.
    const listed = (await api<SourceView[]>('/api/sources', {}, roomToken)).body;
    expect(listed.filter((s) => s.id.startsWith('bad-'))).toEqual([]);
  });

  it("checks the drone's SRT stream with the passphrase the hub holds, and opens its feed, audited", async () => {
    const checked = await flyOne(droneId);
    expect(checked.stream).toMatchObject({ ok: true, codec: 'h264', width: 320, height: 240 });
    // The one-client server notices the check has gone and listens again for the feed.
    await eventually('the SRT server listening again', async () => (server.starts() >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    const opened = await api<FeedSessionView>(
      '/api/feeds',
      {
        method: 'POST',
        body: JSON.stringify({ cameraId: droneId, incidentRef: 'CR-2026-1206-0031', reason: 'SRT drone' }),
      },
      roomToken,
    );
    expect(opened.status).toBe(201);
    const playlist = await eventually(
      'an SRT playlist',
      async () => {
        const r = await fetch(`${h.hub.url}${opened.body.url}`);
        const text = r.status === 200 ? await r.text() : '';
        return /\.ts/.test(text) ? text : undefined;
      },
      30_000,
    );
    expect(playlist).toContain('#EXTM3U');
    expect((await api(`/api/feeds/${opened.body.id}`, { method: 'DELETE' }, roomToken)).status).toBe(204);
    const audit = await api<{ entries: AuditEntry[] }>(
      `/api/audit?kind=feed.start&cameraId=${droneId}`,
      {},
      opToken,
    );
    expect(audit.status).toBe(200);
    expect(audit.body.entries.map((e) => [e.actor, e.incidentRef])).toContainEqual([
      'room',
      'CR-2026-1206-0031',
    ]);
    // The passphrase is in no log line of the hub.
    expect(h.logs.filter((line) => line.includes(PASSPHRASE))).toEqual([]);
  }, 90_000);

  it('fails the check of a source whose passphrase the hub does not hold', async () => {
    const checked = await flyOne(strangerId);
    expect(checked.stream?.ok).toBe(false);
  }, 60_000);
});
