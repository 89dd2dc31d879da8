// Measures whether the monitor charges cameras with its own trouble: runs the hub with its demo fleet
// (simulated cameras with faults that come and go) against a scratch PostgreSQL database, optionally with
// CPU hogs beside it, records every fault the simulator holds (polled from its control API), and at the end
// compares the down time the hub recorded with the faults injected. Down time outside every fault window of
// the camera (plus a grace for the next poll after a fault clears) is a false down.
//
//   npx tsx scripts/measure-false-downs.ts --minutes 8 --hogs 4 [--warmup 3] [--database postgres://...] [--keep]
//
// The scratch database is dropped at the end unless --keep (to look at the intervals yourself).
//
// It needs a PostgreSQL it may create a database in (default postgres://postgres@127.0.0.1:5432/postgres)
// and free ports 18090 (HTTP) and 18830 (MQTT).
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    hogs: { type: 'string', default: '4' },
    database: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    port: { type: 'string', default: '18090' },
    'mqtt-port': { type: 'string', default: '18830' },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const warmupMin = Number(values.warmup);
const hogCount = Number(values.hogs);
const POLL_MS = 15_000; // the demo agents' poll interval (demo.pollIntervalMs default)
// After a fault clears, the next poll may be a whole interval away, and a hung request takes its timeout.
const GRACE_MS = 2 * POLL_MS + 10_000;

