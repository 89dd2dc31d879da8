import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_SCRIPT = fileURLToPath(new URL('./pglite-server.ts', import.meta.url));

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  maxConnections: number;
  startTimeoutMs?: number;
}

/** Runs PGlite + PostGIS in a child process and exposes a `postgres://` URL for `pg`. */
export class EmbeddedDatabase {
  private child: ChildProcess | null = null;
  private port = 0;

  constructor(private readonly options: EmbeddedDatabaseOptions) {}

  get url(): string {
    if (!this.child) throw new Error('embedded database is not running');
    // PGlite accepts any user and password; there is one database, `postgres`.
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const child = fork(SERVER_SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    const timeoutMs = this.options.startTimeoutMs ?? 120_000;
    this.port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`embedded database did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('message', (message: { ready?: boolean; port?: number; error?: string }) => {
        clearTimeout(timer);
        if (message.ready && message.port) resolvePort(message.port);
        else reject(new Error(`embedded database failed to start: ${message.error ?? 'unknown error'}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`embedded database exited during start (code ${code}, signal ${signal})`));
      });
      child.send({ dataDir: resolve(this.options.dataDir), maxConnections: this.options.maxConnections });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        done();
      });
      child.send({ stop: true });
    });
  }
}
