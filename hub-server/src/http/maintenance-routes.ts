import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Id } from '../../../src/schemas/common.ts';
import {
  type MaintenanceCreate,
  MaintenanceCreate as MaintenanceCreateSchema,
  MaintenanceScopeKind,
  type MaintenanceUpdate,
  MaintenanceUpdate as MaintenanceUpdateSchema,
  MaintenanceWindowView,
} from '../../../src/schemas/maintenance.ts';
import { MaintenanceError, type MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import { ApiErrorSchema, scopeOf } from './common.ts';

const errors = {
  400: ApiErrorSchema,
  401: ApiErrorSchema,
  403: ApiErrorSchema,
  404: ApiErrorSchema,
  409: ApiErrorSchema,
};
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/** Hub operators manage every window, council officers their councils' ones; others only read. */
async function canWrite(request: FastifyRequest, reply: FastifyReply) {
  if (request.user.role !== 'operator' && request.user.role !== 'council') {
    return reply.status(403).send({
      statusCode: 403,
      code: 'FORBIDDEN',
      error: 'Forbidden',
      message: 'only hub operators and council officers manage maintenance',
    });
  }
}

export function maintenanceRoutes(
  api: FastifyInstance,
  deps: { maintenance: MaintenanceRepository; now: () => number },
): void {
  const handle = async <T>(reply: FastifyReply, work: () => Promise<T>) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof MaintenanceError) {
        return reply
          .status(error.statusCode)
          .send({ statusCode: error.statusCode, code: error.code, error: 'Error', message: error.message });
      }
      throw error;
    }
  };

  api.get(
    '/api/maintenance',
    {
      schema: {
        querystring: Type.Object(
          { scope: Type.Optional(MaintenanceScopeKind), scopeId: Type.Optional(Id) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(MaintenanceWindowView), ...errors },
      },
    },
    async (request) => {
      const q = request.query as { scope?: 'camera' | 'site' | 'council'; scopeId?: string };
      return deps.maintenance.list(scopeOf(request.user), deps.now(), q);
    },
  );

  api.get(
    '/api/maintenance/:id',
    { schema: { params: IdParams, response: { 200: MaintenanceWindowView, ...errors } } },
    async (request, reply) =>
      handle(reply, () =>
        deps.maintenance.get((request.params as { id: number }).id, scopeOf(request.user), deps.now()),
      ),
  );

  api.post(
    '/api/maintenance',
    {
      preHandler: canWrite,
      schema: { body: MaintenanceCreateSchema, response: { 201: MaintenanceWindowView, ...errors } },
    },
    async (request, reply) => {
      const created = await handle(reply, () =>
        deps.maintenance.create(
          request.body as MaintenanceCreate,
          request.user.sub,
          scopeOf(request.user),
          deps.now(),
        ),
      );
      if (reply.sent) return created;
      request.log.info(
        { user: request.user.sub, window: (created as { id: number }).id },
        'maintenance window created',
      );
      return reply.status(201).send(created);
    },
  );

  api.patch(
    '/api/maintenance/:id',
    {
      preHandler: canWrite,
      schema: {
        params: IdParams,
        body: MaintenanceUpdateSchema,
        response: { 200: MaintenanceWindowView, ...errors },
      },
    },
    async (request, reply) =>
      handle(reply, () =>
        deps.maintenance.update(
          (request.params as { id: number }).id,
          request.body as MaintenanceUpdate,
          scopeOf(request.user),
          deps.now(),
        ),
      ),
  );

  api.post(
    '/api/maintenance/:id/end',
    {
      preHandler: canWrite,
      schema: { params: IdParams, response: { 200: MaintenanceWindowView, ...errors } },
    },
    async (request, reply) =>
      handle(reply, () =>
        deps.maintenance.end((request.params as { id: number }).id, scopeOf(request.user), deps.now()),
      ),
  );

  api.delete(
    '/api/maintenance/:id',
    { preHandler: canWrite, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) =>
      handle(reply, async () => {
        await deps.maintenance.remove(
          (request.params as { id: number }).id,
          scopeOf(request.user),
          deps.now(),
        );
        return reply.status(204).send();
      }),
  );
}
