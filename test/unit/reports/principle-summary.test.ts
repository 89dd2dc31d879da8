import { describe, expect, it } from 'vitest';
import { evidenceJson } from '../../../hub-server/src/reports/evidence-json.ts';
import {
  principleSummary,
  rulesNamingNoPrinciple,
  tallyText,
} from '../../../hub-server/src/reports/principle-summary.ts';
import type { CouncilReportData, ReportRuleResult } from '../../../hub-server/src/reports/report-data.ts';
import { councilReport, NORTH } from '../../fixtures/reports/council-fixture.ts';

const north = councilReport(NORTH);

function withResults(results: Partial<ReportRuleResult>[]): CouncilReportData {
  const [camera] = north.cameras.filter((c) => c.compliance);
  const full = results.map(
    (r): ReportRuleResult => ({
      ruleId: 'x',
      kind: 'x',
      title: 'x',
      principles: [],
      source: '',
      status: 'pass',
      reason: '',
      evidence: { values: {}, thresholds: {} },
      ...r,
    }),
  );
  return {
    ...north,
    cameras: [{ ...camera!, compliance: { ...camera!.compliance!, results: full } }],
  };
}

describe('principleSummary', () => {
  it('has one row per principle of the Code, 1 to 12', () => {
    expect(principleSummary(north).map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('sorts rules into automatic evidence, council records and what is missing', () => {
    const rows = principleSummary(
      withResults([
        { ruleId: 'access-audit', kind: 'access-audit', principles: [7], status: 'pass' },
        { ruleId: 'clock-offset', kind: 'clock-offset', principles: [11], status: 'pass' },
        { ruleId: 'retention', kind: 'retention', principles: [6, 11], status: 'not_evaluable' },
        { ruleId: 'review', kind: 'review', principles: [2, 10], status: 'fail' },
      ]),
    );
    const row = (n: number) => rows.find((r) => r.number === n)!;
    expect(row(7)).toMatchObject({ standing: 'evidenced', missing: [] });
    expect(row(7).automatic.map(tallyText)).toEqual(['access-audit: 1 pass']);
    // Retention not evaluable: principle 6 has nothing judged, principle 11 has the clock.
    expect(row(6)).toMatchObject({ standing: 'missing', missing: ['retention: not evaluable for 1 camera'] });
    expect(row(11).standing).toBe('partial');
    // The review rule is judged from dates the council enters: a council record, not monitoring.
    expect(row(2).automatic).toEqual([]);
    expect(row(2).recorded.map(tallyText)).toEqual(['review: 1 fail']);
    expect(row(2).standing).toBe('evidenced');
    // No rule, a council document: the council's record.
    expect(row(1)).toMatchObject({ standing: 'record', automatic: [], recorded: [] });
    expect(row(1).councilRecord).toContain('statement of purpose');
  });

  it('lists rules that name no principle instead of dropping them', () => {
    const data = withResults([{ ruleId: 'custom-check', principles: [] }]);
    expect(rulesNamingNoPrinciple(data)).toEqual(['custom-check']);
    expect(principleSummary(data).every((p) => p.automatic.length === 0)).toBe(true);
  });
});

describe('evidenceJson', () => {
  it('carries the evaluation time, the raw figures and the maintenance time per window', () => {
    const body = JSON.parse(evidenceJson(north).toString('utf8'));
    expect(body.evaluatedAt).toBe(north.generatedAt);
    expect(body.measuredTo).toBe(north.measuredTo);
    expect(body.cameras[0].uptime).toEqual(north.cameras[0]?.uptime);
    expect(body.cameras[0].clock.readings).toBe(north.cameras[0]?.clock.readings);
    const upgrade = body.maintenance.find((w: { id: number }) => w.id === 1);
    // Starts in February: only its last 2 hours fall in March.
    expect(upgrade.inPeriodMs).toBe(2 * 3_600_000);
    expect(body.principles).toHaveLength(12);
  });
});