interface Window {
  kind: string;
  fromMs: number;
  toMs: number | null;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: values.database });
  await admin.connect();
  const dbName = `cctv_false_downs_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(values.database as string);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const children: ChildProcess[] = [];
  const stopAll = () => {
    for (const c of children) c.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const port = values.port as string;
  const hub = spawn(process.execPath, ['--import', 'tsx', 'hub-server/src/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: port,
      MQTT_PORT: values['mqtt-port'],
      LOG_LEVEL: 'info',
      DEMO: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(hub);
  let controlUrl: string | null = null;
  let pending = '';
  hub.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('demo fleet running')) continue;
      try {
        controlUrl = (JSON.parse(line) as { controlUrl?: string }).controlUrl ?? null;
      } catch {
        /* not JSON */
      }
    }
  });
  const startWait = Date.now();
  while (controlUrl === null) {
    if (Date.now() - startWait > 300_000) throw new Error('demo fleet did not start within 5 min');
    if (hub.exitCode !== null) throw new Error(`hub exited (${hub.exitCode})`);
    await sleep(1000);
  }
  console.log(`demo running; control API ${controlUrl}; warming up ${warmupMin} min`);
  // Faults are followed from the warm-up on, so one that cleared just before the measurement still
  // covers the camera's recovery (the next poll after it).
  const warmupFromMs = Date.now();
  let fromMs = Number.POSITIVE_INFINITY;
  const windows = new Map<string, Window[]>();
  const load: number[] = [];
  while (Date.now() - Math.min(fromMs, Date.now()) < minutes * 60_000) {
    if (fromMs === Number.POSITIVE_INFINITY && Date.now() - warmupFromMs >= warmupMin * 60_000) {
      for (let i = 0; i < hogCount; i++)
        children.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
      fromMs = Date.now();
      console.log(`measuring ${minutes} min with ${hogCount} CPU hogs`);
    }
    const atMs = Date.now();
    const res = await fetch(`${controlUrl}/cameras`);
    const body = (await res.json()) as { data: { id: string; faults: { kind: string }[] }[] };
    for (const cam of body.data) {
      const list = windows.get(cam.id) ?? [];
      const open = list.filter((w) => w.toMs === null);
      const kinds = new Set(cam.faults.map((f) => f.kind));
      for (const w of open) if (!kinds.has(w.kind)) w.toMs = atMs;
      for (const kind of kinds)
        if (!open.some((w) => w.kind === kind)) list.push({ kind, fromMs: atMs, toMs: null });
      windows.set(cam.id, list);
    }
    if (fromMs !== Number.POSITIVE_INFINITY) load.push((await import('node:os')).loadavg()[0] ?? 0);
    await sleep(2000);
  }
  const toMs = Date.now();
  for (const list of windows.values()) for (const w of list) w.toMs ??= toMs;
  for (const c of children.slice(1)) c.kill('SIGKILL');
  // Let the hub commit what it holds before reading.
  await sleep(5000);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const rows = await db.query<{
    camera_id: string;
    state: string;
    from_ms: string;
    to_ms: string;
    reason: string;
  }>(
    `SELECT camera_id, state, left(reasons->0->>'message', 120) AS reason, extract(epoch FROM greatest(started_at, $1)) * 1000 AS from_ms,
            extract(epoch FROM least(coalesce(ended_at, $2), $2)) * 1000 AS to_ms
     FROM camera_state_intervals
     WHERE started_at < $2 AND coalesce(ended_at, $2) > $1`,
    [new Date(fromMs), new Date(toMs)],
  );
  const cameraCount = Number(
    (await db.query<{ n: string }>('SELECT count(*) AS n FROM cameras WHERE active')).rows[0]?.n ?? 0,
  );
  await db.end();
  hub.kill('SIGTERM');
  // Faults injected in the measured window (those of the warm-up only serve as cover).
  const faults = [...windows.values()].flat().filter((w) => (w.toMs ?? toMs) > fromMs);
  let downInFault = 0;
  let downFalse = 0;
  let unknownMs = 0;
  const falseCameras = new Set<string>();
  const falseDetail: unknown[] = [];
  for (const r of rows.rows) {
    const a = Number(r.from_ms);
    const b = Number(r.to_ms);
    if (r.state === 'unknown') unknownMs += b - a;
    if (r.state !== 'down') continue;
    // The part of this down interval covered by a fault window (with grace) of the same camera.
    const cover = (windows.get(r.camera_id) ?? [])
      .map((w) => [w.fromMs, (w.toMs ?? toMs) + GRACE_MS] as const)
      .sort((x, y) => x[0] - y[0]);
    let covered = 0;
    let cursor = a;
    for (const [wa, wb] of cover) {
      const s = Math.max(cursor, wa);
      const e = Math.min(b, wb);
      if (e > s) {
        covered += e - s;
        cursor = e;
      }
    }
    downInFault += covered;
    if (b - a - covered > 1000) {
      falseCameras.add(r.camera_id);
      falseDetail.push({
        cameraId: r.camera_id,
        down: [new Date(a).toISOString(), new Date(b).toISOString()],
        uncoveredS: Math.round((b - a - covered) / 1000),
        reason: r.reason,
        faults: (windows.get(r.camera_id) ?? []).map((w) => ({
          kind: w.kind,
          from: new Date(w.fromMs).toISOString(),
          to: new Date(w.toMs ?? toMs).toISOString(),
        })),
      });
    }
    downFalse += b - a - covered;
  }
  const min = (ms: number) => (ms / 60_000).toFixed(1);
  const byKind = new Map<string, number>();
  for (const f of faults) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  const faultMs = faults.reduce(
    (n, f) => n + (Math.min(toMs, f.toMs ?? toMs) - Math.max(fromMs, f.fromMs)),
    0,
  );
  load.sort((x, y) => x - y);
  console.log(
    JSON.stringify(
      {
        measuredMinutes: Number(min(toMs - fromMs)),
        hogs: hogCount,
        load1Median: load[Math.floor(load.length / 2)],
        cameras: cameraCount,
        faultsInjected: faults.length,
        faultsByKind: Object.fromEntries(byKind),
        faultCameraMinutes: Number(min(faultMs)),
        downCameraMinutesWithinFaults: Number(min(downInFault)),
        downCameraMinutesOutsideFaults: Number(min(downFalse)),
        camerasDownOutsideFaults: [...falseCameras].sort(),
        measuredFrom: new Date(fromMs).toISOString(),
        measuredTo: new Date(toMs).toISOString(),
        downOutsideFaults: falseDetail,
        unknownCameraMinutes: Number(min(unknownMs)),
      },
      null,
      2,
    ),
  );
  stopAll();
  if (!values.keep) {
    // The hub must be gone before its database can be dropped.
    if (hub.exitCode === null && hub.signalCode === null)
      await new Promise((r) => hub.once('exit', r).once('error', r));
    const cleanup = new pg.Client({ connectionString: values.database });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await cleanup.end();
  } else console.log(`database kept: ${databaseUrl}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
