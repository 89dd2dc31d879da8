import type { RuleStatus } from '../../src/compliance/result.ts';

// A Record over the schema's union makes the compiler insist on every status.
export const RULE_STATUS_LABEL: Record<RuleStatus, string> = {
  pass: 'Pass',
  warn: 'Warn',
  fail: 'Fail',
  not_evaluable: 'Not evaluable',
};

/** Display order of the summary chips. */
export const RULE_STATUS_ORDER: readonly RuleStatus[] = ['pass', 'warn', 'fail', 'not_evaluable'];

/** Sort rank: most urgent first. */
export const RULE_STATUS_RANK: Record<RuleStatus, number> = { fail: 0, warn: 1, not_evaluable: 2, pass: 3 };
