import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime, Nullable } from './common.ts';

const closed = { additionalProperties: false } as const;

export const MaintenanceScopeKind = Type.Union([
  Type.Literal('camera'),
  Type.Literal('site'),
  Type.Literal('council'),
]);
export type MaintenanceScopeKind = Static<typeof MaintenanceScopeKind>;

export const Recurrence = Type.Union(
  [Type.Literal('none'), Type.Literal('weekly'), Type.Literal('monthly')],
  {
    description: 'Repeats at the same Europe/London wall-clock time every week or month',
  },
);
export type Recurrence = Static<typeof Recurrence>;

export const MaintenanceCreate = Type.Object(
  {
    scope: MaintenanceScopeKind,
    scopeId: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    reason: Type.String({ maxLength: 2000, default: '' }),
    startsAt: IsoTime,
    endsAt: IsoTime,
    recurrence: Type.Optional(Recurrence),
    until: Type.Optional(Nullable(IsoTime)),
  },
  closed,
);
export type MaintenanceCreate = Static<typeof MaintenanceCreate>;

export const MaintenanceUpdate = Type.Partial(
  Type.Object(
    {
      title: Type.String({ minLength: 1, maxLength: 200 }),
      reason: Type.String({ maxLength: 2000 }),
      startsAt: IsoTime,
      endsAt: IsoTime,
      recurrence: Recurrence,
      until: Nullable(IsoTime),
    },
    closed,
  ),
  closed,
);
export type MaintenanceUpdate = Static<typeof MaintenanceUpdate>;

export const MaintenanceWindowView = Type.Object(
  {
    id: Type.Integer(),
    scope: MaintenanceScopeKind,
    scopeId: Id,
    title: Type.String(),
    reason: Type.String(),
    startsAt: IsoTime,
    endsAt: IsoTime,
    recurrence: Recurrence,
    until: Nullable(IsoTime),
    createdBy: Type.String(),
    createdAt: IsoTime,
    /** Set when the window (or series) was ended early. */
    endedAt: Nullable(IsoTime),
    /** Occurrences in the next 30 days (or the current one). */
    next: Type.Array(Type.Object({ from: IsoTime, to: IsoTime }, closed)),
  },
  closed,
);
export type MaintenanceWindowView = Static<typeof MaintenanceWindowView>;
