import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { hashMqttPassword } from '../../hub-server/src/auth/mqtt-password.ts';
import type { PipelineStats } from '../../hub-server/src/ingest/pipeline.ts';
import type { ProcessFigures } from '../../hub-server/src/process-stats.ts';
import { HubProcess } from '../support/hub-process.ts';
import { freePort, TestMosquitto } from '../support/mosquitto.ts';
import { registerSitesAs } from '../support/register-site.ts';
import { fleetSites } from './fleet/naming.ts';
import type { FleetSpec } from './fleet/protocol.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

export type StackMode = 'postgres' | 'embedded';

export interface StackOptions {
  mode: StackMode;
  /** Working directory for this stack (database, broker files); removed by stop(). */
  dir: string;
  /** PostgreSQL server for mode postgres; a fresh database is made on it and dropped by stop(). */
  baseUrl: string;
  /** Sites the broker admits (postgres mode: Mosquitto with the hub's generated password file and ACL). */
  siteIds: string[];
  /** More hub settings (CCTV_HUB__group__key). */
  hubEnv?: Record<string, string>;
  /** Node flags for the hub process (e.g. --cpu-prof --cpu-prof-dir=DIR: a profile is written when it stops). */
  hubNodeArgs?: string[];
}

export const BENCH_USERS = { operator: 'bench-operator', controlroom: 'bench-controlroom' } as const;

/**
 * Broker, database and hub for one benchmark: PostgreSQL (a fresh database) with a private
 * Mosquitto running the configuration the hub generates, or the embedded pair (aedes in the hub,
 * PGlite in its child). The hub is its own process, as in production; users are made with the
 * hub's own command before it starts.
 */
export class BenchStack {
  hub: HubProcess | null = null;
  mosquitto: TestMosquitto | null = null;
  databaseUrl: string | null = null;
  mqttUrl = '';
  mqttPort = 0;
  readonly passwords: Record<string, string> = {};
  /** The hub's own MQTT password on Mosquitto (postgres mode), for a baseline subscriber. */
  hubMqttPassword = '';
  readonly userPassword = `bench-${randomBytes(12).toString('hex')}`;
  private dropDatabase: () => Promise<void> = async () => {};

  constructor(private readonly options: StackOptions) {}

  /** Broker (and database) only: a baseline can use them before the hub starts. */
  async startServices(): Promise<void> {
    const { dir, mode } = this.options;
    mkdirSync(dir, { recursive: true });
    if (mode === 'postgres') {
      const name = `cctv_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: this.options.baseUrl });
      await admin.connect().catch((error: Error) => {
        throw new Error(
          `PostgreSQL is not reachable at DATABASE_URL (${error.message}); set DATABASE_URL or run --mode embedded`,
        );
      });
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(this.options.baseUrl);
      url.pathname = `/${name}`;
      this.databaseUrl = url.toString();
      this.dropDatabase = async () => {
        const c = new pg.Client({ connectionString: this.options.baseUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      };
      const hubUser = { username: 'cctv-hub', password: randomBytes(16).toString('hex') };
      this.mosquitto = new TestMosquitto(join(dir, 'mosquitto'), hubUser);
      mkdirSync(join(dir, 'mosquitto'), { recursive: true });
      const users = [];
      for (const siteId of this.options.siteIds) {
        const password = randomBytes(16).toString('hex');
        this.passwords[siteId] = password;
        users.push({ siteId, passwordHash: await hashMqttPassword(password) });
      }
      await this.mosquitto.start(users);
      this.mqttUrl = this.mosquitto.url;
      writeFileSync(join(dir, 'hub-mqtt-password'), hubUser.password, { mode: 0o600 });
      this.hubMqttPassword = hubUser.password;
    } else {
      this.mqttPort = await freePort();
      this.mqttUrl = `mqtt://127.0.0.1:${this.mqttPort}`;
    }
  }

