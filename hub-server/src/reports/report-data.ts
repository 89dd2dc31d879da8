import type { Static } from '@sinclair/typebox';
import type { RuleStatus } from '../../../src/compliance/result.ts';
import type { UptimeFigures } from '../../../src/schemas/api.ts';
import type { MaintenanceWindowView } from '../../../src/schemas/maintenance.ts';

/*
 * What the report builders need, already gathered by the hub (queries, uptime maths, compliance
 * evaluation). This is an in-process input, not a wire shape, so it is a plain interface; the parts
 * that are wire shapes elsewhere reuse those schemas' types.
 */

export type ReportUptime = Static<typeof UptimeFigures>;

export interface ReportRuleResult {
  ruleId: string;
  title: string;
  status: RuleStatus;
  reason: string;
  /** Pre-formatted for people, e.g. ">= 99.5%"; the pack and reason carry the exact figures. */
  threshold?: string;
  value?: string;
}

export interface ReportCompliance {
  code: string;
  version: number | string;
  status: RuleStatus;
  results: ReportRuleResult[];
}

export interface ClockSample {
  /** ISO time the offset was measured. */
  at: string;
  /** Camera UTC minus agent UTC, round-trip corrected. */
  offsetMs: number;
}

export interface ReportCamera {
  id: string;
  /** Carried so the builders can refuse another council's camera instead of printing it. */
  councilId: string;
  name: string;
  siteId: string;
  siteName: string;
  purpose: string | null;
  uptime: ReportUptime;
  /** null when no certification code is assigned to the camera, its site or council. */
  compliance: ReportCompliance | null;
  clock: { samples: ClockSample[] };
}

/** A maintenance window as the API shows it, less the "next 30 days" list that means nothing for a past period. */
export type ReportMaintenanceWindow = Omit<MaintenanceWindowView, 'next'>;

export interface CouncilReportData {
  council: { id: string; name: string };
  /** The council's sites, cameras or not: what site-scoped maintenance windows are checked against. */
  sites: { id: string; name: string }[];
  hubName: string;
  /** [from, to) as ISO times; `label` is what people call it, e.g. "March 2025". */
  period: { from: string; to: string; label: string };
  generatedAt: string;
  generatedBy: string;
  /** Every camera of the council that existed during the period (camera-scoped windows must name one). */
  cameras: ReportCamera[];
  maintenance: ReportMaintenanceWindow[];
  /** Live feed sessions of the council's cameras in the period, from the audit log, and its verification. */
  feedAccess: ReportFeedAccess;
}

export interface ReportFeedSession {
  cameraId: string;
  user: string;
  incidentRef: string;
  reason: string;
  startedAt: string;
  endedAt: string | null;
  /** closed, idle, expired or shutdown; null while it runs. */
  endReason: string | null;
}

export interface ReportFeedAccess {
  sessions: ReportFeedSession[];
  /** The audit log's hash chain, verified when the report was made. */
  chain: { ok: boolean; message: string };
}

export class ReportDataError extends Error {
  constructor(
    readonly code:
      | 'REPORT_PERIOD_INVALID'
      | 'REPORT_FOREIGN_CAMERA'
      | 'REPORT_UNKNOWN_SITE'
      | 'REPORT_FOREIGN_MAINTENANCE',
    message: string,
  ) {
    super(message);
  }
}

export interface CheckedPeriod {
  fromMs: number;
  toMs: number;
}

/**
 * Refuses data that would put another council's cameras or windows in this council's evidence.
 * The builders never filter silently: a query that returned foreign rows is a bug to surface.
 */
export function checkReportData(data: CouncilReportData): CheckedPeriod {
  const fromMs = Date.parse(data.period.from);
  const toMs = Date.parse(data.period.to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) {
    throw new ReportDataError(
      'REPORT_PERIOD_INVALID',
      `report period ${data.period.from} .. ${data.period.to} is not a valid [from, to) range`,
    );
  }
  const councilId = data.council.id;
  const cameraIds = new Set<string>();
  const siteIds = new Set(data.sites.map((s) => s.id));
  for (const camera of data.cameras) {
    if (camera.councilId !== councilId) {
      throw new ReportDataError(
        'REPORT_FOREIGN_CAMERA',
        `camera ${camera.id} belongs to council ${camera.councilId}, not ${councilId}`,
      );
    }
    if (!siteIds.has(camera.siteId)) {
      throw new ReportDataError(
        'REPORT_UNKNOWN_SITE',
        `camera ${camera.id} is at site ${camera.siteId}, which is not among council ${councilId}'s sites`,
      );
    }
    cameraIds.add(camera.id);
  }
  for (const w of data.maintenance) {
    const ours =
      (w.scope === 'council' && w.scopeId === councilId) ||
      (w.scope === 'site' && siteIds.has(w.scopeId)) ||
      (w.scope === 'camera' && cameraIds.has(w.scopeId));
    if (!ours) {
      throw new ReportDataError(
        'REPORT_FOREIGN_MAINTENANCE',
        `maintenance window ${w.id} (${w.scope} ${w.scopeId}) is not for council ${councilId} or its cameras`,
      );
    }
  }
  return { fromMs, toMs };
}
