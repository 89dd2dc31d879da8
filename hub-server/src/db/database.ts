import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { fromRoot } from '../../../src/paths.ts';
import { EmbeddedDatabase } from './embedded-database.ts';

const MIGRATIONS_DIR = fromRoot('hub-server', 'migrations');

// timestamptz as ISO strings would lose the Date type; keep Dates and convert in repositories.
// bigint (int8) counts fit in a JS number for our ranges.
pg.types.setTypeParser(20, (value) => Number(value));

export interface DatabaseOptions {
  /** PostgreSQL with PostGIS; null runs the embedded PGlite child process. */
  url: string | null;
  dataDir: string;
  poolSize: number;
  /** Where the database's own trouble is told: routine (debug) or worth an operator's look (warn). */
  log?: (line: string, level?: 'debug' | 'warn') => void;
  /** The embedded database, when the caller started it already (see main.ts); stopped with this. */
  embedded?: EmbeddedDatabase;
}

/** One pool over either real PostgreSQL or embedded PGlite; same migrations and SQL on both. */
export class Database {
  private embedded: EmbeddedDatabase | null = null;
  private poolInstance: pg.Pool | null = null;
  private failed = false;

  constructor(private readonly options: DatabaseOptions) {}

  get pool(): pg.Pool {
    if (!this.poolInstance) throw new Error('database is not started');
    return this.poolInstance;
  }

  get kind(): 'postgres' | 'pglite' {
    return this.options.url ? 'postgres' : 'pglite';
  }

  /** True once started and while no connection error has been seen since the last good query. */
  get ready(): boolean {
    return this.poolInstance !== null && !this.failed;
  }

  async start(): Promise<void> {
    let url = this.options.url;
    if (!url) {
      // The pool uses one connection (see below); spares allow a reconnect while an old one closes.
      this.embedded =
        this.options.embedded ?? new EmbeddedDatabase({ dataDir: this.options.dataDir, maxConnections: 3 });
      // A failed checkpoint leaves the write-ahead log to grow: say so (successes are routine).
      this.embedded.onCheckpoint((outcome) => {
        if (!outcome.ran && outcome.reason === 'failed')
          this.options.log?.(`embedded database checkpoint failed: ${outcome.error}`, 'warn');
      });
      await this.embedded.start();
      url = this.embedded.url;
    }
    // PGlite is one session behind a socket server that queues protocol messages one at a time; the
    // extended-protocol messages (Parse, Bind, Execute) of two client connections can interleave
    // there outside a transaction, binding one query's parameters to another's statement. One
    // connection serialises them at the client, at no cost: PGlite runs one query at a time anyway.
    const pool = new pg.Pool({ connectionString: url, max: this.options.url ? this.options.poolSize : 1 });
    pool.on('error', (error) => {
      this.failed = true;
      this.options.log?.(`database connection error: ${error.message}`);
    });
    // pg emits 'error' on a client whose connection dies, and the pool listens for it only while
    // the client is idle. A checked-out client (an ingest batch, an audit append) would then emit
    // it with no listener, which ends the process. Its caller learns of the failure anyway, as a
    // rejected query, so the listener only marks the database as failed.
    pool.on('connect', (client) => {
      client.on('error', () => {
        this.failed = true;
      });
    });
    this.poolInstance = pool;
    await this.migrate();
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        direction: 'up',
        migrationsTable: 'schema_migrations',
        checkOrder: true,
        // Processes of a region started together (a host's reboot) take turns: the first migrates,
        // the others wait for its lock and then find nothing left to do. The default ('fail') ended
        // every process but the first with "Another migration is already running".
        advisoryLockMode: 'wait',
        log: (line: string) => this.options.log?.(line),
      });
    } finally {
      client.release();
    }
  }

  /** Checks the connection now; used by readiness. */
  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      this.failed = false;
      return true;
    } catch {
      this.failed = true;
      return false;
    }
  }

  async stop(): Promise<void> {
    const pool = this.poolInstance;
    this.poolInstance = null;
    if (pool) await pool.end();
    if (this.embedded) await this.embedded.stop();
    this.embedded = null;
  }
}
