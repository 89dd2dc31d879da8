import { describe, expect, it } from 'vitest';
import { complianceCsv, maintenanceCsv, uptimeCsv } from '../../../hub-server/src/reports/csv.ts';
import { councilEvidencePdf } from '../../../hub-server/src/reports/pdf.ts';
import {
  type CouncilReportData,
  checkReportData,
  ReportDataError,
} from '../../../hub-server/src/reports/report-data.ts';
import {
  ALL_CAMERAS,
  ALL_MAINTENANCE,
  councilReport,
  NORTH,
  SOUTH,
} from '../../fixtures/reports/council-fixture.ts';

const south = councilReport(SOUTH);
const northCamera = ALL_CAMERAS.find((c) => c.councilId === NORTH.id)!;
const northWindow = ALL_MAINTENANCE.find((w) => w.scopeId === 'nv-site-2')!;

describe('checkReportData', () => {
  it.each<[string, CouncilReportData, string]>([
    [
      'another council camera',
      { ...south, cameras: [...south.cameras, northCamera] },
      'REPORT_FOREIGN_CAMERA',
    ],
    [
      'a window for another council site',
      { ...south, maintenance: [...south.maintenance, northWindow] },
      'REPORT_FOREIGN_MAINTENANCE',
    ],
    [
      'a window for another council',
      { ...south, maintenance: [{ ...northWindow, scope: 'council', scopeId: NORTH.id }] },
      'REPORT_FOREIGN_MAINTENANCE',
    ],
    [
      'a camera at a site not listed as the council',
      { ...south, sites: south.sites.filter((s) => s.id !== 'sm-site-1') },
      'REPORT_UNKNOWN_SITE',
    ],
    [
      'an empty period',
      { ...south, period: { ...south.period, to: south.period.from } },
      'REPORT_PERIOD_INVALID',
    ],
    [
      'a period that is not a time',
      { ...south, period: { ...south.period, from: 'March' } },
      'REPORT_PERIOD_INVALID',
    ],
  ])('refuses %s', async (_label, data, code) => {
    expect(() => checkReportData(data)).toThrow(ReportDataError);
    try {
      checkReportData(data);
    } catch (error) {
      expect((error as ReportDataError).code).toBe(code);
    }
    // Every builder refuses it, not just the checker.
    expect(() => uptimeCsv(data)).toThrow(ReportDataError);
    expect(() => complianceCsv(data)).toThrow(ReportDataError);
    expect(() => maintenanceCsv(data)).toThrow(ReportDataError);
    await expect(councilEvidencePdf(data)).rejects.toThrow(ReportDataError);
  });

  it('accepts one council with its own windows', () => {
    expect(checkReportData(south)).toEqual({
      fromMs: Date.parse(south.period.from),
      toMs: Date.parse(south.period.to),
    });
  });
});
