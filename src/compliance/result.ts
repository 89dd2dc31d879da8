import { type Static, Type } from '@sinclair/typebox';

export const RuleStatus = Type.Union([
  Type.Literal('pass'),
  Type.Literal('warn'),
  Type.Literal('fail'),
  Type.Literal('not_evaluable'),
]);
export type RuleStatus = Static<typeof RuleStatus>;

const EvidenceValue = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]);
const EvidenceBag = Type.Record(
  Type.String(),
  Type.Union([EvidenceValue, Type.Array(Type.Union([Type.String(), Type.Number()]))]),
);
export type EvidenceBag = Static<typeof EvidenceBag>;

/** One rule's outcome; stored and served by the hub, so a wire shape. */
export const RuleResult = Type.Object(
  {
    ruleId: Type.String(),
    kind: Type.String(),
    status: RuleStatus,
    reason: Type.String({
      description: 'Plain-language explanation; names the missing data when not_evaluable',
    }),
    evidence: Type.Object(
      {
        values: EvidenceBag,
        thresholds: EvidenceBag,
        observedAtMs: Type.Optional(Type.Number({ description: 'When the reading used was observed' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type RuleResult = Static<typeof RuleResult>;

export const PackResult = Type.Object(
  {
    code: Type.String(),
    version: Type.Union([Type.Integer(), Type.String()]),
    ref: Type.String({ description: 'code@version: the exact pack the result was computed with' }),
    status: RuleStatus,
    counts: Type.Object(
      { pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer(), not_evaluable: Type.Integer() },
      { additionalProperties: false },
    ),
    evaluatedAtMs: Type.Number(),
    overrides: Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
      description: 'Assignment overrides applied, by rule id, so the result can be reproduced',
    }),
    results: Type.Array(RuleResult),
  },
  { additionalProperties: false },
);
export type PackResult = Static<typeof PackResult>;
