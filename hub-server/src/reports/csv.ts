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

/**
 * Council, period and the report's one evaluation time (`evaluated_at`; measured time ends at
 * `measured_to`): files with the same three give the same figures as the PDF and the API.
 */
function contextCells(data: CouncilReportData): CsvCell[] {
  return [
    data.council.id,
    data.council.name,
    isoUtc(data.period.from),
    isoUtc(data.period.to),
    isoUtc(data.generatedAt),
    isoUtc(data.measuredTo),
  ];
}
const CONTEXT_HEADER = [
  'council_id',
  'council_name',
  'period_from',
  'period_to',
  'evaluated_at',
  'measured_to',
];

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
      rows.push([
        ...context,
        ...cameraCells(c),
        null,
        null,
        NO_CODE,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
      ]);
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
        r.principles.join(' '),
        r.status,
        r.reason,
        r.threshold ?? null,
        r.value ?? null,
        JSON.stringify(r.evidence.values),
        JSON.stringify(r.evidence.thresholds),
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
      'principles',
      'rule_status',
      'reason',
      'threshold',
      'value',
      // The same evidence as JSON with raw numbers (milliseconds, shares as fractions) for machines.
      'values_json',
      'thresholds_json',
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

const seconds3 = (ms: number | null): CsvCell => (ms === null ? null : num((ms / 1000).toFixed(3)));

/**
 * Clock figures per camera: every reading in the period up to the evaluation time (not one per
 * hour), the worst and p95, readings beyond the camera's own limits, and the reading its clock rule
 * judged. Offsets in seconds to 3 decimals, camera clock minus agent clock.
 */
export function clockCsv(data: CouncilReportData): Buffer {
  checkReportData(data);
  const context = contextCells(data);
  const rows = [...data.cameras].sort(byId).map((c) => {
    const k = c.clock;
    const rule = c.compliance?.results.find((r) => r.kind === 'clock-offset');
    const ruleOffset = rule?.evidence.values.offsetMs;
    return [
      ...context,
      ...cameraCells(c),
      num(String(k.readings)),
      seconds3(k.minMs),
      seconds3(k.maxMs),
      seconds3(k.worstMs),
      k.worstAt === null ? null : isoUtc(k.worstAt),
      seconds3(k.p95AbsMs),
      seconds3(k.warnMs),
      seconds3(k.failMs),
      num(String(k.overWarn)),
      num(String(k.overFail)),
      typeof ruleOffset === 'number' ? seconds3(ruleOffset) : null,
      rule?.evidence.observedAtMs === undefined ? null : new Date(rule.evidence.observedAtMs).toISOString(),
      rule?.status ?? null,
    ];
  });
  return csvDocument(
    [
      ...CONTEXT_HEADER,
      ...CAMERA_HEADER,
      'readings',
      'min_offset_s',
      'max_offset_s',
      'worst_offset_s',
      'worst_at',
      'p95_abs_offset_s',
      'warn_limit_s',
      'fail_limit_s',
      'readings_over_warn',
      'readings_over_fail',
      'rule_reading_offset_s',
      'rule_reading_at',
      'rule_status',
    ],
    rows,
  );
}