  private hubEnv(): Record<string, string> {
    const { dir } = this.options;
    const env: Record<string, string> = {
      CCTV_HUB__mqtt__clientId: `hub-bench-${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
      // GET /metrics, for the hub's own garbage-collection time (hubGcSeconds).
      CCTV_METRICS_TOKEN: BENCH_METRICS_TOKEN,
      ...this.options.hubEnv,
    };
    if (this.options.mode === 'postgres') {
      env.DATABASE_URL = this.databaseUrl as string;
      env.MQTT_URL = this.mqttUrl;
      env.CCTV_HUB__mqtt__username = 'cctv-hub';
      env.CCTV_HUB__mqtt__passwordFile = join(dir, 'hub-mqtt-password');
    } else {
      env.CCTV_HUB__database__dataDir = join(dir, 'pglite');
      env.MQTT_PORT = String(this.mqttPort);
    }
    return env;
  }

  /** Makes the bench users with `npm run user` (before the hub starts: PGlite serves one process), then starts the hub. */
  async startHub(): Promise<void> {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      CCTV_AUTH_SECRET: 'bench-secret-not-for-production',
      CCTV_NEW_PASSWORD: this.userPassword,
      ...this.hubEnv(),
    };
    for (const [role, name] of Object.entries(BENCH_USERS)) {
      await run(
        process.execPath,
        ['--import', 'tsx', 'hub-server/src/auth/user-command.ts', 'add', name, '--role', role],
        { cwd: REPO, env },
      ).catch((error: Error & { stderr?: string }) => {
        throw new Error(`could not make bench user ${name}: ${error.stderr ?? error.message}`);
      });
    }
    const entry = benchHubEntry();
    if (entry === 'bundle') buildStartBundle();
    this.hub = new HubProcess(
      { ...this.hubEnv(), CCTV_AUTH_SECRET: 'bench-secret-not-for-production' },
      this.options.hubNodeArgs ?? [],
      entry,
    );
    await this.hub.start(240_000);
  }

  async login(user: string): Promise<string> {
    const response = await fetch(`${this.hubUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user, password: this.userPassword }),
    });
    if (!response.ok) throw new Error(`bench login ${user}: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { token: string }).token;
  }

  /**
   * Registers the fleet's sites (with their hub, councils and cameras) through the registry API as
   * the bench operator, as an operator does before a site's agent is installed: the hub admits
   * nothing from an unregistered site.
   */
  async registerFleet(
    spec: Pick<FleetSpec, 'prefix' | 'sites' | 'camerasPerSite' | 'councils'>,
  ): Promise<void> {
    await registerSitesAs(this.hubUrl, await this.login(BENCH_USERS.operator), fleetSites(spec));
  }

  get hubUrl(): string {
    if (!this.hub) throw new Error('hub not started');
    return this.hub.url;
  }

  /** The database the hub writes (the embedded one's own port while the hub runs). */
  get dbUrl(): string {
    if (this.databaseUrl) return this.databaseUrl;
    if (!this.hub) throw new Error('hub not started');
    return this.hub.embeddedDatabaseUrl();
  }

  /** When the hub died during a run (a crash, or out of memory): how it ended and its last log lines. */
  hubDeath(): string | null {
    const ended = this.hub?.ended;
    return ended
      ? `the hub process ended during the run (${ended}); its last output:\n${this.hub?.tail(4000)}`
      : null;
  }

  async stop(): Promise<void> {
    const death = this.hubDeath();
    if (death) process.stdout.write(`${death}\n`);
    await this.hub?.stop().catch(() => this.hub?.kill('SIGKILL'));
    await this.mosquitto?.stop();
    await this.dropDatabase().catch(() => {});
    rmSync(this.options.dir, { recursive: true, force: true });
  }
}

/**
 * A stack for a benchmark fleet of `sites` sites, whose ids start with a fresh prefix
 * (`<kind><4 hex>-s<n>`) so one run's fleet never meets another's, in a directory of its own.
 */
export function fleetStack(
  kind: string,
  options: { mode: StackMode; baseUrl: string; sites: number; hubEnv?: Record<string, string> },
): { stack: BenchStack; prefix: string } {
  const prefix = `${kind}${randomBytes(2).toString('hex')}`;
  const stack = new BenchStack({
    mode: options.mode,
    dir: join(tmpdir(), `cctv-bench-${prefix}`),
    baseUrl: options.baseUrl,
    siteIds: Array.from({ length: options.sites }, (_, i) => `${prefix}-s${i}`),
    // Comparing settings in one checkout: BENCH_HUB_ENV="CCTV_HUB__ingest__writers=1".
    hubEnv: { ...benchHubEnv(), ...options.hubEnv },
    // Profiling a run: BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench-results/profiles".
    hubNodeArgs: process.env.BENCH_HUB_NODE_ARGS?.split(/\s+/).filter(Boolean),
  });
  return { stack, prefix };
}

/**
 * What the bench runs as the hub: the start bundle `npm start` runs (the default: what is deployed),
 * or, with BENCH_HUB_ENTRY=source, the TypeScript source through tsx as the tests run it. Through tsx
 * the hub also holds the loader's own thread and every module's compiled source and source map.
 */
export function benchHubEntry(): 'bundle' | 'source' {
  const entry = process.env.BENCH_HUB_ENTRY ?? 'bundle';
  if (entry !== 'bundle' && entry !== 'source')
    throw new Error(`BENCH_HUB_ENTRY: bundle or source, got ${entry}`);
  return entry;
}

let bundleBuilt = false;

/** Builds the start bundle (and the dashboard) as `npm start` does, once per bench process. */
export function buildStartBundle(): void {
  if (bundleBuilt) return;
  const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('scripts/build.mjs failed');
  bundleBuilt = true;
}

/** Hub settings from BENCH_HUB_ENV: space-separated KEY=VALUE pairs. */
function benchHubEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of process.env.BENCH_HUB_ENV?.split(/\s+/).filter(Boolean) ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_HUB_ENV: expected KEY=VALUE, got ${pair}`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/** CPU seconds (user + system, the process and its waited-for children) and resident memory of a process. */
/** The hub's live delivery counters (LiveHub.deliveryStats). */
export interface LiveDeliveryStats {
  alertPushes: number;
  alertResyncs: number;
  alertSocketsClosed: number;
  slowSocketsClosed: number;
}

/** What GET /api/ingest/stats answers: ingest counters, live delivery, the hub process's figures. */
export type HubStats = PipelineStats & { live: LiveDeliveryStats | null; process: ProcessFigures };

export async function hubStats(stack: BenchStack, token: string): Promise<HubStats> {
  const response = await fetch(`${stack.hubUrl}/api/ingest/stats`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`ingest stats: ${response.status}`);
  return (await response.json()) as HubStats;
}

const BENCH_METRICS_TOKEN = 'bench-metrics-token-not-for-production';

/**
 * Seconds the hub's process has spent in garbage collection since it started (all kinds), from its
 * own /metrics (prom-client's nodejs_gc_duration_seconds); two reads give a window's GC time.
 */
export async function hubGcSeconds(stack: BenchStack): Promise<number> {
  const response = await fetch(`${stack.hubUrl}/metrics`, {
    headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
  });
  if (!response.ok) throw new Error(`metrics: ${response.status}`);
  let seconds = 0;
  for (const line of (await response.text()).split('\n'))
    if (line.startsWith('nodejs_gc_duration_seconds_sum')) seconds += Number(line.split(' ').pop());
  return seconds;
}

export function processUsage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14) ... rss(21).
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  const rssPages = Number(fields[21]);
  return { cpuS: ticks / 100, rssMb: (rssPages * 4096) / 2 ** 20 };
}

