import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { VideoCheck } from '../../../src/schemas/video-check.ts';
import { goodVideo, MINUTE_MS, NOW_MS, ruleOf } from './evidence-builders.ts';

/** Samples every 5 minutes up to now, the last `faultyCount` of them changed by `change`. */
function evidence(change: Partial<VideoCheck>, faultyCount: number, total = 6): Evidence {
  const recentVideo = Array.from({ length: total }, (_, i) => {
    const atMs = NOW_MS - (total - 1 - i) * 5 * MINUTE_MS;
    const faulty = i >= total - faultyCount;
    return { observedAtMs: atMs, video: { ...goodVideo(atMs), ...(faulty ? change : {}) } };
  });
  return { camera: { id: 'cam-1' }, period: { fromMs: NOW_MS - 60 * MINUTE_MS, toMs: NOW_MS }, recentVideo };
}

describe('video rule', () => {
  const rule = ruleOf('video', { maxActiveMinutes: 15 });

  it.each([
    [
      'healthy',
      {},
      0,
      'pass',
      'no frozen/black/blurred/scene_changed/snapshot_stale/snapshot_mismatch fault active',
    ],
    ['frozen for 20 min', { frozenShare: 1 }, 5, 'fail', 'frozen for 20 min (limit 15 min)'],
    ['frozen for 10 min', { frozenShare: 1 }, 3, 'pass', 'frozen for 10 min'],
    ['black for 25 min', { blackShare: 1, frozenShare: 1 }, 6, 'fail', 'black for 25 min (limit 15 min)'],
    ['blurred for 20 min', { sharpnessRatio: 0.05 }, 5, 'fail', 'blurred for 20 min (limit 15 min)'],
    ['turned away for 20 min', { sceneSsim: 0.18 }, 5, 'fail', 'scene changed for 20 min (limit 15 min)'],
    [
      'stale snapshot for 20 min',
      { snapshotRepeats: 9 },
      5,
      'fail',
      'snapshot stale for 20 min (limit 15 min)',
    ],
    [
      'unrelated snapshot for 20 min',
      { snapshotSsim: 0.17 },
      5,
      'fail',
      'snapshot mismatch for 20 min (limit 15 min)',
    ],
  ] as const)('%s', (_name, change, faulty, status, reason) => {
    const result = evaluateRule(rule, evidence(change, faulty), NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toBe(reason);
  });

  it("judges the agent's measures with the code's limits, not the agent's verdicts", () => {
    // The agent (limit 0.5) found nothing; a code asking for 0.7 sees the view changed.
    const strict = ruleOf('video', { maxActiveMinutes: 15, minSceneSsim: 0.7 });
    const result = evaluateRule(strict, evidence({ sceneSsim: 0.6, sceneChanged: false }, 5), NOW_MS);
    expect(result.status).toBe('fail');
    expect(result.evidence.thresholds).toMatchObject({ minSceneSsim: 0.7 });
  });

  it('without a commissioning reference frame, blur and view are not evaluable, not passed', () => {
    const result = evaluateRule(rule, evidence({ sceneSsim: null, sharpnessRatio: null }, 6), NOW_MS);
    expect(result.status).toBe('not_evaluable');
    expect(result.reason).toContain('no commissioning reference frame');
    const onlyFreeze = ruleOf('video', { faults: ['frozen', 'black'] });
    expect(
      evaluateRule(onlyFreeze, evidence({ sceneSsim: null, sharpnessRatio: null }, 6), NOW_MS).status,
    ).toBe('pass');
  });

  it('an agent that sends no video analysis leaves the rule not evaluable', () => {
    const result = evaluateRule(
      rule,
      { camera: { id: 'cam-1' }, period: { fromMs: 0, toMs: NOW_MS } },
      NOW_MS,
    );
    expect(result).toMatchObject({ status: 'not_evaluable', reason: 'no video analysis reading' });
  });
});
