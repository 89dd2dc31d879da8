import type { Static } from '@sinclair/typebox';
import type { RuleResult, RuleStatus } from '../../../src/compliance/result.ts';
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
  kind: string;
  title: string;
  /** Surveillance Camera Code principles the rule evidences (from the pack); empty when it names none. */
  principles: number[];
  /** The rule's one-line citation from the pack. */
  source: string;
  status: RuleStatus;
  reason: string;
  /** For people, in words and units, e.g. "minimum 99.50%; measured per calendar month". */
  threshold?: string;
  value?: string;
  /** The same evidence for machines: raw values as the rule computed them (the API serves these). */
  evidence: RuleResult['evidence'];
}

export interface ReportCompliance {
  code: string;
  version: number | string;
  ref: string;
  status: RuleStatus;
  /** When this result was computed: the report's own evaluation time. */
  evaluatedAt: string;
  /**
   * The time rules on readings judged each camera at: the evaluation time while the period runs, the
   * period's last millisecond once it has ended (the readings the camera had then, not today's).
   */
  readingsAt: string;
  results: ReportRuleResult[];
}

export interface ClockSample {
  /** ISO time the offset was measured. */
  at: string;
  /** Camera UTC minus agent UTC, round-trip corrected. */
  offsetMs: number;
}

/**
 * Every clock reading of a camera in the report window up to the evaluation time, summarised once
 * (the PDF, the CSV and the API print these same figures).
 */
export interface ReportClock {
  /** How many readings: every one the agent sent, not one per hour. */
  readings: number;
  minMs: number | null;
  maxMs: number | null;
  /** The reading furthest from zero, with its sign, and when it was taken. */
  worstMs: number | null;
  worstAt: string | null;
  /** 95th percentile of |offset| over the readings (a reading itself, not interpolated). */
  p95AbsMs: number | null;
  /** The limits readings are counted against: the camera's clock rule, else the reference 1 s and 5 s. */
  warnMs: number;
  failMs: number;
  overWarn: number;
  overFail: number;
  /** The worst reading of each hour, for the chart only. */
  hourlyWorst: ClockSample[];
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
  clock: ReportClock;
  /**
   * Whole days of video the camera's recording held at its latest reading up to the evaluation time
   * (ONVIF Profile G, read by the site agent), and when that reading was taken; null when never read.
   */
  retentionDays: number | null;
  retentionReadAt: string | null;
  /** The latest commissioning record taken on site up to the evaluation time; null when none. */
  commissioned: ReportCommissioned | null;
}

/** What was measured when the camera was commissioned on site, and the hub's judgement of it. */
export interface ReportCommissioned {
  recordedAt: string;
  recordedBy: string;
  purpose: string;
  designDistanceM: number;
  pixelDensityPxPerM: number | null;
  requiredPxPerM: number;
  /** null when nothing was measured. */
  metPurpose: boolean | null;
  summary: string;
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
  /**
   * The one evaluation time of the whole report: durations, clock readings and every rule result
   * are as of this instant, so the same council, window and time give the same figures in every file.
   */
  generatedAt: string;
  /** The end of measured time: the period's end, or the evaluation time while the period runs. */
  measuredTo: string;
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

/** A still picture of a camera taken through the hub (camera detail), from the audit log. */
export interface ReportSnapshot {
  cameraId: string;
  user: string;
  reason: string;
  takenAt: string;
}

export interface ReportFeedAccess {
  sessions: ReportFeedSession[];
  /** Snapshots of the council's cameras taken in the period. */
  snapshots: ReportSnapshot[];
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
