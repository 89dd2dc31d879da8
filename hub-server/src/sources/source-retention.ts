import type pg from 'pg';
import type { Logger } from 'pino';

export interface SourceRetentionOptions {
  pool: pg.Pool;
  /** Days a source's fixes (track and footprints) and stream checks are kept (sources.trackRetentionDays). */
  days: number;
  log: Logger;
  now: () => number;
  /** How often old rows are looked for (default hourly). */
  intervalMs?: number;
  /** Rows deleted per statement: a large backlog goes in short transactions, not one long one. */
  chunk?: number;
}

/**
 * Deletes mobile sources' stored fixes and stream checks older than the retention period. A source's
 * track is the movement of a police officer or aircraft: personal and operational data kept for a
 * stated time, then gone. Runs on one process of a region (the one that runs the cluster jobs).
 */
export class SourceRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly options: SourceRetentionOptions) {}

  start(): void {
    if (this.timer) return;
    const run = () => {
      this.running ??= this.runOnce()
        .catch((error: Error) =>
          this.options.log.warn({ err: error.message }, 'could not delete old mobile source tracks'),
        )
        .finally(() => {
          this.running = null;
        });
    };
    this.timer = setInterval(run, this.options.intervalMs ?? 3_600_000);
    this.timer.unref();
    run();
  }

  /** Deletes what is older than the period; returns the rows deleted per table. */
  async runOnce(): Promise<{ positions: number; streamChecks: number; before: string }> {
    const before = new Date(this.options.now() - this.options.days * 86_400_000);
    const chunk = this.options.chunk ?? 5000;
    const deleteOld = async (sql: string): Promise<number> => {
      let total = 0;
      for (;;) {
        const r = await this.options.pool.query(sql, [before, chunk]);
        total += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < chunk) return total;
      }
    };
    const positions = await deleteOld(
      `DELETE FROM source_positions WHERE id IN (
         SELECT id FROM source_positions WHERE observed_at < $1 ORDER BY observed_at LIMIT $2)`,
    );
    const streamChecks = await deleteOld(
      `DELETE FROM source_stream_checks WHERE id IN (
         SELECT c.id FROM mobile_sources s
           CROSS JOIN LATERAL (SELECT id FROM source_stream_checks q
             WHERE q.source_id = s.id AND q.checked_at < $1 LIMIT $2) c
         LIMIT $2)`,
    );
    if (positions + streamChecks > 0)
      this.options.log.info(
        { positions, streamChecks, before: before.toISOString(), days: this.options.days },
        'deleted mobile source tracks and stream checks past their retention period',
      );
    return { positions, streamChecks, before: before.toISOString() };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
