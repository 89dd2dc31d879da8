import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import { HOUR_MS, MINUTE_MS, NOW_MS, ruleOf, withEvidence } from './evidence-builders.ts';

/** Snapshots every 5 minutes, newest last; each letter is one sample: b blank, d dark, k both, . fine, _ no image. */
const snapshots = (pattern: string, latestAgeMs = 0) =>
  withEvidence((e) => {
    const n = pattern.length;
    e.recentImages = [...pattern].map((c, i) => ({
      observedAtMs: NOW_MS - latestAgeMs - (n - 1 - i) * 5 * MINUTE_MS,
      image:
        c === '_'
          ? null
          : { meanLuma: 10, lumaStdDev: 1, blank: c === 'b' || c === 'k', dark: c === 'd' || c === 'k' },
    }));
    // Shuffle: the evaluator must not rely on order.
    e.recentImages.reverse();
  });
const events = (list: Evidence['activeEvents']) =>
  withEvidence((e) => {
    if (list === undefined) delete e.activeEvents;
    else e.activeEvents = list;
  });
const firmware = (version: string | null, ageMs = 10 * MINUTE_MS) =>
  withEvidence((e) => {
    const h = e.latestHealth!;
    h.observedAtMs = NOW_MS - ageMs;
    if (version === null) h.payload.device = null;
    else h.payload.device!.firmwareVersion = version;
  });

interface Row {
  name: string;
  rule: Rule;
  evidence: Evidence;
  status: string;
  reason: RegExp;
}

const image = ruleOf('image');
const imageTamper = ruleOf('image', { faults: ['blank', 'dark', 'tamper'] });
const storage = ruleOf('storage');
const approved = ruleOf('firmware', { approved: ['5.51.2', '5.60.0'] });

