import type { Evidence } from './evidence.ts';
import type { EvidenceBag, RuleStatus } from './result.ts';
import type { RuleKind, RuleOf } from './rule-pack.ts';

/** What a kind's evaluator returns; `evaluateRule` adds the rule id and applies the severity cap. */
export interface Outcome {
  status: RuleStatus;
  reason: string;
  values: EvidenceBag;
  thresholds: EvidenceBag;
  observedAtMs?: number;
}

export type KindEvaluator<K extends RuleKind> = (
  rule: RuleOf<K>,
  evidence: Evidence,
  nowMs: number,
) => Outcome;

export function notEvaluable(reason: string, thresholds: EvidenceBag, values: EvidenceBag = {}): Outcome {
  return { status: 'not_evaluable', reason, values, thresholds };
}

export type Fresh<T> = { ok: true; value: T; observedAtMs: number } | { ok: false; reason: string };

/**
 * A reading older than `maxAgeMs` describes the camera as it was, not as it is: it counts as missing.
 * A reading from the future (clock trouble at the hub or agent) is used; freshness is about staleness only.
 */
export function fresh<R extends { observedAtMs: number }, T>(
  reading: R | undefined,
  source: string,
  field: string,
  pick: (r: R) => T | null | undefined,
  maxAgeMs: number,
  nowMs: number,
): Fresh<T> {
  if (!reading) return { ok: false, reason: `no ${source} reading` };
  const ageMs = nowMs - reading.observedAtMs;
  if (ageMs > maxAgeMs) {
    return {
      ok: false,
      reason: `latest ${source} reading is stale (${formatDuration(ageMs)} old, limit ${formatDuration(maxAgeMs)})`,
    };
  }
  const value = pick(reading);
  if (value === null || value === undefined)
    return { ok: false, reason: `latest ${source} reading has no ${field}` };
  return { ok: true, value, observedAtMs: reading.observedAtMs };
}

export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(ms / 3_600_000);
  if (hours < 72) return `${hours} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(share > 0.99 && share < 1 ? 3 : 2).replace(/\.?0+$/, '')}%`;
}

/** Worst first, used wherever several checks inside one rule are combined. */
export function combineChecks(statuses: readonly RuleStatus[]): RuleStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('not_evaluable')) return 'not_evaluable';
  if (statuses.includes('warn')) return 'warn';
  return 'pass';
}
