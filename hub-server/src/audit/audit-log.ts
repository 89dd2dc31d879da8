import type pg from 'pg';
import type { Role } from '../../../src/schemas/api.ts';
import type {
  AuditEntry,
  AuditFilter,
  AuditKind,
  AuditVerifyResult,
} from '../../../src/schemas/audit-api.ts';
import { type ChainHead, ChainVerifier, entryHash, storableJson, storableText } from './chain.ts';

/** What an entry is about; stored as `type:id` so one column serves every kind. */
export interface AuditSubject {
  type:
    | 'camera'
    | 'site'
    | 'council'
    | 'hub'
    | 'maintenance-window'
    | 'user'
    | 'session'
    | 'apikey'
    | 'alert'
    | 'notification-rule'
    | 'notification'
    | 'source';
  id: string | number;
}

/**
 * One entry to append. `cameraId` is short for `subject: { type: 'camera', id }` (feed sessions);
 * `councilId` decides which council officers see the entry (null: operators and auditors only).
 */
export interface AuditAppend {
  kind: AuditKind;
  actor: string;
  role: Role | null;
  councilId?: string | null;
  subject?: AuditSubject | null;
  cameraId?: string;
  incidentRef?: string | null;
  reason?: string | null;
  detail?: Record<string, unknown>;
}

