import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import { NOW_MS, ruleOf, streamPayload, withEvidence } from './evidence-builders.ts';

const declared = (bitrateKbps: number | null) => ({
  token: 'main',
  encoding: 'H264',
  width: 1920,
  height: 1080,
  fps: 25,
  bitrateKbps,
});

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
