import type { ImageCheck } from '../schemas/payloads.ts';
import type { Evidence } from './evidence.ts';
import { combineChecks, formatDuration, fresh, type KindEvaluator, notEvaluable } from './outcome.ts';
import type { EvidenceBag, RuleStatus } from './result.ts';

const MINUTE_MS = 60_000;

type Sample = { observedAtMs: number; image: ImageCheck };

/**
 * How long a snapshot fault has been active, measured from the first faulty sample of the run that
 * reaches the latest sample to that latest sample: a lower bound, so a fault is never failed on a guess.
 */
function activeRunMs(samples: readonly Sample[], fault: 'blank' | 'dark'): number | null {
  const latest = samples[samples.length - 1];
  if (!latest?.image[fault]) return null;
  let start = latest.observedAtMs;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i] as Sample;
    if (!s.image[fault]) break;
    start = s.observedAtMs;
  }
  return latest.observedAtMs - start;
}

export const evaluateImage: KindEvaluator<'image'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const limitMs = p.maxActiveMinutes * MINUTE_MS;
  const thresholds = { maxActiveMinutes: p.maxActiveMinutes, faults: p.faults, maxAgeMs: p.maxAgeMs };
  const statuses: RuleStatus[] = [];
  const notes: string[] = [];
  const values: EvidenceBag = {};
  let observedAtMs: number | undefined;

  const judge = (fault: string, activeMs: number | null) => {
    values[`${fault}ActiveMinutes`] = activeMs === null ? null : activeMs / MINUTE_MS;
    if (activeMs === null) {
      statuses.push('pass');
      return;
    }
    const over = activeMs > limitMs;
    statuses.push(over ? 'fail' : 'pass');
    notes.push(`${fault} for ${formatDuration(activeMs)}${over ? ` (limit ${p.maxActiveMinutes} min)` : ''}`);
  };

  const snapshotFaults = p.faults.filter((f): f is 'blank' | 'dark' => f !== 'tamper');
  if (snapshotFaults.length > 0) {
    const samples = (evidence.recentImages ?? [])
      .filter((s): s is Sample => s.image !== null)
      .sort((a, b) => a.observedAtMs - b.observedAtMs);
    const latest = fresh(
      samples[samples.length - 1],
      'snapshot',
      'image check',
      (s) => s.image,
      p.maxAgeMs,
      nowMs,
    );
    if (latest.ok) {
      observedAtMs = latest.observedAtMs;
      for (const fault of snapshotFaults) judge(fault, activeRunMs(samples, fault));
    } else {
      statuses.push('not_evaluable');
      notes.push(latest.reason);
    }
  }

  if (p.faults.includes('tamper')) {
    if (evidence.activeEvents === undefined) {
      statuses.push('not_evaluable');
      notes.push('no camera event state for tamper');
    } else {
      const since = evidence.activeEvents.filter((e) => e.type === 'tamper').map((e) => e.sinceMs);
      judge('tamper', since.length > 0 ? Math.max(0, nowMs - Math.min(...since)) : null);
    }
  }

  const status = combineChecks(statuses);
  const reason = notes.length > 0 ? notes.join('; ') : `no ${p.faults.join('/')} fault active`;
  return observedAtMs === undefined
    ? { status, reason, values, thresholds }
    : { status, reason, values, thresholds, observedAtMs };
};

type ActiveEvent = NonNullable<Evidence['activeEvents']>[number];

/** "storage_failure" -> "storage failure": reasons are read by people. */
const eventWords = (type: string) => type.replace(/_/g, ' ');

export const evaluateStorage: KindEvaluator<'storage'> = (rule, evidence, nowMs) => {
  const thresholds = { eventTypes: rule.params.eventTypes };
  if (evidence.activeEvents === undefined) return notEvaluable('no camera event state', thresholds);
  const active = evidence.activeEvents.filter((e: ActiveEvent) => rule.params.eventTypes.includes(e.type));
  const values = { activeEvents: active.map((e) => e.type) };
  if (active.length === 0) {
    return {
      status: 'pass',
      reason: `no ${rule.params.eventTypes.map(eventWords).join(' or ')} event active`,
      values,
      thresholds,
    };
  }
  return {
    status: 'fail',
    reason: active
      .map((e) => `${eventWords(e.type)} active for ${formatDuration(Math.max(0, nowMs - e.sinceMs))}`)
      .join('; '),
    values,
    thresholds,
  };
};

export const evaluateFirmware: KindEvaluator<'firmware'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const thresholds = { approved: p.approved, maxAgeMs: p.maxAgeMs };
  if (p.approved.length === 0) {
    return notEvaluable('no approved firmware list is configured for this code or assignment', thresholds);
  }
  const device = fresh(
    evidence.latestHealth,
    'health',
    'device information',
    (r) => (r.payload.device?.firmwareVersion.trim() ? r.payload.device : null),
    p.maxAgeMs,
    nowMs,
  );
  if (!device.ok) return notEvaluable(device.reason, thresholds);
  const version = device.value.firmwareVersion.trim();
  const ok = p.approved.some((v) => v.trim() === version);
  return {
    status: ok ? 'pass' : 'fail',
    reason: ok ? `firmware ${version} is approved` : `firmware ${version} is not on the approved list`,
    values: { firmwareVersion: version, manufacturer: device.value.manufacturer, model: device.value.model },
    thresholds,
    observedAtMs: device.observedAtMs,
  };
};
