import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../../edge-agent/src/agent.ts';
import { resolveSecrets } from '../../../edge-agent/src/config.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { health, type Received, SiteWatcher, startBroker, stream } from './helpers/harness.ts';

// Real parts only: aedes broker, simulated ONVIF/RTSP cameras, ffmpeg/ffprobe, mqtt.js subscriber.

const SITE = 'test-site';
const CAMERAS = ['cam-1', 'cam-2', 'cam-3', 'cam-4'];
const password = (id: string) => `Pw-${id}-Zq81x`;
const INTERVAL_MS = 1_000;
const ONVIF_TIMEOUT_MS = 1_500;
const PROBE_INTERVAL_MS = 3_000;

const logs: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
const outboxDir = mkdtempSync(join(tmpdir(), 'cctv-outbox-'));
let broker: Awaited<ReturnType<typeof startBroker>>;
let watcher: SiteWatcher;
let agent: EdgeAgent;

function healthAfter(
  cameraId: string,
  from: number,
  match: (r: Received) => boolean,
  timeoutMs: number,
  what: string,
) {
  return watcher.waitFor((r) => health(r, cameraId) && match(r), timeoutMs, from, `${what} for ${cameraId}`);
}

function reasonCodes(r: Received): string[] {
  return r.message.kind === 'health' ? r.message.envelope.payload.reasons.map((x) => x.code) : [];
}

beforeAll(async () => {
  broker = await startBroker();
  await fleet.start();
  const endpoints = await Promise.all(
    CAMERAS.map((id) =>
      fleet.addCamera({
        id,
        username: 'admin',
        password: password(id),
        profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
      }),
    ),
  );
  const defaults = defaultsOf(AgentConfig) as AgentConfig;
  const config: AgentConfig = {
    ...defaults,
    site: {
      id: SITE,
      name: 'Test site',
      councilId: 'test-council',
      hubId: 'test-hub',
      location: { lat: 50.1, lon: -5.5 },
    },
    mqtt: { ...defaults.mqtt, url: broker.url, keepaliveS: 5 },
    outbox: { ...defaults.outbox, dir: outboxDir },
    poll: {
      ...defaults.poll,
      intervalMs: INTERVAL_MS,
      probeIntervalMs: PROBE_INTERVAL_MS,
      onvifTimeoutMs: ONVIF_TIMEOUT_MS,
      probeTimeoutMs: 6_000,
      probeSampleMs: 1_000,
      imageIntervalMs: INTERVAL_MS,
      concurrency: 8,
      probeConcurrency: 2,
    },
    cameras: endpoints.map((e, i) => ({
      id: e.id,
      name: `Camera ${i + 1}`,
      onvif: { url: e.onvifUrl, username: 'admin', password: password(e.id) },
      commissioning: {
        location: { lat: 50.1, lon: -5.5 },
        bearingDeg: 90 * i,
        hfovDeg: 60,
        designDistanceM: 20,
        purpose: 'observe',
      },
    })),
  };
  watcher = new SiteWatcher(broker.url, SITE);
  await watcher.start();
  agent = new EdgeAgent({
    config,
    secrets: await resolveSecrets(config, {}),
    logger,
    media: resolveMediaBinaries(),
  });
  await agent.start();
}, 60_000);

