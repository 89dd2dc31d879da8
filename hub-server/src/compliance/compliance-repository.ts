import type pg from 'pg';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { PackResult, RuleStatus } from '../../../src/compliance/result.ts';
import type { Purpose } from '../../../src/schemas/commissioning.ts';
import type {
  CameraEventType,
  HealthPayload,
  ImageCheck,
  StreamPayload,
} from '../../../src/schemas/payloads.ts';
import type { VideoCheck } from '../../../src/schemas/video-check.ts';
import type { Scope } from '../repositories/fleet-repository.ts';

export interface CameraFacts {
  id: string;
  siteId: string;
  councilId: string;
  evidence: Omit<Evidence, 'period'>;
}

export interface Assignment {
  scopeKind: 'camera' | 'site' | 'council';
  scopeId: string;
  code: string;
  version: string | null;
  overrides: Record<string, Record<string, unknown>>;
}

export interface StatusRow {
  cameraId: string;
  councilId: string;
  packRef: string;
  status: RuleStatus;
  result: PackResult;
  evaluatedAt: string;
  statusSince: string;
}

export interface StatusSummaryRow {
  cameraId: string;
  packRef: string;
  status: RuleStatus;
  failing: string[];
}

import { STREAM_MAX_AGE_MS } from '../../../src/compliance/rule-pack.ts';

/** How far back snapshot checks are read for the image rule (its default limit is 15 minutes). */
const IMAGE_LOOKBACK_MS = 2 * 3_600_000;

interface CameraRow {
  id: string;
  site_id: string;
  council_id: string;
  purpose: Purpose;
  hfov_deg: number;
  design_distance_m: number;
  commissioned_bitrate_kbps: number | null;
  last_health: HealthPayload | null;
  last_health_at: Date | null;
  last_stream: StreamPayload | null;
  last_stream_at: Date | null;
  clock_suspect: boolean;
  clock_reason: string | null;
}

type Evidenced = Omit<Evidence, 'period'>;

interface SharedEvidence {
  imagesBy: Map<string, NonNullable<Evidenced['recentImages']>>;
  videosBy: Map<string, NonNullable<Evidenced['recentVideo']>>;
  eventsBy: Map<string, NonNullable<Evidenced['activeEvents']>>;
  recordsBy: Map<string, NonNullable<Evidenced['records']>>;
}

