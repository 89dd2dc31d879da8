import type pg from 'pg';
import type { Logger } from 'pino';
import { londonWallToUtc } from '../../../src/maintenance/occurrences.ts';
import type { Alert } from '../../../src/schemas/alert-api.ts';
import type { Delivery } from '../../../src/schemas/notification-api.ts';
import { alertTopic } from '../../../src/topics.ts';
import { londonDay, londonOffsetMinutes } from '../../../src/uptime/london-time.ts';
import { ALERT_COLUMNS, type AlertRow, alertFromRow } from '../repositories/alert-repository.ts';
import type { UserRecord } from '../repositories/user-repository.ts';
import { type BuiltMessage, digestMessage, groupMessage, type NameLookup, testMessage } from './messages.ts';
import { deliveryFromRow, type RuleRow } from './notification-repository.ts';
import { DeliveryError, type Senders } from './senders.ts';

export interface NotifierOptions {
  pool: pg.Pool;
  senders: Senders;
  findUser: (username: string) => Promise<UserRecord | null>;
  /** Names of sites and cameras the hub holds in memory (councils are read from the database). */
  siteName: (id: string) => string | null;
  siteHub: (id: string) => string | null;
  cameraName: (id: string) => string | null;
  groupWaitMs: number;
  tickMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  deliveryTimeoutMs: number;
  mqttAlerts: boolean;
  dashboardUrl: string;
  log: Logger;
  now: () => number;
}

export interface NotifierStats {
  /** Messages queued, by channel and kind. */
  queued: Record<string, number>;
  /** Attempts by channel and outcome (delivered, failed, dead). */
  attempts: Record<string, number>;
  /** Groups of alert changes turned into messages. */
  groups: number;
  /** Messages in the queue by state (pending, dead), as last counted (every few seconds). */
  outbox: Record<'pending' | 'dead', number>;
}

const OUTBOX_COUNT_EVERY_MS = 5000;
const PRUNE_EVERY_MS = 3_600_000;
const KEEP_DELIVERED_MS = 90 * 86_400_000;

const DELIVERY_BATCH = 20;
const DELIVERY_PARALLEL = 4;
const DIGEST_MAX_LINES = 200;

/** Minute of the Europe/London day. */
function londonMinute(ms: number): number {
  return Math.floor((ms / 60_000 + londonOffsetMinutes(ms)) % 1440);
}

