import { type CsvCell, csvDocument, num } from './csv-writer.ts';
import { hours3, isoUtc, shareDecimal } from './format.ts';
import { maintenanceLog } from './maintenance-log.ts';
import { type CouncilReportData, checkReportData, type ReportCamera } from './report-data.ts';

/*
 * CSV exports for machines and spreadsheets: ISO UTC times, durations in hours to 3 decimals,
 * shares as decimal fractions (0.995, not "99.5%"). Each row repeats council and period so files
 * from several councils or months can be concatenated and still be read correctly.
 */

const NO_CODE = 'no_code_assigned';

function contextCells(data: CouncilReportData): CsvCell[] {
  return [data.council.id, data.council.name, isoUtc(data.period.from), isoUtc(data.period.to)];
}
const CONTEXT_HEADER = ['council_id', 'council_name', 'period_from', 'period_to'];

function cameraCells(c: ReportCamera): CsvCell[] {
  return [c.id, c.name, c.siteId, c.siteName];
}
const CAMERA_HEADER = ['camera_id', 'camera_name', 'site_id', 'site_name'];

// Code-unit order, not locale order: the same data sorts the same on every machine.
const byId = (a: ReportCamera, b: ReportCamera) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function uptimeCsv(data: CouncilReportData): Buffer {
  checkReportData(data);
  const context = contextCells(data);
  const rows = [...data.cameras].sort(byId).map((c) => {
    const d = c.uptime.durationsMs;
    return [
      ...context,
      ...cameraCells(c),
      c.purpose,
      num(shareDecimal(c.uptime.availability)),
      num(shareDecimal(c.uptime.observed)),
      ...[d.up, d.degraded, d.down, d.unknown, d.maintenance].map((ms) => num(hours3(ms))),
    ];
  });
  return csvDocument(
    [
      ...CONTEXT_HEADER,
      ...CAMERA_HEADER,
      'purpose',
      'availability',
      'observed',
      'up_hours',
      'degraded_hours',
      'down_hours',
      'unknown_hours',
      'maintenance_hours',
    ],
    rows,
  );
}

/**
 * One row per camera per rule. A camera with no certification code still gets one row (status
 * `no_code_assigned`) so an auditor sees it was not forgotten.
 */
export function complianceCsv(data: CouncilReportData): Buffer {
  checkReportData(data);
  const context = contextCells(data);
  const rows: CsvCell[][] = [];
  for (const c of [...data.cameras].sort(byId)) {
    const pack = c.compliance;
    if (pack === null) {
      rows.push([...context, ...cameraCells(c), null, null, NO_CODE, null, null, null, null, null, null]);
      continue;
    }
    for (const r of pack.results) {
      rows.push([
        ...context,
        ...cameraCells(c),
        pack.code,
        String(pack.version),
        pack.status,
        r.ruleId,
        r.title,
        r.status,
        r.reason,
        r.threshold ?? null,
        r.value ?? null,
      ]);
    }
  }
  return csvDocument(
    [
      ...CONTEXT_HEADER,
      ...CAMERA_HEADER,
      'code',
      'code_version',
      'camera_status',
      'rule_id',
      'rule_title',
      'rule_status',
      'reason',
      'threshold',
      'value',
    ],
    rows,
  );
}

/** The windows the hub handed in (it picks which), each with the maintenance time it put into the period. */
export function maintenanceCsv(data: CouncilReportData): Buffer {
  const period = checkReportData(data);
  const context = contextCells(data);
  const rows = maintenanceLog(data.maintenance, period).map(({ window: w, occurrenceCount, inPeriodMs }) => [
    ...context,
    num(String(w.id)),
    w.scope,
    w.scopeId,
    w.title,
    w.reason,
    isoUtc(w.startsAt),
    isoUtc(w.endsAt),
    num(hours3(Date.parse(w.endsAt) - Date.parse(w.startsAt))),
    w.recurrence,
    w.until === null ? null : isoUtc(w.until),
    w.endedAt === null ? null : isoUtc(w.endedAt),
    num(String(occurrenceCount)),
    num(hours3(inPeriodMs)),
    w.createdBy,
    isoUtc(w.createdAt),
  ]);
  return csvDocument(
    [
      ...CONTEXT_HEADER,
      'window_id',
      'scope',
      'scope_id',
      'title',
      'reason',
      'starts_at',
      'ends_at',
      'duration_hours',
      'recurrence',
      'until',
      'ended_at',
      'occurrences_in_period',
      'hours_in_period',
      'created_by',
      'created_at',
    ],
    rows,
  );
}
