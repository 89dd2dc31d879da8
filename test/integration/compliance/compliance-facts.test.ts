import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComplianceChange, ComplianceJob } from '../../../hub-server/src/compliance/compliance-job.ts';
import {
  type CameraFacts,
  ComplianceRepository,
} from '../../../hub-server/src/compliance/compliance-repository.ts';
import { loadPackDir } from '../../../hub-server/src/compliance/pack-store.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { uniqueId } from '../../support/services.ts';
import { inventory, SitePublisher } from '../../support/site-publisher.ts';

// The compliance job's evidence of snapshot faults: only snapshot checks (health samples that
// carry an image check), and per camera only from its latest check with no fault on, since a
// fault's active run cannot reach past it. Every other heartbeat of the lookback stays in the
// database: reading them all held millions of rows in the hub's memory for a large fleet.

const MIN = 60_000;

describe('compliance evidence: recent snapshot checks', () => {
  let h: HubHarness;
  let site: SitePublisher;
  const siteId = uniqueId('facts');
  const [a, b, c] = ['a', 'b', 'c'].map((x) => `${siteId}-${x}`) as [string, string, string];
  const now = Date.now();

  beforeAll(async () => {
    // The hub's own certification job runs once at start, not again while these tests judge with their own.
    h = await startHub({ CCTV_HUB__compliance__evaluateIntervalMs: String(24 * 3_600_000) });
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: [a, b, c] });
    site = new SitePublisher(siteId, h.hub.mqttUrl);
    await site.connect(false);
    await site.publish('inventory', inventory(council, [a, b, c]));
    await eventually('the inventory', async () => (h.hub.fleet.cameras.has(c) ? true : undefined));
    await h.hub.pipeline.idle();
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await h?.stop();
  });

  const check = (blank: boolean, dark = false) => ({
    meanLuma: blank ? 2 : 120,
    lumaStdDev: blank ? 0.5 : 40,
    blank,
    dark,
  });
  const insert = async (camera: string, minutesAgo: number, image: object | null, state = 'up') => {
    const at = new Date(now - minutesAgo * MIN);
    await h.hub.database.pool.query(
      `INSERT INTO health_samples (msg_id, camera_id, observed_at, received_at, state, clock_offset_ms, payload)
       VALUES ($1, $2, $3, $3, $4, NULL, $5)`,
      [randomUUID(), camera, at, state, JSON.stringify({ cameraId: camera, state, reasons: [], image })],
    );
  };
  const minutesAgo = (facts: Awaited<ReturnType<ComplianceRepository['facts']>>, camera: string) =>
    (facts.find((f) => f.id === camera)?.evidence.recentImages ?? [])
      .map((s) => Math.round((now - s.observedAtMs) / MIN))
      .sort((x, y) => y - x);

  it('reads each camera’s checks from its latest clean one, and no heartbeat without a check', async () => {
    // a: clean, a blank run, clean again, then blank for 10 minutes; heartbeats without a check between.
    for (const [ago, image] of [
      [100, check(false)],
      [50, check(true)],
      [40, check(true)],
      [30, check(false)],
      [10, check(true)],
      [5, check(true)],
    ] as const)
      await insert(a, ago, image);
    for (const ago of [45, 25, 8, 2]) await insert(a, ago, null);
    // b: dark throughout the lookback, never clean: every check counts. One is older than the lookback.
    for (const ago of [200, 90, 60]) await insert(b, ago, check(false, true));
    // c: its only checks were taken while it was down, which the image rule does not judge.
    await insert(c, 20, check(true), 'down');

    const facts = await new ComplianceRepository(h.hub.database.pool).facts(now);
    expect(minutesAgo(facts, a)).toEqual([30, 10, 5]);
    expect(minutesAgo(facts, b)).toEqual([90, 60]);
    expect(minutesAgo(facts, c)).toEqual([]);
  });

  it('as of a past time, reads the health, stream, retention and events the camera had then, not later ones', async () => {
    const camera = c;
    const pool = h.hub.database.pool;
    const at = (minutesAgo: number) => new Date(now - minutesAgo * MIN);
    await insert(camera, 70, check(false));
    await insert(camera, 3, check(false), 'degraded');
    const stream = (fps: number, role?: 'sub') => ({
      cameraId: camera,
      uri: 'rtsp://127.0.0.1/x',
      codec: 'h264',
      width: 320,
      height: 240,
      fps,
      bitrateKbps: 300,
      declared: null,
      probeMs: 900,
      ...(role ? { role } : {}),
    });
    for (const [ago, payload] of [
      [65, stream(10)],
      [64, stream(5, 'sub')],
      [4, stream(3)],
    ] as const)
      await pool.query(
        'INSERT INTO stream_samples (msg_id, camera_id, observed_at, received_at, payload) VALUES ($1, $2, $3, $3, $4)',
        [randomUUID(), camera, at(ago), JSON.stringify(payload)],
      );
    for (const [ago, days] of [
      [62, 33],
      [2, 12],
    ] as const)
      await pool.query(
        `INSERT INTO retention_readings (msg_id, camera_id, observed_at, received_at, days_retained, earliest_at, source, payload)
         VALUES ($1, $2, $3, $3, $4, $5, 'camera', '{}')`,
        [randomUUID(), camera, at(ago), days, new Date(at(ago).getTime() - (days + 0.5) * 86_400_000)],
      );
    await pool.query(
      `INSERT INTO camera_events (msg_id, camera_id, observed_at, received_at, type, active, payload)
       VALUES ($1, $2, $3, $3, 'storage_failure', true, '{}')`,
      [randomUUID(), camera, at(1)],
    );
    const repo = new ComplianceRepository(pool);
    const then = (await repo.facts(now - 60 * MIN, [camera], { asOf: true }))[0]?.evidence;
    expect(then?.latestHealth?.observedAtMs).toBe(at(70).getTime());
    expect(then?.latestStream?.payload.fps).toBe(10);
    expect(then?.subStreams?.map((s) => s.payload.fps)).toEqual([5]);
    expect(then?.retention?.days).toBe(33);
    expect(then?.activeEvents).toEqual([]);
    // Live, the same camera is judged on its latest readings.
    const live = (await repo.facts(now, [camera]))[0]?.evidence;
    expect(live?.retention?.days).toBe(12);
    expect(live?.activeEvents?.map((e) => e.type)).toEqual(['storage_failure']);
  });

  it('reads the fleet’s evidence a page of cameras at a time, the same evidence as all at once', async () => {
    const repo = new ComplianceRepository(h.hub.database.pool);
    const whole = await repo.facts(now);
    expect(whole.map((f) => f.id)).toEqual([a, b, c]);
    // Pages of one (a full last page, then an empty read), two (a short last page) and more than all.
    for (const size of [1, 2, 3, 50]) {
      const pages: CameraFacts[][] = [];
      for await (const page of repo.countedFactsPages(now, size)) pages.push(page);
      expect(pages.map((p) => p.length)).toEqual(
        Array.from({ length: Math.ceil(3 / size) }, (_, i) => Math.min(size, 3 - i * size)),
      );
      expect(pages.flat()).toEqual(whole);
    }
    await expect(repo.countedFactsPages(now, 0).next()).rejects.toThrow(/page size/);
  });

  it('reads only the events active now: a cleared one is not evidence', async () => {
    const pool = h.hub.database.pool;
    const event = (ago: number, active: boolean) =>
      pool.query(
        `INSERT INTO camera_events (msg_id, camera_id, observed_at, received_at, type, active, payload)
         VALUES ($1, $2, $3, $3, 'tamper', $4, '{}')`,
        [randomUUID(), a, new Date(now - ago * MIN), active],
      );
    await event(10, true);
    const repo = new ComplianceRepository(pool);
    const types = async () => (await repo.facts(now, [a]))[0]?.evidence.activeEvents?.map((e) => e.type);
    expect(await types()).toEqual(['tamper']);
    await event(6, false);
    expect(await types()).toEqual([]);
  });

  it('records each status with since when it has held, and each day its worst and latest', async () => {
    const pool = h.hub.database.pool;
    const repo = new ComplianceRepository(pool);
    const result = (status: 'pass' | 'warn' | 'fail', atMs: number) => ({
      code: 'test-code',
      version: 1,
      ref: 'test-code@1',
      status,
      counts: { pass: 0, warn: 0, fail: 0, not_evaluable: 0, [status]: 1 },
      evaluatedAtMs: atMs,
      overrides: {},
      results: [
        {
          ruleId: `rule-${status}`,
          kind: 'clock',
          status,
          // Text a JSON or SQL array encoding must carry through intact.
          reason: `it's "quoted", {braced}, back\\slashed and ünïcode`,
          evidence: { values: { offsetS: 1.5 }, thresholds: {} },
        },
      ],
    });
    const day = '2026-03-10';
    const t0 = Date.parse('2026-03-10T08:00:00Z');
    await repo.record(
      [
        { cameraId: a, result: result('pass', t0) },
        { cameraId: b, result: result('fail', t0) },
      ],
      day,
      t0,
    );
    await repo.record(
      [
        { cameraId: a, result: result('pass', t0 + MIN) },
        { cameraId: b, result: result('warn', t0 + MIN) },
      ],
      day,
      t0 + MIN,
    );
    const rows = await repo.statuses([a, b], null);
    const byCamera = new Map(rows.map((r) => [r.cameraId, r]));
    // Unchanged: since the first evaluation; changed: since the evaluation that changed it.
    expect(byCamera.get(a)).toMatchObject({
      status: 'pass',
      statusSince: new Date(t0).toISOString(),
      evaluatedAt: new Date(t0 + MIN).toISOString(),
    });
    expect(byCamera.get(b)).toMatchObject({ status: 'warn', statusSince: new Date(t0 + MIN).toISOString() });
    expect(byCamera.get(b)?.result).toEqual(result('warn', t0 + MIN));
    const failing = await pool.query<{ failing: string[] }>(
      'SELECT failing FROM compliance_status WHERE camera_id = $1',
      [b],
    );
    expect(failing.rows[0]?.failing).toEqual(['rule-warn']);
    // The day keeps its worst status (fail) and its latest (warn), with the latest result whole.
    const history = await repo.history(b, day, day);
    expect(history).toEqual([
      {
        day,
        packRef: 'test-code@1',
        worstStatus: 'fail',
        latestStatus: 'warn',
        latestResult: result('warn', t0 + MIN),
      },
    ]);
    await pool.query('DELETE FROM compliance_daily WHERE day = $1', [day]);
    await pool.query('DELETE FROM compliance_status WHERE camera_id = ANY($1)', [[a, b]]);
  });

  const packs = loadPackDir(fileURLToPath(new URL('../../../config/certification', import.meta.url)));
  const jobWith = (repository: ComplianceRepository, onChange: (changes: ComplianceChange[]) => void) =>
    new ComplianceJob({
      packs,
      defaultCode: 'public-space-baseline',
      intervalMs: 60_000,
      repository,
      countedDurations: async () => new Map(),
      log: pino({ level: 'silent' }),
      now: () => now,
      onChange,
      pageSize: 2,
    });

  it('evaluates every counted camera while holding one page of evidence at a time', async () => {
    const held: number[] = [];
    class Counting extends ComplianceRepository {
      override async *countedFactsPages(nowMs: number, pageSize: number): AsyncGenerator<CameraFacts[]> {
        for await (const page of super.countedFactsPages(nowMs, pageSize)) {
          held.push(page.length);
          yield page;
        }
      }
    }
    const pool = h.hub.database.pool;
    const changes = await jobWith(new Counting(pool), () => undefined).runOnce();
    expect(held).toEqual([2, 1]);
    // A first cycle reports every camera it judged as a change, and records each one's status.
    expect(changes.map((x) => x.cameraId).sort()).toEqual([a, b, c].sort());
    const recorded = await pool.query<{ camera_id: string; evaluated_at: Date }>(
      'SELECT camera_id, evaluated_at FROM compliance_status WHERE camera_id = ANY($1)',
      [[a, b, c]],
    );
    expect(recorded.rows.map((r) => r.camera_id).sort()).toEqual([a, b, c].sort());
    for (const r of recorded.rows) expect(r.evaluated_at.getTime()).toBe(now);
  });

  it('a cycle that fails part-way leaves the cameras it did not record to report as changes next time', async () => {
    let fail = true;
    class Failing extends ComplianceRepository {
      override async *countedFactsPages(nowMs: number, pageSize: number): AsyncGenerator<CameraFacts[]> {
        let pages = 0;
        for await (const page of super.countedFactsPages(nowMs, pageSize)) {
          if (fail && ++pages === 2) throw new Error('the database went away');
          yield page;
        }
      }
    }
    const pushed: ComplianceChange[][] = [];
    const job = jobWith(new Failing(h.hub.database.pool), (changes) => pushed.push(changes));
    await expect(job.runOnce()).rejects.toThrow('the database went away');
    // The first page was judged but not recorded (cycles record 250 cameras at a time): nothing pushed.
    expect(pushed).toEqual([]);
    fail = false;
    const changes = await job.runOnce();
    expect(changes.map((x) => x.cameraId).sort()).toEqual([a, b, c].sort());
    expect(
      pushed
        .flat()
        .map((x) => x.cameraId)
        .sort(),
    ).toEqual([a, b, c].sort());
  });
});