/** All SQL of compliance: evidence per camera (set-based), assignments, results and history. */
export class ComplianceRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Evidence per camera: every counted camera, or (for a report) the listed cameras whatever their
   * counting state now, so a camera retired since still has its readings evaluated.
   *
   * `asOf` (a report for a period that has ended): every reading is the one the camera had at that
   * time, read from the stored samples, not today's; the hub's view of the agent clock, which is kept
   * only as it is now, is left out, and records dated after it are not known yet.
   */
  async facts(
    nowMs: number,
    cameraIds: readonly string[] | null = null,
    options: { asOf?: boolean } = {},
  ): Promise<CameraFacts[]> {
    const asOf = options.asOf === true;
    const cameras = await this.cameraRows(cameraIds, null, null);
    const shared = await this.sharedEvidence(nowMs, cameraIds, asOf);
    return this.assemble(nowMs, cameras, shared, asOf);
  }

  /**
   * The same evidence as `facts(nowMs)` for every counted camera, a page of cameras at a time in id
   * order. Each camera's latest health and stream payloads are most of the evidence's weight: the
   * certification job holding all of a 50,000-camera fleet's at once added about 70 MB to the hub's
   * heap every cycle. The fleet-wide readings (recent checks, active events, scheme records) are
   * read once and are small.
   */
  async *countedFactsPages(nowMs: number, pageSize: number): AsyncGenerator<CameraFacts[]> {
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new RangeError(`page size ${pageSize}: a whole number >= 1`);
    // The fleet-wide readings are as of the start of the cycle; each page's own readings as of when
    // it is read (seconds later at most). No rule compares readings of the two kinds.
    const shared = await this.sharedEvidence(nowMs, null, false);
    let after: string | null = null;
    for (;;) {
      const rows = await this.cameraRows(null, after, pageSize);
      const last = rows.at(-1);
      if (!last) return;
      yield await this.assemble(nowMs, rows, shared, false);
      if (rows.length < pageSize) return;
      after = last.id;
    }
  }

  /** Counted cameras (or the listed ones) in id order, from after `after`, at most `limit`. */
  private async cameraRows(
    cameraIds: readonly string[] | null,
    after: string | null,
    limit: number | null,
  ): Promise<CameraRow[]> {
    const result = await this.pool.query<CameraRow>(
      `SELECT c.id, c.site_id, s.council_id, c.purpose, c.hfov_deg, c.design_distance_m, c.commissioned_bitrate_kbps,
         c.last_health, c.last_health_at, c.last_stream, c.last_stream_at, s.clock_suspect, s.clock_reason
       FROM cameras c JOIN sites s ON s.id = c.site_id
       -- Only cameras that count in their council's evidence: approved and not retired.
       WHERE CASE WHEN $1::text[] IS NULL THEN c.active AND c.counted_from IS NOT NULL AND c.counted_to IS NULL
                  ELSE c.id = ANY($1::text[]) END
         AND ($2::text IS NULL OR c.id > $2)
       ORDER BY c.id LIMIT $3`,
      [cameraIds, after, limit],
    );
    return result.rows;
  }

  /** Readings kept per camera only while they matter (recent checks, active events) and per council. */
  private async sharedEvidence(
    nowMs: number,
    cameraIds: readonly string[] | null,
    asOf: boolean,
  ): Promise<SharedEvidence> {
    // Live, a reading stamped a little ahead of the hub's clock (an agent clock within tolerance) counts;
    // as of a past time, nothing after it does.
    const upper = asOf ? new Date(nowMs) : null;
    // Only what the image rule reads: snapshot checks (not every heartbeat), and per camera only
    // from its latest check with no fault (neither blank nor dark) on; a fault's active run cannot
    // reach past that check. Reading every sample of the lookback instead held millions of rows in
    // the hub's memory for a large fleet.
    const images = await this.pool.query<{ camera_id: string; observed_at: Date; image: ImageCheck | null }>(
      `WITH checks AS (
         SELECT camera_id, observed_at, payload->'image' AS image FROM health_samples
         WHERE observed_at > $1 AND ($3::timestamptz IS NULL OR observed_at <= $3) AND jsonb_typeof(payload->'image') = 'object'
           AND state <> 'down' AND ($2::text[] IS NULL OR camera_id = ANY($2::text[]))),
       clean AS (
         SELECT camera_id, max(observed_at) AS at FROM checks
         WHERE (image->>'blank') IS DISTINCT FROM 'true' AND (image->>'dark') IS DISTINCT FROM 'true'
         GROUP BY camera_id)
       SELECT k.camera_id, k.observed_at, k.image FROM checks k LEFT JOIN clean c ON c.camera_id = k.camera_id
       WHERE c.at IS NULL OR k.observed_at >= c.at
       ORDER BY k.camera_id, k.observed_at`,
      [new Date(nowMs - IMAGE_LOOKBACK_MS), cameraIds, upper],
    );
    // The video rule reads the same way: per camera, samples from its latest one the agent found free of
    // every video fault. A code with stricter limits than the agent's can then only under-count a fault's
    // active time, never fail a camera on a guess.
    const videos = await this.pool.query<{ camera_id: string; observed_at: Date; video: VideoCheck }>(
      `WITH checks AS (
         SELECT camera_id, observed_at, payload->'video' AS video FROM health_samples
         WHERE observed_at > $1 AND ($3::timestamptz IS NULL OR observed_at <= $3) AND jsonb_typeof(payload->'video') = 'object'
           AND state <> 'down' AND ($2::text[] IS NULL OR camera_id = ANY($2::text[]))),
       clean AS (
         SELECT camera_id, max(observed_at) AS at FROM checks
         WHERE NOT (video @> '{"frozen":true}' OR video @> '{"black":true}' OR video @> '{"blurred":true}'
           OR video @> '{"sceneChanged":true}' OR video @> '{"snapshotStale":true}'
           OR video @> '{"snapshotMismatch":true}')
         GROUP BY camera_id)
       SELECT k.camera_id, k.observed_at, k.video FROM checks k LEFT JOIN clean c ON c.camera_id = k.camera_id
       WHERE c.at IS NULL OR k.observed_at >= c.at
       ORDER BY k.camera_id, k.observed_at`,
      [new Date(nowMs - IMAGE_LOOKBACK_MS), cameraIds, upper],
    );
    const videosBy = new Map<string, { observedAtMs: number; video: VideoCheck }[]>();
    for (const r of videos.rows) {
      const list = videosBy.get(r.camera_id) ?? [];
      list.push({ observedAtMs: r.observed_at.getTime(), video: r.video });
      videosBy.set(r.camera_id, list);
    }
    // The latest event of each type per camera says whether that condition is active now.
    const events = await this.pool.query<{ camera_id: string; type: CameraEventType; observed_at: Date }>(
      `SELECT camera_id, type, observed_at FROM (
         SELECT DISTINCT ON (camera_id, type) camera_id, type, active, observed_at FROM camera_events
         WHERE ($1::text[] IS NULL OR camera_id = ANY($1::text[])) AND ($2::timestamptz IS NULL OR observed_at <= $2)
         ORDER BY camera_id, type, observed_at DESC) latest
       -- Only the active ones are evidence; a fleet's cleared events stay in the database.
       WHERE active ORDER BY camera_id, type`,
      [cameraIds, upper],
    );
    const imagesBy = new Map<string, { observedAtMs: number; image: ImageCheck | null }[]>();
    for (const r of images.rows) {
      const list = imagesBy.get(r.camera_id) ?? [];
      list.push({ observedAtMs: r.observed_at.getTime(), image: r.image });
      imagesBy.set(r.camera_id, list);
    }
    const eventsBy = new Map<string, { type: CameraEventType; sinceMs: number }[]>();
    for (const r of events.rows) {
      const list = eventsBy.get(r.camera_id) ?? [];
      list.push({ type: r.type, sinceMs: r.observed_at.getTime() });
      eventsBy.set(r.camera_id, list);
    }
    const records = await this.pool.query<{
      council_id: string;
      last_review_at: Date | null;
      dpia_at: Date | null;
      certificate_issued_at: Date | null;
    }>('SELECT council_id, last_review_at, dpia_at, certificate_issued_at FROM scheme_records');
    // A record dated after the evaluation time was not made yet (a report for an ended period).
    const known = (d: Date | null): d is Date => d !== null && (!asOf || d.getTime() <= nowMs);
    const recordsBy = new Map(
      records.rows.map((r) => [
        r.council_id,
        {
          ...(known(r.last_review_at) ? { lastReviewAtMs: r.last_review_at.getTime() } : {}),
          ...(known(r.dpia_at) ? { dpiaAtMs: r.dpia_at.getTime() } : {}),
          ...(known(r.certificate_issued_at)
            ? { certificateIssuedAtMs: r.certificate_issued_at.getTime() }
            : {}),
        },
      ]),
    );
    return { imagesBy, videosBy, eventsBy, recordsBy };
  }

  /** Each camera's evidence from its row, its own latest readings and the shared ones. */
  private async assemble(
    nowMs: number,
    rows: CameraRow[],
    shared: SharedEvidence,
    asOf: boolean,
  ): Promise<CameraFacts[]> {
    const { imagesBy, videosBy, eventsBy, recordsBy } = shared;
    const upper = asOf ? new Date(nowMs) : null;
    if (asOf) await this.readingsAsOf(rows, nowMs);
    // Per camera its latest retention reading up to the evaluation time (one index probe per camera, so a
    // report for a finished month is judged on the reading it had then, not on today's).
    const retention = await this.pool.query<{
      camera_id: string;
      observed_at: Date;
      days_retained: number;
      earliest_at: Date;
    }>(
      `SELECT c.id AS camera_id, r.observed_at, r.days_retained, r.earliest_at
       FROM unnest($1::text[]) AS c(id)
       CROSS JOIN LATERAL (
         SELECT observed_at, days_retained, earliest_at FROM retention_readings
         WHERE camera_id = c.id AND ($2::timestamptz IS NULL OR observed_at <= $2) ORDER BY observed_at DESC LIMIT 1) r`,
      [rows.map((c) => c.id), upper],
    );
    const retentionBy = new Map(
      retention.rows.map((r) => [
        r.camera_id,
        { days: r.days_retained, observedAtMs: r.observed_at.getTime(), earliestMs: r.earliest_at.getTime() },
      ]),
    );
    type SubRow = { camera_id: string; observed_at: Date; payload: StreamPayload };
    const subStreams = asOf
      ? await this.pool.query<SubRow>(
          `SELECT DISTINCT ON (camera_id, payload->'declared'->>'token') camera_id, observed_at, payload
           FROM stream_samples
           WHERE camera_id = ANY($1::text[]) AND observed_at > $2 AND observed_at <= $3 AND payload->>'role' = 'sub'
           ORDER BY camera_id, payload->'declared'->>'token', observed_at DESC`,
          [rows.map((c) => c.id), new Date(nowMs - STREAM_MAX_AGE_MS), new Date(nowMs)],
        )
      : await this.pool.query<SubRow>(
          `SELECT camera_id, observed_at, payload FROM camera_sub_streams WHERE camera_id = ANY($1::text[])
           ORDER BY camera_id, token`,
          [rows.map((c) => c.id)],
        );
    const subStreamsBy = new Map<string, { payload: StreamPayload; observedAtMs: number }[]>();
    for (const r of subStreams.rows) {
      const list = subStreamsBy.get(r.camera_id) ?? [];
      list.push({ payload: r.payload, observedAtMs: r.observed_at.getTime() });
      subStreamsBy.set(r.camera_id, list);
    }
    return rows.map((c) => ({
      id: c.id,
      siteId: c.site_id,
      councilId: c.council_id,
      evidence: {
        camera: {
          id: c.id,
          purpose: c.purpose,
          hfovDeg: c.hfov_deg,
          designDistanceM: c.design_distance_m,
          ...(c.commissioned_bitrate_kbps === null ? {} : { bitrateKbps: c.commissioned_bitrate_kbps }),
        },
        ...(c.last_health && c.last_health_at
          ? { latestHealth: { payload: c.last_health, observedAtMs: c.last_health_at.getTime() } }
          : {}),
        ...(asOf ? {} : { agentClock: { suspect: c.clock_suspect, reason: c.clock_reason } }),
        ...(c.last_stream && c.last_stream_at
          ? { latestStream: { payload: c.last_stream, observedAtMs: c.last_stream_at.getTime() } }
          : {}),
        ...(subStreamsBy.has(c.id) ? { subStreams: subStreamsBy.get(c.id) } : {}),
        ...(imagesBy.has(c.id) ? { recentImages: imagesBy.get(c.id) } : {}),
        ...(videosBy.has(c.id) ? { recentVideo: videosBy.get(c.id) } : {}),
        // The agent reports camera events it sees; no event ever is known-none only once it reports.
        activeEvents: eventsBy.get(c.id) ?? [],
        ...(retentionBy.has(c.id) ? { retention: retentionBy.get(c.id) } : {}),
        ...(recordsBy.has(c.council_id) ? { records: recordsBy.get(c.council_id) } : {}),
      },
    }));
  }

  /**
   * Replaces each camera's latest health and main-stream readings with the ones it had at `atMs`: one
   * index probe per camera and table (health samples are kept with their full payload).
   */
  private async readingsAsOf(
    rows: {
      id: string;
      last_health: HealthPayload | null;
      last_health_at: Date | null;
      last_stream: StreamPayload | null;
      last_stream_at: Date | null;
    }[],
    atMs: number,
  ): Promise<void> {
    const ids = rows.map((r) => r.id);
    const at = new Date(atMs);
    const health = await this.pool.query<{ id: string; observed_at: Date; payload: HealthPayload }>(
      `SELECT c.id, h.observed_at, h.payload FROM unnest($1::text[]) AS c(id)
       CROSS JOIN LATERAL (SELECT observed_at, payload FROM health_samples
         WHERE camera_id = c.id AND observed_at <= $2 ORDER BY observed_at DESC LIMIT 1) h`,
      [ids, at],
    );
    const streams = await this.pool.query<{ id: string; observed_at: Date; payload: StreamPayload }>(
      `SELECT c.id, s.observed_at, s.payload FROM unnest($1::text[]) AS c(id)
       CROSS JOIN LATERAL (SELECT observed_at, payload FROM stream_samples
         WHERE camera_id = c.id AND observed_at <= $2 AND (payload->>'role') IS DISTINCT FROM 'sub'
         ORDER BY observed_at DESC LIMIT 1) s`,
      [ids, at],
    );
    const healthBy = new Map(health.rows.map((r) => [r.id, r]));
    const streamBy = new Map(streams.rows.map((r) => [r.id, r]));
    for (const row of rows) {
      const h = healthBy.get(row.id);
      row.last_health = h?.payload ?? null;
      row.last_health_at = h?.observed_at ?? null;
      const s = streamBy.get(row.id);
      row.last_stream = s?.payload ?? null;
      row.last_stream_at = s?.observed_at ?? null;
    }
  }

  async assignments(): Promise<Assignment[]> {
    const result = await this.pool.query<{
      scope_kind: Assignment['scopeKind'];
      scope_id: string;
      code: string;
      version: string | null;
      overrides: Assignment['overrides'];
    }>('SELECT scope_kind, scope_id, code, version, overrides FROM certification_assignments');
    return result.rows.map((r) => ({
      scopeKind: r.scope_kind,
      scopeId: r.scope_id,
      code: r.code,
      version: r.version,
      overrides: r.overrides,
    }));
  }

  async assign(a: Assignment, user: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO certification_assignments (scope_kind, scope_id, code, version, overrides, assigned_by)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (scope_kind, scope_id) DO UPDATE SET code = excluded.code, version = excluded.version,
         overrides = excluded.overrides, assigned_by = excluded.assigned_by, assigned_at = now()`,
      [a.scopeKind, a.scopeId, a.code, a.version, JSON.stringify(a.overrides), user],
    );
  }

  async setRecords(
    councilId: string,
    records: { lastReviewAt?: string | null; dpiaAt?: string | null; certificateIssuedAt?: string | null },
    user: string,
  ): Promise<boolean> {
    const exists = await this.pool.query('SELECT 1 FROM councils WHERE id = $1', [councilId]);
    if (exists.rowCount === 0) return false;
    const d = (v: string | null | undefined) => (v ? new Date(v) : null);
    await this.pool.query(
      `INSERT INTO scheme_records (council_id, last_review_at, dpia_at, certificate_issued_at, updated_by)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (council_id) DO UPDATE SET last_review_at = excluded.last_review_at, dpia_at = excluded.dpia_at,
         certificate_issued_at = excluded.certificate_issued_at, updated_by = excluded.updated_by, updated_at = now()`,
      [councilId, d(records.lastReviewAt), d(records.dpiaAt), d(records.certificateIssuedAt), user],
    );
    return true;
  }

  /** Writes the cycle's results: current status, and the day's history row (worst and latest). */
  async record(rows: { cameraId: string; result: PackResult }[], day: string, nowMs: number): Promise<void> {
    if (rows.length === 0) return;
    const at = new Date(nowMs);
    // One JSON text for the whole chunk, serialised once for both tables: pg's array parameters
    // escape every element character by character, which for 500 results held the event loop for
    // about 10 ms a chunk. One statement also writes both tables or neither.
    const chunk = JSON.stringify(
      rows.map((r) => ({ id: r.cameraId, ref: r.result.ref, status: r.result.status, result: r.result })),
    );
    await this.pool.query(
      `WITH t AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id text, ref text, status text, result jsonb)),
       current AS (
         INSERT INTO compliance_status (camera_id, pack_ref, status, result, failing, evaluated_at, status_since)
         SELECT t.id, t.ref, t.status, t.result, ARRAY(
             SELECT r ->> 'ruleId' FROM jsonb_array_elements(t.result -> 'results') r WHERE r ->> 'status' IN ('fail', 'warn')),
           $2, $2
         FROM t
         ON CONFLICT (camera_id) DO UPDATE SET pack_ref = excluded.pack_ref, status = excluded.status, result = excluded.result,
           failing = excluded.failing, evaluated_at = excluded.evaluated_at,
           status_since = CASE WHEN compliance_status.status = excluded.status THEN compliance_status.status_since ELSE excluded.evaluated_at END)
       INSERT INTO compliance_daily (camera_id, day, pack_ref, worst_status, latest_status, latest_result, evaluated_at)
       SELECT t.id, $3::date, t.ref, t.status, t.status, t.result, $2
       FROM t
       ON CONFLICT (camera_id, day) DO UPDATE SET pack_ref = excluded.pack_ref, latest_status = excluded.latest_status,
         latest_result = excluded.latest_result, evaluated_at = excluded.evaluated_at,
         worst_status = CASE
           WHEN 'fail' IN (compliance_daily.worst_status, excluded.worst_status) THEN 'fail'
           WHEN 'warn' IN (compliance_daily.worst_status, excluded.worst_status) THEN 'warn'
           WHEN 'not_evaluable' IN (compliance_daily.worst_status, excluded.worst_status) THEN 'not_evaluable'
           ELSE 'pass' END`,
      [chunk, at, day],
    );
  }

  async statuses(cameraIds: readonly string[] | null, scope: Scope): Promise<StatusRow[]> {
    const result = await this.pool.query<{
      camera_id: string;
      council_id: string;
      pack_ref: string;
      status: RuleStatus;
      result: PackResult;
      evaluated_at: Date;
      status_since: Date;
    }>(
      `SELECT cs.camera_id, s.council_id, cs.pack_ref, cs.status, cs.result, cs.evaluated_at, cs.status_since
       FROM compliance_status cs JOIN cameras c ON c.id = cs.camera_id JOIN sites s ON s.id = c.site_id
       WHERE c.active AND ($1::text[] IS NULL OR cs.camera_id = ANY($1::text[])) AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))
       ORDER BY cs.camera_id`,
      [cameraIds, scope],
    );
    return result.rows.map((r) => ({
      cameraId: r.camera_id,
      councilId: r.council_id,
      packRef: r.pack_ref,
      status: r.status,
      result: r.result,
      evaluatedAt: r.evaluated_at.toISOString(),
      statusSince: r.status_since.toISOString(),
    }));
  }

  /** Latest status of each camera, without the results: for fleet summaries. */
  /** Live feed views per camera in [fromMs, toMs) from the audit log, and how many are fully recorded. */
  async feedViews(fromMs: number, toMs: number): Promise<Map<string, { views: number; complete: number }>> {
    const result = await this.pool.query<{ camera_id: string; views: number; complete: number }>(
      `SELECT substr(subject, 8) AS camera_id, count(*)::int AS views,
         count(*) FILTER (WHERE actor <> '' AND coalesce(incident_ref, '') <> '' AND coalesce(reason, '') <> '')::int AS complete
       FROM audit_log WHERE kind = 'feed.start' AND subject LIKE 'camera:%' AND at >= $1 AND at < $2
       GROUP BY subject`,
      [new Date(fromMs), new Date(toMs)],
    );
    return new Map(result.rows.map((r) => [r.camera_id, { views: r.views, complete: r.complete }]));
  }

  async summaries(cameraIds: readonly string[], scope: Scope): Promise<StatusSummaryRow[]> {
    if (cameraIds.length === 0) return [];
    const result = await this.pool.query<{
      camera_id: string;
      pack_ref: string;
      status: RuleStatus;
      failing: string[];
    }>(
      `SELECT cs.camera_id, cs.pack_ref, cs.status, cs.failing
       FROM compliance_status cs JOIN cameras c ON c.id = cs.camera_id JOIN sites s ON s.id = c.site_id
       WHERE c.active AND cs.camera_id = ANY($1::text[]) AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))`,
      [cameraIds, scope],
    );
    return result.rows.map((r) => ({
      cameraId: r.camera_id,
      packRef: r.pack_ref,
      status: r.status,
      failing: r.failing,
    }));
  }

  async history(
    cameraId: string,
    fromDay: string,
    toDay: string,
  ): Promise<
    {
      day: string;
      packRef: string;
      worstStatus: RuleStatus;
      latestStatus: RuleStatus;
      latestResult: PackResult;
    }[]
  > {
    const result = await this.pool.query<{
      day: string;
      pack_ref: string;
      worst_status: RuleStatus;
      latest_status: RuleStatus;
      latest_result: PackResult;
    }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, pack_ref, worst_status, latest_status, latest_result FROM compliance_daily
       WHERE camera_id = $1 AND day >= $2::date AND day <= $3::date ORDER BY day`,
      [cameraId, fromDay, toDay],
    );
    return result.rows.map((r) => ({
      day: r.day,
      packRef: r.pack_ref,
      worstStatus: r.worst_status,
      latestStatus: r.latest_status,
      latestResult: r.latest_result,
    }));
  }
}
