import type { TSchema } from '@sinclair/typebox';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
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

const UNION_HELP: Record<string, string> = {
  version: 'must be a positive integer or a semver-like string such as 1.2.0',
};

/** TypeBox's messages, made plain where they would not help a pack author. */
function messageFor(field: string, error: ValueError): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) {
    return field === 'source'
      ? 'is required: a one-line citation of the principle or standard clause'
      : 'is required';
  }
  if (error.type === ValueErrorType.Union) {
    const members = (error.schema.anyOf ?? []) as TSchema[];
    if (members.length > 0 && members.every((m) => m.const !== undefined)) {
      return `must be one of ${members.map((m) => String(m.const)).join(', ')} (got ${JSON.stringify(error.value)})`;
    }
    return UNION_HELP[field] ?? error.message;
  }
  return error.message;
}

/** Every problem of `value` against `schema`, one per field (TypeBox repeats some), fields prefixed. */
export function schemaProblems(schema: TSchema, value: unknown, prefix = ''): RuleProblem[] {
  const byField = new Map<string, RuleProblem>();
  for (const error of Value.Errors(schema, value)) {
    const field = fieldOf(error.path, prefix);
    if (!byField.has(field)) byField.set(field, { field, message: messageFor(field, error) });
    if (byField.size >= 50) break;
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
  const problems = schemaProblems(RuleBase, base).filter((p) => !p.field.startsWith('params'));
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
    problems.push(...schemaProblems(schema, params, 'params'));
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
