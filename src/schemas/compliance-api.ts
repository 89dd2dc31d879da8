import { type Static, Type } from '@sinclair/typebox';
import { PackResult, RuleStatus } from '../compliance/result.ts';
import { Id, IsoDay, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

export const ComplianceCamera = Type.Object(
  {
    cameraId: Id,
    councilId: Id,
    packRef: Type.String({ description: 'code@version the result was computed with' }),
    status: RuleStatus,
    result: PackResult,
    evaluatedAt: IsoTime,
    statusSince: IsoTime,
  },
  closed,
);
export type ComplianceCamera = Static<typeof ComplianceCamera>;

export const ComplianceOverview = Type.Object(
  {
    scope: Type.String(),
    id: Nullable(Id),
    cameraCount: Type.Integer(),
    evaluated: Type.Integer(),
    counts: Type.Object(
      { pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer(), not_evaluable: Type.Integer() },
      closed,
    ),
    cameras: Type.Array(ComplianceCamera),
  },
  closed,
);
export type ComplianceOverview = Static<typeof ComplianceOverview>;

export const PackRuleSummary = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    title: Type.String(),
    source: Type.String(),
    severity: Type.String(),
  },
  closed,
);
export const PackSummary = Type.Object(
  {
    ref: Type.String(),
    code: Type.String(),
    version: Type.Union([Type.Integer(), Type.String()]),
    title: Type.String(),
    rules: Type.Array(PackRuleSummary),
  },
  closed,
);
export type PackSummary = Static<typeof PackSummary>;

export const HistoryDay = Type.Object(
  {
    day: IsoDay('Europe/London day'),
    packRef: Type.String(),
    worstStatus: RuleStatus,
    latestStatus: RuleStatus,
    latestResult: PackResult,
  },
  closed,
);
export const ComplianceHistory = Type.Object(
  { cameraId: Id, from: IsoDay(), to: IsoDay(), days: Type.Array(HistoryDay) },
  closed,
);
export type ComplianceHistory = Static<typeof ComplianceHistory>;

/** One element of the socket's `compliance` event. */
export const ComplianceChange = Type.Object(
  {
    cameraId: Id,
    councilId: Id,
    packRef: Type.String(),
    previous: Nullable(RuleStatus),
    status: RuleStatus,
    failing: Type.Array(Type.String()),
  },
  closed,
);
export type ComplianceChange = Static<typeof ComplianceChange>;
