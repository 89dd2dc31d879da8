import { checkRule } from './check-rule.ts';
import type { Evidence } from './evidence.ts';
import type { KindEvaluator } from './outcome.ts';
import type { PackResult, RuleResult, RuleStatus } from './result.ts';
import { packRef, type Rule, type RuleKind, type RuleOf, type RulePack } from './rule-pack.ts';
import { evaluateClockOffset, evaluateClockSource } from './rules-clock.ts';
import { evaluateFirmware, evaluateImage, evaluateStorage } from './rules-device.ts';
import { evaluateAccessAudit, evaluateRetention, evaluateReview } from './rules-records.ts';
import {
  evaluateBitrate,
  evaluateBitrateDeclared,
  evaluateCodec,
  evaluateFrameRate,
  evaluatePixelDensity,
} from './rules-stream.ts';
import { evaluateAvailability, evaluateObserved } from './rules-uptime.ts';
import { evaluateVideo } from './rules-video.ts';

const EVALUATORS: { [K in RuleKind]: KindEvaluator<K> } = {
  availability: evaluateAvailability,
  observed: evaluateObserved,
  'clock-offset': evaluateClockOffset,
  'clock-source': evaluateClockSource,
  'pixel-density': evaluatePixelDensity,
  'frame-rate': evaluateFrameRate,
  codec: evaluateCodec,
  bitrate: evaluateBitrate,
  'bitrate-declared': evaluateBitrateDeclared,
  image: evaluateImage,
  video: evaluateVideo,
  retention: evaluateRetention,
  storage: evaluateStorage,
  firmware: evaluateFirmware,
  review: evaluateReview,
  'access-audit': evaluateAccessAudit,
};

/**
 * Evaluates one validated rule. `severity` is the worst status a violation can give: a `warn` rule that
 * is violated reports `warn`, never `fail`. Missing or stale data gives `not_evaluable`, never `pass`.
 */
export function evaluateRule(rule: Rule, evidence: Evidence, nowMs: number): RuleResult {
  const evaluator = EVALUATORS[rule.kind] as KindEvaluator<RuleKind>;
  const outcome = evaluator(rule as RuleOf<RuleKind>, evidence, nowMs);
  const status: RuleStatus = outcome.status === 'fail' && rule.severity === 'warn' ? 'warn' : outcome.status;
  const result: RuleResult = {
    ruleId: rule.id,
    kind: rule.kind,
    status,
    reason: outcome.reason,
    evidence: { values: outcome.values, thresholds: outcome.thresholds },
  };
  if (outcome.observedAtMs !== undefined) result.evidence.observedAtMs = outcome.observedAtMs;
  return result;
}

/**
 * Overall status of a camera against a code, worst first: fail > not_evaluable > warn > pass.
 * - any `fail`: the evidence shows the camera does not meet the code;
 * - else any `not_evaluable`: compliance cannot be shown, so the camera must not look compliant
 *   (a missing reading never lets an otherwise passing camera pass);
 * - else any `warn`: it meets the code with advisories;
 * - else `pass`. `counts` keeps the warnings visible when not_evaluable wins.
 */
export function overallStatus(statuses: readonly RuleStatus[]): RuleStatus {
  for (const s of ['fail', 'not_evaluable', 'warn'] as const) if (statuses.includes(s)) return s;
  return 'pass';
}

/** Assignment overrides: rule id -> param -> value. Only params a rule lists in `overridable` may appear. */
export type RuleOverrides = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

export class RuleOverrideError extends Error {
  readonly code = 'RULE_OVERRIDE_INVALID';
  constructor(
    readonly ref: string,
    readonly problems: string[],
  ) {
    super(`invalid overrides for ${ref}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The pack with overrides applied and re-validated; throws listing every refused override. */
export function applyOverrides(pack: RulePack, overrides: RuleOverrides): RulePack {
  const ref = packRef(pack);
  const problems: string[] = [];
  const byId = new Map(pack.rules.map((r) => [r.id, r]));
  const replaced = new Map<string, Rule>();
  for (const [ruleId, params] of Object.entries(overrides)) {
    const rule = byId.get(ruleId);
    if (!rule) {
      problems.push(`${ruleId}: no such rule in ${ref}`);
      continue;
    }
    const allowed = rule.overridable ?? [];
    const refused = Object.keys(params).filter((name) => !allowed.includes(name));
    for (const name of refused) {
      problems.push(
        `${ruleId} params.${name}: not overridable (${allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'the rule allows no overrides'})`,
      );
    }
    if (refused.length > 0) continue;
    const checked = checkRule({ ...rule, params: { ...rule.params, ...params } });
    if (!checked.ok) {
      for (const p of checked.problems) problems.push(`${ruleId} ${p.field}: ${p.message}`);
      continue;
    }
    replaced.set(ruleId, checked.rule);
  }
  if (problems.length > 0) throw new RuleOverrideError(ref, problems);
  return { ...pack, rules: pack.rules.map((r) => replaced.get(r.id) ?? r) };
}

/** Evaluates every rule of a pack for one camera; the result pins `code@version` and the overrides used. */
export function evaluatePack(
  pack: RulePack,
  evidence: Evidence,
  nowMs: number,
  overrides: RuleOverrides = {},
): PackResult {
  const effective = Object.keys(overrides).length > 0 ? applyOverrides(pack, overrides) : pack;
  const results = effective.rules.map((rule) => evaluateRule(rule, evidence, nowMs));
  const counts = { pass: 0, warn: 0, fail: 0, not_evaluable: 0 };
  for (const r of results) counts[r.status] += 1;
  return {
    code: pack.code,
    version: pack.version,
    ref: packRef(pack),
    status: overallStatus(results.map((r) => r.status)),
    counts,
    evaluatedAtMs: nowMs,
    overrides: structuredClone(overrides) as Record<string, Record<string, unknown>>,
    results,
  };
}
