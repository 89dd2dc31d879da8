import type pg from 'pg';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import { availability, observedShare } from '../../../src/uptime/durations.ts';
import { verifyAuditChain } from '../audit/audit-log.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import { countedSpans, durationsOver } from '../repositories/evidence-spans.ts';
import type { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import type { UptimeRepository } from '../repositories/uptime-repository.ts';
import { reportCompliance } from './compliance-input.ts';
import type { ClockSample, CouncilReportData, ReportFeedAccess } from './report-data.ts';

export interface GatherDeps {
  pool: pg.Pool;
  uptime: UptimeRepository;
  maintenance: MaintenanceRepository;
  compliance: ComplianceRepository;
  packs: RulePackRegistry;
}

/** Everything a council's report shows, for one period; nothing from any other council. */
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
  // The sites and cameras the council held during the period (a site moved since stays in the
  // months it was the council's), each camera counted only while approved.
  const sites = await deps.pool.query<{ id: string; name: string }>(
    `SELECT DISTINCT s.id, s.name FROM site_assignments a JOIN sites s ON s.id = a.site_id
      WHERE a.council_id = $1 AND a.valid_from < $3 AND (a.valid_to IS NULL OR a.valid_to > $2) ORDER BY s.id`,
    [councilId, new Date(period.fromMs), new Date(period.toMs)],
  );
  const spans = await countedSpans(deps.pool, 'council', councilId, null, period.fromMs, period.toMs);
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
  const durations = await durationsOver(deps.uptime, spans, nowMs);
  const statuses = new Map((await deps.compliance.statuses(ids, [councilId])).map((s) => [s.cameraId, s]));
  // The worst clock reading of each hour keeps spikes visible without shipping every sample. One
  // row per camera with its readings as JSON, times already in ISO form: a month of hourly readings
  // for a large council is tens of thousands of values, and parsing them row by row (a Date each)
  // on the event loop cost more than the query; JSON.parse of one array per camera is native.
  const clock = await deps.pool.query<{ camera_id: string; samples: ClockSample[] }>(
    `SELECT camera_id, json_agg(json_build_object(
         'at', to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'offsetMs', offset_ms)
         ORDER BY hour) AS samples
     FROM (SELECT camera_id, date_trunc('hour', observed_at) AS hour,
             (array_agg(clock_offset_ms ORDER BY abs(clock_offset_ms) DESC))[1] AS offset_ms
           FROM health_samples WHERE camera_id = ANY($1::text[]) AND observed_at >= $2 AND observed_at < $3 AND clock_offset_ms IS NOT NULL
           GROUP BY camera_id, date_trunc('hour', observed_at)) AS hourly
     GROUP BY camera_id`,
    [ids, new Date(period.fromMs), new Date(Math.min(period.toMs, nowMs))],
  );
  const clockBy = new Map(clock.rows.map((c) => [c.camera_id, c.samples]));
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
    generatedBy: user,
    cameras: cameras.rows.map((c) => {
      const d = durations.get(c.id);
      const status = statuses.get(c.id);
      const pack = status ? deps.packs.get(status.packRef) : undefined;
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
        compliance: status
          ? reportCompliance(status.result, new Map((pack?.rules ?? []).map((r) => [r.id, r.title])))
          : null,
        clock: { samples: clockBy.get(c.id) ?? [] },
      };
    }),
    maintenance: windows,
    feedAccess: await feedAccess(deps.pool, councilId, period),
  };
}

/** Feed sessions on the council's cameras that started in the period, each with how it ended. */
async function feedAccess(
  pool: pg.Pool,
  councilId: string,
  period: { fromMs: number; toMs: number },
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
     LEFT JOIN audit_log e ON e.kind = 'feed.end' AND e.detail ->> 'session' = s.detail ->> 'session'
     WHERE s.kind = 'feed.start' AND s.council_id = $1 AND s.at >= $2 AND s.at < $3
     ORDER BY s.at, s.seq`,
    [councilId, new Date(period.fromMs), new Date(period.toMs)],
  );
  const chain = await verifyAuditChain(pool);
  return {
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
