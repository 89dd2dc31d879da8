import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { closeAll } from '../../support/cleanup.ts';
import { HubProcess } from '../../support/hub-process.ts';
import { LinkProxy } from '../../support/link-proxy.ts';
import { freePort } from '../../support/mosquitto.ts';
import { registerSitesViaApi } from '../../support/register-site.ts';
import { type TestServices, testServices, uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';
import { SiteWatcher } from '../edge-agent/helpers/harness.ts';
import { clearSession, type DiskRecord, query, readOutbox, sleep, until } from './helpers/fixtures.ts';

// Fault: the agent's outbox fills up while the link is down (its bound is hit, samples are dropped
// and gap records written), then the agent process is killed (SIGKILL) and started again with the
// link back. Real parts: the agent as its own process, simulated ONVIF/RTSP cameras, a TCP relay for
// the link, the hub as its own process with its broker (embedded, or MQTT_URL) and database
// (embedded PGlite, or DATABASE_URL). Exact count: every record on disk at the kill arrives exactly
// once; what the agent reported dropped equals what its gap messages say; every health sample the
// broker carried is stored once and nothing else.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MAX_BYTES = 16_384;
const TABLE = { health: 'health_samples', stream: 'stream_samples', event: 'camera_events' } as const;

interface DropLine {
  msg: string;
  health: number;
  stream: number;
}

describe('reliability: agent restarted with a full outbox', () => {
  const siteId = uniqueId('rel-full');
  const cams = [1, 2, 3].map((i) => `${siteId}-${i}`);
  const council = uniqueId('council');
  const dir = mkdtempSync(join(tmpdir(), 'cctv-rel-full-'));
  const siteDir = join(dir, 'outbox', siteId);
  const configPath = join(dir, 'agent.yaml');
  const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const children: ChildProcess[] = [];
  const output: string[][] = [];
  let services: TestServices;
  let hub: HubProcess;
  let proxy: LinkProxy;
  let watcher: SiteWatcher;

  const startAgent = () => {
    const lines: string[] = [];
    output.push(lines);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'edge-agent/src/main.ts', '--config', configPath],
      {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  const logLines = (i: number) =>
    (output[i] ?? [])
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    services = await testServices();
    const mqttPort = await freePort();
    hub = new HubProcess({
      CCTV_HUB__mqtt__clientId: `hub-${siteId}`,
      ...(services.databaseUrl
        ? { DATABASE_URL: services.databaseUrl }
        : { CCTV_HUB__database__dataDir: join(services.dataDir, 'pglite') }),
      ...(services.mqttUrl ? { MQTT_URL: services.mqttUrl } : { MQTT_PORT: String(mqttPort) }),
    });
    await hub.start();
    await registerSitesViaApi(hub.url, dbUrl(), [{ siteId, councilId: council, cameraIds: cams }]);
    const brokerUrl = services.mqttUrl ?? `mqtt://127.0.0.1:${mqttPort}`;
    proxy = LinkProxy.forUrl(brokerUrl);
    watcher = new SiteWatcher(brokerUrl, siteId);
    await watcher.start();
    await fleet.start();
    const endpoints = await Promise.all(
      cams.map((id) =>
        fleet.addCamera({
          id,
          username: 'admin',
          password: SiteHarness.password(id),
          profile: { width: 320, height: 240, fps: 10, bitrateKbps: 300 },
        }),
      ),
    );
    await proxy.up();
    writeFileSync(
      configPath,
      stringify({
        site: { id: siteId, name: `Site ${siteId}`, councilId: council, hubId: 'test-hub' },
        mqtt: { url: proxy.url, keepaliveS: 5 },
        poll: {
          intervalMs: 1_000,
          probeIntervalMs: 4_000,
          imageIntervalMs: 1_000,
          onvifTimeoutMs: 1_500,
          probeTimeoutMs: 6_000,
          probeSampleMs: 1_000,
        },
        outbox: { dir: join(dir, 'outbox'), maxBytes: MAX_BYTES },
        cameras: endpoints.map((e, i) => ({
          id: e.id,
          name: `Camera ${i + 1}`,
          onvif: { url: e.onvifUrl, username: 'admin', password: SiteHarness.password(e.id) },
          commissioning: {
            location: { lat: 50.118, lon: -5.537 + i * 0.001 },
            bearingDeg: 90,
            hfovDeg: 60,
            designDistanceM: 20,
            purpose: 'observe',
          },
        })),
      }),
    );
  }, 180_000);

  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closeAll(
      () => Promise.all(children.map(exited)),
      () => watcher?.stop(),
      () => proxy?.down(),
      () => fleet.stop(),
      () => hub?.kill('SIGKILL'),
      async () => services?.mqttUrl && clearSession(services.mqttUrl, `hub-${siteId}`),
      () => services?.cleanup(),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  const dbUrl = () => services.databaseUrl ?? hub.embeddedDatabaseUrl();
  const drops = (i: number): DropLine[] =>
    logLines(i)
      .filter((l) => String(l.msg).startsWith('outbox full: dropped'))
      .map((l) => ({ msg: String(l.msg), health: Number(l.health), stream: Number(l.stream) }));

  it('delivers everything on disk exactly once after a restart, and its gap messages account for every drop', async () => {
    const first = startAgent();
    await until(
      async () =>
        ((
          await query<{ n: number }>(
            dbUrl(),
            'SELECT count(*)::int AS n FROM health_samples WHERE camera_id = ANY($1)',
            [cams],
          )
        )[0]?.n ?? 0) >= 3,
      60_000,
      'first samples stored',
    );

    await proxy.down();
    await until(
      () => drops(0).reduce((sum, d) => sum + d.health + d.stream, 0) >= 15,
      90_000,
      '15 samples dropped by the full outbox',
      250,
    );
    first.kill('SIGKILL');
    await exited(first);
    const onDisk = readOutbox(siteDir);
    const reported = drops(0).reduce(
      (sum, d) => ({ health: sum.health + d.health, stream: sum.stream + d.stream }),
      { health: 0, stream: 0 },
    );
    expect(logLines(0).filter((l) => String(l.msg).includes('refusing new samples'))).toEqual([]);
    const gapsOnDisk = onDisk.filter((r) => r.k === 'gap');
    expect(gapsOnDisk.length).toBeGreaterThanOrEqual(1);

    await proxy.up();
    const watched = watcher.messages.length;
    const second = startAgent();
    const ids = onDisk.map((r) => r.e.msgId);
    await until(
      async () =>
        ((
          await query<{ n: number }>(
            dbUrl(),
            'SELECT count(*)::int AS n FROM ingested_messages WHERE msg_id = ANY($1)',
            [ids],
          )
        )[0]?.n ?? 0) === ids.length,
      60_000,
      `the ${ids.length} records left on disk`,
    );
    await sleep(2_000);
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
    expect(logLines(1).map((l) => l.msg)).toContain(
      'outbox holds unacknowledged records from before: sending them first, as they were',
    );

    // Every record left on disk is stored exactly once, in its own table.
    const byKind = (kind: DiskRecord['k']) => onDisk.filter((r) => r.k === kind).map((r) => r.e.msgId);
    for (const kind of ['health', 'stream', 'event'] as const) {
      const rows = await query<{ msg_id: string }>(
        dbUrl(),
        `SELECT msg_id FROM ${TABLE[kind]} WHERE msg_id = ANY($1)`,
        [byKind(kind)],
      );
      expect(rows.length, kind).toBe(byKind(kind).length);
    }
    const ledger = await query<{ msg_id: string; kind: string }>(
      dbUrl(),
      'SELECT msg_id, kind FROM ingested_messages WHERE msg_id = ANY($1)',
      [ids],
    );
    expect(ledger.length).toBe(ids.length);
    expect(ledger.filter((r) => r.kind === 'gap').length).toBe(gapsOnDisk.length);

    // What the agent reported dropped is what its gap messages tell the hub.
    const gapMessages = watcher.messages.slice(watched).filter((m) => m.message.kind === 'gap');
    const payloadOf = (id: string) =>
      gapMessages.find((m) => m.message.envelope.msgId === id)?.message.envelope.payload as GapPayload;
    const sum = (ids: Iterable<string>) =>
      [...ids].reduce(
        (total, id) => ({
          health: total.health + payloadOf(id).dropped.health,
          stream: total.stream + payloadOf(id).dropped.stream,
        }),
        { health: 0, stream: 0 },
      );
    const gapIds = new Set(gapMessages.map((m) => m.message.envelope.msgId));
    const diskGapIds = new Set(gapsOnDisk.map((r) => r.e.msgId));
    // The gap records on disk are what the hub is told about them, exactly. The log is a lower bound:
    // the last "outbox full" lines may still be in the logger's buffer when the agent is killed.
    const told = sum([...gapIds].filter((id) => diskGapIds.has(id)));
    const onDiskTells = gapsOnDisk.reduce(
      (total, r) => {
        const payload = r.e.payload as GapPayload;
        return {
          health: total.health + payload.dropped.health,
          stream: total.stream + payload.dropped.stream,
        };
      },
      { health: 0, stream: 0 },
    );
    expect(told).toEqual(onDiskTells);
    expect(told.health).toBeGreaterThanOrEqual(reported.health);
    expect(told.stream).toBeGreaterThanOrEqual(reported.stream);
    // The restarted agent polls while it replays a full outbox, and may drop a sample or two itself:
    // each such gap is a new record, told as well, and accounts for at least the drops it logged.
    const later = sum([...gapIds].filter((id) => !diskGapIds.has(id)));
    const reportedLater = drops(1).reduce(
      (total, d) => ({ health: total.health + d.health, stream: total.stream + d.stream }),
      { health: 0, stream: 0 },
    );
    // It may also refuse a new sample while every queued one is in flight (none can be dropped): the
    // refused samples get their gap record once there is room, logged with their count then.
    const refusedLater = logLines(1)
      .filter((l) => l.msg === 'outbox accepting samples again')
      .reduce((total, l) => total + Number(l.refused), 0);
    expect(later.health).toBeGreaterThanOrEqual(reportedLater.health);
    expect(later.stream).toBeGreaterThanOrEqual(reportedLater.stream);
    expect(later.health + later.stream).toBeGreaterThanOrEqual(
      reportedLater.health + reportedLater.stream + refusedLater,
    );
    if (reportedLater.health + reportedLater.stream + refusedLater === 0)
      expect(later).toEqual({ health: 0, stream: 0 });
    expect(told.health + told.stream).toBeGreaterThanOrEqual(15);

    // The whole site: every health sample the broker carried is stored once, nothing else, and no
    // sample lies inside a range a gap message says was dropped.
    await watcher.stop();
    const carried = new Set(
      watcher.messages.filter((m) => m.message.kind === 'health').map((m) => m.message.envelope.msgId),
    );
    // The agent's last live samples (sent while it stopped) may still be on their way into the hub.
    await until(
      async () =>
        ((
          await query<{ n: number }>(
            dbUrl(),
            'SELECT count(*)::int AS n FROM health_samples WHERE msg_id = ANY($1)',
            [[...carried]],
          )
        )[0]?.n ?? 0) >= carried.size,
      30_000,
      'every carried health sample stored',
    ).catch(() => {});
    const stored = await query<{ msg_id: string; camera_id: string; observed_at: Date }>(
      dbUrl(),
      'SELECT msg_id, camera_id, observed_at FROM health_samples WHERE camera_id = ANY($1)',
      [cams],
    );
    const storedIds = new Set(stored.map((r) => r.msg_id));
    expect([...carried].filter((id) => !storedIds.has(id))).toEqual([]);
    expect([...storedIds].filter((id) => !carried.has(id))).toEqual([]);
    expect(new Set(stored.map((r) => `${r.camera_id}@${r.observed_at.toISOString()}`)).size).toBe(
      stored.length,
    );
    // A gap record counts one kind, and no sample of its camera and kind that was kept lies in its range
    // (a stream probe is observed before health samples queued ahead of it, so a range over both
    // kinds could enclose a kept health sample).
    const storedStreams = await query<{ camera_id: string; observed_at: Date }>(
      dbUrl(),
      'SELECT camera_id, observed_at FROM stream_samples WHERE camera_id = ANY($1)',
      [cams],
    );
    for (const m of gapMessages) {
      const gap = m.message.envelope.payload as GapPayload;
      expect(Math.min(gap.dropped.health, gap.dropped.stream), gap.cameraId).toBe(0);
      const inside = (gap.dropped.health > 0 ? stored : storedStreams).filter(
        (r) =>
          r.camera_id === gap.cameraId &&
          r.observed_at.getTime() >= Date.parse(gap.from) &&
          r.observed_at.getTime() <= Date.parse(gap.to),
      );
      expect(inside, gap.cameraId).toEqual([]);
    }
    const dead = await query<{ n: number }>(
      dbUrl(),
      'SELECT count(*)::int AS n FROM dead_letters WHERE site_id = $1 OR topic LIKE $2',
      [siteId, `%/${siteId}/%`],
    );
    expect(dead[0]?.n).toBe(0);
    console.log(
      `[agent-restart-full-outbox ${services.label}] on disk at kill ${onDisk.length} (health ${byKind('health').length}, stream ${byKind('stream').length}, event ${byKind('event').length}, gap ${gapsOnDisk.length}); reported dropped ${JSON.stringify(reported)}; gap messages ${gapIds.size} telling ${JSON.stringify(told)}; health carried ${carried.size}, stored ${stored.length}`,
    );
  }, 150_000);
});
