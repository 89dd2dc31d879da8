import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import { DAY_MS, NOW_MS, ruleOf, withEvidence } from './evidence-builders.ts';

const retentionOf = (days: number | undefined) =>
  withEvidence((e) => {
    if (days === undefined) delete e.retention;
    else
      e.retention = { days, observedAtMs: NOW_MS - 30 * 60_000, earliestMs: NOW_MS - (days + 0.5) * DAY_MS };
  });
/** Ages in days; undefined leaves the record out. */
const recordsOf = (ages: { review?: number; dpia?: number; certificate?: number } | undefined) =>
  withEvidence((e) => {
    if (ages === undefined) {
      delete e.records;
      return;
    }
    e.records = {};
    if (ages.review !== undefined) e.records.lastReviewAtMs = NOW_MS - ages.review * DAY_MS;
    if (ages.dpia !== undefined) e.records.dpiaAtMs = NOW_MS - ages.dpia * DAY_MS;
    if (ages.certificate !== undefined) e.records.certificateIssuedAtMs = NOW_MS - ages.certificate * DAY_MS;
  });

interface Row {
  name: string;
  rule: Rule;
  evidence: Evidence;
  status: string;
  reason: RegExp;
}

const retention = ruleOf('retention');
const bounded = ruleOf('retention', { minDays: 31, maxDays: 90 });
const review = ruleOf('review');

const rows: Row[] = [
  {
    name: '31 days kept passes',
    rule: retention,
    evidence: retentionOf(31),
    status: 'pass',
    reason: /31 days of recordings kept \(31\+ days required\)/,
  },
  {
    name: '30 days kept fails',
    rule: retention,
    evidence: retentionOf(30),
    status: 'fail',
    reason: /30 days of recordings kept, minimum 31/,
  },
  {
    name: 'within the declared maximum passes',
    rule: bounded,
    evidence: retentionOf(90),
    status: 'pass',
    reason: /\(31-90 days required\)/,
  },
  {
    name: 'beyond the declared maximum fails',
    rule: bounded,
    evidence: retentionOf(91),
    status: 'fail',
    reason: /more than the declared maximum of 90/,
  },
  {
    name: 'unknown retention is not evaluable',
    rule: retention,
    evidence: retentionOf(undefined),
    status: 'not_evaluable',
    reason: /no retention reading/,
  },

  {
    name: 'current review, DPIA and certificate pass',
    rule: review,
    evidence: recordsOf({ review: 365, dpia: 100, certificate: 1826 }),
    status: 'pass',
    reason: /^annual review 365 days old; DPIA 100 days old; certificate 1826 days old$/,
  },
  {
    name: 'a review older than a year fails',
    rule: review,
    evidence: recordsOf({ review: 366, dpia: 100, certificate: 100 }),
    status: 'fail',
    reason: /annual review 366 days old \(limit 365\)/,
  },
  {
    name: 'an old DPIA fails',
    rule: review,
    evidence: recordsOf({ review: 1, dpia: 400, certificate: 100 }),
    status: 'fail',
    reason: /DPIA 400 days old \(limit 365\)/,
  },
  {
    name: 'a certificate older than 5 years fails',
    rule: review,
    evidence: recordsOf({ review: 1, dpia: 1, certificate: 1827 }),
    status: 'fail',
    reason: /certificate 1827 days old \(limit 1826\)/,
  },
  {
    name: 'no records is not evaluable',
    rule: review,
    evidence: recordsOf(undefined),
    status: 'not_evaluable',
    reason: /no annual review date on record; no DPIA date on record; no certificate date on record/,
  },
  {
    name: 'a missing certificate date is not evaluable',
    rule: review,
    evidence: recordsOf({ review: 1, dpia: 1 }),
    status: 'not_evaluable',
    reason: /no certificate date on record/,
  },
  {
    name: 'a failing part wins over a missing one',
    rule: review,
    evidence: recordsOf({ review: 500 }),
    status: 'fail',
    reason: /limit 365.*no DPIA/,
  },
  {
    name: 'a code that needs no certificate ignores it',
    rule: ruleOf('review', { require: ['review', 'dpia'] }),
    evidence: recordsOf({ review: 1, dpia: 1 }),
    status: 'pass',
    reason: /^annual review 1 days old; DPIA 1 days old$/,
  },

  {
    name: 'access audit without the audit log read is not evaluable',
    rule: ruleOf('access-audit'),
    evidence: withEvidence((e) => delete e.access),
    status: 'not_evaluable',
    reason: /audit log was not read/,
  },
  {
    name: 'access audit with every view fully logged passes',
    rule: ruleOf('access-audit'),
    evidence: withEvidence((e) => {
      e.access = { views: 3, complete: 3, chainIntact: true, chainCheckedAtMs: NOW_MS, chainMessage: 'ok' };
    }),
    status: 'pass',
    reason: /^3 of 3 feed views .* logged with user, purpose and incident reference; audit log verified$/,
  },
  {
    name: 'access audit with no views passes on a verified log',
    rule: ruleOf('access-audit'),
    evidence: withEvidence((e) => {
      e.access = { views: 0, complete: 0, chainIntact: true, chainCheckedAtMs: NOW_MS, chainMessage: 'ok' };
    }),
    status: 'pass',
    reason: /no live feed views/,
  },
  {
    name: 'access audit with a view missing its incident reference fails',
    rule: ruleOf('access-audit'),
    evidence: withEvidence((e) => {
      e.access = { views: 3, complete: 2, chainIntact: true, chainCheckedAtMs: NOW_MS, chainMessage: 'ok' };
    }),
    status: 'fail',
    reason: /^2 of 3 feed views/,
  },
  {
    name: 'access audit on a log that fails verification fails',
    rule: ruleOf('access-audit'),
    evidence: withEvidence((e) => {
      e.access = {
        views: 1,
        complete: 1,
        chainIntact: false,
        chainCheckedAtMs: NOW_MS,
        chainMessage: 'entry 7 was altered',
      };
    }),
    status: 'fail',
    reason: /fails verification.*entry 7 was altered/,
  },
];

describe('retention, review and access-audit rules', () => {
  it.each(rows)('$name', ({ rule, evidence, status, reason }) => {
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('review evidence gives each age in days', () => {
    const result = evaluateRule(review, recordsOf({ review: 10, dpia: 20, certificate: 30 }), NOW_MS);
    expect(result.evidence.values).toEqual({ reviewAgeDays: 10, dpiaAgeDays: 20, certificateAgeDays: 30 });
  });
});
