import { limitDuration } from './evidence-text.ts';
import { combineChecks, fresh, type KindEvaluator, notEvaluable } from './outcome.ts';
import type { RuleStatus } from './result.ts';

export const evaluateClockOffset: KindEvaluator<'clock-offset'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const thresholds = { warnMs: p.warnMs, failMs: p.failMs, maxAgeMs: p.maxAgeMs };
  const clock = fresh(
    evidence.latestHealth,
    'health',
    'clock reading',
    (r) => r.payload.clock,
    p.maxAgeMs,
    nowMs,
  );
  if (!clock.ok) return notEvaluable(clock.reason, thresholds);
  const { offsetMs, roundTripMs } = clock.value;
  // The offset is camera minus agent: with the agent's own clock wrong it says nothing about UTC
  // (Surveillance Camera Code principle 11 and the police requirement of a correct clock).
  if (evidence.agentClock?.suspect) {
    return notEvaluable(
      `the site agent's clock is not trustworthy, so the camera offset cannot be trusted: ${evidence.agentClock.reason ?? 'flagged by the hub'}`,
      thresholds,
      { offsetMs, roundTripMs },
    );
  }
  const absMs = Math.abs(offsetMs);
  const status: RuleStatus = absMs > p.failMs ? 'fail' : absMs > p.warnMs ? 'warn' : 'pass';
  // In seconds, as the evidence pack's clock table and the rule's value print the same reading.
  const limit =
    status === 'pass'
      ? `within ${limitDuration(p.warnMs)}`
      : `over ${limitDuration(status === 'fail' ? p.failMs : p.warnMs)}`;
  return {
    status,
    reason: `camera clock is ${(absMs / 1000).toFixed(3)} s ${offsetMs >= 0 ? 'ahead of' : 'behind'} the agent (${limit})`,
    values: { offsetMs, roundTripMs },
    thresholds,
    observedAtMs: clock.observedAtMs,
  };
};

export const evaluateClockSource: KindEvaluator<'clock-source'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const thresholds = {
    requireNtp: p.requireNtp,
    acceptedTimeZones: p.acceptedTimeZones,
    maxAgeMs: p.maxAgeMs,
  };
  const clock = fresh(
    evidence.latestHealth,
    'health',
    'clock reading',
    (r) => r.payload.clock,
    p.maxAgeMs,
    nowMs,
  );
  if (!clock.ok) return notEvaluable(clock.reason, thresholds);
  const { dateTimeType, timeZone } = clock.value;
  const statuses: RuleStatus[] = [];
  const notes: string[] = [];
  if (p.requireNtp) {
    if (dateTimeType === null) {
      statuses.push('not_evaluable');
      notes.push('the camera did not report whether it uses NTP');
    } else {
      statuses.push(dateTimeType === 'NTP' ? 'pass' : 'fail');
      notes.push(dateTimeType === 'NTP' ? 'time set by NTP' : 'time set manually, NTP required');
    }
  }
  // An empty list means the code accepts any time zone.
  if (p.acceptedTimeZones.length > 0) {
    if (timeZone === null) {
      statuses.push('not_evaluable');
      notes.push('the camera did not report its time zone');
    } else {
      const ok = p.acceptedTimeZones.includes(timeZone.trim());
      statuses.push(ok ? 'pass' : 'fail');
      notes.push(ok ? `time zone ${timeZone.trim()}` : `time zone '${timeZone}' is not an accepted one`);
    }
  }
  return {
    status: combineChecks(statuses),
    reason: notes.length > 0 ? notes.join('; ') : 'nothing required',
    values: { dateTimeType, timeZone },
    thresholds,
    observedAtMs: clock.observedAtMs,
  };
};
