import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AlertKind } from '../../../src/schemas/alert-api.ts';
import type {
  Delivery,
  DeliveryQuery,
  NotificationRule,
  NotificationRuleInput,
} from '../../../src/schemas/notification-api.ts';

export interface RuleRow {
  id: string;
  owner: string;
  name: string;
  channel: 'email' | 'webhook';
  target: string;
  secret: string | null;
  council_ids: string[];
  site_ids: string[];
  kinds: AlertKind[];
  severities: ('major' | 'minor')[];
  quiet_start: number | null;
  quiet_end: number | null;
  mode: 'immediate' | 'digest';
  digest_hour: number;
  last_digest_at: Date | null;
  enabled: boolean;
  created_at: Date;
}

const RULE_COLUMNS =
  'id::text AS id, owner, name, channel, target, secret, council_ids, site_ids, kinds, severities, quiet_start, quiet_end, mode, digest_hour, last_digest_at, enabled, created_at';

interface DeliveryRow {
  id: string;
  rule_id: string | null;
  rule_name: string | null;
  channel: Delivery['channel'];
  target: string;
  kind: Delivery['kind'];
  subject: string;
  state: Delivery['state'];
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const DELIVERY_COLUMNS =
  'id::text AS id, rule_id::text AS rule_id, rule_name, channel, target, kind, subject, state, attempts, next_attempt_at, last_error, created_at, delivered_at';

const clock = (minutes: number | null) =>
  minutes === null
    ? null
    : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function ruleFromRow(row: RuleRow): NotificationRule {
  const start = clock(row.quiet_start);
  const end = clock(row.quiet_end);
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    channel: row.channel,
    target: row.target,
    councilIds: row.council_ids,
    siteIds: row.site_ids,
    kinds: row.kinds,
    severities: row.severities,
    quietHours: start !== null && end !== null ? { start, end } : null,
    mode: row.mode,
    digestHour: row.digest_hour,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
    lastDigestAt: row.last_digest_at?.toISOString() ?? null,
  };
}

export function deliveryFromRow(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    ruleId: row.rule_id,
    ruleName: row.rule_name,
    channel: row.channel,
    target: row.target,
    kind: row.kind,
    subject: row.subject,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at.toISOString() : null,
    lastError: row.last_error,
    createdAt: row.created_at.toISOString(),
    deliveredAt: row.delivered_at?.toISOString() ?? null,
  };
}

/** A webhook signing secret: 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** Notification rules and the delivery queue (the notifier writes and claims; the routes read). */
export class NotificationRepository {
  constructor(private readonly pool: pg.Pool) {}

  async rules(owner: string | null): Promise<RuleRow[]> {
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM notification_rules ${owner === null ? '' : 'WHERE owner = $1'} ORDER BY id`,
      owner === null ? [] : [owner],
    );
    return rows;
  }

  async rule(id: string): Promise<RuleRow | null> {
    const { rows } = await this.pool.query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM notification_rules WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async countOwned(owner: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM notification_rules WHERE owner = $1',
      [owner],
    );
    return rows[0]?.n ?? 0;
  }

  async create(owner: string, input: NotificationRuleInput, secret: string | null): Promise<RuleRow> {
    const { rows } = await this.pool.query<RuleRow>(
      `INSERT INTO notification_rules (owner, name, channel, target, secret, council_ids, site_ids, kinds,
                                       severities, quiet_start, quiet_end, mode, digest_hour, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING ${RULE_COLUMNS}`,
      [
        owner,
        input.name,
        input.channel,
        input.target,
        secret,
        input.councilIds ?? [],
        input.siteIds ?? [],
        input.kinds ?? [],
        input.severities ?? [],
        input.quietHours ? minutesOf(input.quietHours.start) : null,
        input.quietHours ? minutesOf(input.quietHours.end) : null,
        input.mode ?? 'immediate',
        input.digestHour ?? 7,
        input.enabled ?? true,
      ],
    );
    return rows[0] as RuleRow;
  }

  async update(id: string, input: NotificationRuleInput): Promise<RuleRow | null> {
    const { rows } = await this.pool.query<RuleRow>(
      `UPDATE notification_rules
          SET name = $2, channel = $3, target = $4, council_ids = $5, site_ids = $6, kinds = $7,
              severities = $8, quiet_start = $9, quiet_end = $10, mode = $11, digest_hour = $12, enabled = $13
        WHERE id = $1
        RETURNING ${RULE_COLUMNS}`,
      [
        id,
        input.name,
        input.channel,
        input.target,
        input.councilIds ?? [],
        input.siteIds ?? [],
        input.kinds ?? [],
        input.severities ?? [],
        input.quietHours ? minutesOf(input.quietHours.start) : null,
        input.quietHours ? minutesOf(input.quietHours.end) : null,
        input.mode ?? 'immediate',
        input.digestHour ?? 7,
        input.enabled ?? true,
      ],
    );
    return rows[0] ?? null;
  }

  async setSecret(id: string, secret: string | null): Promise<RuleRow | null> {
    const { rows } = await this.pool.query<RuleRow>(
      `UPDATE notification_rules SET secret = $2 WHERE id = $1 RETURNING ${RULE_COLUMNS}`,
      [id, secret],
    );
    return rows[0] ?? null;
  }

  async remove(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM notification_rules WHERE id = $1', [id]);
    return (rowCount ?? 0) > 0;
  }

  async deliveries(query: DeliveryQuery, owner: string | null): Promise<Delivery[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (owner !== null) {
      params.push(owner);
      where.push(`rule_id IN (SELECT id FROM notification_rules WHERE owner = $${params.length})`);
    }
    if (query.state) {
      params.push(query.state);
      where.push(`state = $${params.length}`);
    }
    if (query.ruleId) {
      params.push(query.ruleId);
      where.push(`rule_id = $${params.length}`);
    }
    params.push(query.limit ?? 100);
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM notification_outbox
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(deliveryFromRow);
  }

  async delivery(id: string): Promise<(Delivery & { owner: string | null }) | null> {
    const { rows } = await this.pool.query<DeliveryRow & { owner: string | null }>(
      `SELECT ${DELIVERY_COLUMNS.replace(/(^|, )/g, '$1o.')}, r.owner
         FROM notification_outbox o LEFT JOIN notification_rules r ON r.id = o.rule_id
        WHERE o.id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? { ...deliveryFromRow(row), owner: row.owner } : null;
  }

  /** A dead delivery goes back to the queue with a fresh set of attempts. */
  async retry(id: string, nowMs: number): Promise<Delivery | null> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `UPDATE notification_outbox
          SET state = 'pending', attempts = 0, next_attempt_at = $2, lease_until = NULL
        WHERE id = $1 AND state = 'dead'
        RETURNING ${DELIVERY_COLUMNS}`,
      [id, new Date(nowMs)],
    );
    return rows[0] ? deliveryFromRow(rows[0]) : null;
  }
}
