import { type TSchema, Type } from '@sinclair/typebox';

/** Ids used in topics and URLs: lowercase slug, no MQTT wildcards or separators. */
export const Id = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lowercase slug: letters, digits and dashes, 1-63 characters',
});

/**
 * Dates the hub accepts anywhere (site messages, REST queries, report months): years 2000-2099.
 * Nothing this service records can be older, and a far-past or far-future date is a broken clock or
 * an attack, never data: bounded here, it is a 400 naming the field (or a dead letter), not a
 * history rebuild back to year 1.
 */
const YEAR = '20\\d{2}';
const MONTH = '(0[1-9]|1[0-2])';
const DAY = '(0[1-9]|[12]\\d|3[01])';

export const IsoTime = Type.String({
  format: 'date-time',
  pattern: `^${YEAR}-${MONTH}-${DAY}T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,6})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$`,
  description: 'ISO 8601 timestamp with zone, years 2000-2099',
});

/** A calendar day, `YYYY-MM-DD`, years 2000-2099. */
export const IsoDayPattern = `^${YEAR}-${MONTH}-${DAY}$`;
/** A calendar month, `YYYY-MM`, years 2000-2099. */
export const IsoMonthPattern = `^${YEAR}-${MONTH}$`;

/** A real calendar day (the `date` format refuses 2025-02-30), years 2000-2099. */
export const IsoDay = (description = 'Calendar day, YYYY-MM-DD (2000-2099)') =>
  Type.String({ format: 'date', pattern: IsoDayPattern, description });
/** A calendar month, years 2000-2099. */
export const IsoMonth = (description = 'Calendar month, YYYY-MM (2000-2099)') =>
  Type.String({ pattern: IsoMonthPattern, description });

export const LatLon = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  { additionalProperties: false },
);

export const GeoPoint = Type.Object(
  {
    type: Type.Literal('Point'),
    coordinates: Type.Tuple([Type.Number(), Type.Number()], { description: '[longitude, latitude] WGS84' }),
  },
  { additionalProperties: false },
);

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A closed object: unknown fields are an error at every boundary. */
export const Strict = { additionalProperties: false } as const;
