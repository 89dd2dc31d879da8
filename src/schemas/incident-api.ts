import { type Static, Type } from '@sinclair/typebox';
import { CameraState } from './camera-state.ts';
import { GeoPoint, Id, IsoTime, Nullable } from './common.ts';
import { IncidentSource } from './sources.ts';

const closed = { additionalProperties: false } as const;

export const LatLon = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
  },
  closed,
);

/** A GeoJSON polygon (one outer ring, WGS84, closed, at most 200 positions). */
export const GeoPolygon = Type.Object(
  {
    type: Type.Literal('Polygon'),
    coordinates: Type.Array(
      Type.Array(
        Type.Tuple([
          Type.Number({ minimum: -180, maximum: 180 }),
          Type.Number({ minimum: -90, maximum: 90 }),
        ]),
        {
          minItems: 4,
          maxItems: 200,
        },
      ),
      { minItems: 1, maxItems: 1 },
    ),
  },
  closed,
);
export type GeoPolygon = Static<typeof GeoPolygon>;

export const IncidentSearch = Type.Object(
  {
    point: Type.Optional(LatLon),
    radiusM: Type.Optional(
      Type.Number({ minimum: 1, maximum: 5000, default: 200, description: 'With point: search radius (m)' }),
    ),
    polygon: Type.Optional(GeoPolygon),
    states: Type.Optional(Type.Array(CameraState, { minItems: 1, maxItems: 5, uniqueItems: true })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    sourcesWithinMinutes: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1440,
        default: 15,
        description:
          'Mobile sources that passed the target in this many minutes are listed too (control rooms, operators)',
      }),
    ),
  },
  { ...closed, description: 'Either a point (and radius) or a polygon' },
);
export type IncidentSearch = Static<typeof IncidentSearch>;

export const IncidentCamera = Type.Object(
  {
    rank: Type.Integer({ minimum: 1 }),
    cameraId: Id,
    name: Type.String(),
    siteId: Id,
    councilId: Id,
    state: CameraState,
    location: GeoPoint,
    bearingDeg: Type.Number(),
    hfovDeg: Type.Number(),
    rangeM: Type.Number({ description: 'Useful range: surveyed, else the design distance' }),
    distanceM: Type.Number({ description: 'From the camera to the point, or to the polygon (0 inside)' }),
    covers: Type.Boolean({ description: 'Its field of view covers the point (or overlaps the polygon)' }),
    coverage: Nullable(
      Type.Number({ description: 'Polygon search: share of the polygon in its field of view' }),
    ),
    offAxisDeg: Type.Number({ description: 'Angle between its bearing and the direction of the target' }),
    pixelDensityPxPerM: Nullable(
      Type.Number({
        description: 'Horizontal pixels per metre at the target, from the last measured stream width',
      }),
    ),
  },
  closed,
);
export type IncidentCamera = Static<typeof IncidentCamera>;

export const IncidentResult = Type.Object(
  {
    target: Type.Object({ lat: Type.Number(), lon: Type.Number() }, closed),
    cameras: Type.Array(IncidentCamera),
    sources: Type.Array(IncidentSource, {
      description: 'Mobile sources covering the target now or that passed it, ranked with the cameras',
    }),
    sourcesUnavailable: Type.Optional(
      Type.Array(Type.Object({ hub: Type.String(), message: Type.String() }, closed), {
        description:
          'Hubs that share mobile sources with this one but could not be asked about them for this search: their sources are missing from the list',
      }),
    ),
  },
  closed,
);
export type IncidentResult = Static<typeof IncidentResult>;

export const GeometryUpdate = Type.Object(
  {
    location: LatLon,
    bearingDeg: Type.Number({ minimum: 0, maximum: 360 }),
    hfovDeg: Type.Number({ exclusiveMinimum: 0, maximum: 360 }),
    rangeM: Type.Number({ exclusiveMinimum: 0, maximum: 2000 }),
  },
  closed,
);
export type GeometryUpdate = Static<typeof GeometryUpdate>;

export const FovFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Id,
    properties: Type.Object(
      {
        state: CameraState,
        siteId: Id,
        name: Type.String(),
        // The geometry the polygon was built from, as an operator edits it (GeometryUpdate's fields).
        location: LatLon,
        bearingDeg: Type.Number(),
        hfovDeg: Type.Number(),
        rangeM: Type.Number({ description: 'Useful range: surveyed, else the design distance' }),
        surveyedAt: Type.Union([IsoTime, Type.Null()], {
          description: "When a hub operator surveyed it; null while the site's commissioning data applies",
        }),
      },
      closed,
    ),
    geometry: Type.Object(
      {
        type: Type.Literal('Polygon'),
        coordinates: Type.Array(Type.Array(Type.Tuple([Type.Number(), Type.Number()]))),
      },
      closed,
    ),
  },
  closed,
);

export const FovCollection = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(FovFeature),
    numberMatched: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'With limit: how many fields of view match in all (features holds at most limit of them)',
      }),
    ),
  },
  closed,
);
export type FovCollection = Static<typeof FovCollection>;

export const FovQuery = Type.Object(
  {
    bbox: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          'minLon,minLat,maxLon,maxLat: only the fields of view that reach into this box (a map view)',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000,
        description: 'At most this many features, in camera id order; the answer then says numberMatched',
      }),
    ),
  },
  closed,
);
export type FovQuery = Static<typeof FovQuery>;

export const PlaceQuery = Type.Object(
  { q: Type.String({ minLength: 2, maxLength: 80, description: 'Town or site name, or "lat, lon"' }) },
  closed,
);

export const Place = Type.Object(
  {
    name: Type.String(),
    kind: Type.Union([Type.Literal('town'), Type.Literal('site'), Type.Literal('coordinates')]),
    detail: Type.String(),
    lat: Type.Number(),
    lon: Type.Number(),
  },
  closed,
);
export type Place = Static<typeof Place>;
