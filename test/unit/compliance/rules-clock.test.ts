import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import type { ClockReading } from '../../../src/schemas/payloads.ts';
import { HOUR_MS, MINUTE_MS, NOW_MS, ruleOf, withEvidence } from './evidence-builders.ts';

const withClock = (
  clock: Partial<ClockReading> | null,
  ageMs = 5 * MINUTE_MS,
  agentClock?: Evidence['agentClock'],
) =>
  withEvidence((e) => {
    if (agentClock) e.agentClock = agentClock;
    const health = e.latestHealth!;
    health.observedAtMs = NOW_MS - ageMs;
    health.payload.clock = clock === null ? null : { ...(health.payload.clock as ClockReading), ...clock };
  });
const noHealth = withEvidence((e) => {
  delete e.latestHealth;
});

interface Row {
  name: string;
  rule: Rule;
  evidence: Evidence;
  status: string;
  reason: RegExp;
}

const offset = ruleOf('clock-offset');
const source = ruleOf('clock-source');

const rows: Row[] = [
  {
    name: "a suspect agent clock makes a good offset not evaluable, with the hub's reason",
    rule: offset,
    evidence: withClock({ offsetMs: 10 }, undefined, {
      suspect: true,
      reason: 'the agent clock is 10.0 s ahead of the hub (limit 2000 ms)',
    }),
    status: 'not_evaluable',
    reason: /agent's clock is not trustworthy.*10\.0 s ahead of the hub/,
  },
  {
    name: 'a suspect agent clock makes a bad offset not evaluable rather than failing',
    rule: offset,
    evidence: withClock({ offsetMs: 60_000 }, undefined, { suspect: true, reason: 'not NTP-synchronised' }),
    status: 'not_evaluable',
    reason: /not NTP-synchronised/,
  },
  {
    name: 'a trusted agent clock leaves the offset rule as it was',
    rule: offset,
    evidence: withClock({ offsetMs: 60_000 }, undefined, { suspect: false, reason: null }),
    status: 'fail',
    reason: /60.000 s ahead/,
  },
  {
    name: 'offset within 1 s passes',
    rule: offset,
    evidence: withClock({ offsetMs: 1000 }),
    status: 'pass',
    reason: /1.000 s ahead of the agent \(within 1 s\)/,
  },
  {
    name: 'offset over 1 s warns',
    rule: offset,
    evidence: withClock({ offsetMs: 1001 }),
    status: 'warn',
    reason: /over 1 s/,
  },
  {
    name: 'offset behind by 5 s warns',
    rule: offset,
    evidence: withClock({ offsetMs: -5000 }),
    status: 'warn',
    reason: /5.000 s behind/,
  },
  {
    name: 'offset behind by more than 5 s fails',
    rule: offset,
    evidence: withClock({ offsetMs: -5001 }),
    status: 'fail',
    reason: /over 5 s/,
  },
  {
    name: 'offset without a health reading is not evaluable',
    rule: offset,
    evidence: noHealth,
    status: 'not_evaluable',
    reason: /no health reading/,
  },
  {
    name: 'offset without a clock reading is not evaluable',
    rule: offset,
    evidence: withClock(null),
    status: 'not_evaluable',
    reason: /has no clock reading/,
  },
  {
    name: 'offset from a stale reading is not evaluable',
    rule: offset,
    evidence: withClock({ offsetMs: 0 }, 2 * HOUR_MS + 1),
    status: 'not_evaluable',
    reason: /stale \(2 h old, limit 2 h\)/,
  },
  {
    name: 'offset with a custom maxAgeMs accepts an older reading',
    rule: ruleOf('clock-offset', { maxAgeMs: 6 * HOUR_MS }),
    evidence: withClock({ offsetMs: 0 }, 3 * HOUR_MS),
    status: 'pass',
    reason: /within/,
  },
  {
    name: 'NTP with the UK zone passes',
    rule: source,
    evidence: withClock({}),
    status: 'pass',
    reason: /time set by NTP; time zone GMT0BST/,
  },
  {
    name: 'manual time fails',
    rule: source,
    evidence: withClock({ dateTimeType: 'Manual' }),
    status: 'fail',
    reason: /set manually, NTP required/,
  },
  {
    name: 'a wrong time zone fails',
    rule: source,
    evidence: withClock({ timeZone: 'UTC0' }),
    status: 'fail',
    reason: /'UTC0' is not an accepted one/,
  },
  {
    name: 'surrounding spaces in the zone are ignored',
    rule: source,
    evidence: withClock({ timeZone: ' GMT0BST,M3.5.0/1,M10.5.0 ' }),
    status: 'pass',
    reason: /time zone GMT0BST/,
  },
  {
    name: 'an accepted list may name more zones',
    rule: ruleOf('clock-source', { acceptedTimeZones: ['GMT0BST,M3.5.0/1,M10.5.0', 'Europe/London'] }),
    evidence: withClock({ timeZone: 'Europe/London' }),
    status: 'pass',
    reason: /Europe\/London/,
  },
  {
    name: 'an unreported NTP setting is not evaluable',
    rule: source,
    evidence: withClock({ dateTimeType: null }),
    status: 'not_evaluable',
    reason: /did not report whether it uses NTP/,
  },
  {
    name: 'an unreported zone is not evaluable',
    rule: source,
    evidence: withClock({ timeZone: null }),
    status: 'not_evaluable',
    reason: /did not report its time zone/,
  },
  {
    name: 'a failing part wins over a missing one',
    rule: source,
    evidence: withClock({ dateTimeType: 'Manual', timeZone: null }),
    status: 'fail',
    reason: /manually.*did not report/,
  },
  {
    name: 'NTP not required and any zone: manual time passes',
    rule: ruleOf('clock-source', { requireNtp: false, acceptedTimeZones: [] }),
    evidence: withClock({ dateTimeType: 'Manual', timeZone: null }),
    status: 'pass',
    reason: /nothing required/,
  },
  {
    name: 'clock source without health is not evaluable',
    rule: source,
    evidence: noHealth,
    status: 'not_evaluable',
    reason: /no health reading/,
  },
  {
    name: 'clock source from a stale reading is not evaluable',
    rule: source,
    evidence: withClock({}, 3 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },
];

describe('clock rules', () => {
  it.each(rows)('$name', ({ rule, evidence, status, reason }) => {
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('offset evidence carries the reading, thresholds and when it was observed', () => {
    expect(evaluateRule(offset, withClock({ offsetMs: 1500, roundTripMs: 30 }), NOW_MS).evidence).toEqual({
      values: { offsetMs: 1500, roundTripMs: 30 },
      thresholds: { warnMs: 1000, failMs: 5000, maxAgeMs: 2 * HOUR_MS },
      observedAtMs: NOW_MS - 5 * MINUTE_MS,
    });
  });

  it('a warn-severity offset rule never fails', () => {
    const rule = ruleOf('clock-offset', {}, { severity: 'warn' });
    expect(evaluateRule(rule, withClock({ offsetMs: 60_000 }), NOW_MS).status).toBe('warn');
  });
});