export function inQuietHours(rule: Pick<RuleRow, 'quiet_start' | 'quiet_end'>, nowMs: number): boolean {
  const { quiet_start: start, quiet_end: end } = rule;
  if (start === null || end === null || start === end) return false;
  const m = londonMinute(nowMs);
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/** When today's digest of a rule is due (Europe/London wall clock, DST-safe). */
export function digestDueAt(digestHour: number, nowMs: number): number {
  const [y, m, d] = londonDay(nowMs).split('-').map(Number) as [number, number, number];
  return londonWallToUtc(y, m, d, digestHour * 60);
}

/** Whether an alert is one the rule's owner may see and the rule asks for. */
export function ruleMatches(rule: RuleRow, owner: UserRecord | null, alert: Alert): boolean {
  if (!owner || owner.disabled || owner.role === 'auditor') return false;
  if (owner.role === 'council' && !owner.councilIds.includes(alert.councilId)) return false;
  if (rule.council_ids.length > 0 && !rule.council_ids.includes(alert.councilId)) return false;
  if (rule.site_ids.length > 0 && !rule.site_ids.includes(alert.siteId)) return false;
  if (rule.kinds.length > 0 && !rule.kinds.includes(alert.kind)) return false;
  if (rule.severities.length > 0 && !rule.severities.includes(alert.severity)) return false;
  return true;
}

/**
 * Turns the alert history into messages and delivers them. Every tick:
 * 1. groups: a site's alert changes not yet told are held `groupWaitMs` from the first of them, then
 *    written as one message per matching rule (and one on the MQTT alert topic), in the same
 *    transaction that marks them told; an alert opened and cleared within the wait is never told;
 * 2. digests due (daily, Europe/London hour) are written the same way;
 * 3. due messages are claimed with a lease (so two hub processes never send one twice) and sent;
 *    a failure is retried with exponential backoff, and after `maxAttempts` the message is dead.
 * Everything between the steps is in the database: a restart loses nothing and repeats nothing
 * that was delivered.
 */
export class Notifier {
  readonly stats: NotifierStats = { queued: {}, attempts: {}, groups: 0, outbox: { pending: 0, dead: 0 } };
  private countedAt = Number.NEGATIVE_INFINITY;
  private prunedAt = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly options: NotifierOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.wake(), this.options.tickMs);
    this.timer.unref?.();
    this.wake();
  }

  /**
   * Runs a tick now (or right after the one running). Only a started notifier delivers: in a region
   * of several processes that is the leader's, which holds the broker connection MQTT deliveries go
   * out on; what a standby queues (a test send, a retry) the leader's next tick delivers.
   */
  wake(): void {
    if (!this.timer) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .catch((error: Error) => this.options.log.error({ err: error.message }, 'notifier tick failed'))
      .finally(() => {
        this.running = null;
        if (this.again && this.timer) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
    await this.running;
    this.options.senders.close();
  }

  async tick(): Promise<void> {
    await this.flushGroups();
    await this.sendDueDigests();
    await this.deliverDue();
    const nowMs = this.options.now();
    if (nowMs - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = nowMs;
      // Delivered and held messages are kept 90 days for "was I told?"; dead ones until retried or
      // their rule is deleted, then 90 days too.
      await this.options.pool.query(
        `DELETE FROM notification_outbox
          WHERE created_at < $1 AND (state IN ('delivered', 'quiet') OR (state = 'dead' AND rule_id IS NULL))`,
        [new Date(nowMs - KEEP_DELIVERED_MS)],
      );
    }
    if (nowMs - this.countedAt >= OUTBOX_COUNT_EVERY_MS) {
      this.countedAt = nowMs;
      const { rows } = await this.options.pool.query<{ state: 'pending' | 'dead'; n: number }>(
        `SELECT state, count(*)::int AS n FROM notification_outbox WHERE state IN ('pending', 'dead') GROUP BY state`,
      );
      this.stats.outbox = { pending: 0, dead: 0 };
      for (const r of rows) this.stats.outbox[r.state] = r.n;
    }
  }

  /** Queues a test message for a rule. */
  async queueTest(rule: RuleRow): Promise<Delivery> {
    const at = new Date(this.options.now()).toISOString();
    const built = testMessage(null, rule.name, at, this.options.dashboardUrl);
    const client = await this.options.pool.connect();
    try {
      const delivery = await this.insert(client, rule, 'test', built, 'pending');
      this.wake();
      return delivery;
    } finally {
      client.release();
    }
  }

  /** Builds and queues a rule's digest now (also what the daily schedule does). */
  async queueDigest(rule: RuleRow): Promise<Delivery> {
    const owner = await this.options.findUser(rule.owner);
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      const delivery = await this.digest(client, rule, owner);
      await client.query('COMMIT');
      this.wake();
      return delivery;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  private async names(client: pg.PoolClient): Promise<NameLookup> {
    const { rows } = await client.query<{ id: string; name: string }>('SELECT id, name FROM councils');
    const councils = new Map(rows.map((r) => [r.id, r.name]));
    const o = this.options;
    return {
      site: (id) => o.siteName(id) ?? id,
      camera: (id) => o.cameraName(id) ?? id,
      council: (id) => councils.get(id) ?? id,
    };
  }

  private async owners(rules: readonly RuleRow[]): Promise<Map<string, UserRecord | null>> {
    const owners = new Map<string, UserRecord | null>();
    for (const r of rules)
      if (!owners.has(r.owner)) owners.set(r.owner, await this.options.findUser(r.owner));
    return owners;
  }

  private async flushGroups(): Promise<void> {
    const nowMs = this.options.now();
    const { rows: unsent } = await this.options.pool.query<{ site_id: string; first: Date }>(
      `SELECT site_id, min(CASE WHEN open_notice = 'pending' THEN opened_at ELSE cleared_at END) AS first
         FROM alert_records WHERE open_notice = 'pending' OR clear_notice = 'pending'
        GROUP BY site_id`,
    );
    const ready = unsent.filter((r) => nowMs - r.first.getTime() >= this.options.groupWaitMs);
    if (ready.length === 0) return;
    // Read before taking a connection of the pool for the transaction (the embedded pool has one).
    const { rows: ruleRows } = await this.options.pool.query<RuleRow>(
      `SELECT id::text AS id, owner, name, channel, target, secret, council_ids, site_ids, kinds, severities,
              quiet_start, quiet_end, mode, digest_hour, last_digest_at, enabled, created_at
         FROM notification_rules WHERE enabled AND mode = 'immediate' ORDER BY id`,
    );
    const owners = await this.owners(ruleRows);
    const client = await this.options.pool.connect();
    try {
      const names = await this.names(client);
      for (const { site_id: siteId } of ready) {
        await client.query('BEGIN');
        try {
          // Locked: an alert clearing meanwhile waits, then sees that its opening was told.
          const { rows } = await client.query<AlertRow>(
            `SELECT ${ALERT_COLUMNS} FROM alert_records
              WHERE site_id = $1 AND (open_notice = 'pending' OR clear_notice = 'pending')
              ORDER BY uid FOR UPDATE`,
            [siteId],
          );
          const opened = rows.filter((r) => r.open_notice === 'pending').map(alertFromRow);
          const resolved = rows.filter((r) => r.clear_notice === 'pending').map(alertFromRow);
          const councilId = rows[0]?.council_id ?? '';
          const sentAt = new Date(nowMs).toISOString();
          const build = (o: Alert[], r: Alert[]) =>
            groupMessage({
              hubId: this.options.siteHub(siteId),
              siteId,
              councilId,
              opened: o,
              resolved: r,
              sentAt,
              names,
              dashboardUrl: this.options.dashboardUrl,
            });
          for (const rule of ruleRows) {
            const owner = owners.get(rule.owner) ?? null;
            const o = opened.filter((a) => ruleMatches(rule, owner, a));
            const r = resolved.filter((a) => ruleMatches(rule, owner, a));
            if (o.length + r.length === 0) continue;
            await this.insert(
              client,
              rule,
              'alerts',
              build(o, r),
              inQuietHours(rule, nowMs) ? 'quiet' : 'pending',
            );
          }
          if (this.options.mqttAlerts && rows.length > 0)
            await this.insertRaw(client, {
              ruleId: null,
              ruleName: null,
              channel: 'mqtt',
              target: alertTopic(councilId, siteId),
              kind: 'alerts',
              built: build(opened, resolved),
              state: 'pending',
            });
          await client.query(
            `UPDATE alert_records
                SET open_notice = CASE WHEN open_notice = 'pending' THEN 'sent' ELSE open_notice END,
                    clear_notice = CASE WHEN clear_notice = 'pending' THEN 'sent' ELSE clear_notice END
              WHERE uid = ANY($1::bigint[])`,
            [rows.map((r) => r.uid)],
          );
          await client.query('COMMIT');
          this.stats.groups++;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        }
      }
    } finally {
      client.release();
    }
  }

  private async sendDueDigests(): Promise<void> {
    const nowMs = this.options.now();
    const { rows } = await this.options.pool.query<RuleRow>(
      `SELECT id::text AS id, owner, name, channel, target, secret, council_ids, site_ids, kinds, severities,
              quiet_start, quiet_end, mode, digest_hour, last_digest_at, enabled, created_at
         FROM notification_rules WHERE enabled AND mode = 'digest' ORDER BY id`,
    );
    for (const rule of rows) {
      const dueAt = digestDueAt(rule.digest_hour, nowMs);
      const last = (rule.last_digest_at ?? rule.created_at).getTime();
      if (nowMs < dueAt || last >= dueAt) continue;
      await this.queueDigest(rule);
    }
  }

  private async digest(client: pg.PoolClient, rule: RuleRow, owner: UserRecord | null): Promise<Delivery> {
    const nowMs = this.options.now();
    const sinceMs = rule.last_digest_at?.getTime() ?? nowMs - 86_400_000;
    const { rows } = await client.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alert_records
        WHERE cleared_at IS NULL OR opened_at >= $1 OR cleared_at >= $1
        ORDER BY uid DESC LIMIT 5000`,
      [new Date(sinceMs)],
    );
    // Alerts that cleared within their site's group wait (superseded by a site alert, or too short
    // to tell) are counted, not listed: the digest is for what people had to know about.
    const told = rows.filter((r) => r.open_notice !== 'suppressed');
    const brief = rows.length - told.length;
    const inScope = told.map(alertFromRow).filter((a) => ruleMatches(rule, owner, a));
    const open = inScope.filter((a) => a.clearedAt === null);
    const happened = inScope.filter(
      (a) =>
        Date.parse(a.openedAt) >= sinceMs || (a.clearedAt !== null && Date.parse(a.clearedAt) >= sinceMs),
    );
    const sentAt = new Date(nowMs).toISOString();
    const built = digestMessage({
      hubId: null,
      ruleName: rule.name,
      since: new Date(sinceMs).toISOString(),
      sentAt,
      happened: happened.slice(0, DIGEST_MAX_LINES),
      brief,
      open: open.slice(0, DIGEST_MAX_LINES),
      names: await this.names(client),
      dashboardUrl: this.options.dashboardUrl,
    });
    const delivery = await this.insert(client, rule, 'digest', built, 'pending');
    await client.query('UPDATE notification_rules SET last_digest_at = $2 WHERE id = $1', [
      rule.id,
      new Date(nowMs),
    ]);
    return delivery;
  }

  private insert(
    client: pg.PoolClient,
    rule: RuleRow,
    kind: Delivery['kind'],
    built: BuiltMessage,
    state: 'pending' | 'quiet',
  ): Promise<Delivery> {
    return this.insertRaw(client, {
      ruleId: rule.id,
      ruleName: rule.name,
      channel: rule.channel,
      target: rule.target,
      kind,
      built,
      state,
    });
  }

  private async insertRaw(
    client: pg.PoolClient,
    m: {
      ruleId: string | null;
      ruleName: string | null;
      channel: Delivery['channel'];
      target: string;
      kind: Delivery['kind'];
      built: BuiltMessage;
      state: 'pending' | 'quiet';
    },
  ): Promise<Delivery> {
    const at = new Date(this.options.now());
    const { rows } = await client.query(
      `INSERT INTO notification_outbox (rule_id, rule_name, channel, target, kind, subject, text_body, payload,
                                        state, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
       RETURNING id::text AS id, rule_id::text AS rule_id, rule_name, channel, target, kind, subject, state,
                 attempts, next_attempt_at, last_error, created_at, delivered_at`,
      [
        m.ruleId,
        m.ruleName,
        m.channel,
        m.target,
        m.kind,
        m.built.subject,
        m.built.text,
        JSON.stringify(m.built.payload),
        m.state,
        at,
      ],
    );
    const key = `${m.channel}:${m.kind}${m.state === 'quiet' ? ':quiet' : ''}`;
    this.stats.queued[key] = (this.stats.queued[key] ?? 0) + 1;
    return deliveryFromRow(rows[0]);
  }

  private backoffMs(attempts: number): number {
    const base = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.max(0, attempts - 1));
    // Jitter, so that messages failing together do not retry together.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private async deliverDue(): Promise<void> {
    const nowMs = this.options.now();
    const leaseMs = this.options.deliveryTimeoutMs * 3 + 30_000;
    const { rows } = await this.options.pool.query<{
      id: string;
      channel: Delivery['channel'];
      target: string;
      subject: string;
      text_body: string;
      payload: unknown;
      attempts: number;
      secret: string | null;
    }>(
      `UPDATE notification_outbox o SET lease_until = $2, attempts = attempts + 1
         FROM (SELECT id FROM notification_outbox
                WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
                ORDER BY next_attempt_at, id LIMIT ${DELIVERY_BATCH} FOR UPDATE SKIP LOCKED) due
        WHERE o.id = due.id
        RETURNING o.id::text AS id, o.channel, o.target, o.subject, o.text_body, o.payload, o.attempts,
                  (SELECT r.secret FROM notification_rules r WHERE r.id = o.rule_id) AS secret`,
      [new Date(nowMs), new Date(nowMs + leaseMs)],
    );
    if (rows.length === 0) return;
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        if (!row) return;
        await this.deliverOne(row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(DELIVERY_PARALLEL, rows.length) }, worker));
  }

  private async deliverOne(row: {
    id: string;
    channel: Delivery['channel'];
    target: string;
    subject: string;
    text_body: string;
    payload: unknown;
    attempts: number;
    secret: string | null;
  }): Promise<void> {
    const count = (outcome: string) => {
      const key = `${row.channel}:${outcome}`;
      this.stats.attempts[key] = (this.stats.attempts[key] ?? 0) + 1;
    };
    try {
      await this.options.senders.send({
        id: row.id,
        channel: row.channel,
        target: row.target,
        subject: row.subject,
        text: row.text_body,
        body: JSON.stringify(row.payload),
        secret: row.secret,
      });
    } catch (error) {
      const message =
        error instanceof DeliveryError
          ? error.message
          : `unexpected: ${(error as Error).message}`.slice(0, 300);
      const dead = row.attempts >= this.options.maxAttempts;
      count(dead ? 'dead' : 'failed');
      const nowMs = this.options.now();
      await this.options.pool.query(
        `UPDATE notification_outbox
            SET state = $2, next_attempt_at = $3, lease_until = NULL, last_error = $4
          WHERE id = $1`,
        [
          row.id,
          dead ? 'dead' : 'pending',
          new Date(nowMs + (dead ? 0 : this.backoffMs(row.attempts))),
          message,
        ],
      );
      (dead ? this.options.log.error : this.options.log.warn).call(
        this.options.log,
        { delivery: row.id, channel: row.channel, attempts: row.attempts, err: message },
        dead ? 'notification dead after its last attempt' : 'notification attempt failed; will retry',
      );
      return;
    }
    count('delivered');
    await this.options.pool.query(
      `UPDATE notification_outbox SET state = 'delivered', delivered_at = $2, lease_until = NULL, last_error = NULL
        WHERE id = $1`,
      [row.id, new Date(this.options.now())],
    );
  }
}
