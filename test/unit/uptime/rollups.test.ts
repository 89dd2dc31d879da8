import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAMERA_STATES } from '../../../src/schemas/camera-state.ts';
import { durationsIn, type MaintenanceSpan, type StateSpan } from '../../../src/uptime/durations.ts';
import { londonDayWindow } from '../../../src/uptime/london-time.ts';
import {
  durationsFromRollups,
  MemoryRollups,
  planHours,
  planWindow,
  splitClosedSpan,
} from '../../../src/uptime/rollups.ts';

const H = 3_600_000;
const BASE = Date.parse('2026-03-20T00:00:00Z'); // spans both 2026 clock changes within ~220 days

describe('rollup buckets', () => {
  it('splits a closed interval across hours and London days', () => {
    const span = {
      state: 'down' as const,
      startMs: Date.parse('2026-10-24T22:30:00Z'),
      endMs: Date.parse('2026-10-25T01:15:00Z'),
    };
    expect(splitClosedSpan(span, [], 'hour').map((s) => s.durations.down / 60_000)).toEqual([30, 60, 60, 15]);
    // 22:30 UTC on 24 Oct is 23:30 BST, so 30 min fall on the 24th and the rest on the 25th.
    const days = splitClosedSpan(span, [], 'day');
    expect(days.map((s) => s.bucketStartMs)).toEqual([
      londonDayWindow('2026-10-24').fromMs,
      londonDayWindow('2026-10-25').fromMs,
    ]);
    expect(days.map((s) => s.durations.down / 60_000)).toEqual([30, 135]);
  });

  it('plans a window as partial hours, whole hours and whole London days', () => {
    const plan = planWindow(Date.parse('2026-03-28T10:20:00Z'), Date.parse('2026-03-30T05:10:00Z'));
    expect(plan.edges.map((e) => [new Date(e.fromMs).toISOString(), new Date(e.toMs).toISOString()])).toEqual(
      [
        ['2026-03-28T10:20:00.000Z', '2026-03-28T11:00:00.000Z'],
        ['2026-03-30T05:00:00.000Z', '2026-03-30T05:10:00.000Z'],
      ],
    );
    expect(plan.days && new Date(plan.days.fromMs).toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(plan.days && new Date(plan.days.toMs).toISOString()).toBe('2026-03-29T23:00:00.000Z');
    expect(plan.hours.map((h) => (h.toMs - h.fromMs) / H)).toEqual([13, 6]);
  });

  it('plans a window as partial-hour edges around one range of whole hours', () => {
    const plan = planHours(Date.parse('2026-03-28T10:20:00Z'), Date.parse('2026-03-30T05:10:00Z'));
    expect(plan.edges.map((e) => (e.toMs - e.fromMs) / 60_000)).toEqual([40, 10]);
    expect(plan.hours).toEqual([
      { fromMs: Date.parse('2026-03-28T11:00:00Z'), toMs: Date.parse('2026-03-30T05:00:00Z') },
    ]);
    expect(planHours(Date.parse('2026-03-28T10:20:00Z'), Date.parse('2026-03-28T10:50:00Z'))).toEqual({
      days: null,
      hours: [],
      edges: [{ fromMs: Date.parse('2026-03-28T10:20:00Z'), toMs: Date.parse('2026-03-28T10:50:00Z') }],
    });
  });
});

// Random histories: a camera's intervals, maintenance windows, a report window and "now".
const history = fc
  .record({
    steps: fc.array(
      fc.record({ gapMs: fc.integer({ min: 1, max: 30 * H }), state: fc.constantFrom(...CAMERA_STATES) }),
      {
        minLength: 1,
        maxLength: 40,
      },
    ),
    firstMs: fc.integer({ min: 0, max: 40 * 24 * H }),
    maintenance: fc.array(
      fc.record({
        startMs: fc.integer({ min: 0, max: 200 * 24 * H }),
        lengthMs: fc.integer({ min: 1, max: 48 * H }),
      }),
      {
        maxLength: 4,
      },
    ),
    fromMs: fc.integer({ min: 0, max: 200 * 24 * H }),
    lengthMs: fc.integer({ min: 0, max: 60 * 24 * H }),
    nowAfterMs: fc.integer({ min: 0, max: 240 * 24 * H }),
  })
  .map((h) => {
    const spans: StateSpan[] = [];
    let t = BASE + h.firstMs;
    for (const step of h.steps) {
      const prev = spans[spans.length - 1];
      if (prev) prev.endMs = t;
      spans.push({ state: step.state, startMs: t, endMs: null });
      t += step.gapMs;
    }
    const maintenance: MaintenanceSpan[] = h.maintenance.map((m) => ({
      startMs: BASE + m.startMs,
      endMs: BASE + m.startMs + m.lengthMs,
    }));
    const nowMs = Math.max(t, BASE + h.nowAfterMs);
    return { spans, maintenance, fromMs: BASE + h.fromMs, toMs: BASE + h.fromMs + h.lengthMs, nowMs };
  });

describe('interval and rollup paths', () => {
  it('agree to the millisecond on randomized histories (including both clock changes)', () => {
    fc.assert(
      fc.property(history, ({ spans, maintenance, fromMs, toMs, nowMs }) => {
        const rollups = new MemoryRollups();
        for (const s of spans) if (s.endMs !== null) rollups.addClosed({ ...s, endMs: s.endMs }, maintenance);
        const open = spans.find((s) => s.endMs === null) ?? null;
        const direct = durationsIn(spans, maintenance, fromMs, toMs, nowMs);
        const viaRollups = durationsFromRollups(rollups, spans, open, maintenance, fromMs, toMs, nowMs);
        expect(viaRollups).toEqual(direct);
      }),
      { numRuns: 400 },
    );
  });

  it('agree when whole hours are read as one range (the running-totals plan)', () => {
    fc.assert(
      fc.property(history, ({ spans, maintenance, fromMs, toMs, nowMs }) => {
        const rollups = new MemoryRollups();
        for (const s of spans) if (s.endMs !== null) rollups.addClosed({ ...s, endMs: s.endMs }, maintenance);
        const open = spans.find((s) => s.endMs === null) ?? null;
        const plan = planHours(fromMs, Math.min(toMs, nowMs));
        expect(plan.days).toBeNull();
        expect(plan.hours.length).toBeLessThanOrEqual(1);
        const direct = durationsIn(spans, maintenance, fromMs, toMs, nowMs);
        expect(durationsFromRollups(rollups, spans, open, maintenance, fromMs, toMs, nowMs, plan)).toEqual(
          direct,
        );
      }),
      { numRuns: 400 },
    );
  });
});
