import { availability, observedShare, type StateDurations } from '../uptime/durations.ts';
import { londonDay, londonMonthWindow } from '../uptime/london-time.ts';
import type { Evidence } from './evidence.ts';
import { sharePercent } from './evidence-text.ts';
import { type KindEvaluator, notEvaluable } from './outcome.ts';
import type { EvidenceBag } from './result.ts';

function durationValues(d: StateDurations): EvidenceBag {
  return {
    upMs: d.up,
    degradedMs: d.degraded,
    downMs: d.down,
    unknownMs: d.unknown,
    maintenanceMs: d.maintenance,
  };
}

/** True when the period starts at a Europe/London month start and does not run past that month's end. */
function isCalendarMonth(period: Evidence['period']): boolean {
  const month = londonMonthWindow(londonDay(period.fromMs).slice(0, 7));
  return period.fromMs === month.fromMs && period.toMs <= month.toMs && period.toMs > period.fromMs;
}

export const evaluateAvailability: KindEvaluator<'availability'> = (rule, evidence) => {
  const p = rule.params;
  const thresholds = { minShare: p.minShare, period: p.period, unknownCountsAsDown: p.unknownCountsAsDown };
  const d = evidence.period.durations;
  if (!d) return notEvaluable('no state durations for the period', thresholds);
  if (p.period === 'calendar-month' && !isCalendarMonth(evidence.period)) {
    return notEvaluable(
      'the code measures availability per calendar month; the period is not one',
      thresholds,
    );
  }
  // DESIGN: unknown time is left out by default (monitoring's outage is not camera downtime); a code may
  // decide that time without data counts against the camera.
  // availabilityShare is always the uptime tables' figure (unknown left out); a code counting unknown
  // time as down is judged on a second figure under its own name, so one name never means two things.
  const plain = availability(d);
  const counted = p.unknownCountsAsDown
    ? availability({ ...d, down: d.down + d.unknown, unknown: 0 })
    : plain;
  const values = {
    ...durationValues(d),
    availabilityShare: plain,
    ...(p.unknownCountsAsDown ? { availabilityUnknownAsDownShare: counted } : {}),
  };
  if (counted === null)
    return notEvaluable('the camera was never observed in the period', thresholds, values);
  const ok = counted >= p.minShare;
  // The shares read as the uptime table prints them (rounded down), so reason, value and table agree.
  return {
    status: ok ? 'pass' : 'fail',
    reason: p.unknownCountsAsDown
      ? `available ${sharePercent(counted)} of the period with unknown time counted as down (minimum ${sharePercent(p.minShare)})`
      : `available ${sharePercent(counted)} of observed time (minimum ${sharePercent(p.minShare)})`,
    values,
    thresholds,
  };
};

export const evaluateObserved: KindEvaluator<'observed'> = (rule, evidence) => {
  const thresholds = { minShare: rule.params.minShare };
  const d = evidence.period.durations;
  if (!d) return notEvaluable('no state durations for the period', thresholds);
  const share = observedShare(d);
  const values = { ...durationValues(d), observedShare: share };
  if (share === null) return notEvaluable('the period holds no time outside maintenance', thresholds, values);
  const ok = share >= rule.params.minShare;
  return {
    status: ok ? 'pass' : 'fail',
    reason: `fresh data for ${sharePercent(share)} of the period (minimum ${sharePercent(rule.params.minShare)})`,
    values,
    thresholds,
  };
};
