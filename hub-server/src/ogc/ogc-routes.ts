import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import {
  CRS84,
  OGC_CONFORMANCE,
  type OgcCameraItemsQuery,
  OgcCameraItemsQuery as OgcCameraItemsQuerySchema,
  type OgcCollection,
  OgcCollection as OgcCollectionSchema,
  OgcCollections,
  OgcConformance,
  OgcFeature,
  OgcFeatureCollection,
  OgcFormatQuery,
  OgcLandingPage,
  type OgcLink,
  type OgcSiteItemsQuery,
  OgcSiteItemsQuery as OgcSiteItemsQuerySchema,
} from '../../../src/schemas/ogc.ts';
import { API_ERRORS, scopeOf } from '../http/common.ts';
import {
  COLLECTIONS,
  type CollectionId,
  type FeaturePage,
  isCollection,
  OgcFeatureRepository,
} from './ogc-features.ts';

export interface OgcRouteDeps {
  pool: pg.Pool;
  now: () => number;
}

const JSON_TYPE = 'application/json';
const GEOJSON = 'application/geo+json';
const OPENAPI = 'application/vnd.oai.openapi+json;version=3.0';
const TAGS = ['OGC API Features'];

/** The base of the links in an answer: the address the client used (behind a proxy, what it says). */
function base(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/ogc`;
}

/** Sends JSON already built (GeoJSON pages can be large; the schemas document them). */
function send(reply: FastifyReply, type: string, body: unknown) {
  return reply.header('cache-control', 'private, no-cache').type(type).send(JSON.stringify(body));
}

function notFound(reply: FastifyReply, what: string) {
  return reply
    .status(404)
    .send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `${what} not found` });
}

/** The query string of a page, without limit/offset, for the next and previous links. */
function queryWith(query: Record<string, unknown>, offset: number, limit: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && k !== 'offset' && k !== 'limit' && k !== 'f') params.set(k, String(v));
  params.set('limit', String(limit));
  params.set('offset', String(offset));
  return params.toString();
}

/**
 * OGC API - Features (Part 1: Core, GeoJSON, OpenAPI 3.0) at /ogc: the landing page, conformance,
 * collections, and their items with bbox, datetime, property filters and paging. Behind the same
 * bearer authentication and council scope as the REST API, so a council's GIS key shows only its
 * cameras; unknown parameters are refused (400), as the standard requires.
 */
export function ogcRoutes(api: FastifyInstance, deps: OgcRouteDeps): void {
  const repo = new OgcFeatureRepository(deps.pool);
  const errors = API_ERRORS;

  api.get(
    '/ogc',
    { schema: { tags: TAGS, querystring: OgcFormatQuery, response: { 200: OgcLandingPage, ...errors } } },
    async (request, reply) => {
      const b = base(request);
      const links: OgcLink[] = [
        { href: b, rel: 'self', type: JSON_TYPE, title: 'This document' },
        {
          href: `${request.protocol}://${request.host}/openapi.json`,
          rel: 'service-desc',
          type: OPENAPI,
          title: 'The API definition',
        },
        { href: `${b}/conformance`, rel: 'conformance', type: JSON_TYPE, title: 'Conformance classes' },
        { href: `${b}/collections`, rel: 'data', type: JSON_TYPE, title: 'Feature collections' },
      ];
      return send(reply, JSON_TYPE, {
        title: 'CCTV hub: cameras, view cones and sites',
        description:
          "Cameras, view cones and sites of this CCTV hub as OGC API Features (GeoJSON, WGS 84). Send the hub API key as 'Authorization: Bearer <key>'; a council's key shows only that council's cameras.",
        links,
      });
    },
  );

  api.get(
    '/ogc/conformance',
    { schema: { tags: TAGS, querystring: OgcFormatQuery, response: { 200: OgcConformance, ...errors } } },
    async (_request, reply) => send(reply, JSON_TYPE, { conformsTo: [...OGC_CONFORMANCE] }),
  );

  const collection = async (request: FastifyRequest, id: CollectionId): Promise<OgcCollection> => {
    const b = base(request);
    const extent = await repo.extent(id, scopeOf(request.user));
    return {
      id,
      title: COLLECTIONS[id].title,
      description: COLLECTIONS[id].description,
      itemType: 'feature',
      crs: [CRS84],
      extent: {
        spatial: { bbox: extent.bbox ? [extent.bbox] : [[-180, -90, 180, 90]], crs: CRS84 },
        temporal: {
          interval: [[extent.since, null]],
          trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian',
        },
      },
      links: [
        { href: `${b}/collections/${id}`, rel: 'self', type: JSON_TYPE, title: 'This collection' },
        { href: `${b}/collections/${id}/items`, rel: 'items', type: GEOJSON, title: COLLECTIONS[id].title },
      ],
    };
  };

  api.get(
    '/ogc/collections',
    { schema: { tags: TAGS, querystring: OgcFormatQuery, response: { 200: OgcCollections, ...errors } } },
    async (request, reply) => {
      const b = base(request);
      const collections = [];
      for (const id of Object.keys(COLLECTIONS) as CollectionId[])
        collections.push(await collection(request, id));
      return send(reply, JSON_TYPE, {
        links: [{ href: `${b}/collections`, rel: 'self', type: JSON_TYPE, title: 'This document' }],
        collections,
      });
    },
  );

  api.get(
    '/ogc/collections/:collectionId',
    {
      schema: {
        tags: TAGS,
        params: Type.Object({ collectionId: Type.String({ maxLength: 40 }) }),
        querystring: OgcFormatQuery,
        response: { 200: OgcCollectionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { collectionId } = request.params as { collectionId: string };
      if (!isCollection(collectionId)) return notFound(reply, `collection ${collectionId}`);
      return send(reply, JSON_TYPE, await collection(request, collectionId));
    },
  );

  const items = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: CollectionId,
    load: () => Promise<FeaturePage>,
  ) => {
    const query = request.query as Record<string, unknown> & { limit?: number; offset?: number };
    const result = await load();
    const b = base(request);
    const limit = Math.min(query.limit ?? 100, 10_000);
    const offset = query.offset ?? 0;
    const here = `${b}/collections/${id}/items`;
    const links: OgcLink[] = [
      { href: `${here}?${queryWith(query, offset, limit)}`, rel: 'self', type: GEOJSON, title: 'This page' },
      { href: `${b}/collections/${id}`, rel: 'collection', type: JSON_TYPE, title: COLLECTIONS[id].title },
    ];
    if (offset + result.features.length < result.numberMatched)
      links.push({
        href: `${here}?${queryWith(query, offset + limit, limit)}`,
        rel: 'next',
        type: GEOJSON,
        title: 'Next page',
      });
    if (offset > 0)
      links.push({
        href: `${here}?${queryWith(query, Math.max(0, offset - limit), limit)}`,
        rel: 'prev',
        type: GEOJSON,
        title: 'Previous page',
      });
    return send(reply, GEOJSON, {
      type: 'FeatureCollection',
      features: result.features,
      links,
      timeStamp: new Date(deps.now()).toISOString(),
      numberMatched: result.numberMatched,
      numberReturned: result.features.length,
    });
  };

  for (const id of ['cameras', 'camera-views'] as const)
    api.get(
      `/ogc/collections/${id}/items`,
      {
        schema: {
          tags: TAGS,
          summary: COLLECTIONS[id].title,
          querystring: OgcCameraItemsQuerySchema,
          response: { 200: OgcFeatureCollection, ...errors },
        },
      },
      async (request, reply) =>
        items(request, reply, id, () =>
          repo.cameras(id, request.query as OgcCameraItemsQuery, scopeOf(request.user), deps.now()),
        ),
    );

  api.get(
    '/ogc/collections/sites/items',
    {
      schema: {
        tags: TAGS,
        summary: COLLECTIONS.sites.title,
        querystring: OgcSiteItemsQuerySchema,
        response: { 200: OgcFeatureCollection, ...errors },
      },
    },
    async (request, reply) =>
      items(request, reply, 'sites', () =>
        repo.sites(request.query as OgcSiteItemsQuery, scopeOf(request.user), deps.now()),
      ),
  );

  api.get(
    '/ogc/collections/:collectionId/items/:featureId',
    {
      schema: {
        tags: TAGS,
        params: Type.Object({
          collectionId: Type.String({ maxLength: 40 }),
          featureId: Type.String({ maxLength: 200 }),
        }),
        querystring: OgcFormatQuery,
        response: { 200: OgcFeature, ...errors },
      },
    },
    async (request, reply) => {
      const { collectionId, featureId } = request.params as { collectionId: string; featureId: string };
      if (!isCollection(collectionId)) return notFound(reply, `collection ${collectionId}`);
      const scope = scopeOf(request.user);
      const now = deps.now();
      const found =
        collectionId === 'sites'
          ? await repo.sites({ id: featureId }, scope, now)
          : await repo.cameras(collectionId, { id: featureId }, scope, now);
      const feature = found.features[0];
      // Out of scope and unknown are the same answer, so nothing leaks about other councils.
      if (!feature) return notFound(reply, `feature ${featureId} in ${collectionId}`);
      const b = base(request);
      return send(reply, GEOJSON, {
        ...feature,
        links: [
          {
            href: `${b}/collections/${collectionId}/items/${encodeURIComponent(featureId)}`,
            rel: 'self',
            type: GEOJSON,
          },
          { href: `${b}/collections/${collectionId}`, rel: 'collection', type: JSON_TYPE },
        ],
      });
    },
  );
}
