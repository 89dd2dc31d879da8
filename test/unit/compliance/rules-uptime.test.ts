import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import type { StateDurations } from '../../../src/uptime/durations.ts';
import { HOUR_MS, NOW_MS, ruleOf, withEvidence } from './evidence-builders.ts';

const d = (over: Partial<StateDurations>): StateDurations => ({
  up: 0,
  degraded: 0,
  down: 0,
  unknown: 0,
  maintenance: 0,
  ...over,
});
const withDurations = (durations: StateDurations | undefined, period?: { fromMs: number; toMs: number }) =>
  withEvidence((e) => {
    e.period = { ...(period ?? e.period), durations };
    if (durations === undefined) delete e.period.durations;
  });

interface Row {
  name: string;
  rule: Rule;
  evidence: Evidence;
  status: string;
  reason: RegExp;
}

const availability = ruleOf('availability', { minShare: 0.995 });
const monthly = ruleOf('availability', { minShare: 0.995, period: 'calendar-month' });
const strictUnknown = ruleOf('availability', { minShare: 0.995, unknownCountsAsDown: true });
const observed = ruleOf('observed', { minShare: 0.99 });
const july = { fromMs: Date.parse('2026-06-30T23:00:00Z'), toMs: Date.parse('2026-07-31T23:00:00Z') };

const rows: Row[] = [
  {
    name: 'availability exactly at the minimum passes',
    rule: availability,
    evidence: withDurations(d({ up: 995, down: 5 })),
    status: 'pass',
    reason: /available 99\.50% of observed time \(minimum 99\.50%\)/,
  },
  {
    name: 'availability below the minimum fails',
    rule: availability,
    evidence: withDurations(d({ up: 990, down: 10 })),
    status: 'fail',
    reason: /available 99\.00% /,
  },
  {
    name: 'degraded time counts as available',
    rule: availability,
    evidence: withDurations(d({ up: 500, degraded: 500 })),
    status: 'pass',
    reason: /100\.00%/,
  },
  {
    name: 'unknown and maintenance time are left out by default',
    rule: availability,
    evidence: withDurations(d({ up: 995, down: 5, unknown: 5000, maintenance: 5000 })),
    status: 'pass',
    reason: /99\.50%/,
  },
  {
    name: 'a code may count unknown time as down',
    rule: strictUnknown,
    evidence: withDurations(d({ up: 995, down: 0, unknown: 10 })),
    status: 'fail',
    reason: /available 99\.00% of the period with unknown time counted as down/,
  },
  {
    name: 'availability without durations is not evaluable',
    rule: availability,
    evidence: withDurations(undefined),
    status: 'not_evaluable',
    reason: /no state durations/,
  },
  {
    name: 'a camera never observed is not evaluable, not available',
    rule: availability,
    evidence: withDurations(d({ unknown: 10 * HOUR_MS, maintenance: HOUR_MS })),
    status: 'not_evaluable',
    reason: /never observed/,
  },
  {
    name: 'calendar-month code over a London month (BST) passes',
    rule: monthly,
    evidence: withDurations(d({ up: 1000 }), july),
    status: 'pass',
    reason: /100\.00%/,
  },
  {
    name: 'calendar-month code over the month so far passes',
    rule: monthly,
    evidence: withDurations(d({ up: 1000 }), { fromMs: Date.parse('2026-03-01T00:00:00Z'), toMs: NOW_MS }),
    status: 'pass',
    reason: /100\.00%/,
  },
  {
    name: 'calendar-month code over a rolling window is not evaluable',
    rule: monthly,
    evidence: withDurations(d({ up: 1000 }), { fromMs: NOW_MS - 30 * 24 * HOUR_MS, toMs: NOW_MS }),
    status: 'not_evaluable',
    reason: /calendar month/,
  },
  {
    name: 'calendar-month code over a UTC (not London) July is not evaluable',
    rule: monthly,
    evidence: withDurations(d({ up: 1000 }), {
      fromMs: Date.parse('2026-07-01T00:00:00Z'),
      toMs: Date.parse('2026-08-01T00:00:00Z'),
    }),
    status: 'not_evaluable',
    reason: /calendar month/,
  },
  {
    name: 'observed share at the minimum passes; maintenance is not expected time',
    rule: observed,
    evidence: withDurations(d({ up: 980, down: 10, unknown: 10, maintenance: 500 })),
    status: 'pass',
    reason: /fresh data for 99\.00% of the period/,
  },
  {
    name: 'observed share below the minimum fails',
    rule: observed,
    evidence: withDurations(d({ up: 900, unknown: 100 })),
    status: 'fail',
    reason: /90\.00%/,
  },
  {
    name: 'observed without durations is not evaluable',
    rule: observed,
    evidence: withDurations(undefined),
    status: 'not_evaluable',
    reason: /no state durations/,
  },
  {
    name: 'observed over a period that was all maintenance is not evaluable',
    rule: observed,
    evidence: withDurations(d({ maintenance: HOUR_MS })),
    status: 'not_evaluable',
    reason: /no time outside maintenance/,
  },
];

describe('availability and observed rules', () => {
  it.each(rows)('$name', ({ rule, evidence, status, reason }) => {
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
    expect(result.ruleId).toBe(rule.id);
    expect(result.kind).toBe(rule.kind);
  });

  it('records the durations and the threshold as evidence', () => {
    const result = evaluateRule(availability, withDurations(d({ up: 990, down: 10 })), NOW_MS);
    expect(result.evidence).toEqual({
      values: {
        upMs: 990,
        degradedMs: 0,
        downMs: 10,
        unknownMs: 0,
        maintenanceMs: 0,
        availabilityShare: 0.99,
      },
      thresholds: { minShare: 0.995, period: 'any', unknownCountsAsDown: false },
    });
  });

  it('keeps the uptime table figure as availabilityShare when a code counts unknown time as down', () => {
    const result = evaluateRule(strictUnknown, withDurations(d({ up: 990, down: 0, unknown: 10 })), NOW_MS);
    expect(result.evidence.values).toMatchObject({
      availabilityShare: 1,
      availabilityUnknownAsDownShare: 0.99,
    });
    expect(result.status).toBe('fail');
  });

  it('a warn-severity rule reports a violation as warn, never fail', () => {
    const rule = ruleOf('availability', { minShare: 0.995 }, { severity: 'warn' });
    expect(evaluateRule(rule, withDurations(d({ up: 1, down: 1 })), NOW_MS).status).toBe('warn');
  });
});
