import type pg from 'pg';
import { type MaintenanceDefinition, occurrences } from '../../../src/maintenance/occurrences.ts';
import type {
  MaintenanceCreate,
  MaintenanceScopeKind,
  MaintenanceUpdate,
  MaintenanceWindowView,
  Recurrence,
} from '../../../src/schemas/maintenance.ts';
import type { MaintenanceSpan } from '../../../src/uptime/durations.ts';
import type { Scope } from './fleet-repository.ts';

interface WindowRow {
  id: number;
  scope_kind: MaintenanceScopeKind;
  scope_id: string;
  title: string;
  reason: string;
  starts_at: Date;
  ends_at: Date;
  recurrence: Recurrence;
  until: Date | null;
  created_by: string;
  created_at: Date;
  ended_at: Date | null;
}

const COLUMNS =
  'id, scope_kind, scope_id, title, reason, starts_at, ends_at, recurrence, until, created_by, created_at, ended_at';
const UPCOMING_MS = 30 * 86_400_000;

export class MaintenanceError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function definition(row: WindowRow): MaintenanceDefinition {
  const limits = [row.until, row.ended_at].filter((d): d is Date => d !== null).map((d) => d.getTime());
  return {
    startsAtMs: row.starts_at.getTime(),
    endsAtMs: row.ends_at.getTime(),
    recurrence: row.recurrence,
    untilMs: limits.length > 0 ? Math.min(...limits) : null,
  };
}

function view(row: WindowRow, nowMs: number): MaintenanceWindowView {
  return {
    id: row.id,
    scope: row.scope_kind,
    scopeId: row.scope_id,
    title: row.title,
    reason: row.reason,
    startsAt: row.starts_at.toISOString(),
    endsAt: row.ends_at.toISOString(),
    recurrence: row.recurrence,
    until: row.until ? row.until.toISOString() : null,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    endedAt: row.ended_at ? row.ended_at.toISOString() : null,
    next: occurrences(definition(row), nowMs, nowMs + UPCOMING_MS, 10).map((s) => ({
      from: new Date(s.startMs).toISOString(),
      to: new Date(s.endMs).toISOString(),
    })),
  };
}

/** A window (or series) that can have time in [$1, $2). */
const OVERLAPS = `w.starts_at < $2 AND (w.recurrence <> 'none' OR w.ends_at > $1)
  AND COALESCE(LEAST(w.until, w.ended_at), 'infinity') > $1`;

/**
 * Maintenance windows. The past is immutable: windows cannot start in the past, a started window
 * cannot be edited or deleted, only ended (which cuts it, or its series, at that moment).
 */
export class MaintenanceRepository {
  constructor(private readonly pool: pg.Pool | pg.PoolClient) {}

  /** Council of the scope target, or null when it does not exist. */
  async councilOf(kind: MaintenanceScopeKind, id: string): Promise<string | null> {
    const sql = {
      council: 'SELECT id AS council_id FROM councils WHERE id = $1',
      site: 'SELECT council_id FROM sites WHERE id = $1',
      camera: 'SELECT s.council_id FROM cameras c JOIN sites s ON s.id = c.site_id WHERE c.id = $1',
    }[kind];
    const result = await this.pool.query<{ council_id: string }>(sql, [id]);
    return result.rows[0]?.council_id ?? null;
  }

