import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../../edge-agent/src/agent.ts';
import { resolveSecrets } from '../../../edge-agent/src/config.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import type { SiteView } from '../../../src/schemas/api.ts';
import { buildTopic } from '../../../src/topics.ts';
import { closeAll } from '../../support/cleanup.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';

// A starved agent must not charge healthy cameras with downtime (DESIGN "Evidence"). The agent runs
// in this process and its event loop is really stalled (a busy loop, as a CPU-bound neighbour or a
// starved host does to it); the simulated cameras run in a process of their own and stay healthy
// throughout, and the hub stores what the agent reports. Real broker and database: the embedded pair
// by default, PostgreSQL and Mosquitto when DATABASE_URL and MQTT_URL are set.

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ONVIF_TIMEOUT_MS = 1_500;
const PROBE_TIMEOUT_MS = 4_000;
/** Longer than every deadline of the agent, so a check in flight when a stall begins runs out of time. */
const STALL_MS = 4_500;

interface SimEndpoints {
  controlUrl: string;
  cameras: { id: string; onvifUrl: string; username: string; password: string }[];
}

/** The camera simulator as its own process, so stalling this process leaves the cameras healthy. */
async function startSimulator(
  prefix: string,
  count: number,
): Promise<{ child: ChildProcess; sim: SimEndpoints }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/simulators/camera/cli.ts',
      '--count',
      String(count),
      '--id-prefix',
      prefix,
      '--control-port',
      '0',
      '--password',
      'Sim-pw-81x',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const sim = await new Promise<SimEndpoints>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${err}`)), 60_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const parsed = JSON.parse(out) as SimEndpoints;
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // Not all of the JSON has arrived yet.
      }
    });
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${err}`)));
  });
  return { child, sim };
}

/** A real event-loop stall: nothing in this process runs (timers, sockets) until it ends. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Spin, as a CPU-bound task sharing the agent's thread would.
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stalls the agent over and over, letting only a turn or two of its event loop run in between: timers
 * fire and checks begin, then the next stall outlasts their deadlines.
 */
async function starve(stalls: number): Promise<void> {
  for (let i = 0; i < stalls; i++) {
    busyFor(STALL_MS);
    await turn();
    await turn();
  }
}

