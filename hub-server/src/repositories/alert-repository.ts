import type pg from 'pg';
import type {
  Alert,
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertRecord,
} from '../../../src/schemas/alert-api.ts';
import type { Scope } from './fleet-repository.ts';

export interface AlertRow {
  uid: string;
  alert_id: string;
  kind: Alert['kind'];
  severity: Alert['severity'];
  site_id: string;
  council_id: string;
  camera_ids: string[];
  message: string;
  opened_at: Date;
  cleared_at: Date | null;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  ack_comment: string | null;
  open_notice: 'pending' | 'sent' | 'suppressed';
  clear_notice: 'none' | 'pending' | 'sent';
}

export const ALERT_COLUMNS =
  'uid::text AS uid, alert_id, kind, severity, site_id, council_id, camera_ids, message, opened_at, cleared_at, acknowledged_by, acknowledged_at, ack_comment, open_notice, clear_notice';

export function alertFromRow(row: AlertRow): AlertRecord {
  return {
    uid: row.uid,
    id: row.alert_id,
    kind: row.kind,
    severity: row.severity,
    siteId: row.site_id,
    councilId: row.council_id,
    cameraIds: row.camera_ids,
    message: row.message,
    openedAt: row.opened_at.toISOString(),
    clearedAt: row.cleared_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    ackComment: row.ack_comment,
  };
}

/**
 * The alert history: every alert the engine opens, changes or clears is written here, in order, so
 * that acknowledged and resolved alerts can be listed, acknowledgements survive a restart, and the
 * notifier knows what it has told. The engine stays the live source; this is its record.
 */
export class AlertRepository {
  /** Writes run one after another, in the order the engine produced them. */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly pool: pg.Pool) {}

  /** Queues the engine's changes for writing; `onError` hears of a write that failed (logged by the hub). */
  record(changes: readonly Alert[], onError: (error: Error) => void): Promise<void> {
    if (changes.length === 0) return this.chain;
    const copy = changes.map((a) => ({ ...a }));
    this.chain = this.chain.then(
      () => this.write(copy).catch(onError),
      () => this.write(copy).catch(onError),
    );
    return this.chain;
  }

  /** Resolves once every queued write has been tried. */
  flushed(): Promise<void> {
    return this.chain;
  }

  private async write(changes: readonly Alert[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const a of changes) {
        if (a.clearedAt) {
          // An opening nobody was told of is not told at all; an opening that was told is followed
          // by its resolution.
          await client.query(
            `UPDATE alert_records SET cleared_at = $2, message = $3,
                    clear_notice = CASE WHEN open_notice = 'sent' THEN 'pending' ELSE 'none' END,
                    open_notice = CASE WHEN open_notice = 'pending' THEN 'suppressed' ELSE open_notice END
              WHERE alert_id = $1 AND cleared_at IS NULL`,
            [a.id, a.clearedAt, a.message],
          );
          continue;
        }
        await client.query(
          `INSERT INTO alert_records (alert_id, kind, severity, site_id, council_id, camera_ids, message,
                                      opened_at, acknowledged_by, acknowledged_at, ack_comment)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (alert_id) WHERE cleared_at IS NULL DO UPDATE
             SET message = EXCLUDED.message, camera_ids = EXCLUDED.camera_ids,
                 acknowledged_by = EXCLUDED.acknowledged_by, acknowledged_at = EXCLUDED.acknowledged_at,
                 ack_comment = EXCLUDED.ack_comment`,
          [
            a.id,
            a.kind,
            a.severity,
            a.siteId,
            a.councilId,
            a.cameraIds,
            a.message,
            a.openedAt,
            a.acknowledgedBy,
            a.acknowledgedAt,
            a.ackComment,
          ],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Alerts open when the hub last stopped, for the engine to carry on with. */
  async open(): Promise<Alert[]> {
    const { rows } = await this.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alert_records WHERE cleared_at IS NULL ORDER BY uid`,
    );
    return rows.map((r) => {
      const { uid: _uid, ...alert } = alertFromRow(r);
      return alert;
    });
  }

  async history(query: AlertHistoryQuery, scope: Scope): Promise<AlertHistoryPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (scope) add('council_id = ANY(?)', scope);
    if (query.state === 'open') where.push('cleared_at IS NULL AND acknowledged_at IS NULL');
    else if (query.state === 'acknowledged') where.push('cleared_at IS NULL AND acknowledged_at IS NOT NULL');
    else if (query.state === 'resolved') where.push('cleared_at IS NOT NULL');
    if (query.councilId) add('council_id = ?', query.councilId);
    if (query.siteId) add('site_id = ?', query.siteId);
    if (query.kind) add('kind = ?', query.kind);
    // from/to select alerts that were open at some moment of the period.
    if (query.from) add('(cleared_at IS NULL OR cleared_at >= ?)', query.from);
    if (query.to) add('opened_at < ?', query.to);
    if (query.before) add('uid < ?', query.before);
    const limit = query.limit ?? 100;
    params.push(limit + 1);
    const { rows } = await this.pool.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alert_records
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY uid DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit).map(alertFromRow);
    return { alerts: page, next: rows.length > limit ? (page.at(-1)?.uid ?? null) : null };
  }
}