interface EntryRow {
  seq: number;
  at: Date;
  kind: AuditKind;
  actor: string;
  role: Role | null;
  council_id: string | null;
  subject: string | null;
  incident_ref: string | null;
  reason: string | null;
  detail: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const COLUMNS =
  'seq, at, kind, actor, role, council_id, subject, incident_ref, reason, detail, prev_hash, hash';
const VERIFY_PAGE = 1000;

function entry(row: EntryRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    kind: row.kind,
    actor: row.actor,
    role: row.role,
    councilId: row.council_id,
    subject: row.subject,
    incidentRef: row.incident_ref,
    reason: row.reason,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function subjectRef(subject: AuditSubject): string {
  return `${subject.type}:${subject.id}`;
}

function filterSql(filter: AuditFilter, scope: readonly string[] | null, params: unknown[]): string {
  const where: string[] = [];
  const add = (clause: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.from) add((p) => `at >= ${p}`, new Date(filter.from));
  if (filter.to) add((p) => `at < ${p}`, new Date(filter.to));
  // A kind or its group: "config.maintenance" matches config.maintenance.create and the rest.
  // The schema allows only letters, dots and dashes, so the value holds no LIKE wildcards.
  if (filter.kind) add((p) => `(kind = ${p} OR kind LIKE ${p} || '.%')`, filter.kind);
  if (filter.actor) add((p) => `actor = ${p}`, filter.actor);
  if (filter.cameraId) add((p) => `subject = ${p}`, subjectRef({ type: 'camera', id: filter.cameraId }));
  if (filter.incidentRef) add((p) => `incident_ref = ${p}`, filter.incidentRef);
  if (scope) add((p) => `council_id = ANY(${p}::text[])`, scope);
  return where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
}

/**
 * The access audit log (append-only, hash-chained). Appends are serialised by locking the chain
 * head row inside a transaction, so seq stays gapless across connections and hub processes.
 */
export class AuditLog {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Appends one entry in its own transaction. Call it with no connection of the pool held: the
   * embedded database's pool has one connection, which this takes for the transaction.
   */
  async append(input: AuditAppend): Promise<AuditEntry> {
    const client = await this.pool.connect();
    let appended: AuditEntry;
    try {
      await client.query('BEGIN');
      appended = await this.appendWith(client, input);
      await client.query('COMMIT');
    } catch (error) {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (rollbackError: Error) => client.release(rollbackError),
      );
      throw error;
    }
    client.release();
    return appended;
  }

  /**
   * Appends inside the caller's open transaction, so an action and its entry commit together.
   * The chain head stays locked until that transaction ends: keep it short.
   */
  async appendWith(client: pg.PoolClient, input: AuditAppend): Promise<AuditEntry> {
    if (input.cameraId !== undefined && input.subject)
      throw new TypeError('audit entry: give cameraId or subject, not both');
    const subject =
      input.cameraId !== undefined
        ? subjectRef({ type: 'camera', id: input.cameraId })
        : input.subject
          ? subjectRef(input.subject)
          : null;
    const text = (value: string | null | undefined) => (value == null ? null : storableText(value));
    const head = await client.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_chain_head WHERE id FOR UPDATE',
    );
    const last = head.rows[0];
    if (!last) throw new Error('audit chain head record is missing: the audit log cannot be appended to');
    const content = {
      seq: last.seq + 1,
      at: new Date(this.now()).toISOString(),
      kind: input.kind,
      actor: storableText(input.actor),
      role: input.role,
      councilId: text(input.councilId),
      subject: text(subject),
      incidentRef: text(input.incidentRef),
      reason: text(input.reason),
      detail: storableJson(input.detail ?? {}) as Record<string, unknown>,
      prevHash: last.hash,
    };
    const appended: AuditEntry = { ...content, hash: entryHash(content) };
    await client.query(
      `INSERT INTO audit_log (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        appended.seq,
        new Date(appended.at),
        appended.kind,
        appended.actor,
        appended.role,
        appended.councilId,
        appended.subject,
        appended.incidentRef,
        appended.reason,
        JSON.stringify(appended.detail),
        appended.prevHash,
        appended.hash,
      ],
    );
    await client.query('UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id', [
      appended.seq,
      appended.hash,
    ]);
    return appended;
  }

  /** Newest first; `before` pages on (entries with a lower seq). Null scope sees every entry. */
  async search(
    filter: AuditFilter,
    scope: readonly string[] | null,
    page: { limit: number; before?: number },
  ): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
    const params: unknown[] = [];
    let where = filterSql(filter, scope, params);
    if (page.before !== undefined) {
      params.push(page.before);
      where += `${where ? ' AND' : 'WHERE'} seq < $${params.length}`;
    }
    params.push(page.limit + 1);
    const result = await this.pool.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    const rows = result.rows.slice(0, page.limit);
    const more = result.rows.length > page.limit;
    return { entries: rows.map(entry), nextBefore: more ? (rows.at(-1)?.seq ?? null) : null };
  }

  /** Oldest first, at most `max` entries; null when more than `max` match. */
  async list(
    filter: AuditFilter,
    scope: readonly string[] | null,
    max: number,
  ): Promise<AuditEntry[] | null> {
    const params: unknown[] = [];
    const where = filterSql(filter, scope, params);
    params.push(max + 1);
    const result = await this.pool.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq LIMIT $${params.length}`,
      params,
    );
    return result.rows.length > max ? null : result.rows.map(entry);
  }

  /**
   * Walks the whole chain in pages and reports the first broken place. The head is read first:
   * entries up to it are committed and immutable, and later appends are left for the next run.
   */
  async verify(): Promise<AuditVerifyResult> {
    return verifyAuditChain(this.pool);
  }
}

/** Verification over any connection (the hub's pool, or the command's own client). */
export async function verifyAuditChain(db: Pick<pg.Pool, 'query'> | pg.Client): Promise<AuditVerifyResult> {
  const headResult = await db.query<ChainHead>('SELECT seq, hash FROM audit_chain_head WHERE id');
  const head = headResult.rows[0] ?? null;
  // Without a head record, read to the end of the log: the chain itself can still be checked.
  const upTo = head?.seq ?? Number.MAX_SAFE_INTEGER;
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await db.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${VERIFY_PAGE}`,
      [after, upTo],
    );
    for (const row of page.rows) if (!verifier.add(entry(row))) return verifier.result(head);
    const last = page.rows.at(-1);
    if (!last || page.rows.length < VERIFY_PAGE) break;
    after = last.seq;
  }
  return verifier.result(head);
}
