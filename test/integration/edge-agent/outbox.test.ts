import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { OutboxStats } from '../../../edge-agent/src/outbox/outbox.ts';
import type { GapPayload } from '../../../src/schemas/payloads.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/index.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { LinkProxy } from '../../support/link-proxy.ts';
import { uniqueId } from '../../support/services.ts';
import { SiteHarness } from '../../support/site-harness.ts';
import { type Received, SiteWatcher } from './helpers/harness.ts';

// The edge agent's durable outbox with real parts only: the camera simulator, a real agent (in
// process, and as its own process for kill -9), the hub's broker (aedes, or Mosquitto when MQTT_URL
// is set) and a real hub with its database (PGlite, or PostgreSQL when DATABASE_URL is set). The
// site's link is a TCP relay the test takes down and brings back; broker and hub keep running.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OUTBOX_KINDS = new Set(['health', 'stream', 'event', 'gap']);

let h: HubHarness;

beforeAll(async () => {
  h = await startHub();
}, 180_000);

afterAll(async () => {
  await h?.stop();
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface StoredRow {
  msg_id: string;
  camera_id: string;
  observed_at: Date;
  received_at: Date;
}

async function stored(table: 'health_samples' | 'stream_samples' | 'camera_events', cams: string[]) {
  const result = await h.hub.database.pool.query<StoredRow>(
    `SELECT msg_id, camera_id, observed_at, received_at FROM ${table} WHERE camera_id = ANY($1) ORDER BY observed_at`,
    [cams],
  );
  return result.rows;
}

async function deadLetters(siteId: string): Promise<string[]> {
  const result = await h.hub.database.pool.query<{ code: string; topic: string }>(
    'SELECT code, topic FROM dead_letters WHERE site_id = $1 OR topic LIKE $2',
    [siteId, `%/${siteId}/%`],
  );
  return result.rows.map((r) => `${r.code} ${r.topic}`);
}

/** Each observation is stored once: never under two message ids. */
async function expectNoDuplicateObservations(cams: string[]) {
  const result = await h.hub.database.pool.query<{ rows: number; distinct: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT (camera_id, observed_at))::int AS distinct
       FROM health_samples WHERE camera_id = ANY($1)`,
    [cams],
  );
  expect(result.rows[0]?.rows).toBe(result.rows[0]?.distinct);
}

interface DiskRecord {
  n: number;
  k: string;
  c: string;
  e: { msgId: string; seq: number; observedAt: string };
}

/** What an agent left in its outbox directory: the records after the acknowledgement cursor. */
function readOutbox(dir: string): { acked: number; records: DiskRecord[] } {
  let acked = 0;
  try {
    acked = (JSON.parse(readFileSync(join(dir, 'ack.json'), 'utf8')) as { acked: number }).acked;
  } catch {
    // No cursor yet: nothing was acknowledged.
  }
  const records: DiskRecord[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const record = JSON.parse(line) as DiskRecord;
        if (record.n > acked) records.push(record);
      } catch {
        // A line cut short: not a record.
      }
    }
  }
  return { acked, records };
}

function outboxOf(site: SiteHarness): OutboxStats {
  const stats = site.agent?.stats().publisher?.outbox;
  if (!stats) throw new Error('agent has no outbox stats');
  return stats;
}

const outboxMessages = (watcher: SiteWatcher) =>
  watcher.messages.filter((m) => OUTBOX_KINDS.has(m.message.kind));

describe(`edge agent outbox through a real broker to a real hub`, () => {
  it('keeps observations on disk while the link is down, then delivers each exactly once, in order, with its original observedAt', async () => {
    const siteId = uniqueId('outbox-a');
    const cams = [`${siteId}-1`, `${siteId}-2`];
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    const proxy = LinkProxy.forUrl(h.hub.mqttUrl);
    await proxy.reserve();
    const watcher = new SiteWatcher(h.hub.mqttUrl, siteId);
    await watcher.start();
    const site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: proxy.url,
      cameraIds: cams,
      probeIntervalMs: 4_000,
    });
    try {
      await site.start();
      const agent = site.agent;
      if (!agent) throw new Error('no agent');
      await until(() => outboxOf(site).queued >= 12, 40_000, '12 records queued while the link is down');
      // Nothing got through, and the backlog is on disk.
      expect(outboxMessages(watcher)).toEqual([]);
      const backlog = readOutbox(join(site.outboxDir, siteId)).records;
      expect(backlog.length).toBeGreaterThanOrEqual(12);

      const linkUpAt = new Date();
      await proxy.up();
      await until(
        async () =>
          (await stored('health_samples', cams)).filter((r) => r.observed_at > linkUpAt).length >= 4,
        40_000,
        'live samples after the backlog',
      );
      await agent.stop('graceful');
      const final = outboxOf(site);
      expect(final, JSON.stringify(final)).toMatchObject({
        pending: 0,
        queued: 0,
        inFlight: 0,
        dropped: 0,
        refused: 0,
      });
      const appended = final.appended;
      await until(
        async () => (await stored('health_samples', cams)).length === appended.health,
        20_000,
        `${appended.health} health samples in the database`,
      );

      // Every observation the agent made is stored once: as many rows as appended records.
      const health = await stored('health_samples', cams);
      const streams = await stored('stream_samples', cams);
      const events = await stored('camera_events', cams);
      expect(health).toHaveLength(appended.health);
      expect(streams).toHaveLength(appended.stream);
      expect(events).toHaveLength(appended.event);
      await expectNoDuplicateObservations(cams);
      expect(await deadLetters(siteId)).toEqual([]);

      // With the time it was observed, not the time it was sent: the backlog was observed before the
      // link came up and received after.
      const sent = new Map(outboxMessages(watcher).map((m) => [m.message.envelope.msgId, m]));
      for (const row of [...health, ...streams, ...events])
        expect(row.observed_at.toISOString(), row.msg_id).toBe(
          sent.get(row.msg_id)?.message.envelope.observedAt,
        );
      const fromBacklog = health.filter((r) => backlog.some((b) => b.e.msgId === r.msg_id));
      expect(fromBacklog.length).toBe(backlog.filter((b) => b.k === 'health').length);
      for (const row of fromBacklog) {
        expect(row.observed_at.getTime()).toBeLessThan(linkUpAt.getTime());
        expect(row.received_at.getTime()).toBeGreaterThanOrEqual(linkUpAt.getTime());
      }
      // In the order they were made (seq increases with every message of the site).
      const seqs = outboxMessages(watcher).map((m: Received) => m.message.envelope.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await proxy.up();
      await site.stop();
      await watcher.stop();
      await proxy.down();
    }
  }, 150_000);

  it('loses nothing when the agent is killed (kill -9) with records in its outbox, and delivers each once after a restart', async () => {
    const siteId = uniqueId('outbox-b');
    const cams = [`${siteId}-1`, `${siteId}-2`];
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    const fleet = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
    const dir = mkdtempSync(join(tmpdir(), 'cctv-outbox-kill-'));
    const proxy = LinkProxy.forUrl(h.hub.mqttUrl);
    const children: ChildProcess[] = [];
    const output: string[] = [];
    const startAgent = () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'edge-agent/src/main.ts', '--config', configPath],
        {
          cwd: REPO,
          env: { ...process.env, MQTT_URL: proxy.url },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      children.push(child);
      return child;
    };
    const exited = (child: ChildProcess) =>
      new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
        else child.once('exit', (code) => resolve(code));
      });
    const configPath = join(dir, 'agent.yaml');
    const siteDir = join(dir, 'outbox', siteId);
    try {
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
          site: {
            id: siteId,
            name: `Site ${siteId}`,
            councilId: council,
            hubId: 'test-hub',
          },
          mqtt: { url: proxy.url, keepaliveS: 5 },
          poll: {
            intervalMs: 1_000,
            probeIntervalMs: 4_000,
            imageIntervalMs: 1_000,
            onvifTimeoutMs: 1_500,
            probeTimeoutMs: 6_000,
            probeSampleMs: 1_000,
          },
          outbox: { dir: join(dir, 'outbox') },
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
      const first = startAgent();
      await until(async () => (await stored('health_samples', cams)).length >= 4, 60_000, 'first samples');

      // The link goes; the agent keeps observing into its outbox; then it is killed outright.
      await proxy.down();
      const cutAt = Date.now();
      await until(() => readOutbox(siteDir).records.length >= 16, 40_000, '16 records in the outbox');
      first.kill('SIGKILL');
      await exited(first);
      const killedAt = Date.now();
      const { records: left } = readOutbox(siteDir);
      expect(left.length).toBeGreaterThanOrEqual(16);
      // As if it had died in the middle of a write: half a record at the end of the last segment.
      const last = readdirSync(siteDir)
        .filter((f) => f.endsWith('.jsonl'))
        .sort()
        .at(-1) as string;
      appendFileSync(
        join(siteDir, last),
        `{"n":${(left.at(-1)?.n ?? 0) + 1},"k":"health","c":"${cams[0]}","e":{"v":1,"ms`,
      );

      await proxy.up();
      const second = startAgent();
      const leftIds = left.map((r) => r.e.msgId);
      await until(
        async () => {
          const found = await h.hub.database.pool.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM ingested_messages WHERE msg_id = ANY($1)',
            [leftIds],
          );
          return found.rows[0]?.n === leftIds.length;
        },
        60_000,
        `the ${leftIds.length} records left by the killed agent`,
      );
      second.kill('SIGTERM');
      expect(await exited(second)).toBe(0);

      const log = output.join('');
      expect(log).toContain('outbox: skipped a record cut short by a crash');
      expect(log).toContain('outbox holds unacknowledged records from before');
      // Each record left behind is stored exactly once, with its own observedAt.
      const all = [
        ...(await stored('health_samples', cams)),
        ...(await stored('stream_samples', cams)),
        ...(await stored('camera_events', cams)),
      ];
      for (const record of left) {
        const rows = all.filter((r) => r.msg_id === record.e.msgId);
        expect(rows, record.e.msgId).toHaveLength(1);
        expect(rows[0]?.observed_at.toISOString()).toBe(record.e.observedAt);
      }
      await expectNoDuplicateObservations(cams);
      expect(await deadLetters(siteId)).toEqual([]);
      // Nothing observed while the link was down was lost: a sample about every second per camera.
      for (const camera of cams) {
        const times = (await stored('health_samples', [camera]))
          .map((r) => r.observed_at.getTime())
          .filter((t) => t >= cutAt && t <= killedAt - 1_500);
        expect(times.length, camera).toBeGreaterThanOrEqual(3);
        const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
        expect(Math.max(...gaps), `${camera} largest gap while the link was down`).toBeLessThan(2_600);
      }
      // A graceful stop after a drain leaves nothing behind.
      expect(readOutbox(siteDir).records).toEqual([]);
    } finally {
      for (const child of children)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.all(children.map(exited));
      await proxy.down();
      await fleet.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('drops samples when the bound is reached: the agent counts them and a gap message reaches the hub, accepted', async () => {
    const siteId = uniqueId('outbox-c');
    const cams = [`${siteId}-1`, `${siteId}-2`, `${siteId}-3`];
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: cams });
    const proxy = LinkProxy.forUrl(h.hub.mqttUrl);
    await proxy.reserve();
    const watcher = new SiteWatcher(h.hub.mqttUrl, siteId);
    await watcher.start();
    const site = new SiteHarness({
      siteId,
      councilId: council,
      mqttUrl: proxy.url,
      cameraIds: cams,
      probeIntervalMs: 4_000,
      outboxMaxBytes: 16_384,
    });
    try {
      await site.start();
      await until(() => outboxOf(site).dropped >= 10, 60_000, '10 samples dropped');
      const atDrop = outboxOf(site);
      expect(atDrop.peakBytes).toBeLessThanOrEqual(16_384);
      expect(atDrop.peakBytes).toBeGreaterThan(16_384 * 0.8);
      expect(atDrop.gaps).toBeGreaterThanOrEqual(1);
      const perCamera = Object.entries(atDrop.droppedByCamera);
      expect(perCamera.every(([id]) => cams.includes(id))).toBe(true);
      expect(perCamera.reduce((sum, [, n]) => sum + n, 0)).toBe(atDrop.dropped);

      await proxy.up();
      const gapMessage = await watcher.waitFor((m) => m.message.kind === 'gap', 30_000, 0, 'a gap message');
      const gap = gapMessage.message.envelope.payload as GapPayload;
      expect(cams).toContain(gap.cameraId);
      expect(Date.parse(gap.from)).toBeLessThanOrEqual(Date.parse(gap.to));
      expect(gap.dropped.health + gap.dropped.stream).toBeGreaterThanOrEqual(1);
      expect(watcher.rejected).toEqual([]);
      // The hub accepted it (kept in its dedupe ledger) and did not dead-letter anything of the site.
      await until(
        async () => {
          const found = await h.hub.database.pool.query<{ kind: string }>(
            'SELECT kind FROM ingested_messages WHERE msg_id = $1',
            [gapMessage.message.envelope.msgId],
          );
          return found.rows[0]?.kind === 'gap';
        },
        20_000,
        'the gap message in the hub',
      );
      await h.hub.pipeline.idle();
      expect(await deadLetters(siteId)).toEqual([]);
      // A gap record counts one kind; the hub has no sample of that camera and kind in the range it
      // names: they were dropped.
      expect(Math.min(gap.dropped.health, gap.dropped.stream)).toBe(0);
      const table = gap.dropped.health > 0 ? 'health_samples' : 'stream_samples';
      const inRange = (await stored(table, [gap.cameraId])).filter(
        (r) =>
          r.observed_at.getTime() >= Date.parse(gap.from) && r.observed_at.getTime() <= Date.parse(gap.to),
      );
      expect(inRange).toEqual([]);
      expect(outboxOf(site).dropped).toBeGreaterThanOrEqual(atDrop.dropped);
    } finally {
      await proxy.up();
      await site.stop();
      await watcher.stop();
      await proxy.down();
    }
  }, 150_000);
});
