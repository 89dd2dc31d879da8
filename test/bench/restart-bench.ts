import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HubProcess } from '../support/hub-process.ts';
import { freePort } from '../support/mosquitto.ts';
import { buildStartBundle } from './stack.ts';

export interface RestartBenchOptions {
  baseUrl: string;
  mqttUrl: string;
  rounds: number;
}

export interface RestartFigures {
  /** What was started: the hub on PostgreSQL, on its embedded pair, or a standby of a region. */
  kind: string;
  /** Spawn to the first 200 from /healthz, each round after a kill -9 of the previous process. */
  readyMs: number[];
  medianMs: number;
}

export interface RestartBenchResult {
  /** The floor on this machine: a bare Node process answering HTTP, spawn to first answer. */
  bareNodeMs: number;
  runs: RestartFigures[];
  targetMs: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** A Node process that only answers HTTP: what a restart cannot beat here. */
async function bareNode(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [
    '-e',
    `require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1')`,
  ]);
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

async function timedStart(hub: HubProcess): Promise<number> {
  const started = performance.now();
  await hub.start(120_000, 20);
  return performance.now() - started;
}

/**
 * How soon a hub process serves again after a kill -9 (the target: within 3 s). Each kind is
 * started once to create its database, then killed and started again `rounds` times; the time is
 * from spawning `node build/hub.mjs` (what `npm start` runs once its build is current) to the first
 * 200 from /healthz (broker and database ready, REST and sockets listening).
 */
export async function runRestartBench(
  options: RestartBenchOptions,
  out: (line: string) => void,
): Promise<RestartBenchResult> {
  // What npm start runs: the start bundle (built now if its sources changed).
  buildStartBundle();
  const floor: number[] = [];
  for (let i = 0; i < 3; i++) floor.push(await bareNode());
  const runs: RestartFigures[] = [];
  const admin = new pg.Client({ connectionString: options.baseUrl });
  await admin.connect();
  const name = `cctv_bench_restart_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(options.baseUrl);
  url.pathname = `/${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'cctv-bench-restart-'));
  const hubs: HubProcess[] = [];
  try {
    const kinds: { kind: string; env: Record<string, string>; leader?: Record<string, string> }[] = [
      {
        kind: 'single, PostgreSQL',
        env: {
          DATABASE_URL: url.toString(),
          MQTT_URL: options.mqttUrl,
          CCTV_HUB__mqtt__clientId: 'bench-r1',
        },
      },
      {
        kind: 'single, embedded pair',
        env: { CCTV_HUB__database__dataDir: join(dir, 'pglite'), MQTT_PORT: String(await freePort()) },
      },
      {
        kind: 'cluster standby, PostgreSQL',
        env: {
          DATABASE_URL: url.toString(),
          MQTT_URL: options.mqttUrl,
          CCTV_CLUSTER: 'true',
          CCTV_HUB__mqtt__clientId: 'bench-r2',
          CCTV_HUB__cluster__instanceId: 'standby',
        },
        leader: {
          DATABASE_URL: url.toString(),
          MQTT_URL: options.mqttUrl,
          CCTV_CLUSTER: 'true',
          CCTV_HUB__mqtt__clientId: 'bench-r2',
          CCTV_HUB__cluster__instanceId: 'leader',
        },
      },
    ];
    for (const k of kinds) {
      if (k.leader) {
        const leader = new HubProcess(k.leader, [], 'bundle');
        hubs.push(leader);
        await leader.start();
      }
      const hub = new HubProcess(k.env, [], 'bundle');
      hubs.push(hub);
      await hub.start(); // creates the database (not timed)
      const readyMs: number[] = [];
      for (let i = 0; i < options.rounds; i++) {
        await hub.kill('SIGKILL');
        readyMs.push(await timedStart(hub));
      }
      await hub.kill('SIGKILL');
      const figures = { kind: k.kind, readyMs, medianMs: median(readyMs) };
      out(`${k.kind}: ready after ${readyMs.map((x) => Math.round(x)).join(', ')} ms`);
      runs.push(figures);
      for (const h of hubs) await h.kill('SIGKILL').catch(() => null);
      hubs.length = 0;
    }
  } finally {
    for (const h of hubs) await h.kill('SIGKILL').catch(() => null);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  return { bareNodeMs: median(floor), runs, targetMs: 3000 };
}
