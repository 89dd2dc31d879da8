import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluatePack, evaluateRule } from '../../../src/compliance/evaluate.ts';
import { loadRulePacks } from '../../../src/compliance/load-packs.ts';
import type { RulePack } from '../../../src/compliance/rule-pack.ts';
import {
  declaredProfile as declared,
  NOW_MS,
  ruleOf,
  streamPayload,
  withEvidence,
} from './evidence-builders.ts';

describe('bitrate-declared rule', () => {
  const rule = ruleOf('bitrate-declared');

  it.each([
    { name: 'at the declared bitrate', measured: 1000, declaredKbps: 1000, status: 'pass' },
    { name: 'a quiet VBR scene at 30%', measured: 300, declaredKbps: 1000, status: 'pass' },
    { name: 'a keyframe-heavy sample (190%)', measured: 1900, declaredKbps: 1000, status: 'pass' },
    { name: 'an encoder outside its profile (250%)', measured: 2500, declaredKbps: 1000, status: 'fail' },
    { name: 'a starved encoder (10%)', measured: 100, declaredKbps: 1000, status: 'fail' },
    { name: 'no declared bitrate', measured: 1000, declaredKbps: null, status: 'not_evaluable' },
    { name: 'a declared bitrate of 0', measured: 1000, declaredKbps: 0, status: 'not_evaluable' },
  ])('$name: $status', ({ measured, declaredKbps, status }) => {
    const evidence = withEvidence((e) => {
      e.latestStream = {
        observedAtMs: NOW_MS - 60_000,
        payload: streamPayload({ bitrateKbps: measured, declared: declared(declaredKbps) }),
      };
    });
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    if (status !== 'not_evaluable')
      expect(result.evidence.values.shareOfDeclared).toBeCloseTo(measured / 1000, 6);
  });

  describe('every declared profile', () => {
    const withSubs = (subs: { token: string; measured: number; declaredKbps: number; ageMs?: number }[]) =>
      withEvidence((e) => {
        e.latestStream = {
          observedAtMs: NOW_MS - 60_000,
          payload: streamPayload({ bitrateKbps: 1000, declared: declared(1000) }),
        };
        e.subStreams = subs.map((s) => ({
          observedAtMs: NOW_MS - (s.ageMs ?? 60_000),
          payload: streamPayload({
            role: 'sub',
            bitrateKbps: s.measured,
            declared: { ...declared(s.declaredKbps), token: s.token },
          }),
        }));
      });

    it('passes when the main stream and each sub-stream are within their own declared figures', () => {
      const result = evaluateRule(
        rule,
        withSubs([{ token: 'profile_sub', measured: 250, declaredKbps: 256 }]),
        NOW_MS,
      );
      expect(result.status).toBe('pass');
      expect(result.reason).toMatch(/; 1 sub-stream within limits$/);
      expect(result.evidence.values).toMatchObject({ subStreamsChecked: 1 });
    });

    it('fails on a sub-stream outside its declared figure, naming it, while the main stream is fine', () => {
      const result = evaluateRule(
        rule,
        withSubs([
          { token: 'profile_sub', measured: 20, declaredKbps: 256 },
          { token: 'profile_third', measured: 500, declaredKbps: 512 },
        ]),
        NOW_MS,
      );
      expect(result.status).toBe('fail');
      expect(result.reason).toContain('sub-stream profile_sub: 20 kbps is 7.81% of its declared 256 kbps');
      expect(result.reason).not.toContain('profile_third');
      expect(result.evidence.values.subStreamWorstShare).toBeCloseTo(20 / 256, 6);
    });

    it('leaves out a sub-stream reading older than the limit', () => {
      const result = evaluateRule(
        rule,
        withSubs([{ token: 'profile_sub', measured: 20, declaredKbps: 256, ageMs: 2 * 93_600_000 }]),
        NOW_MS,
      );
      expect(result.status).toBe('pass');
      expect(result.evidence.values.subStreamsChecked).toBeUndefined();
    });
  });

  it('is not evaluable without a measured bitrate', () => {
    const evidence = withEvidence((e) => {
      e.latestStream = {
        observedAtMs: NOW_MS - 60_000,
        payload: streamPayload({ bitrateKbps: null, declared: declared(1000) }),
      };
    });
    expect(evaluateRule(rule, evidence, NOW_MS).status).toBe('not_evaluable');
  });
});

