import { type Static, Type } from '@sinclair/typebox';
import { CameraState } from './camera-state.ts';
import { Id } from './common.ts';

// OGC API - Features, Part 1: Core, with the GeoJSON and OpenAPI 3.0 conformance classes: the hub's
// cameras, their view cones and its sites as feature collections that GIS clients (QGIS, GDAL's OAPIF
// driver, ArcGIS) read, scoped by the caller's key exactly like the REST API.

const closed = { additionalProperties: false } as const;

/** The only coordinate reference system served (WGS 84 longitude, latitude: GeoJSON's). */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

export const OGC_CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
] as const;

/** Most features in one page; a larger `limit` is served as this (the standard permits it). */
export const OGC_MAX_LIMIT = 10_000;
export const OGC_DEFAULT_LIMIT = 100;

export const OgcLink = Type.Object(
  {
    href: Type.String(),
    rel: Type.String(),
    type: Type.Optional(Type.String()),
    title: Type.Optional(Type.String()),
  },
  closed,
);
export type OgcLink = Static<typeof OgcLink>;

export const OgcLandingPage = Type.Object(
  { title: Type.String(), description: Type.String(), links: Type.Array(OgcLink) },
  closed,
);
export type OgcLandingPage = Static<typeof OgcLandingPage>;

export const OgcConformance = Type.Object({ conformsTo: Type.Array(Type.String()) }, closed);

export const OgcCollection = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    description: Type.String(),
    itemType: Type.Literal('feature'),
    crs: Type.Array(Type.String()),
    extent: Type.Object(
      {
        spatial: Type.Object(
          {
            bbox: Type.Array(Type.Array(Type.Number(), { minItems: 4, maxItems: 4 })),
            crs: Type.String(),
          },
          closed,
        ),
        temporal: Type.Object(
          {
            interval: Type.Array(
              Type.Array(Type.Union([Type.String(), Type.Null()]), { minItems: 2, maxItems: 2 }),
            ),
            trs: Type.String(),
          },
          closed,
        ),
      },
      closed,
    ),
    links: Type.Array(OgcLink),
  },
  closed,
);
export type OgcCollection = Static<typeof OgcCollection>;

export const OgcCollections = Type.Object(
  { links: Type.Array(OgcLink), collections: Type.Array(OgcCollection) },
  closed,
);

const Geometry = Type.Union([
  Type.Object({ type: Type.Literal('Point'), coordinates: Type.Array(Type.Number()) }, closed),
  Type.Object(
    { type: Type.Literal('Polygon'), coordinates: Type.Array(Type.Array(Type.Array(Type.Number()))) },
    closed,
  ),
  Type.Null(),
]);

export const OgcFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.String(),
    geometry: Geometry,
    properties: Type.Record(Type.String(), Type.Unknown()),
    links: Type.Optional(Type.Array(OgcLink)),
  },
  closed,
);
export type OgcFeature = Static<typeof OgcFeature>;

export const OgcFeatureCollection = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(OgcFeature),
    links: Type.Array(OgcLink),
    timeStamp: Type.String({ description: 'When this answer was computed' }),
    numberMatched: Type.Integer({ minimum: 0 }),
    numberReturned: Type.Integer({ minimum: 0 }),
  },
  closed,
);
export type OgcFeatureCollection = Static<typeof OgcFeatureCollection>;

const Format = Type.Optional(
  Type.Union([Type.Literal('json'), Type.Literal('geojson')], {
    description: 'Encoding (GeoJSON is the only one); the Accept header is honoured too',
  }),
);

/** Paging, bbox and datetime: what every collection's items accept. */
const common = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: OGC_DEFAULT_LIMIT,
      description: `Features per page (default ${OGC_DEFAULT_LIMIT}; more than ${OGC_MAX_LIMIT} is served as ${OGC_MAX_LIMIT})`,
    }),
  ),
  offset: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 10_000_000,
      default: 0,
      description: 'Features to skip (next links set it)',
    }),
  ),
  bbox: Type.Optional(
    Type.String({
      maxLength: 200,
      description:
        'minLon,minLat,maxLon,maxLat in CRS84 (six numbers with heights are accepted, heights ignored); minLon > maxLon crosses the antimeridian',
    }),
  ),
  'bbox-crs': Type.Optional(Type.Literal(CRS84)),
  datetime: Type.Optional(
    Type.String({
      maxLength: 100,
      description:
        'An instant (RFC 3339) or an interval (start/end, either end may be ".." or empty): features as they were then, with their state at the instant or at the end of the interval',
    }),
  ),
  f: Format,
};

export const OgcCameraItemsQuery = Type.Object(
  {
    ...common,
    councilId: Type.Optional(Id),
    siteId: Type.Optional(Id),
    state: Type.Optional(CameraState),
    purpose: Type.Optional(Type.String({ maxLength: 40 })),
    approval: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('retired')]),
    ),
  },
  closed,
);
export type OgcCameraItemsQuery = Static<typeof OgcCameraItemsQuery>;

export const OgcSiteItemsQuery = Type.Object(
  {
    ...common,
    councilId: Type.Optional(Id),
    state: Type.Optional(
      Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('unknown')]),
    ),
  },
  closed,
);
export type OgcSiteItemsQuery = Static<typeof OgcSiteItemsQuery>;

export const OgcFormatQuery = Type.Object({ f: Format }, closed);
