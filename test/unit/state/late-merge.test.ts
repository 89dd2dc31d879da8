import { describe, expect, it } from 'vitest';
import type { Reason } from '../../../src/schemas/camera-state.ts';
import { historyFrom, type Observation, planLateMerge } from '../../../src/state/late-merge.ts';

const S = 1000;
const stale: Reason = { code: 'stale', message: 'no health data for over 30 s' };
const down: Reason = { code: 'unreachable', message: 'no answer' };
const obs = (atS: number, state: Observation['state'], reasons: Reason[] = []): Observation => ({
  atMs: atS * S,
  state,
  reasons,
});
const brief = (pieces: { state: string; startMs: number; endMs: number }[]) =>
  pieces.map((p) => `${p.state} ${p.startMs / S}-${p.endMs / S}`);

describe('historyFrom: the history observations give, as if on time', () => {
  it('holds each observation until the next, joins same states, and goes unknown after the stale time', () => {
    const pieces = historyFrom(
      [obs(0, 'up'), obs(10, 'up'), obs(20, 'down', [down]), obs(30, 'down', [down]), obs(100, 'up')],
      0,
      120 * S,
      30 * S,
      stale,
    );
    expect(brief(pieces)).toEqual(['up 0-20', 'down 20-60', 'unknown 60-100', 'up 100-120']);
    expect(pieces[2]?.reasons).toEqual([stale]);
  });

  it('holds an unknown observation (a dropped range) until the next, without a stale time', () => {
    expect(
      brief(
        historyFrom([obs(0, 'up'), obs(10, 'unknown', [stale]), obs(200, 'up')], 0, 210 * S, 30 * S, stale),
      ),
    ).toEqual(['up 0-10', 'unknown 10-200', 'up 200-210']);
  });

  it('keeps to the window and sorts observations that came out of order', () => {
    expect(
      brief(historyFrom([obs(50, 'up'), obs(5, 'down'), obs(40, 'degraded')], 10 * S, 60 * S, 30 * S, stale)),
    ).toEqual(['degraded 40-50', 'up 50-60']);
  });
});

describe('planLateMerge', () => {
  it('replaces unknown time with what late samples say, keeping the outer parts, and balances the rollups', () => {
    // Stored: up 0-100 (on time), unknown 100-500 (the site went offline), open interval from 500.
    // Late samples from 90 to 400 say up, then down from 200 to 300.
    const samples = [obs(90, 'up'), ...[110, 140, 170].map((t) => obs(t, 'up'))];
    for (let t = 200; t < 300; t += 30) samples.push(obs(t, 'down', [down]));
    for (let t = 300; t <= 400; t += 30) samples.push(obs(t, 'up'));
    const plan = planLateMerge({
      stored: [
        { id: 1, state: 'up', reasons: [], startMs: 0, endMs: 100 * S },
        { id: 2, state: 'unknown', reasons: [stale], startMs: 100 * S, endMs: 500 * S },
      ],
      observations: samples,
      fromMs: 90 * S,
      toMs: 500 * S,
      staleAfterMs: 30 * S,
      staleReason: stale,
    });
    expect(plan.remove.sort()).toEqual([1, 2]);
    expect(brief(plan.insert)).toEqual(['up 0-200', 'down 200-300', 'up 300-420', 'unknown 420-500']);
    const total = (ps: { startMs: number; endMs: number }[]) =>
      ps.reduce((a, p) => a + p.endMs - p.startMs, 0);
    expect(total(plan.subtract)).toBe(410 * S);
    expect(total(plan.add)).toBe(410 * S);
    expect(brief(plan.subtract)).toEqual(['up 90-100', 'unknown 100-500']);
  });

  it('leaves declared maintenance as it was', () => {
    const plan = planLateMerge({
      stored: [
        { id: 1, state: 'unknown', reasons: [stale], startMs: 0, endMs: 50 * S },
        { id: 2, state: 'maintenance', reasons: [], startMs: 50 * S, endMs: 70 * S },
        { id: 3, state: 'unknown', reasons: [stale], startMs: 70 * S, endMs: 100 * S },
      ],
      observations: [0, 20, 40, 60, 80].map((t) => obs(t, 'up')),
      fromMs: 0,
      toMs: 100 * S,
      staleAfterMs: 30 * S,
      staleReason: stale,
    });
    expect(plan.remove.sort()).toEqual([1, 3]);
    expect(brief(plan.insert)).toEqual(['up 0-50', 'up 70-100']);
    expect(brief(plan.add)).toEqual(['up 0-50', 'up 70-100']);
  });

  it('does nothing for an empty window', () => {
    const plan = planLateMerge({
      stored: [{ id: 1, state: 'up', reasons: [], startMs: 0, endMs: 10 * S }],
      observations: [obs(5, 'down')],
      fromMs: 10 * S,
      toMs: 10 * S,
      staleAfterMs: 30 * S,
      staleReason: stale,
    });
    expect(plan).toEqual({ remove: [], insert: [], subtract: [], add: [] });
  });
});
