import pg from 'pg';
import type { Logger } from 'pino';

const CHANNEL = 'cctv_cluster';
/** Serialises appends so that sequence order is commit order (a reader never skips a late commit). */
const APPEND_LOCK = [0x43_43_54_56, 2] as const;
/** Events read per query while catching up. */
const READ_BATCH = 500;
/** Appends waiting (the database unreachable) before the queue is dropped for a resync event. */
const MAX_PENDING_APPENDS = 10_000;

export interface ClusterEvent {
  seq: number;
  origin: string;
  kind: string;
  body: unknown;
}

export interface ClusterLogOptions {
  pool: pg.Pool;
  /** The listening connection is its own (LISTEN holds a session). */
  databaseUrl: string;
  instanceId: string;
  /** Safety net under LISTEN: how often the log is read even without a notification. */
  pollMs?: number;
  retentionMs: number;
  log: Logger;
  /** Other instances' events, in sequence order. */
  deliver: (events: readonly ClusterEvent[]) => Promise<void>;
  /** Events were missed (cleaned up before they were read, or a resync asked for): reload state. */
  resync: (why: string) => Promise<void>;
}

/**
 * The region's event log: a table in the region's PostgreSQL, appended in commit order and read
 * by every hub process of the region, with NOTIFY to wake the readers. It carries what one process
 * changed that the others hold in memory (committed camera and site states from the ingest leader,
 * registry edits from any instance, alert and compliance changes, ended sessions), so each process
 * applies them to its own state and pushes them to its own sockets in the same order.
 *
 * Why a log table rather than socket.io's PostgreSQL adapter: the other processes need the state
 * itself (their REST answers and socket snapshots come from it), not only the socket packets; and
 * the adapter's delivery is best effort (errors are only logged, and a message large enough to go
 * through its attachment table can overtake a smaller one sent after it). Here every event has a
 * sequence number: a reader that finds one missing reloads its state from the database instead of
 * carrying on with a stale one.
 */
export class ClusterLog {
  private listener: pg.Client | null = null;
  private last = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private paused = true;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly appends: { kind: string; body: string }[] = [];
  private appending: Promise<void> | null = null;
  private stopped = false;
  readonly stats = { appended: 0, delivered: 0, appendFailures: 0, resyncs: 0 };

  constructor(private readonly options: ClusterLogOptions) {}

