import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { rankWithSources, type SourceCandidate } from '../../../src/incidents/ranking.ts';
import { Id } from '../../../src/schemas/common.ts';
import {
  FovCollection,
  FovQuery,
  type GeometryUpdate,
  GeometryUpdate as GeometryUpdateSchema,
  IncidentResult,
  type IncidentSearch,
  IncidentSearch as IncidentSearchSchema,
  Place,
  PlaceQuery,
} from '../../../src/schemas/incident-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { parseBbox } from '../ogc/ogc-features.ts';
import type { Places } from '../places/places.ts';
import { GeometryError, type GeometryRepository } from '../repositories/geometry-repository.ts';
import { API_ERRORS, assertRole, HttpError, scopeOf } from './common.ts';

const errors = API_ERRORS;
const SEARCHERS = ['controlroom', 'operator', 'council'] as const;

/** Incident search, fields of view for the map, and surveyed camera geometry. */
export function incidentRoutes(
  api: FastifyInstance,
  deps: {
    geometry: GeometryRepository;
    places: Places;
    /**
     * Mobile sources around the incident (control rooms and operators only), this hub's and those
     * other hubs share, with the hubs that could not be asked.
     */
    sources?: (
      query: IncidentSearch,
    ) => Promise<{ found: SourceCandidate[]; unavailable: { hub: string; message: string }[] }>;
    audit: AuditLog;
    now: () => number;
    /** After a survey commits: live views and the map show it at once. */
    geometryChanged?: (cameraId: string, update: GeometryUpdate) => void;
  },
): void {
  api.get(
    '/api/places',
    { schema: { querystring: PlaceQuery, response: { 200: Type.Array(Place), ...errors } } },
    async (request) => {
      assertRole(request.user, SEARCHERS, 'place search');
      return deps.places.find((request.query as { q: string }).q, scopeOf(request.user));
    },
  );

  api.post(
    '/api/incidents/search',
    { schema: { body: IncidentSearchSchema, response: { 200: IncidentResult, ...errors } } },
    async (request) => {
      assertRole(request.user, SEARCHERS, 'incident search');
      try {
        const query = request.body as IncidentSearch;
        const found = await deps.geometry.search(query, scopeOf(request.user));
        const role = request.user.role;
        if (!deps.sources || (role !== 'controlroom' && role !== 'operator')) return found;
        const sources = await deps.sources(query);
        return {
          ...found,
          ...rankWithSources(found.cameras, sources.found),
          ...(sources.unavailable.length > 0 ? { sourcesUnavailable: sources.unavailable } : {}),
        };
      } catch (error) {
        if (error instanceof GeometryError) throw new HttpError(400, error.code, error.message);
        throw error;
      }
    },
  );

  api.get(
    '/api/cameras/fov',
    { schema: { querystring: FovQuery, response: { 200: FovCollection, ...errors } } },
    async (request, reply) => {
      assertRole(request.user, SEARCHERS, 'camera fields of view');
      const query = request.query as FovQuery;
      const options = {
        ...(query.bbox !== undefined ? { bbox: parseBbox(query.bbox) } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      };
      // Streamed as PostgreSQL writes it, page by page (see fieldsOfView): the schema above
      // documents it; the text is not built as objects in the hub.
      const pages = deps.geometry.fieldsOfView(scopeOf(request.user), options);
      // The first page before the status: a database that cannot answer is an error response.
      const first = await pages.next();
      reply.type('application/json; charset=utf-8');
      return reply.send(
        Readable.from(
          (async function* () {
            if (!first.done) yield first.value;
            yield* pages;
          })(),
        ),
      );
    },
  );

  api.put(
    '/api/cameras/:id/geometry',
    {
      schema: {
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        body: GeometryUpdateSchema,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      assertRole(request.user, ['operator'], 'editing camera geometry');
      const { id } = request.params as { id: string };
      const found = await deps.geometry.setGeometry(
        id,
        request.body as GeometryUpdate,
        request.user.sub,
        deps.now(),
      );
      if (!found) throw new HttpError(404, 'NOT_FOUND', `camera ${id} not found`);
      await deps.audit.append({
        kind: 'config.camera.geometry',
        actor: request.user.sub,
        role: request.user.role,
        cameraId: id,
        detail: { ...(request.body as GeometryUpdate) },
      });
      deps.geometryChanged?.(id, request.body as GeometryUpdate);
      return reply.status(204).send();
    },
  );
}