afterAll(async () => {
  await agent?.stop('graceful');
  await watcher?.stop();
  await fleet.stop();
  await broker?.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

describe('EdgeAgent against simulated cameras and a real broker', () => {
  it('publishes retained online state and inventory without credentials', async () => {
    await watcher.waitFor((r) => r.message.kind === 'siteState', 10_000, 0, 'site state');
    const late = new SiteWatcher(broker.url, SITE);
    await late.start();
    try {
      const state = await late.waitFor(
        (r) => r.message.kind === 'siteState',
        5_000,
        0,
        'retained site state',
      );
      expect(state.retained).toBe(true);
      expect(state.message.envelope.payload).toMatchObject({ state: 'online', cameraCount: 4 });
      const inventory = await late.waitFor(
        (r) => r.message.kind === 'inventory',
        5_000,
        0,
        'retained inventory',
      );
      expect(inventory.retained).toBe(true);
      if (inventory.message.kind !== 'inventory') throw new Error('unreachable');
      expect(inventory.message.envelope.payload.cameras.map((c) => c.id)).toEqual(CAMERAS);
      expect(inventory.raw).not.toMatch(/admin|onvif|Pw-/);
    } finally {
      await late.stop();
    }
  });

  it('reports every camera up, with clock and device', async () => {
    for (const id of CAMERAS) {
      const r = await healthAfter(
        id,
        0,
        (x) => x.message.kind === 'health' && x.message.envelope.payload.state === 'up',
        10_000,
        'up',
      );
      if (r.message.kind !== 'health') throw new Error('unreachable');
      const p = r.message.envelope.payload;
      expect(Math.abs(p.clock?.offsetMs ?? Number.NaN)).toBeLessThan(1_000);
      expect(p.clock?.dateTimeType).toBe('NTP');
      expect(p.device?.serialNumber).not.toBe('');
      expect(p.image?.blank).toBe(false);
      expect(r.retained).toBe(false);
    }
  });

  it('probes streams: h264, 320x240, ~10 fps, with a bitrate estimate', async () => {
    for (const id of CAMERAS) {
      const r = await watcher.waitFor((x) => stream(x, id), 15_000, 0, `stream for ${id}`);
      if (r.message.kind !== 'stream') throw new Error('unreachable');
      const p = r.message.envelope.payload;
      expect(p).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(p.fps).toBeGreaterThan(8.5);
      expect(p.fps).toBeLessThan(11.5);
      expect(p.bitrateKbps).toBeGreaterThan(50);
      expect(p.declared).toMatchObject({ width: 320, height: 240, fps: 10 });
      expect(p.uri).not.toContain('@');
    }
  });

  it('unreachable -> down within one poll', async () => {
    const from = watcher.messages.length;
    const t0 = Date.now();
    await fleet.setFault('cam-2', { kind: 'unreachable' });
    const r = await healthAfter(
      'cam-2',
      from,
      (x) => reasonCodes(x).includes('unreachable'),
      2 * INTERVAL_MS + ONVIF_TIMEOUT_MS + 1_000,
      'down',
    );
    expect(r.message.kind === 'health' && r.message.envelope.payload.state).toBe('down');
    expect(Date.now() - t0).toBeLessThan(2 * INTERVAL_MS + 500);
    await fleet.clearFault('cam-2');
    await healthAfter(
      'cam-2',
      watcher.messages.length,
      (x) => x.message.kind === 'health' && x.message.envelope.payload.state === 'up',
      15_000,
      'recovery',
    );
  });

  it('clock skew of 10 s -> degraded with clock_offset', async () => {
    const from = watcher.messages.length;
    await fleet.setFault('cam-3', { kind: 'clock-skew', skewMs: 10_000 });
    const r = await healthAfter(
      'cam-3',
      from,
      (x) => reasonCodes(x).includes('clock_offset'),
      5_000,
      'clock offset',
    );
    if (r.message.kind !== 'health') throw new Error('unreachable');
    const p = r.message.envelope.payload;
    expect(p.state).toBe('degraded');
    expect(p.clock?.offsetMs).toBeGreaterThan(9_000);
    expect(p.clock?.offsetMs).toBeLessThan(11_000);
    expect(p.reasons.find((x) => x.code === 'clock_offset')?.message).toMatch(
      /clock offset \+(9|10)(\.\d)? s exceeds 5 s \(fail limit\)/,
    );
    await fleet.clearFault('cam-3');
  });

  it('fps mismatch -> degraded with low_fps from the next probe', async () => {
    const from = watcher.messages.length;
    await fleet.setFault('cam-4', { kind: 'fps-mismatch', fps: 4 });
    const s = await watcher.waitFor(
      (x) => stream(x, 'cam-4') && x.message.kind === 'stream' && (x.message.envelope.payload.fps ?? 99) < 6,
      3 * PROBE_INTERVAL_MS + 6_000,
      from,
      'slow stream for cam-4',
    );
    const r = await healthAfter(
      'cam-4',
      watcher.messages.indexOf(s),
      (x) => reasonCodes(x).includes('low_fps'),
      5_000,
      'low fps',
    );
    expect(r.message.kind === 'health' && r.message.envelope.payload.state).toBe('degraded');
    await fleet.clearFault('cam-4');
  });

  it('a hanging camera does not delay the others', async () => {
    const from = watcher.messages.length;
    await fleet.setFault('cam-1', { kind: 'hang' });
    const down = await healthAfter(
      'cam-1',
      from,
      (x) => reasonCodes(x).includes('timeout'),
      3 * INTERVAL_MS + ONVIF_TIMEOUT_MS + 1_000,
      'timeout',
    );
    expect(down.message.kind === 'health' && down.message.envelope.payload.state).toBe('down');
    const windowStart = watcher.messages.length;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const window = watcher.messages.slice(windowStart);
    for (const id of ['cam-2', 'cam-3', 'cam-4']) {
      const times = window.filter((x) => health(x, id)).map((x) => x.atMs);
      expect(times.length, `${id} health messages in 5 s`).toBeGreaterThanOrEqual(4);
      const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
      expect(Math.max(...gaps), `${id} largest gap`).toBeLessThan(INTERVAL_MS + 800);
    }
    await fleet.clearFault('cam-1');
  });

  it('wrong credentials answered as HTTP 200 + SOAP fault -> down with auth_failed', async () => {
    const from = watcher.messages.length;
    await fleet.setFault('cam-2', { kind: 'wrong-credentials', httpStatus: 200 });
    const r = await healthAfter(
      'cam-2',
      from,
      (x) => reasonCodes(x).includes('auth_failed'),
      5_000,
      'auth failure',
    );
    expect(r.message.kind === 'health' && r.message.envelope.payload.state).toBe('down');
    await fleet.clearFault('cam-2');
  });

  it('blank image -> degraded with image_blank', async () => {
    const from = watcher.messages.length;
    await fleet.setFault('cam-3', { kind: 'blank-image' });
    const r = await healthAfter(
      'cam-3',
      from,
      (x) => reasonCodes(x).includes('image_blank'),
      5_000,
      'blank image',
    );
    if (r.message.kind !== 'health') throw new Error('unreachable');
    expect(r.message.envelope.payload.state).toBe('degraded');
    expect(r.message.envelope.payload.image?.lumaStdDev).toBeLessThan(4);
    await fleet.clearFault('cam-3');
  });

  it('never publishes a camera password, and every message decodes', () => {
    expect(watcher.messages.length).toBeGreaterThan(20);
    for (const m of watcher.messages) {
      for (const id of CAMERAS) expect(m.raw).not.toContain(password(id));
    }
    expect(watcher.rejected).toEqual([]);
    const stats = agent.stats();
    expect(stats.polls).toBeGreaterThan(20);
    expect(stats.probes).toBeGreaterThanOrEqual(4);
    expect(stats.publisher?.connected).toBe(true);
  });

  it('a dropped connection makes the broker deliver the retained offline will', async () => {
    const from = watcher.messages.length;
    await agent.stop('abrupt');
    const will = await watcher.waitFor(
      (r) => r.message.kind === 'siteState' && r.message.envelope.payload.state === 'offline',
      5_000,
      from,
      'offline will',
    );
    expect(will.message.siteId).toBe(SITE);
    const late = new SiteWatcher(broker.url, SITE);
    await late.start();
    try {
      const retained = await late.waitFor(
        (r) => r.message.kind === 'siteState',
        5_000,
        0,
        'retained offline',
      );
      expect(retained.retained).toBe(true);
      expect(retained.message.envelope.payload).toMatchObject({ state: 'offline' });
    } finally {
      await late.stop();
    }
  });
});