  private async row(id: number, scope: Scope): Promise<WindowRow> {
    const result = await this.pool.query<WindowRow & { council_id: string | null }>(
      `SELECT ${COLUMNS} FROM maintenance_windows WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    if (row && scope) {
      const council = await this.councilOf(row.scope_kind, row.scope_id);
      if (!council || !scope.includes(council))
        throw new MaintenanceError(404, 'NOT_FOUND', `maintenance window ${id} not found`);
    }
    if (!row) throw new MaintenanceError(404, 'NOT_FOUND', `maintenance window ${id} not found`);
    return row;
  }

  async create(
    input: MaintenanceCreate,
    user: string,
    scope: Scope,
    nowMs: number,
  ): Promise<MaintenanceWindowView> {
    const council = await this.councilOf(input.scope, input.scopeId);
    if (!council || (scope && !scope.includes(council))) {
      throw new MaintenanceError(404, 'NOT_FOUND', `${input.scope} ${input.scopeId} not found`);
    }
    let startsAtMs = Date.parse(input.startsAt);
    const endsAtMs = Date.parse(input.endsAt);
    // A request saying "from now" arrives a moment late; more than a minute in the past is refused.
    if (startsAtMs < nowMs - 60_000)
      throw new MaintenanceError(400, 'PAST_WINDOW', 'a maintenance window cannot start in the past');
    startsAtMs = Math.max(startsAtMs, nowMs);
    if (endsAtMs <= startsAtMs)
      throw new MaintenanceError(400, 'BAD_WINDOW', 'endsAt must be after startsAt (and after now)');
    const until = input.until ? Date.parse(input.until) : null;
    if (until !== null && until <= startsAtMs)
      throw new MaintenanceError(400, 'BAD_WINDOW', 'until must be after startsAt');
    const result = await this.pool.query<WindowRow>(
      `INSERT INTO maintenance_windows (scope_kind, scope_id, title, reason, starts_at, ends_at, recurrence, until, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [
        input.scope,
        input.scopeId,
        input.title,
        input.reason ?? '',
        new Date(startsAtMs),
        new Date(endsAtMs),
        input.recurrence ?? 'none',
        until === null ? null : new Date(until),
        user,
        new Date(nowMs),
      ],
    );
    return view(result.rows[0] as WindowRow, nowMs);
  }

  async list(
    scope: Scope,
    nowMs: number,
    filter: { scope?: MaintenanceScopeKind; scopeId?: string } = {},
  ): Promise<MaintenanceWindowView[]> {
    const result = await this.pool.query<WindowRow>(
      `SELECT ${COLUMNS} FROM maintenance_windows w
       WHERE ($1::text IS NULL OR w.scope_kind = $1) AND ($2::text IS NULL OR w.scope_id = $2)
         AND ($3::text[] IS NULL OR EXISTS (
           SELECT 1 FROM councils co LEFT JOIN sites s ON s.council_id = co.id LEFT JOIN cameras c ON c.site_id = s.id
           WHERE co.id = ANY($3::text[]) AND ((w.scope_kind = 'council' AND w.scope_id = co.id)
             OR (w.scope_kind = 'site' AND w.scope_id = s.id) OR (w.scope_kind = 'camera' AND w.scope_id = c.id))))
       ORDER BY w.starts_at DESC, w.id DESC`,
      [filter.scope ?? null, filter.scopeId ?? null, scope],
    );
    return result.rows.map((r) => view(r, nowMs));
  }

  async get(id: number, scope: Scope, nowMs: number): Promise<MaintenanceWindowView> {
    return view(await this.row(id, scope), nowMs);
  }

  async update(
    id: number,
    patch: MaintenanceUpdate,
    scope: Scope,
    nowMs: number,
  ): Promise<MaintenanceWindowView> {
    const row = await this.row(id, scope);
    if (row.starts_at.getTime() <= nowMs) {
      throw new MaintenanceError(
        409,
        'WINDOW_STARTED',
        `maintenance window ${id} has started: it can only be ended, not edited`,
      );
    }
    const next = {
      title: patch.title ?? row.title,
      reason: patch.reason ?? row.reason,
      startsAtMs: patch.startsAt ? Date.parse(patch.startsAt) : row.starts_at.getTime(),
      endsAtMs: patch.endsAt ? Date.parse(patch.endsAt) : row.ends_at.getTime(),
      recurrence: patch.recurrence ?? row.recurrence,
      untilMs:
        patch.until === undefined
          ? (row.until?.getTime() ?? null)
          : patch.until === null
            ? null
            : Date.parse(patch.until),
    };
    if (next.startsAtMs < nowMs)
      throw new MaintenanceError(400, 'PAST_WINDOW', 'a maintenance window cannot start in the past');
    if (next.endsAtMs <= next.startsAtMs)
      throw new MaintenanceError(400, 'BAD_WINDOW', 'endsAt must be after startsAt');
    const result = await this.pool.query<WindowRow>(
      `UPDATE maintenance_windows SET title = $2, reason = $3, starts_at = $4, ends_at = $5, recurrence = $6, until = $7
       WHERE id = $1 AND starts_at > $8 RETURNING ${COLUMNS}`,
      [
        id,
        next.title,
        next.reason,
        new Date(next.startsAtMs),
        new Date(next.endsAtMs),
        next.recurrence,
        next.untilMs === null ? null : new Date(next.untilMs),
        new Date(nowMs),
      ],
    );
    const updated = result.rows[0];
    if (!updated)
      throw new MaintenanceError(
        409,
        'WINDOW_STARTED',
        `maintenance window ${id} has started: it can only be ended`,
      );
    return view(updated, nowMs);
  }

  /** Ends a running window or series now; the time already spent in it stays maintenance. */
  async end(id: number, scope: Scope, nowMs: number): Promise<MaintenanceWindowView> {
    const row = await this.row(id, scope);
    if (row.starts_at.getTime() > nowMs)
      throw new MaintenanceError(
        409,
        'NOT_STARTED',
        `maintenance window ${id} has not started: delete it instead`,
      );
    if (row.ended_at)
      throw new MaintenanceError(409, 'ALREADY_ENDED', `maintenance window ${id} was already ended`);
    const result = await this.pool.query<WindowRow>(
      `UPDATE maintenance_windows SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL RETURNING ${COLUMNS}`,
      [id, new Date(nowMs)],
    );
    return view(result.rows[0] as WindowRow, nowMs);
  }

  async remove(id: number, scope: Scope, nowMs: number): Promise<void> {
    await this.row(id, scope);
    const result = await this.pool.query('DELETE FROM maintenance_windows WHERE id = $1 AND starts_at > $2', [
      id,
      new Date(nowMs),
    ]);
    if (result.rowCount === 0)
      throw new MaintenanceError(
        409,
        'WINDOW_STARTED',
        `maintenance window ${id} has started: it can only be ended`,
      );
  }

  /**
   * Maintenance time per camera overlapping [fromMs, toMs). The windows that overlap come first
   * (a short list, usually empty), their occurrences are computed once each, and only then are the
   * cameras they cover looked up, by camera, site or council.
   */
  async spansFor(
    cameraIds: readonly string[],
    fromMs: number,
    toMs: number,
  ): Promise<Map<string, MaintenanceSpan[]>> {
    const out = new Map<string, MaintenanceSpan[]>();
    if (cameraIds.length === 0) return out;
    const windows = await this.pool.query<WindowRow>(
      `SELECT ${COLUMNS} FROM maintenance_windows w WHERE ${OVERLAPS}`,
      [new Date(fromMs), new Date(toMs)],
    );
    const withTime = windows.rows
      .map((row) => ({ row, spans: occurrences(definition(row), fromMs, toMs) }))
      .filter((w) => w.spans.length > 0);
    if (withTime.length === 0) return out;
    const covered = await this.pool.query<{ i: number; camera_id: string }>(
      `WITH w AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(kind, scope_id, i))
       SELECT w.i::int AS i, c.id AS camera_id FROM w JOIN cameras c ON w.kind = 'camera' AND c.id = w.scope_id
       UNION ALL
       SELECT w.i::int, c.id FROM w JOIN cameras c ON w.kind = 'site' AND c.site_id = w.scope_id
       UNION ALL
       SELECT w.i::int, c.id FROM w JOIN sites s ON w.kind = 'council' AND s.council_id = w.scope_id
         JOIN cameras c ON c.site_id = s.id`,
      [withTime.map((w) => w.row.scope_kind), withTime.map((w) => w.row.scope_id)],
    );
    const wanted = new Set(cameraIds);
    for (const { i, camera_id } of covered.rows) {
      const window = withTime[i - 1];
      if (!window || !wanted.has(camera_id)) continue;
      const list = out.get(camera_id);
      if (list) list.push(...window.spans);
      else out.set(camera_id, [...window.spans]);
    }
    return out;
  }
}
