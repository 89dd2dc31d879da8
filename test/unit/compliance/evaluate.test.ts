import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  evaluatePack,
  overallStatus,
  RuleOverrideError,
} from '../../../src/compliance/evaluate.ts';
import { loadRulePacks, parseRulePack } from '../../../src/compliance/load-packs.ts';
import type { RuleStatus } from '../../../src/compliance/result.ts';
import type { RulePack } from '../../../src/compliance/rule-pack.ts';
import { fixture, goodEvidence, NOW_MS, SHIPPED_PACKS, withEvidence } from './evidence-builders.ts';

const registry = loadRulePacks(SHIPPED_PACKS);
const evidential = registry.get('police-evidential@3') as RulePack;
const baseline = registry.get('public-space-baseline@3') as RulePack;
const assignment = { firmware: { approved: ['5.51.2'] }, retention: { maxDays: 90 } };

describe('overallStatus: fail > not_evaluable > warn > pass', () => {
  it.each([
    [['pass', 'pass'], 'pass'],
    [['pass', 'warn'], 'warn'],
    [['pass', 'not_evaluable'], 'not_evaluable'],
    [['warn', 'not_evaluable'], 'not_evaluable'],
    [['not_evaluable', 'fail', 'warn'], 'fail'],
    [[], 'pass'],
  ] as [RuleStatus[], RuleStatus][])('%j -> %s', (statuses, want) => {
    expect(overallStatus(statuses)).toBe(want);
  });
});

describe('evaluatePack', () => {
  it('police-evidential on good evidence: every rule passes', () => {
    const result = evaluatePack(evidential, goodEvidence(), NOW_MS, assignment);
    expect(result.results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(result).toMatchObject({
      code: 'police-evidential',
      version: 3,
      ref: 'police-evidential@3',
      status: 'pass',
      counts: { pass: 16, warn: 0, fail: 0, not_evaluable: 0 },
      evaluatedAtMs: NOW_MS,
      overrides: assignment,
    });
    expect(result.results.map((r) => r.ruleId)).toEqual(evidential.rules.map((r) => r.id));
  });

  it('public-space-baseline on good evidence passes once the firmware list is assigned', () => {
    expect(
      evaluatePack(baseline, goodEvidence(), NOW_MS, { firmware: { approved: ['5.51.2'] } }).status,
    ).toBe('pass');
    // Without the scheme's list the firmware rule cannot be judged, so the camera is not shown as passing.
    expect(evaluatePack(baseline, goodEvidence(), NOW_MS).status).toBe('not_evaluable');
  });

  it('a warn-severity rule gives warn overall; a fail rule gives fail', () => {
    const clockOff = withEvidence((e) => {
      e.latestHealth!.payload.clock!.timeZone = 'UTC0';
    });
    // Baseline: clock source is advisory (severity warn).
    expect(evaluatePack(baseline, clockOff, NOW_MS, { firmware: { approved: ['5.51.2'] } }).status).toBe(
      'warn',
    );
    // Evidential: the same finding fails.
    expect(evaluatePack(evidential, clockOff, NOW_MS, assignment).status).toBe('fail');
  });

  it('evidence with nothing but the camera never passes', () => {
    const bare = { camera: { id: 'cam-1' }, period: { fromMs: NOW_MS - 1000, toMs: NOW_MS } };
    for (const pack of [baseline, evidential]) {
      const result = evaluatePack(pack, bare, NOW_MS, { firmware: { approved: ['5.51.2'] } });
      expect(result.status).toBe('not_evaluable');
      expect(result.counts.pass).toBe(0);
    }
  });

  it('does not change the pack or the evidence', () => {
    const evidence = goodEvidence();
    const before = JSON.stringify(evidence);
    evaluatePack(evidential, evidence, NOW_MS, assignment);
    expect(JSON.stringify(evidence)).toBe(before);
    expect(evidential.rules.find((r) => r.id === 'firmware')?.params).toMatchObject({ approved: [] });
  });
});

describe('overrides', () => {
  it('applies params the rule declares overridable and re-validates them', () => {
    const pack = applyOverrides(evidential, { 'pixel-density': { minPxPerM: { observe: 100 } } });
    const rule = pack.rules.find((r) => r.id === 'pixel-density');
    expect(rule?.params).toEqual({
      table: 'bs-en-62676-4-2015',
      maxAgeMs: 93_600_000,
      minPxPerM: { observe: 100 },
    });
    const result = evaluatePack(evidential, goodEvidence(), NOW_MS, {
      'pixel-density': { minPxPerM: { observe: 100 } },
    });
    expect(result.results.find((r) => r.ruleId === 'pixel-density')?.status).toBe('fail');
  });

  it.each([
    [
      { availability: { minShare: 0.5 } },
      /availability params\.minShare: not overridable \(the rule allows no overrides\)/,
    ],
    [{ firmware: { maxAgeMs: 1 } }, /firmware params\.maxAgeMs: not overridable \(allowed: approved\)/],
    [{ nope: { x: 1 } }, /nope: no such rule in police-evidential@3/],
    [{ retention: { maxDays: 'ninety' } }, /retention params\.maxDays: Expected number/],
    [{ retention: { maxDays: 10 } }, /retention params\.maxDays: must not be below params\.minDays/],
    [{ firmware: { approved: 'v1' } }, /firmware params\.approved: Expected array/],
  ])('refuses %j', (overrides, message) => {
    expect(() => evaluatePack(evidential, goodEvidence(), NOW_MS, overrides)).toThrow(message);
    try {
      applyOverrides(evidential, overrides);
    } catch (error) {
      expect(error).toBeInstanceOf(RuleOverrideError);
      expect((error as RuleOverrideError).code).toBe('RULE_OVERRIDE_INVALID');
    }
  });
});

describe('versions', () => {
  it('evaluating with v1 still gives v1 results after v2 tightens a threshold', () => {
    // A 3 s offset: v1 (warn 1 s, fail 5 s) warns; v2 (warn 0.5 s, fail 2 s) fails.
    const evidence = withEvidence((e) => {
      e.latestHealth!.payload.clock!.offsetMs = 3000;
    });
    const v1Alone = parseRulePack(fixture('versioned-v1.yaml').text, 'versioned-v1.yaml');
    const before = evaluatePack(v1Alone, evidence, NOW_MS);
    expect(before.status).toBe('warn');

    const both = loadRulePacks([fixture('versioned-v1.yaml'), fixture('versioned-v2.yaml')]);
    const v1 = evaluatePack(both.get('versioned@1') as RulePack, evidence, NOW_MS);
    const v2 = evaluatePack(both.get('versioned@2') as RulePack, evidence, NOW_MS);
    expect(v1).toEqual(before);
    expect(v1.ref).toBe('versioned@1');
    expect(v2).toMatchObject({ ref: 'versioned@2', status: 'fail' });
    expect(v2.results[0]?.evidence.thresholds).toMatchObject({ warnMs: 500, failMs: 2000 });
  });
});
