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
  it('takes titles from the pack and spells out the evidence', () => {
    const titles = new Map([
      ['clock-offset', 'Clock offset'],
      ['firmware', 'Approved firmware'],
    ]);
    expect(reportCompliance(pack, titles)).toEqual({
      code: 'public-space-baseline',
      version: 1,
      status: 'warn',
      results: [
        {
          ruleId: 'clock-offset',
          title: 'Clock offset',
          status: 'warn',
          reason: 'clock is 1.8 s off',
          threshold: 'warnMs 1000, failMs 5000',
          value: 'offsetMs 1800, roundTripMs 40',
        },
        {
          ruleId: 'firmware',
          title: 'Approved firmware',
          status: 'pass',
          reason: 'firmware on the approved list',
          threshold: 'approved 5.7.3/5.8.0',
          value: 'version 5.7.3',
        },
        // No title known and no evidence: the id stands in and the optional fields are left out.
        {
          ruleId: 'pixel-density',
          title: 'pixel-density',
          status: 'not_evaluable',
          reason: 'no commissioned design distance',
        },
      ],
    });
  });
});
