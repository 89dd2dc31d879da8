import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './mosquitto.ts';

/** Debian's PostgreSQL 15 server binaries; PG_BIN names another directory. */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the test's own (initdb into a temporary directory, trust authentication, a
 * free port on 127.0.0.1), so a test can stop and start it without touching any shared server. The
 * machine's PostGIS packages are available to it. PostgreSQL refuses to run as root: then the
 * server runs as the `postgres` user (runuser) in a directory it owns.
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'cctv-private-pg-'));
  port = 0;
  private readonly asRoot = process.getuid?.() === 0;

  /** Why a private server cannot run here, or null when it can. */
  static unavailable(): string | null {
    if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl')))
      return `PostgreSQL server binaries not found in ${PG_BIN} (apt-get install -y postgresql-15 postgresql-15-postgis-3, or set PG_BIN)`;
    if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser'))
      return 'running as root and runuser is missing: PostgreSQL will not run as root';
    return null;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(binary: string, args: string[]): string {
    const command = join(PG_BIN, binary);
    const [file, argv] = this.asRoot
      ? ['/usr/sbin/runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, args];
    return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async start(): Promise<void> {
    if (this.asRoot) {
      const pw = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
      const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
      chownSync(this.dir, Number(pw), Number(gid));
    }
    this.port = await freePort();
    this.run('initdb', ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    this.startServer();
  }

  private startServer(): void {
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`,
      'start',
    ]);
  }

  /** Fast shutdown: open connections are closed, as when a database server is taken down. */
  stop(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  /** Starts the stopped server again on the same port and data. */
  restart(): void {
    this.startServer();
  }

  log(): string {
    try {
      return execFileSync('tail', ['-n', '40', join(this.dir, 'server.log')], { encoding: 'utf8' });
    } catch {
      return '';
    }
  }

  destroy(): void {
    try {
      this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