// Every version of the shipped codes, as the hub loads config/certification/.
const SHIPPED_VERSIONS = loadRulePacks(
  [
    'public-space-baseline.v1.yaml',
    'public-space-baseline.v2.yaml',
    'public-space-baseline.yaml',
    'police-evidential.v1.yaml',
    'police-evidential.v2.yaml',
    'police-evidential.yaml',
  ].map((file) => ({
    name: `config/certification/${file}`,
    text: readFileSync(new URL(`../../../config/certification/${file}`, import.meta.url), 'utf8'),
  })),
);

/** A camera whose media profile declares 300 kbps, measured at `measuredKbps` a minute ago. */
const measuredAt = (measuredKbps: number) =>
  withEvidence((e) => {
    e.latestStream = {
      observedAtMs: NOW_MS - 60_000,
      payload: streamPayload({ bitrateKbps: measuredKbps, declared: declared(300) }),
    };
  });

describe.each(['public-space-baseline', 'police-evidential'])('%s', (code) => {
  const v3 = SHIPPED_VERSIONS.get(`${code}@3`) as RulePack;
  const v2 = SHIPPED_VERSIONS.get(`${code}@2`) as RulePack;
  const bitrateDeclared = (pack: RulePack, measuredKbps: number) =>
    evaluatePack(pack, measuredAt(measuredKbps), NOW_MS).results.find((r) => r.kind === 'bitrate-declared');

  it('version 3 holds the bitrate-declared rule, 25% to 200% of the declared bitrate, citing principle 8', () => {
    const rules = v3.rules.filter((r) => r.kind === 'bitrate-declared');
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      id: 'bitrate-declared',
      severity: 'fail',
      principles: [8],
      params: { minShareOfDeclared: 0.25, maxShareOfDeclared: 2 },
    });
    expect(rules[0]?.source).toMatch(/principle 8/);
  });

  it('version 3 fails a 300 kbps profile measured at 28 kbps (9%)', () => {
    const result = bitrateDeclared(v3, 28);
    expect(result).toMatchObject({ ruleId: 'bitrate-declared', status: 'fail' });
    expect(result?.evidence.values).toMatchObject({ bitrateKbps: 28, declaredKbps: 300 });
    expect(result?.evidence.values.shareOfDeclared).toBeCloseTo(28 / 300, 6);
    expect(result?.reason).toBe(
      '28 kbps is 9.33% of the 300 kbps the profile declares (allowed 25% to 200%)',
    );
  });

  it('version 3 passes a 300 kbps profile measured at 430 kbps (143%, a sample holding a keyframe)', () => {
    const result = bitrateDeclared(v3, 430);
    expect(result).toMatchObject({ ruleId: 'bitrate-declared', status: 'pass' });
    expect(result?.evidence.values.shareOfDeclared).toBeCloseTo(430 / 300, 6);
  });

  it('version 2 still loads without the rule and evaluates as before', () => {
    expect(v2).toMatchObject({ code, version: 2 });
    expect(v2.rules.some((r) => r.kind === 'bitrate-declared')).toBe(false);
    const starved = evaluatePack(v2, measuredAt(28), NOW_MS);
    expect(starved.ref).toBe(`${code}@2`);
    expect(starved.results.map((r) => r.ruleId)).toEqual(v2.rules.map((r) => r.id));
    expect(starved.results.some((r) => r.kind === 'bitrate-declared')).toBe(false);
  });
});
