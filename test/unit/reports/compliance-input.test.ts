import { describe, expect, it } from 'vitest';
import { reportCompliance } from '../../../hub-server/src/reports/compliance-input.ts';
import type { PackResult } from '../../../src/compliance/result.ts';

const pack: PackResult = {
  code: 'public-space-baseline',
  version: 1,
  ref: 'public-space-baseline@1',
  status: 'warn',
  counts: { pass: 1, warn: 1, fail: 0, not_evaluable: 1 },
  evaluatedAtMs: Date.parse('2025-04-01T00:00:00Z'),
  overrides: {},
  results: [
    {
      ruleId: 'clock-offset',
      kind: 'clock_offset',
      status: 'warn',
      reason: 'clock is 1.8 s off',
      evidence: { values: { offsetMs: 1800, roundTripMs: 40 }, thresholds: { warnMs: 1000, failMs: 5000 } },
    },
    {
      ruleId: 'firmware',
      kind: 'firmware',
      status: 'pass',
      reason: 'firmware on the approved list',
      evidence: { values: { version: '5.7.3' }, thresholds: { approved: ['5.7.3', '5.8.0'] } },
    },
    {
      ruleId: 'pixel-density',
      kind: 'pixel_density',
      status: 'not_evaluable',
      reason: 'no commissioned design distance',
      evidence: { values: {}, thresholds: {} },
    },
  ],
};

describe('reportCompliance', () => {
  it('takes titles, citations and principles from the pack and spells out the evidence in words', () => {
    const rules = [
      { id: 'clock-offset', title: 'Clock offset', source: 'Police requirements', principles: [11] },
      { id: 'firmware', title: 'Approved firmware', source: 'Code principle 9', principles: [9] },
    ];
    const [clock, firmware, pixels] = pack.results;
    expect(reportCompliance(pack, rules)).toEqual({
      code: 'public-space-baseline',
      version: 1,
      ref: 'public-space-baseline@1',
      status: 'warn',
      evaluatedAt: '2025-04-01T00:00:00.000Z',
      readingsAt: '2025-04-01T00:00:00.000Z',
      results: [
        {
          ruleId: 'clock-offset',
          kind: 'clock_offset',
          title: 'Clock offset',
          principles: [11],
          source: 'Police requirements',
          status: 'warn',
          reason: 'clock is 1.8 s off',
          threshold: 'warn above 1 s; fail above 5 s',
          value: 'clock offset +1.800 s; round trip 40 ms',
          evidence: clock?.evidence,
        },
        {
          ruleId: 'firmware',
          kind: 'firmware',
          title: 'Approved firmware',
          principles: [9],
          source: 'Code principle 9',
          status: 'pass',
          reason: 'firmware on the approved list',
          threshold: 'approved firmware 5.7.3, 5.8.0',
          value: 'version 5.7.3',
          evidence: firmware?.evidence,
        },
        // Not in the pack and no evidence: the id stands in, no principle, the optional texts left out.
        {
          ruleId: 'pixel-density',
          kind: 'pixel_density',
          title: 'pixel-density',
          principles: [],
          source: '',
          status: 'not_evaluable',
          reason: 'no commissioned design distance',
          evidence: pixels?.evidence,
        },
      ],
    });
  });
});