  /** The last sequence number applied here. */
  get position(): number {
    return this.last;
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /**
   * Starts listening, from the log's current end: state loaded from the database after this call
   * already includes every event before it, and events after it are delivered once resume() is called.
   */
  async start(): Promise<void> {
    await this.listen();
    const end = await this.options.pool.query<{ seq: string | null }>(
      'SELECT max(seq) AS seq FROM cluster_events',
    );
    this.last = Number(end.rows[0]?.seq ?? 0);
    const pollMs = this.options.pollMs ?? 1000;
    this.pollTimer = setInterval(() => this.read(), pollMs);
  }

  /** Delivers events again (after start-up, or after a resync). */
  resume(): void {
    this.paused = false;
    this.read();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      keepAlive: true,
      application_name: 'cctv-hub events',
    });
    const lost = (why: string) => {
      if (this.listener !== client || this.stopped) return;
      this.listener = null;
      this.options.log.warn({ why }, 'cluster event listener lost; reconnecting');
      this.reconnectTimer = setTimeout(() => {
        this.listen()
          .then(() => this.read())
          .catch((error: Error) => lost(error.message));
      }, 1000);
    };
    client.on('error', (error) => lost(error.message));
    client.on('end', () => lost('closed'));
    client.on('notification', () => this.read());
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
  }

  /** Reads and delivers whatever is new; one reader at a time, re-run if woken meanwhile. */
  private read(): void {
    if (this.paused || this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readAll()
      .catch((error: Error) =>
        this.options.log.warn({ err: error.message }, 'could not read the cluster event log; will retry'),
      )
      .finally(() => {
        this.reading = null;
        if (this.again) {
          this.again = false;
          this.read();
        }
      });
  }

  private async readAll(): Promise<void> {
    for (;;) {
      if (this.paused || this.stopped) return;
      const result = await this.options.pool.query<{
        seq: string;
        origin: string;
        kind: string;
        body: unknown;
      }>('SELECT seq, origin, kind, body FROM cluster_events WHERE seq > $1 ORDER BY seq LIMIT $2', [
        this.last,
        READ_BATCH,
      ]);
      if (result.rows.length === 0) return;
      const first = Number(result.rows[0]?.seq);
      // Appends are serialised, so a sequence number is skipped only by a rolled-back append or by
      // the clean-up: either way this instance cannot know what it missed, so it reloads.
      if (first !== this.last + 1 && this.last > 0) {
        this.last = Number(result.rows[result.rows.length - 1]?.seq);
        await this.resyncNow(`events ${this.last + 1} to ${first - 1} were not read`);
        continue;
      }
      const events: ClusterEvent[] = [];
      let resync: string | null = null;
      for (const row of result.rows) {
        this.last = Number(row.seq);
        if (row.kind === 'resync') resync = 'an instance could not record its changes';
        else if (row.origin !== this.options.instanceId)
          events.push({ seq: this.last, origin: row.origin, kind: row.kind, body: row.body });
      }
      if (resync) await this.resyncNow(resync);
      else if (events.length > 0) {
        await this.options.deliver(events);
        this.stats.delivered += events.length;
      }
      if (result.rows.length < READ_BATCH) return;
    }
  }

  private async resyncNow(why: string): Promise<void> {
    this.stats.resyncs++;
    this.options.log.warn({ why }, 'reloading state from the database');
    await this.options.resync(why);
  }

  /**
   * Appends an event for the other instances, in the order of calls. A failed append is retried
   * in order; if too many wait (the database is away for long), they are replaced by one resync.
   */
  append(kind: string, body: unknown): void {
    if (this.stopped) return;
    if (this.appends.length >= MAX_PENDING_APPENDS) {
      this.appends.length = 0;
      this.appends.push({ kind: 'resync', body: '{}' });
    }
    // Serialised now: the caller may change its objects after the call.
    this.appends.push({ kind, body: JSON.stringify(body) });
    this.appending ??= this.drain().finally(() => {
      this.appending = null;
    });
  }

  /** Resolves once every append so far is in the log. */
  async flushed(): Promise<void> {
    while (this.appending) await this.appending;
  }

  private async drain(): Promise<void> {
    while (this.appends.length > 0 && !this.stopped) {
      const next = this.appends[0] as { kind: string; body: string };
      try {
        await this.options.pool.query(
          `WITH l AS (SELECT pg_advisory_xact_lock($1, $2)),
                e AS (INSERT INTO cluster_events (origin, kind, body) SELECT $3, $4, $5::jsonb FROM l RETURNING seq)
           SELECT pg_notify('${CHANNEL}', seq::text) FROM e`,
          [APPEND_LOCK[0], APPEND_LOCK[1], this.options.instanceId, next.kind, next.body],
        );
        this.appends.shift();
        this.stats.appended++;
      } catch (error) {
        this.stats.appendFailures++;
        this.options.log.warn(
          { err: (error as Error).message, kind: next.kind },
          'could not append a cluster event; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Drops events older than the retention (the leader runs this). */
  async cleanUp(): Promise<number> {
    const result = await this.options.pool.query(
      `DELETE FROM cluster_events WHERE at < now() - make_interval(secs => $1::double precision / 1000)`,
      [this.options.retentionMs],
    );
    return result.rowCount ?? 0;
  }

  async stop(): Promise<void> {
    await Promise.race([this.flushed(), new Promise((resolve) => setTimeout(resolve, 2000))]);
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.reading;
    const client = this.listener;
    this.listener = null;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
