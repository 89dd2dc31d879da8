import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './mosquitto.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Healthz {
  status: number;
  body: { status: string; checks?: Record<string, boolean>; role?: string; instance?: string };
}

/**
 * The hub as its own process (`node --import tsx hub-server/src/main.ts`), so a test can kill it
 * outright (SIGKILL) and start it again on the same ports, client id and database. It runs in its own
 * process group: after a kill the test waits for the whole group (the embedded database's child too)
 * to be gone before starting again, as a supervisor restarting it would.
 */
export class HubProcess {
  private child: ChildProcess | null = null;
  readonly output: string[] = [];
  port = 0;

  constructor(
    private readonly env: Record<string, string>,
    /** More node flags, e.g. --cpu-prof for a benchmark's profile. */
    private readonly nodeArgs: string[] = [],
    /** The TypeScript source through tsx (tests), or the start bundle `npm start` runs (build it first). */
    private readonly entry: 'source' | 'bundle' = 'source',
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(timeoutMs = 120_000, pollMs = 200): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    // The V8 flags npm start gives the hub (its young and old generations, from HUB_YOUNG_MB and
    // HUB_HEAP_MB: see docs/configuration.md).
    const args = [
      `--max-semi-space-size=${process.env.HUB_YOUNG_MB ?? 32}`,
      `--max-old-space-size=${process.env.HUB_HEAP_MB ?? 320}`,
      ...this.nodeArgs,
      ...(this.entry === 'bundle' ? ['build/hub.mjs'] : ['--import', 'tsx', 'hub-server/src/main.ts']),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DEMO: '0',
        PORT: String(this.port),
        LOG_LEVEL: 'info',
        CCTV_AUTH_SECRET: 'test-secret-not-for-production',
        CCTV_HUB__mqtt__siteAuth: 'off',
        CCTV_HUB__ingest__flushIntervalMs: '20',
        CCTV_HUB__http__rateLimitPerMinute: '1000000',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (process.env.TEST_HUB_OUTPUT) process.stdout.write(chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`hub exited during start (${child.exitCode ?? child.signalCode}):\n${this.tail()}`);
      if ((await this.healthz().catch(() => null))?.status === 200) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    throw new Error(`hub not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** How the hub process ended ("code 1", "signal SIGABRT"), or null while it runs (or was never started). */
  get ended(): string | null {
    const child = this.child;
    if (!child) return null;
    if (child.exitCode !== null) return `code ${child.exitCode}`;
    return child.signalCode !== null ? `signal ${child.signalCode}` : null;
  }

  tail(chars = 3000): string {
    return this.output.join('').slice(-chars);
  }

  async healthz(): Promise<Healthz> {
    // A fresh connection each time: a kept-alive one can be closed by the server just as it is
    // reused (Node's keep-alive timeout), which is not what these tests look at.
    const response = await fetch(`${this.url}/healthz`, {
      signal: AbortSignal.timeout(5_000),
      headers: { connection: 'close' },
    });
    return { status: response.status, body: (await response.json()) as Healthz['body'] };
  }

  /** Sends the signal to the hub process only (SIGKILL: no drain, no clean disconnect). */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 30_000): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    const pgid = child.pid as number;
    const exited = new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
    child.kill(signal);
    const code = await exited;
    this.child = null;
    // The embedded database's process notices its parent is gone and closes; wait for it.
    const deadline = Date.now() + timeoutMs;
    while (groupAlive(pgid)) {
      if (Date.now() > deadline) {
        process.kill(-pgid, 'SIGKILL');
        throw new Error(`processes of the hub's group ${pgid} still running ${timeoutMs} ms after it ended`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return code;
  }

  /** Graceful stop (SIGTERM drains ingest); returns the exit code. */
  async stop(): Promise<number | null> {
    return this.kill('SIGTERM');
  }

  /**
   * The embedded database's own connection: the test reads the hub's data there while it runs, as
   * an operator on the hub's account would with psql. The database listens only on a Unix socket
   * in a private directory, found from the listening sockets of the hub's process group.
   */
  embeddedDatabaseUrl(): string {
    const pgid = this.child?.pid;
    if (!pgid) throw new Error('hub not running');
    const pids = new Set(
      execFileSync('ps', ['-o', 'pid=', '--sid', String(pgid)], { encoding: 'utf8' })
        .split('\n')
        .map((s) => s.trim())
        .filter((s) => s),
    );
    const lines = execFileSync('ss', ['-lxpH'], { encoding: 'utf8' }).split('\n');
    for (const line of lines) {
      const pid = /pid=(\d+)/.exec(line)?.[1];
      if (!pid || !pids.has(pid)) continue;
      const socket = /(\/\S+)\/\.s\.PGSQL\.5432\b/.exec(line);
      if (socket?.[1]) return `postgres://postgres@/postgres?host=${encodeURIComponent(socket[1])}`;
    }
    throw new Error("embedded database socket not found among the hub process group's listening sockets");
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
