import pg from 'pg';
import type { Logger } from 'pino';

/** Advisory lock keys of the hub's leases: a class for the hub, one object per lease. */
const LEASE_CLASS = 0x43_43_54_56; // "CCTV"
export const INGEST_LEASE = 1;

export interface LeaderLeaseOptions {
  /** The region's PostgreSQL (the lease lives in its lock table, held by one connection). */
  databaseUrl: string;
  lease: number;
  retryMs: number;
  checkMs: number;
  log: Logger;
  /** Runs once the lease is held; the instance is the leader from then on. */
  onAcquired: () => Promise<void>;
  /** The lease is gone (its connection failed): the leader must stop acting as one at once. */
  onLost: (why: string) => void;
}

/**
 * A lease held as a PostgreSQL session advisory lock on a connection of its own. PostgreSQL frees
 * the lock the moment that session ends: a leader killed outright closes its socket, the server
 * sees it and ends the session, and the next standby to ask (every retryMs) takes over. No clocks
 * are compared and nothing is voted on: the database's lock table is the only judge.
 *
 * The leader checks its lock connection every checkMs; if the check fails (the database restarted,
 * the network between them broke), it can no longer know the lock is still its own and reports the
 * lease lost. TCP keep-alive on the connection makes the server notice a leader that vanished
 * without closing its socket.
 */
export class LeaderLease {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private holding = false;
  private stopped = false;
  private checking = false;

  constructor(private readonly options: LeaderLeaseOptions) {}

  get held(): boolean {
    return this.holding;
  }

  /** Starts asking for the lease; resolves after the first attempt (held or not). */
  async start(): Promise<void> {
    await this.attempt();
  }

  private schedule(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void fn(), ms);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.databaseUrl,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
      application_name: 'cctv-hub lease',
    });
    client.on('error', (error) => this.failed(client, `lease connection failed: ${error.message}`));
    client.on('end', () => this.failed(client, 'lease connection closed'));
    await client.connect();
    return client;
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.holding) return;
    try {
      this.client ??= await this.connect();
      const result = await this.client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [
        LEASE_CLASS,
        this.options.lease,
      ]);
      if (result.rows[0]?.got) {
        this.holding = true;
        this.options.log.info({ lease: this.options.lease }, 'lease acquired: this instance leads');
        await this.options.onAcquired();
        this.schedule(this.options.checkMs, () => this.check());
        return;
      }
    } catch (error) {
      if (this.holding) {
        this.lose(`could not take up the lead: ${(error as Error).message}`);
        return;
      }
      this.options.log.warn({ err: (error as Error).message }, 'could not ask for the lease; retrying');
      const client = this.client;
      this.client = null;
      await client?.end().catch(() => undefined);
    }
    this.schedule(this.options.retryMs, () => this.attempt());
  }

  private async check(): Promise<void> {
    const client = this.client;
    if (this.stopped || !this.holding || !client || this.checking) return;
    this.checking = true;
    let timer: NodeJS.Timeout | null = null;
    try {
      await Promise.race([
        client.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.options.checkMs * 3} ms`)),
            this.options.checkMs * 3,
          );
        }),
      ]);
      this.schedule(this.options.checkMs, () => this.check());
    } catch (error) {
      this.lose(`lease check failed: ${(error as Error).message}`);
    } finally {
      if (timer) clearTimeout(timer);
      this.checking = false;
    }
  }

  private failed(client: pg.Client, why: string): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    if (this.holding) this.lose(why);
  }

  private lose(why: string): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.options.log.error({ lease: this.options.lease, why }, 'lease lost');
    this.options.onLost(why);
  }

  /** Gives the lease up (a clean shutdown lets a standby take over without waiting). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    this.holding = false;
    if (!client) return;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
