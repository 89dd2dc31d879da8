import type pg from 'pg';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import type { CommissioningRecord } from '../../../src/schemas/commissioning-api.ts';
import { availability, observedShare, type StateDurations } from '../../../src/uptime/durations.ts';
import { verifyAuditChain } from '../audit/audit-log.ts';
import type { CameraFacts, ComplianceRepository } from '../compliance/compliance-repository.ts';
import { assignmentMap, type CameraEvaluation, evaluateCamera } from '../compliance/evaluate-camera.ts';
import { latestCommissioning } from '../repositories/commissioning-records.ts';
import { countedDurations } from '../repositories/evidence-spans.ts';
import type { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import type { UptimeRepository } from '../repositories/uptime-repository.ts';
import { reportCompliance } from './compliance-input.ts';
import type {
  ClockSample,
  CouncilReportData,
  ReportClock,
  ReportCommissioned,
  ReportFeedAccess,
} from './report-data.ts';

export interface GatherDeps {
  pool: pg.Pool;
  uptime: UptimeRepository;
  maintenance: MaintenanceRepository;
  compliance: ComplianceRepository;
  packs: RulePackRegistry;
  defaultCode: string;
}

/** The reference clock limits (DESIGN reference table) for cameras whose code has no clock rule. */
const REFERENCE_CLOCK = { warnMs: 1000, failMs: 5000 };

/**
 * Everything a council's report shows, for one period; nothing from any other council. Everything
 * is evaluated here, once, at `nowMs`: the uptime table's durations are the ones the availability
 * rule is given, the clock figures count the same readings the clock rule's limits apply to, and
 * every file built from the result states that one time.
 */
export async function gatherCouncilReport(
  deps: GatherDeps,
  councilId: string,
  period: { fromMs: number; toMs: number; label: string },
  user: string,
  nowMs: number,
): Promise<CouncilReportData | null> {
  const council = await deps.pool.query<{ id: string; name: string; hub_name: string }>(
    'SELECT co.id, co.name, h.name AS hub_name FROM councils co JOIN hubs h ON h.id = co.hub_id WHERE co.id = $1',
    [councilId],
  );
  const row = council.rows[0];
  if (!row) return null;
  const measuredToMs = Math.max(period.fromMs, Math.min(period.toMs, nowMs));
  // The sites and cameras the council held during the period (a site moved since stays in the
  // months it was the council's), each camera counted only while approved.
  const sites = await deps.pool.query<{ id: string; name: string }>(
    `SELECT DISTINCT s.id, s.name FROM site_assignments a JOIN sites s ON s.id = a.site_id
      WHERE a.council_id = $1 AND a.valid_from < $3 AND (a.valid_to IS NULL OR a.valid_to > $2) ORDER BY s.id`,
    [councilId, new Date(period.fromMs), new Date(period.toMs)],
  );
  const { spans, durations } = await countedDurations(
    deps.pool,
    deps.uptime,
    'council',
    councilId,
    null,
    period.fromMs,
    period.toMs,
    nowMs,
  );
  const cameras = await deps.pool.query<{
    id: string;
    name: string;
    site_id: string;
    site_name: string;
    purpose: string;
  }>(
    `SELECT c.id, c.name, c.site_id, s.name AS site_name, c.purpose FROM cameras c JOIN sites s ON s.id = c.site_id
     WHERE c.id = ANY($1::text[]) ORDER BY c.id`,
    [[...new Set(spans.map((s) => s.cameraId))]],
  );
  const ids = cameras.rows.map((c) => c.id);
  const chain = await verifyAuditChain(deps.pool);
  const evaluations = await evaluate(deps, councilId, cameras.rows, durations, period, chain, nowMs);
  const clocks = await clockFigures(deps.pool, ids, evaluations, period, nowMs);
  // Records taken up to the evaluation time: a later commissioning does not change this report.
  const commissioned = await latestCommissioning(deps.pool, ids, nowMs);
  const windows = (await deps.maintenance.list([councilId], nowMs)).map(({ next: _next, ...w }) => w);
  return {
    council: { id: row.id, name: row.name },
    sites: sites.rows,
    hubName: row.hub_name,
    period: {
      from: new Date(period.fromMs).toISOString(),
      to: new Date(period.toMs).toISOString(),
      label: period.label,
    },
    generatedAt: new Date(nowMs).toISOString(),
    measuredTo: new Date(measuredToMs).toISOString(),
    generatedBy: user,
    cameras: cameras.rows.map((c) => {
      const d = durations.get(c.id);
      const evaluation = evaluations.get(c.id);
      return {
        id: c.id,
        councilId,
        name: c.name,
        siteId: c.site_id,
        siteName: c.site_name,
        purpose: c.purpose,
        uptime: {
          durationsMs: d ?? { up: 0, degraded: 0, down: 0, unknown: 0, maintenance: 0 },
          availability: d ? availability(d) : null,
          observed: d ? observedShare(d) : null,
        },
        compliance: evaluation?.ok
          ? {
              ...reportCompliance(evaluation.result, evaluation.pack.rules),
              evaluatedAt: new Date(nowMs).toISOString(),
            }
          : null,
        clock: clocks.get(c.id) ?? emptyClock(REFERENCE_CLOCK),
        retentionDays: evaluation?.facts.evidence.retention?.days ?? null,
        retentionReadAt: readAt(evaluation?.facts.evidence.retention?.observedAtMs),
        commissioned: commissionedOf(commissioned.get(c.id)),
      };
    }),
    maintenance: windows,
    feedAccess: await feedAccess(deps.pool, councilId, period, chain),
  };
}

type Evaluated = CameraEvaluation & { facts: CameraFacts };

function commissionedOf(r: CommissioningRecord | undefined): ReportCommissioned | null {
  if (!r) return null;
  return {
    recordedAt: r.recordedAt,
    recordedBy: r.recordedBy,
    purpose: r.commissioning.purpose,
    designDistanceM: r.commissioning.designDistanceM,
    pixelDensityPxPerM: r.judgement.pixelDensityPxPerM,
    requiredPxPerM: r.judgement.requiredPxPerM,
    metPurpose: r.judgement.metPurpose,
    summary: r.judgement.summary,
  };
}

function readAt(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** Each camera against its code, over the report's period, with the report's durations. */
async function evaluate(
  deps: GatherDeps,
  councilId: string,
  cameras: readonly { id: string; site_id: string }[],
  durations: Map<string, StateDurations>,
  period: { fromMs: number; toMs: number },
  chain: { ok: boolean; message: string },
  nowMs: number,
): Promise<Map<string, Evaluated>> {
  const ids = cameras.map((c) => c.id);
  // Rules on readings judge what each camera had at the end of an ended period (its last millisecond),
  // or now while the period runs: a pack for last month downloaded today says what last month was.
  const ended = nowMs >= period.toMs;
  const readingsAtMs = ended ? period.toMs - 1 : nowMs;
  const facts = new Map(
    (await deps.compliance.facts(readingsAtMs, ids, { asOf: ended })).map((f) => [f.id, f]),
  );
  const context = {
    packs: deps.packs,
    defaultCode: deps.defaultCode,
    assignments: assignmentMap(await deps.compliance.assignments()),
    period: { fromMs: period.fromMs, toMs: period.toMs },
    durations,
    views: await deps.compliance.feedViews(period.fromMs, Math.min(period.toMs, nowMs)),
    chain: { ...chain, atMs: nowMs },
    nowMs: readingsAtMs,
  };
  const out = new Map<string, Evaluated>();
  for (const c of cameras) {
    // The camera as the council held it in this period; with no readings on record (a camera
    // retired since), only the period's rules can be judged and the rest are not evaluable.
    const known = facts.get(c.id);
    const camera: CameraFacts = {
      id: c.id,
      siteId: c.site_id,
      councilId,
      evidence: known?.evidence ?? { camera: { id: c.id } },
    };
    out.set(c.id, { ...evaluateCamera(camera, context), facts: camera });
  }
  return out;
}

function emptyClock(limits: { warnMs: number; failMs: number }): ReportClock {
  return {
    readings: 0,
    minMs: null,
    maxMs: null,
    worstMs: null,
    worstAt: null,
    p95AbsMs: null,
    ...limits,
    overWarn: 0,
    overFail: 0,
    hourlyWorst: [],
  };
}

/** The limits of the camera's clock-offset rule as evaluated (overrides applied), else the reference. */
function clockLimits(evaluation: Evaluated | undefined): { warnMs: number; failMs: number } {
  if (!evaluation?.ok) return REFERENCE_CLOCK;
  const rule = evaluation.result.results.find((r) => r.kind === 'clock-offset');
  const { warnMs, failMs } = rule?.evidence.thresholds ?? {};
  return typeof warnMs === 'number' && typeof failMs === 'number' ? { warnMs, failMs } : REFERENCE_CLOCK;
}

/**
 * Every clock reading of the period up to the evaluation time (a reading taken at that very instant
 * included: it is the one the clock rule judged) summarised per camera in the database (a month of
 * readings for a large council is far too many to ship), counted against each camera's own limits;
 * and the worst reading of each hour for the charts, one JSON array per camera (parsed natively).
 */
async function clockFigures(
  pool: pg.Pool,
  ids: readonly string[],
  evaluations: ReadonlyMap<string, Evaluated>,
  period: { fromMs: number; toMs: number },
  nowMs: number,
): Promise<Map<string, ReportClock>> {
  const limits = ids.map((id) => clockLimits(evaluations.get(id)));
  const stats = await pool.query<{
    camera_id: string;
    readings: number;
    min_ms: number;
    max_ms: number;
    worst_ms: number;
    worst_at: Date;
    p95_abs_ms: number;
    over_warn: number;
    over_fail: number;
  }>(
    `SELECT t.camera_id, count(*)::int AS readings, min(h.clock_offset_ms) AS min_ms, max(h.clock_offset_ms) AS max_ms,
       (array_agg(h.clock_offset_ms ORDER BY abs(h.clock_offset_ms) DESC, h.observed_at))[1] AS worst_ms,
       (array_agg(h.observed_at ORDER BY abs(h.clock_offset_ms) DESC, h.observed_at))[1] AS worst_at,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY abs(h.clock_offset_ms)) AS p95_abs_ms,
       count(*) FILTER (WHERE abs(h.clock_offset_ms) > t.warn_ms)::int AS over_warn,
       count(*) FILTER (WHERE abs(h.clock_offset_ms) > t.fail_ms)::int AS over_fail
     FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(camera_id, warn_ms, fail_ms)
     JOIN health_samples h ON h.camera_id = t.camera_id
     WHERE h.observed_at >= $4 AND h.observed_at < $5 AND h.observed_at <= $6 AND h.clock_offset_ms IS NOT NULL
     GROUP BY t.camera_id`,
    [
      ids,
      limits.map((l) => l.warnMs),
      limits.map((l) => l.failMs),
      new Date(period.fromMs),
      new Date(period.toMs),
      new Date(nowMs),
    ],
  );
  const hourly = await pool.query<{ camera_id: string; samples: ClockSample[] }>(
    `SELECT camera_id, json_agg(json_build_object(
         'at', to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'offsetMs', offset_ms)
         ORDER BY hour) AS samples
     FROM (SELECT camera_id, date_trunc('hour', observed_at) AS hour,
             (array_agg(clock_offset_ms ORDER BY abs(clock_offset_ms) DESC))[1] AS offset_ms
           FROM health_samples WHERE camera_id = ANY($1::text[]) AND observed_at >= $2 AND observed_at < $3
             AND observed_at <= $4 AND clock_offset_ms IS NOT NULL
           GROUP BY camera_id, date_trunc('hour', observed_at)) AS hourly
     GROUP BY camera_id`,
    [ids, new Date(period.fromMs), new Date(period.toMs), new Date(nowMs)],
  );
  const hourlyBy = new Map(hourly.rows.map((r) => [r.camera_id, r.samples]));
  const statsBy = new Map(stats.rows.map((r) => [r.camera_id, r]));
  const out = new Map<string, ReportClock>();
  ids.forEach((id, i) => {
    const r = statsBy.get(id);
    const clock = emptyClock(limits[i] ?? REFERENCE_CLOCK);
    clock.hourlyWorst = hourlyBy.get(id) ?? [];
    if (r) {
      Object.assign(clock, {
        readings: r.readings,
        minMs: Number(r.min_ms),
        maxMs: Number(r.max_ms),
        worstMs: Number(r.worst_ms),
        worstAt: r.worst_at.toISOString(),
        p95AbsMs: Number(r.p95_abs_ms),
        overWarn: r.over_warn,
        overFail: r.over_fail,
      });
    }
    out.set(id, clock);
  });
  return out;
}

/**
 * Feed sessions on the council's cameras that started in the period, each with how it ended, and the
 * snapshots taken of them.
 */
async function feedAccess(
  pool: pg.Pool,
  councilId: string,
  period: { fromMs: number; toMs: number },
  chain: { ok: boolean; message: string },
): Promise<ReportFeedAccess> {
  const rows = await pool.query<{
    subject: string;
    actor: string;
    incident_ref: string | null;
    reason: string | null;
    at: Date;
    ended_at: Date | null;
    why: string | null;
  }>(
    `SELECT s.subject, s.actor, s.incident_ref, s.reason, s.at, e.at AS ended_at, e.detail ->> 'why' AS why
     FROM audit_log s
     LEFT JOIN audit_log e ON e.kind IN ('feed.end', 'feed.failed') AND e.detail ->> 'session' = s.detail ->> 'session'
     WHERE s.kind = 'feed.start' AND s.council_id = $1 AND s.at >= $2 AND s.at < $3
     ORDER BY s.at, s.seq`,
    [councilId, new Date(period.fromMs), new Date(period.toMs)],
  );
  const stills = await pool.query<{ subject: string; actor: string; reason: string | null; at: Date }>(
    `SELECT subject, actor, reason, at FROM audit_log
     WHERE kind = 'snapshot.taken' AND council_id = $1 AND at >= $2 AND at < $3
     ORDER BY at, seq`,
    [councilId, new Date(period.fromMs), new Date(period.toMs)],
  );
  return {
    snapshots: stills.rows.map((r) => ({
      cameraId: r.subject.replace(/^camera:/, ''),
      user: r.actor,
      reason: r.reason ?? '',
      takenAt: r.at.toISOString(),
    })),
    sessions: rows.rows.map((r) => ({
      cameraId: r.subject.replace(/^camera:/, ''),
      user: r.actor,
      incidentRef: r.incident_ref ?? '',
      reason: r.reason ?? '',
      startedAt: r.at.toISOString(),
      endedAt: r.ended_at ? r.ended_at.toISOString() : null,
      endReason: r.why,
    })),
    chain: { ok: chain.ok, message: chain.message },
  };
}