const rows: Row[] = [
  {
    name: 'clean snapshots pass',
    rule: image,
    evidence: snapshots('....'),
    status: 'pass',
    reason: /^no blank\/dark fault active$/,
  },
  {
    name: 'a fault that cleared passes',
    rule: image,
    evidence: snapshots('.bbbbbbb.'),
    status: 'pass',
    reason: /^no blank\/dark fault active$/,
  },
  {
    name: 'blank for 15 minutes passes (limit is "more than")',
    rule: image,
    evidence: snapshots('..bbbb'),
    status: 'pass',
    reason: /blank for 15 min$/,
  },
  {
    name: 'blank for 20 minutes fails',
    rule: image,
    evidence: snapshots('..bbbbb'),
    status: 'fail',
    reason: /blank for 20 min \(limit 15 min\)/,
  },
  {
    name: 'dark for 20 minutes fails',
    rule: image,
    evidence: snapshots('ddddd'),
    status: 'fail',
    reason: /dark for 20 min/,
  },
  {
    name: 'a run broken by a good sample restarts',
    rule: image,
    evidence: snapshots('bbbb.bbb'),
    status: 'pass',
    reason: /blank for 10 min$/,
  },
  {
    name: 'samples without an image are skipped',
    rule: image,
    evidence: snapshots('bb_bb_b'),
    status: 'fail',
    reason: /blank for 30 min/,
  },
  {
    name: 'blank and dark are judged separately',
    rule: image,
    evidence: snapshots('bbbkkk'),
    status: 'fail',
    reason: /^blank for 25 min \(limit 15 min\); dark for 10 min$/,
  },
  {
    name: 'a fault-free last sample passes however bad before',
    rule: image,
    evidence: snapshots('kkkkkkkkk.'),
    status: 'pass',
    reason: /no blank/,
  },
  {
    name: 'a rule for dark only ignores blank',
    rule: ruleOf('image', { faults: ['dark'] }),
    evidence: snapshots('bbbbbbbb'),
    status: 'pass',
    reason: /^no dark fault active$/,
  },
  {
    name: 'a longer limit may be set',
    rule: ruleOf('image', { maxActiveMinutes: 60 }),
    evidence: snapshots('bbbbbbb'),
    status: 'pass',
    reason: /blank for 30 min/,
  },
  {
    name: 'no snapshots is not evaluable',
    rule: image,
    evidence: withEvidence((e) => {
      delete e.recentImages;
    }),
    status: 'not_evaluable',
    reason: /no snapshot reading/,
  },
  {
    name: 'only empty snapshots is not evaluable',
    rule: image,
    evidence: snapshots('___'),
    status: 'not_evaluable',
    reason: /no snapshot reading/,
  },
  {
    name: 'stale snapshots are not evaluable',
    rule: image,
    evidence: snapshots('bbbbbb', 3 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },
  {
    name: 'tamper active for 20 minutes fails',
    rule: imageTamper,
    evidence: withEvidence((e) => {
      e.activeEvents = [{ type: 'tamper', sinceMs: NOW_MS - 20 * MINUTE_MS }];
    }),
    status: 'fail',
    reason: /tamper for 20 min \(limit 15 min\)/,
  },
  {
    name: 'tamper active for 5 minutes passes',
    rule: imageTamper,
    evidence: withEvidence((e) => {
      e.activeEvents = [{ type: 'tamper', sinceMs: NOW_MS - 5 * MINUTE_MS }];
    }),
    status: 'pass',
    reason: /tamper for 5 min$/,
  },
  {
    name: 'tamper without event state is not evaluable',
    rule: imageTamper,
    evidence: events(undefined),
    status: 'not_evaluable',
    reason: /no camera event state for tamper/,
  },
  {
    name: 'tamper unknown but a blank fault over the limit fails',
    rule: imageTamper,
    evidence: withEvidence((e) => {
      delete e.activeEvents;
      e.recentImages = [0, 20].map((m) => ({
        observedAtMs: NOW_MS - m * MINUTE_MS,
        image: { meanLuma: 0, lumaStdDev: 0, blank: true, dark: false },
      }));
    }),
    status: 'fail',
    reason: /blank for 20 min/,
  },

  {
    name: 'no storage event passes',
    rule: storage,
    evidence: events([]),
    status: 'pass',
    reason: /no storage failure or hardware failure event active/,
  },
  {
    name: 'an unrelated event passes',
    rule: storage,
    evidence: events([{ type: 'tamper', sinceMs: NOW_MS - HOUR_MS }]),
    status: 'pass',
    reason: /no storage failure/,
  },
  {
    name: 'an active storage failure fails',
    rule: storage,
    evidence: events([{ type: 'storage_failure', sinceMs: NOW_MS - 3 * HOUR_MS }]),
    status: 'fail',
    reason: /storage failure active for 3 h/,
  },
  {
    name: 'an active hardware failure fails',
    rule: storage,
    evidence: events([{ type: 'hardware_failure', sinceMs: NOW_MS - MINUTE_MS }]),
    status: 'fail',
    reason: /hardware failure active for 1 min/,
  },
  {
    name: 'unknown event state is not evaluable',
    rule: storage,
    evidence: events(undefined),
    status: 'not_evaluable',
    reason: /no camera event state/,
  },

  {
    name: 'approved firmware passes',
    rule: approved,
    evidence: firmware('5.51.2'),
    status: 'pass',
    reason: /firmware 5\.51\.2 is approved/,
  },
  {
    name: 'unapproved firmware fails',
    rule: approved,
    evidence: firmware('5.40.0'),
    status: 'fail',
    reason: /5\.40\.0 is not on the approved list/,
  },
  {
    name: 'no approved list is not evaluable',
    rule: ruleOf('firmware'),
    evidence: firmware('5.51.2'),
    status: 'not_evaluable',
    reason: /no approved firmware list is configured/,
  },
  {
    name: 'no device information is not evaluable',
    rule: approved,
    evidence: firmware(null),
    status: 'not_evaluable',
    reason: /has no device information/,
  },
  {
    name: 'an empty firmware version is not evaluable',
    rule: approved,
    evidence: firmware(' '),
    status: 'not_evaluable',
    reason: /has no device information/,
  },
  {
    name: 'no health reading is not evaluable',
    rule: approved,
    evidence: withEvidence((e) => {
      delete e.latestHealth;
    }),
    status: 'not_evaluable',
    reason: /no health reading/,
  },
  {
    name: 'a stale health reading is not evaluable',
    rule: approved,
    evidence: firmware('5.51.2', 3 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },
];

describe('image, storage and firmware rules', () => {
  it.each(rows)('$name', ({ rule, evidence, status, reason }) => {
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('image evidence gives active minutes per fault and the latest sample time', () => {
    const result = evaluateRule(image, snapshots('..bbbbb', 10 * MINUTE_MS), NOW_MS);
    expect(result.evidence).toEqual({
      values: { blankActiveMinutes: 20, darkActiveMinutes: null },
      thresholds: { maxActiveMinutes: 15, faults: ['blank', 'dark'], maxAgeMs: 2 * HOUR_MS },
      observedAtMs: NOW_MS - 10 * MINUTE_MS,
    });
  });
});
