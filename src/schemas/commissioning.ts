import { type Static, Type } from '@sinclair/typebox';
import { LatLon } from './common.ts';

/** Operational purpose of a view, as used for pixel-density (BS EN 62676-4) and frame-rate rules. */
export const Purpose = Type.Union(
  [
    Type.Literal('identify'),
    Type.Literal('recognise'),
    Type.Literal('observe'),
    Type.Literal('detect'),
    Type.Literal('monitor'),
  ],
  { description: 'Operational requirement of the view (BS EN 62676-4)' },
);
export type Purpose = Static<typeof Purpose>;

export const Commissioning = Type.Object(
  {
    location: LatLon,
    bearingDeg: Type.Number({
      minimum: 0,
      maximum: 360,
      description: 'Direction of view, degrees from north',
    }),
    hfovDeg: Type.Number({
      exclusiveMinimum: 0,
      maximum: 360,
      description: 'Horizontal field of view, degrees',
    }),
    designDistanceM: Type.Number({
      exclusiveMinimum: 0,
      maximum: 5000,
      description: 'Design distance to target',
    }),
    purpose: Purpose,
    bitrateKbps: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Commissioned stream bitrate' }),
    ),
  },
  { additionalProperties: false },
);
export type Commissioning = Static<typeof Commissioning>;