describe('monitor impairment: a starved agent records no down for healthy cameras', () => {
  let h: HubHarness;
  let simChild: ChildProcess | undefined;
  let sim: SimEndpoints;
  let agent: EdgeAgent | undefined;
  const outboxDir = mkdtempSync(join(tmpdir(), 'cctv-outbox-'));
  const siteId = uniqueId('starved');
  const council = uniqueId('council');
  const cams: string[] = [];

  const query = async <T>(text: string, values: unknown[]): Promise<T[]> =>
    (await h.hub.database.pool.query(text, values)).rows as T[];
  const states = async () =>
    new Map(
      (
        await query<{ id: string; state: string }>('SELECT id, state FROM cameras WHERE id = ANY($1)', [cams])
      ).map((r) => [r.id, r.state]),
    );
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify([...(await states())])}`);
  };
  const fault = async (cameraId: string, kind: string) => {
    const r = await fetch(`${sim.controlUrl}/cameras/${cameraId}/faults/${kind}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(200);
  };
  const site = async (): Promise<SiteView> => {
    const token = await h.login('ops');
    const r = await fetch(`${h.hub.url}/api/sites`, { headers: { authorization: `Bearer ${token}` } });
    const found = ((await r.json()) as SiteView[]).find((s) => s.id === siteId);
    if (!found) throw new Error(`site ${siteId} not listed`);
    return found;
  };
  const downSamples = (ids: string[], sinceMs: number) =>
    query<{ camera_id: string; payload: { reasons: { message: string }[] } }>(
      `SELECT camera_id, payload FROM health_samples WHERE camera_id = ANY($1) AND state = 'down' AND observed_at >= $2`,
      [ids, new Date(sinceMs)],
    );
  const downIntervals = (ids: string[]) =>
    query<{ camera_id: string }>(
      `SELECT camera_id FROM camera_state_intervals WHERE camera_id = ANY($1) AND state = 'down'`,
      [ids],
    );

  beforeAll(async () => {
    h = await startHub();
    await h.createUser('ops', 'operator');
    const started = await startSimulator(`${siteId}-c`, 3);
    simChild = started.child;
    sim = started.sim;
    cams.push(...sim.cameras.map((c) => c.id));
    await h.registerSite(siteId, council, { cameraIds: cams });
    const defaults = defaultsOf(AgentConfig) as AgentConfig;
    const config: AgentConfig = {
      ...defaults,
      site: { id: siteId, name: `Site ${siteId}`, councilId: council, hubId: 'test-hub' },
      mqtt: { ...defaults.mqtt, url: h.hub.mqttUrl, keepaliveS: 60 },
      outbox: { dir: outboxDir, maxBytes: defaults.outbox.maxBytes },
      poll: {
        ...defaults.poll,
        intervalMs: 1_000,
        probeIntervalMs: 3_000,
        imageIntervalMs: 60_000,
        onvifTimeoutMs: ONVIF_TIMEOUT_MS,
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        probeSampleMs: 1_000,
      },
      cameras: sim.cameras.map((c, i) => ({
        id: c.id,
        name: `Camera ${i + 1}`,
        onvif: { url: c.onvifUrl, username: c.username, password: c.password },
        commissioning: {
          location: { lat: 50.118 + i * 0.0005, lon: -5.537 },
          bearingDeg: 90,
          hfovDeg: 60,
          designDistanceM: 20,
          purpose: 'observe',
        },
      })),
    };
    agent = new EdgeAgent({
      config,
      secrets: await resolveSecrets(config, {}),
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'error' }),
      media: resolveMediaBinaries(),
      clockCheck: async () => ({
        synchronized: true,
        source: 'chrony',
        offsetMs: 0,
        maxErrorMs: 1,
        checkedAt: new Date().toISOString(),
      }),
    });
    await agent.start();
    // Healthy to begin with: every camera up, its stream probed.
    await until(
      'every camera up',
      async () => [...(await states()).values()].every((s) => s === 'up'),
      60_000,
    );
    await sleep(4_000);
  }, 180_000);

  afterAll(async () => {
    await closeAll(
      () => agent?.stop('graceful'),
      async () => {
        simChild?.kill('SIGTERM');
      },
      async () => {
        // A shared broker (CI's Mosquitto) keeps no retained state of this test site.
        const client = await mqtt.connectAsync(h.hub.mqttUrl, {
          clientId: `cleanup-${siteId}`,
          protocolVersion: 4,
        });
        for (const kind of ['siteState', 'inventory'] as const)
          await client.publishAsync(buildTopic(kind, { siteId }), '', { qos: 1, retain: true });
        await client.endAsync();
      },
      () => h?.stop(),
    );
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('healthy cameras are unknown (monitor_impaired), never down, while the agent is starved', async () => {
    const fromMs = Date.now();
    await starve(6);
    // Let what the agent judged during the stalls reach the hub.
    await sleep(1_500);
    const stats = agent?.stats();
    const inconclusive = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM health_samples WHERE camera_id = ANY($1) AND state = 'unknown'
         AND payload->'reasons'->0->>'code' = 'monitor_impaired' AND observed_at >= $2`,
      [cams, new Date(fromMs)],
    );
    const down = await downSamples(cams, fromMs);
    console.log(
      `[monitor-impairment ${h.services.label}] 6 stalls of ${STALL_MS} ms: ${stats?.inconclusive} checks inconclusive at the agent, ${inconclusive[0]?.n} unknown (monitor_impaired) samples stored, ${down.length} down samples`,
    );
    // None of the checks the stalls cut short was charged to a camera...
    expect(down.map((d) => `${d.camera_id}: ${d.payload.reasons[0]?.message}`)).toEqual([]);
    // ...and the stalls did hit checks in flight (otherwise this test would prove nothing).
    expect(stats?.inconclusive ?? 0).toBeGreaterThan(0);
    expect(inconclusive[0]?.n ?? 0).toBeGreaterThan(0);
    expect(await downIntervals(cams)).toEqual([]);
    const videoLoss = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM camera_events WHERE camera_id = ANY($1) AND type = 'video_loss' AND active`,
      [cams],
    );
    expect(videoLoss[0]?.n).toBe(0);
    // The site shows the agent impaired, then recovered; the cameras are up again.
    const impaired = await site();
    expect(impaired.monitor?.impaired).toBe(true);
    expect(impaired.monitor?.detail).toMatch(/event loop was stalled/);
    await until('the agent recovered', async () => (await site()).monitor?.impaired === false, 30_000);
    expect((await site()).monitor?.inconclusiveChecks).toBeGreaterThan(0);
    await until(
      'every camera up again',
      async () => [...(await states()).values()].every((s) => s === 'up'),
      30_000,
    );
  }, 120_000);

  it('a dead camera under the same starvation is still down once the agent recovers', async () => {
    const [hung, refused, healthy] = cams as [string, string, string];
    const fromMs = Date.now();
    await fault(hung, 'hang');
    await fault(refused, 'unreachable');
    await starve(4);
    // Once the agent recovers, a timeout is the camera's again, and a refused connection always was.
    await until(
      'the dead cameras down',
      async () => {
        const s = await states();
        return s.get(hung) === 'down' && s.get(refused) === 'down';
      },
      60_000,
    );
    const reasons = await query<{ id: string; reasons: { code: string }[] }>(
      'SELECT id, reasons FROM cameras WHERE id = ANY($1)',
      [[hung, refused]],
    );
    const codes = new Map(reasons.map((r) => [r.id, r.reasons.map((x) => x.code)]));
    expect(codes.get(hung)).toContain('timeout');
    expect(codes.get(refused)).toContain('unreachable');
    // The healthy camera was never charged, through both rounds of starvation.
    expect(await downSamples([healthy], fromMs - 120_000)).toEqual([]);
    expect(await downIntervals([healthy])).toEqual([]);
    expect((await states()).get(healthy)).toBe('up');
  }, 150_000);
});
