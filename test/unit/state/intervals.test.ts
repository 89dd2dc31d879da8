import { describe, expect, it } from 'vitest';
import { nextState, planIntervals } from '../../../src/state/intervals.ts';

const t = (s: string) => new Date(`2026-11-24T${s}Z`);

describe('planIntervals', () => {
  it('closes the open interval at the first transition and chains the rest', () => {
    const plan = planIntervals([
      { cameraId: 'a', state: 'down', reasons: [], at: t('10:00:00') },
      { cameraId: 'b', state: 'up', reasons: [], at: t('10:00:05') },
      { cameraId: 'a', state: 'up', reasons: [], at: t('10:02:00') },
    ]);
    expect([...plan.close.entries()]).toEqual([
      ['a', t('10:00:00')],
      ['b', t('10:00:05')],
    ]);
    expect(plan.insert.map((r) => [r.cameraId, r.state, r.startedAt, r.endedAt])).toEqual([
      ['a', 'down', t('10:00:00'), t('10:02:00')],
      ['b', 'up', t('10:00:05'), null],
      ['a', 'up', t('10:02:00'), null],
    ]);
  });
});

describe('nextState', () => {
  const current = { state: 'up' as const, stateSince: t('10:00:00'), reasons: [] };
  it.each([
    ['same state, same reasons', { state: 'up' as const, reasons: [], at: t('10:01:00') }, 'none'],
    ['state change', { state: 'down' as const, reasons: [], at: t('10:01:00') }, 'transition'],
    ['late observation', { state: 'down' as const, reasons: [], at: t('09:59:59') }, 'none'],
    [
      'change exactly at the state start',
      { state: 'down' as const, reasons: [], at: t('10:00:00') },
      'transition',
    ],
    [
      'new reasons only',
      { state: 'up' as const, reasons: [{ code: 'clock_offset' as const, message: 'x' }], at: t('10:01:00') },
      'reasons',
    ],
  ])('%s', (_name, observed, kind) => {
    expect(nextState(current, observed).kind).toBe(kind);
  });

  it("takes a newer sample's words for the same reason code", () => {
    const down = {
      state: 'down' as const,
      stateSince: t('10:00:00'),
      reasons: [{ code: 'unreachable' as const, message: 'connection refused' }],
    };
    const same = { state: 'down' as const, reasons: [...down.reasons], at: t('10:01:00') };
    expect(nextState(down, same).kind).toBe('none');
    const reworded = {
      state: 'down' as const,
      reasons: [{ code: 'unreachable' as const, message: 'no answer within 5000 ms' }],
      at: t('10:02:00'),
    };
    expect(nextState(down, reworded).kind).toBe('reasons');
  });

  it('keeps maintenance until the hub ends it', () => {
    expect(
      nextState({ ...current, state: 'maintenance' }, { state: 'down', reasons: [], at: t('11:00:00') }).kind,
    ).toBe('none');
  });
});
