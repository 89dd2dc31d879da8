import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, startTogether } from '../../support/cleanup.ts';
import { HubProcess } from '../../support/hub-process.ts';
import { freePort, type TestMosquitto } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { privateMosquitto, sleep, until } from '../reliability/helpers/fixtures.ts';
import {
  addUser,
  clusterEnv,
  login,
  regionDatabase,
  regionUnavailable,
  snapshotReceived,
} from './helpers/region.ts';

// The shipped HAProxy configuration (config/haproxy.example.cfg, as it is) in front of two hub
// processes of a region: round robin with no sticky session reaches both, a token issued by one is
// good at the other, the dashboard's live socket connects through it over WebSocket, and when the
// leading process is killed the balancer's health check takes it out and every request still answers.

const HAPROXY = '/usr/sbin/haproxy';
const CONFIG = fileURLToPath(new URL('../../../config/haproxy.example.cfg', import.meta.url));
const unavailable = !existsSync(HAPROXY)
  ? `${HAPROXY} is missing (apt-get install -y haproxy)`
  : regionUnavailable();

describe.skipIf(unavailable !== null)('cluster: behind the shipped HAProxy configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cctv-lb-'));
  let database: Awaited<ReturnType<typeof regionDatabase>> | null = null;
  let databaseUrl = '';
  let mosquitto: TestMosquitto;
  let a: HubProcess;
  let b: HubProcess;
  let haproxy: ChildProcess | null = null;
  const haproxyOutput: string[] = [];
  let lb = '';
  let socket: Socket | null = null;

  const get = async (path: string, token?: string) => {
    const r = await fetch(`${lb}${path}`, {
      headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: AbortSignal.timeout(5000),
    });
    await r.arrayBuffer();
    return { status: r.status, instance: r.headers.get('x-cctv-instance') };
  };

  beforeAll(async () => {
    database = await regionDatabase();
    databaseUrl = database.url;
    const broker = await privateMosquitto(join(dir, 'mosquitto'), [uniqueId('lb')], false);
    mosquitto = broker.mosquitto;
    const env = (instance: string) => ({
      ...clusterEnv(broker.hubEnv, databaseUrl, 'hub-lb', instance),
      CCTV_HUB__http__trustProxy: '["127.0.0.1"]',
    });
    a = new HubProcess(env('lb-a'));
    b = new HubProcess(env('lb-b'));
    // Side by side: the test finds out which one leads (the migrations take a lock).
    await startTogether(a.start(), b.start());
    await addUser(databaseUrl, 'room', 'controlroom', 'Balanced-pw-42');
    const port = await freePort();
    lb = `http://127.0.0.1:${port}`;
    haproxy = spawn(HAPROXY, ['-db', '-f', CONFIG], {
      env: {
        PATH: process.env.PATH ?? '',
        HUB_LB_BIND: `127.0.0.1:${port}`,
        HUB_A: `127.0.0.1:${a.port}`,
        HUB_B: `127.0.0.1:${b.port}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    haproxy.stdout?.on('data', (d: Buffer) => haproxyOutput.push(d.toString()));
    haproxy.stderr?.on('data', (d: Buffer) => haproxyOutput.push(d.toString()));
    // Both servers up in the balancer's eyes (health checks every second, two to rise).
    await until(
      async () => {
        const seen = new Set<string | null>();
        for (let i = 0; i < 6; i++) seen.add((await get('/healthz')).instance);
        return seen.has('lb-a') && seen.has('lb-b');
      },
      20_000,
      'HAProxy to send requests to both processes',
    );
  }, 180_000);

  afterAll(async () => {
    await closeAll(
      async () => {
        socket?.close();
      },
      async () => {
        haproxy?.kill('SIGTERM');
      },
      () => a?.kill('SIGKILL'),
      () => b?.kill('SIGKILL'),
      () => mosquitto?.stop(),
      async () => database?.cleanup(),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves from both processes without sticky sessions, and keeps answering when the leader is killed', async () => {
    const signedIn = await login(lb, 'room', 'Balanced-pw-42');
    expect(signedIn.status).toBe(200);
    const token = signedIn.body.token as string;
    // The same token at both processes, round robin.
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await get('/api/cameras', token));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    expect(new Set(answers.map((x) => x.instance))).toEqual(new Set(['lb-a', 'lb-b']));
    // The dashboard itself, through the balancer.
    expect((await get('/')).status).toBe(200);

    // The dashboard's live socket, as it connects (WebSocket first), through the balancer.
    socket = io(lb, { auth: { token }, transports: ['websocket', 'polling'], tryAllTransports: true });
    await snapshotReceived(socket);
    expect(socket.io.engine.transport.name).toBe('websocket');

    // Kill the leader; after the balancer's checks notice (2 x 1 s), every request answers 200.
    const leader = (await a.healthz()).body.role === 'leader' ? a : b;
    const survivor = leader === a ? b : a;
    await leader.kill('SIGKILL');
    await until(
      async () => (await survivor.healthz()).body.role === 'leader',
      15_000,
      'the survivor to lead',
    );
    await sleep(3_000);
    const after = [];
    for (let i = 0; i < 20; i++) after.push(await get('/api/cameras', token));
    expect(after.map((x) => x.status)).toEqual(Array(20).fill(200));
    expect(new Set(after.map((x) => x.instance))).toEqual(
      new Set([(await survivor.healthz()).body.instance]),
    );
    expect(haproxyOutput.join('')).toMatch(/hub-[ab] is DOWN/);
  }, 120_000);
});

if (unavailable) console.warn(`*** load balancer test SKIPPED: ${unavailable} ***`);