/** CPU ticks (1/100 s) of the machine and of each party of a run, read at one moment. */
export interface CpuSample {
  atMs: number;
  /** All cores, busy (not idle, not waiting for I/O). */
  machine: number;
  /** Each named process with its descendants (the hub's embedded database is its child). */
  named: Record<string, number>;
  /** Every process named postgres (the server's backends) and mosquitto. */
  postgres: number;
  mosquitto: number;
}

/** Where the machine's CPU went between two samples, in cores. */
export type CpuShare = Record<string, number>;

/** Every process on the machine: its command, parent and CPU ticks (user + system). */
export function processTable(): Map<number, { comm: string; ppid: number; ticks: number }> {
  const procs = new Map<number, { comm: string; ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), { comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process ended while the list was read.
    }
  }
  return procs;
}

export function cpuSample(pids: Record<string, number | readonly number[] | null | undefined>): CpuSample {
  const fields =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  // user nice system idle iowait irq softirq steal ...
  const machine = fields.reduce((a, b, i) => (i === 3 || i === 4 ? a : a + b), 0);
  const procs = processTable();
  const treeTicks = (root: number): number => {
    let total = 0;
    for (const [pid, p] of procs) {
      let at: number | undefined = pid;
      for (let depth = 0; at !== undefined && at > 1 && depth < 16; depth++) {
        if (at === root) {
          total += p.ticks;
          break;
        }
        at = procs.get(at)?.ppid;
      }
    }
    return total;
  };
  const byComm = (name: string) =>
    [...procs.values()].filter((p) => p.comm === name).reduce((a, p) => a + p.ticks, 0);
  const named: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const roots = typeof pid === 'number' ? [pid] : (pid ?? []);
    if (roots.length > 0) named[name] = roots.reduce((a, root) => a + treeTicks(root), 0);
  }
  return {
    atMs: performance.now(),
    machine,
    named,
    postgres: byComm('postgres'),
    mosquitto: byComm('mosquitto'),
  };
}

export function cpuShare(a: CpuSample, b: CpuSample): CpuShare {
  const s = (b.atMs - a.atMs) / 1000;
  const cores = (x: number, y: number) => Math.round(((y - x) / 100 / s) * 100) / 100;
  const share: CpuShare = { machine: cores(a.machine, b.machine) };
  for (const name of Object.keys(b.named)) share[name] = cores(a.named[name] ?? 0, b.named[name] ?? 0);
  share.postgres = cores(a.postgres, b.postgres);
  share.mosquitto = cores(a.mosquitto, b.mosquitto);
  return share;
}

export const formatCpuShare = (share: CpuShare) =>
  Object.entries(share)
    .filter(([name, cores]) => name === 'machine' || cores >= 0.01)
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ');
