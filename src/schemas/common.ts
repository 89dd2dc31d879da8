import { type TSchema, Type } from '@sinclair/typebox';

/** Ids used in topics and URLs: lowercase slug, no MQTT wildcards or separators. */
export const Id = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lowercase slug: letters, digits and dashes, 1-63 characters',
});

export const IsoTime = Type.String({
  format: 'date-time',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 timestamp with zone',
});

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
