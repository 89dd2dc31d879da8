import { maintenanceLog } from './maintenance-log.ts';
import { principleSummary } from './principle-summary.ts';
import { type CouncilReportData, checkReportData } from './report-data.ts';
import { summarise } from './summary.ts';

/**
 * The evidence pack's figures for machines: the gathered data as evaluated (durations in ms, shares
 * as fractions, raw rule evidence), plus what the PDF derives from it (fleet summary, maintenance
 * time per window in the period, the per-principle summary), so a figure read from the API is the
 * one the PDF and the CSVs print for the same council, period and evaluation time.
 */
export function evidenceJson(data: CouncilReportData): Buffer {
  const period = checkReportData(data);
  const body = {
    council: data.council,
    hubName: data.hubName,
    period: data.period,
    evaluatedAt: data.generatedAt,
    measuredTo: data.measuredTo,
    generatedBy: data.generatedBy,
    summary: summarise(data),
    cameras: data.cameras,
    sites: data.sites,
    maintenance: maintenanceLog(data.maintenance, period).map(({ window, occurrenceCount, inPeriodMs }) => ({
      ...window,
      occurrencesInPeriod: occurrenceCount,
      inPeriodMs,
    })),
    feedAccess: data.feedAccess,
    principles: principleSummary(data),
  };
  return Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
}
