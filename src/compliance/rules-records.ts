import { combineChecks, fresh, type KindEvaluator, notEvaluable } from './outcome.ts';
import type { EvidenceBag, RuleStatus } from './result.ts';
import type { ReviewCheck } from './rule-pack.ts';

const DAY_MS = 86_400_000;

export const evaluateRetention: KindEvaluator<'retention'> = (rule, evidence, nowMs) => {
  const { minDays, maxDays, maxAgeMs } = rule.params;
  const thresholds = { minDays, maxDays: maxDays ?? null, maxAgeMs };
  const reading = fresh(evidence.retention, 'retention', 'days', (r) => r.days, maxAgeMs, nowMs);
  if (!reading.ok) return notEvaluable(reading.reason, thresholds);
  const days = reading.value;
  const values = {
    retentionDays: days,
    oldestRecordingAt: new Date(evidence.retention?.earliestMs ?? 0).toISOString(),
  };
  if (days < minDays) {
    return {
      status: 'fail',
      reason: `${days} days of recordings kept, minimum ${minDays}`,
      values,
      thresholds,
      observedAtMs: reading.observedAtMs,
    };
  }
  // Keeping recordings longer than declared is a data-protection breach (Code principle 6), not a bonus.
  if (maxDays !== undefined && days > maxDays) {
    return {
      status: 'fail',
      reason: `${days} days of recordings kept, more than the declared maximum of ${maxDays}`,
      values,
      thresholds,
      observedAtMs: reading.observedAtMs,
    };
  }
  return {
    status: 'pass',
    reason: `${days} days of recordings kept (${minDays}${maxDays === undefined ? '+' : `-${maxDays}`} days required)`,
    values,
    thresholds,
    observedAtMs: reading.observedAtMs,
  };
};

const REVIEW_CHECKS: Record<
  ReviewCheck,
  { field: 'lastReviewAtMs' | 'dpiaAtMs' | 'certificateIssuedAtMs'; limit: string; label: string }
> = {
  review: { field: 'lastReviewAtMs', limit: 'maxReviewAgeDays', label: 'annual review' },
  dpia: { field: 'dpiaAtMs', limit: 'maxDpiaAgeDays', label: 'DPIA' },
  certificate: { field: 'certificateIssuedAtMs', limit: 'maxCertificateAgeDays', label: 'certificate' },
};

export const evaluateReview: KindEvaluator<'review'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const limits: Record<string, number> = {
    maxReviewAgeDays: p.maxReviewAgeDays,
    maxDpiaAgeDays: p.maxDpiaAgeDays,
    maxCertificateAgeDays: p.maxCertificateAgeDays,
  };
  const thresholds = { require: p.require, ...limits };
  const statuses: RuleStatus[] = [];
  const notes: string[] = [];
  const values: EvidenceBag = {};
  for (const check of p.require) {
    const { field, limit, label } = REVIEW_CHECKS[check];
    const atMs = evidence.records?.[field];
    if (atMs === undefined) {
      statuses.push('not_evaluable');
      notes.push(`no ${label} date on record`);
      continue;
    }
    const ageDays = Math.floor((nowMs - atMs) / DAY_MS);
    const maxDays = limits[limit] as number;
    values[`${check}AgeDays`] = ageDays;
    const over = ageDays > maxDays;
    statuses.push(over ? 'fail' : 'pass');
    notes.push(`${label} ${ageDays} days old${over ? ` (limit ${maxDays})` : ''}`);
  }
  return { status: combineChecks(statuses), reason: notes.join('; '), values, thresholds };
};

export const evaluateAccessAudit: KindEvaluator<'access-audit'> = (rule, evidence) => {
  const thresholds = { minLoggedShare: rule.params.minLoggedShare };
  const access = evidence.access;
  if (!access) return notEvaluable('the hub audit log was not read for this evaluation', thresholds);
  const values = {
    views: access.views,
    loggedComplete: access.complete,
    chainIntact: access.chainIntact,
    chainCheckedAt: new Date(access.chainCheckedAtMs).toISOString(),
  };
  if (!access.chainIntact)
    return {
      status: 'fail',
      reason: `the audit log fails verification, so its access records cannot be relied on: ${access.chainMessage}`,
      values,
      thresholds,
    };
  const share = access.views === 0 ? 1 : access.complete / access.views;
  const ok = share >= rule.params.minLoggedShare;
  return {
    status: ok ? 'pass' : 'fail',
    reason:
      access.views === 0
        ? 'no live feed views in the period; the hub logs every view, and its audit log verified'
        : `${access.complete} of ${access.views} feed views in the period logged with user, purpose and incident reference; audit log verified`,
    values: { ...values, loggedShare: Math.round(share * 10_000) / 10_000 },
    thresholds,
  };
};
