import { type ChildProcess, fork } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromRoot } from '../../../src/paths.ts';
import type { CheckpointOutcome } from './idle-checkpoint.ts';

const SERVER_SCRIPT = fromRoot('hub-server', 'src', 'db', 'pglite-server.ts');
// libpq and pg look for a server's Unix socket at <directory>/.s.PGSQL.<port>; 5432 is pg's default.
const SOCKET_NAME = '.s.PGSQL.5432';
// sun_path holds 108 bytes on Linux and 104 on macOS, the terminating NUL included.
const MAX_SOCKET_PATH_BYTES = 103;

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  maxConnections: number;
  startTimeoutMs?: number;
  /**
   * How often the child checkpoints (default a minute): PostgreSQL in one process has no
   * checkpointer, and without checkpoints its write-ahead log only grows (idle-checkpoint.ts).
   */
  checkpointEveryMs?: number;
  /**
   * The child's script: by default its TypeScript source, run through tsx; the start bundle names
   * its own build (build/pglite-server.mjs), which plain Node runs without a loader.
   */
  server?: { script: string; execArgv: string[] };
}

/**
 * Runs PGlite + PostGIS in a child process and gives `pg` a connection string for it.
 *
 * Nothing but the hub process may reach it: PGlite takes any user name and password as superuser,
 * so whoever can connect can read password hashes, add an operator and rewrite the audit log. It
 * therefore listens on no TCP port, only on a Unix socket inside a directory made afresh at each
 * start by mkdtemp, which is mode 0700 and owned by the hub's user: the kernel refuses every other
 * local account (root aside) before a byte reaches the database, and there is no secret to keep
 * out of URLs, logs or process listings. Rejected alternatives: a per-start password checked by
 * us (pglite-socket does no authentication, so we would parse startup messages ourselves and still
 * leave a TCP port open to probing), and an in-process connection (PGlite runs a query on its
 * caller's thread, and it must stay off the hub's event loop).
 */
/** Checkpoints of the embedded database since this start. */
export interface CheckpointStats {
  ran: number;
  failed: number;
  lastMs: number | null;
  lastError: string | null;
}

const CHECKPOINT_EVERY_MS = 60_000;

export class EmbeddedDatabase {
  readonly checkpoints: CheckpointStats = { ran: 0, failed: 0, lastMs: null, lastError: null };
  private child: ChildProcess | null = null;
  private checkpointListener: ((outcome: CheckpointOutcome) => void) | null = null;
  private socketDir: string | null = null;
  private starting: Promise<void> | null = null;

  constructor(private readonly options: EmbeddedDatabaseOptions) {}

  get url(): string {
    if (!this.child || !this.socketDir) throw new Error('embedded database is not running');
    // `host` naming a directory makes pg connect to the Unix socket in it; there is one database.
    return `postgres://postgres@/postgres?host=${encodeURIComponent(this.socketDir)}`;
  }

  /**
   * Starts the child once: a second call (the hub's, after its entry point started the database
   * early to overlap the hub's own loading) waits for the same start.
   */
  start(): Promise<void> {
    this.starting ??= this.startChild();
    return this.starting;
  }

  private async startChild(): Promise<void> {
    const dataDir = resolve(this.options.dataDir);
    makePrivateDirectory(dataDir);
    const socketDir = mkdtempSync(join(tmpdir(), 'cctv-db-'));
    this.socketDir = socketDir;
    const socketPath = join(socketDir, SOCKET_NAME);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
      this.removeSocketDir();
      throw new Error(
        `embedded database socket path ${socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes: set TMPDIR to a shorter directory`,
      );
    }
    const server = this.options.server ?? { script: SERVER_SCRIPT, execArgv: ['--import', 'tsx'] };
    const child = fork(server.script, [], {
      execArgv: server.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    const timeoutMs = this.options.startTimeoutMs ?? 120_000;
    try {
      await new Promise<void>((ready, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`embedded database did not start within ${timeoutMs} ms`));
        }, timeoutMs);
        child.once('message', (message: { ready?: boolean; error?: string }) => {
          clearTimeout(timer);
          if (message.ready) {
            child.on('message', (later: { checkpoint?: CheckpointOutcome }) => {
              if (later.checkpoint) this.noteCheckpoint(later.checkpoint);
            });
            ready();
          } else reject(new Error(`embedded database failed to start: ${message.error ?? 'unknown error'}`));
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`embedded database exited during start (code ${code}, signal ${signal})`));
        });
        child.send({
          dataDir,
          socketPath,
          maxConnections: this.options.maxConnections,
          checkpointEveryMs: this.options.checkpointEveryMs ?? CHECKPOINT_EVERY_MS,
        });
      });
    } catch (error) {
      this.child = null;
      this.removeSocketDir();
      throw error;
    }
  }

  private noteCheckpoint(outcome: CheckpointOutcome): void {
    if (outcome.ran) {
      this.checkpoints.ran++;
      this.checkpoints.lastMs = outcome.ms;
    } else if (outcome.reason === 'failed') {
      this.checkpoints.failed++;
      this.checkpoints.lastError = outcome.error;
    }
    this.checkpointListener?.(outcome);
  }

  /** Tells `listener` of each checkpoint the child runs or fails to run (one listener). */
  onCheckpoint(listener: (outcome: CheckpointOutcome) => void): void {
    this.checkpointListener = listener;
  }

  async stop(): Promise<void> {
    // A start under way is let finish (or fail) first: the child listens for stop once it serves.
    await this.starting?.catch(() => undefined);
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.send({ stop: true });
      });
    }
    this.removeSocketDir();
  }

  private removeSocketDir(): void {
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
    this.socketDir = null;
  }
}

/**
 * The database files hold password hashes and the audit log: only the hub's user may enter their
 * directory. A directory made by an older hub (or under a umask of 022) is tightened; parents
 * created here are private too, but an existing parent is left alone, as it may be shared.
 */
function makePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
