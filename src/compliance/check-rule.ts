import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { validate } from '../validation.ts';
import { RULE_KINDS, type Rule, RuleBase, type RuleKind, RuleParamsByKind } from './rule-pack.ts';

/** `field` is a dotted path inside the rule, e.g. `params.failMs` or `params.allowed[1]`. */
export interface RuleProblem {
  field: string;
  message: string;
}

export type CheckedRule = { ok: true; rule: Rule } | { ok: false; problems: RuleProblem[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON pointer `/params/allowed/1` -> `params.allowed[1]`. */
export function fieldOf(pointer: string, prefix = ''): string {
  const parts = pointer.split('/').filter((p) => p !== '');
  let out = prefix;
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  return out || '(rule)';
}

function messageFor(field: string, message: string): string {
  if (message !== 'Expected required property') return message;
  if (field === 'source') return 'is required: a one-line citation of the principle or standard clause';
  return 'is required';
}

/** Validates `value` against `schema` after filling defaults; one problem per field (TypeBox repeats some). */
function problemsOf(schema: TSchema, value: unknown, prefix: string): RuleProblem[] {
  const result = validate(schema, value, 50);
  if (result.ok) return [];
  const byField = new Map<string, RuleProblem>();
  for (const issue of result.issues) {
    const field = fieldOf(issue.path, prefix);
    if (!byField.has(field)) byField.set(field, { field, message: messageFor(field, issue.message) });
  }
  return [...byField.values()];
}

/**
 * Checks one rule in stages so every message names the exact field: the common fields, then the kind,
 * then the kind's own params, then cross-field rules. Returns the rule with every param defaulted.
 */
export function checkRule(raw: unknown): CheckedRule {
  if (!isObject(raw)) return { ok: false, problems: [{ field: '(rule)', message: 'must be a mapping' }] };
  const base = Value.Default(RuleBase, Value.Clone(raw)) as Record<string, unknown>;
  const problems = problemsOf(RuleBase, base, '').filter((p) => !p.field.startsWith('params'));
  const kind = base.kind;
  const known = typeof kind === 'string' && (RULE_KINDS as string[]).includes(kind);
  if (typeof kind === 'string' && !known) {
    problems.push({
      field: 'kind',
      message: `unknown rule kind '${kind}'; expected one of ${RULE_KINDS.join(', ')}`,
    });
  }
  let params: unknown = base.params;
  if (!isObject(params)) {
    problems.push({ field: 'params', message: 'must be a mapping' });
  } else if (known) {
    const schema = RuleParamsByKind[kind as RuleKind];
    params = Value.Default(schema, Value.Clone(params));
    problems.push(...problemsOf(schema, params, 'params'));
  }
  if (problems.length > 0 || !known) return { ok: false, problems };
  const rule = { ...base, params } as Rule;
  const semantic = semanticProblems(rule);
  return semantic.length > 0 ? { ok: false, problems: semantic } : { ok: true, rule };
}

/** Cross-field checks a schema cannot express. */
function semanticProblems(rule: Rule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const paramNames = Object.keys(RuleParamsByKind[rule.kind].properties);
  (rule.overridable ?? []).forEach((name, i) => {
    if (!paramNames.includes(name)) {
      problems.push({
        field: `overridable[${i}]`,
        message: `'${name}' is not a param of ${rule.kind} (${paramNames.join(', ')})`,
      });
    }
  });
  if (rule.kind === 'clock-offset' && rule.params.warnMs > rule.params.failMs) {
    problems.push({ field: 'params.warnMs', message: 'must not exceed params.failMs' });
  }
  if (
    rule.kind === 'retention' &&
    rule.params.maxDays !== undefined &&
    rule.params.maxDays < rule.params.minDays
  ) {
    problems.push({ field: 'params.maxDays', message: 'must not be below params.minDays' });
  }
  return problems;
}
