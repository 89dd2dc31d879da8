import type { RuleStatus } from '../../../src/compliance/result.ts';
import {
  addDurations,
  availability,
  emptyDurations,
  observedShare,
  type StateDurations,
} from '../../../src/uptime/durations.ts';
import type { CouncilReportData } from './report-data.ts';

export type CameraComplianceStatus = RuleStatus | 'no_code_assigned';

export interface ReportSummary {
  cameraCount: number;
  siteCount: number;
  durationsMs: StateDurations;
  /** From summed durations, so long-observed cameras weigh more than a camera added last week. */
  availability: number | null;
  observed: number | null;
  camerasByStatus: Record<CameraComplianceStatus, number>;
  rulesByStatus: Record<RuleStatus, number>;
  codes: string[];
}

export function summarise(data: CouncilReportData): ReportSummary {
  let durationsMs = emptyDurations();
  const camerasByStatus: Record<CameraComplianceStatus, number> = {
    pass: 0,
    warn: 0,
    fail: 0,
    not_evaluable: 0,
    no_code_assigned: 0,
  };
  const rulesByStatus: Record<RuleStatus, number> = { pass: 0, warn: 0, fail: 0, not_evaluable: 0 };
  const codes = new Set<string>();
  for (const camera of data.cameras) {
    durationsMs = addDurations(durationsMs, camera.uptime.durationsMs);
    const pack = camera.compliance;
    camerasByStatus[pack?.status ?? 'no_code_assigned']++;
    if (!pack) continue;
    codes.add(`${pack.code}@${pack.version}`);
    for (const r of pack.results) rulesByStatus[r.status]++;
  }
  return {
    cameraCount: data.cameras.length,
    siteCount: data.sites.length,
    durationsMs,
    availability: availability(durationsMs),
    observed: observedShare(durationsMs),
    camerasByStatus,
    rulesByStatus,
    codes: [...codes].sort(),
  };
}
