import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  WALL_MAX_LAYOUTS,
  WallLayout,
  type WallLayoutBody,
  WallLayoutBody as WallLayoutBodySchema,
  WallLayoutName,
} from '../../../src/schemas/wall-api.ts';
import type { WallLayoutRepository } from '../repositories/wall-layout-repository.ts';
import { API_ERRORS, assertRole, HttpError } from './common.ts';

const VIEWERS = ['controlroom', 'operator'] as const;
const NameParams = Type.Object({ name: WallLayoutName }, { additionalProperties: false });

/**
 * Each user's camera wall layouts (named lists of camera ids and a grid size). A layout is only a
 * list: opening its tiles is a feed attempt each, with its incident reference, audited as such.
 */
export function wallLayoutRoutes(
  api: FastifyInstance,
  deps: { layouts: WallLayoutRepository; now: () => number },
): void {
  api.get(
    '/api/wall-layouts',
    { schema: { response: { 200: Type.Array(WallLayout), ...API_ERRORS } } },
    async (request) => {
      assertRole(request.user, VIEWERS, 'camera wall layouts');
      return deps.layouts.list(request.user.sub);
    },
  );

  api.put(
    '/api/wall-layouts/:name',
    {
      schema: {
        params: NameParams,
        body: WallLayoutBodySchema,
        response: { 200: WallLayout, ...API_ERRORS },
      },
    },
    async (request) => {
      assertRole(request.user, VIEWERS, 'camera wall layouts');
      const { name } = request.params as { name: string };
      const body = request.body as WallLayoutBody;
      if (body.cameraIds.length > body.grid * body.grid)
        throw new HttpError(
          400,
          'LAYOUT_TOO_MANY_CAMERAS',
          `a ${body.grid}x${body.grid} wall holds ${body.grid * body.grid} cameras, not ${body.cameraIds.length}`,
        );
      const saved = await deps.layouts.save(
        request.user.sub,
        name,
        body,
        WALL_MAX_LAYOUTS,
        new Date(deps.now()),
      );
      if (!saved)
        throw new HttpError(
          409,
          'LAYOUT_LIMIT',
          `you already keep ${WALL_MAX_LAYOUTS} wall layouts: delete one or save over an existing name`,
        );
      return saved;
    },
  );

  api.delete(
    '/api/wall-layouts/:name',
    { schema: { params: NameParams, response: { 204: Type.Null(), ...API_ERRORS } } },
    async (request, reply) => {
      assertRole(request.user, VIEWERS, 'camera wall layouts');
      const { name } = request.params as { name: string };
      if (!(await deps.layouts.remove(request.user.sub, name)))
        throw new HttpError(404, 'NOT_FOUND', `no wall layout named ${name}`);
      return reply.status(204).send();
    },
  );
}
