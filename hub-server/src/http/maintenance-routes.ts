import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditKind } from '../../../src/schemas/audit-api.ts';
import { Id } from '../../../src/schemas/common.ts';
import {
  type MaintenanceCreate,
  MaintenanceCreate as MaintenanceCreateSchema,
  MaintenanceScopeKind,
  type MaintenanceUpdate,
  MaintenanceUpdate as MaintenanceUpdateSchema,
  MaintenanceWindowView,
} from '../../../src/schemas/maintenance.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { MaintenanceError, type MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import { API_ERRORS, scopeOf } from './common.ts';

const errors = API_ERRORS;
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
  deps: { maintenance: MaintenanceRepository; audit: AuditLog; now: () => number },
): void {
  /** Every change to a window is a configuration change in the audit log, seen by its council. */
  const audit = async (
    request: FastifyRequest,
    kind: AuditKind,
    window: MaintenanceWindowView,
    detail: Record<string, unknown>,
  ) => {
    await deps.audit.append({
      kind,
      actor: request.user.sub,
      role: request.user.role,
      councilId: await deps.maintenance.councilOf(window.scope, window.scopeId),
      subject: { type: 'maintenance-window', id: window.id },
      reason: window.reason || null,
      detail: { scope: window.scope, scopeId: window.scopeId, title: window.title, ...detail },
    });
  };
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
      const created = await handle(reply, async () => {
        const window = await deps.maintenance.create(
          request.body as MaintenanceCreate,
          request.user.sub,
          scopeOf(request.user),
          deps.now(),
        );
        await audit(request, 'config.maintenance.create', window, {
          startsAt: window.startsAt,
          endsAt: window.endsAt,
          recurrence: window.recurrence,
          until: window.until,
        });
        return window;
      });
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
      handle(reply, async () => {
        const patch = request.body as MaintenanceUpdate;
        const window = await deps.maintenance.update(
          (request.params as { id: number }).id,
          patch,
          scopeOf(request.user),
          deps.now(),
        );
        await audit(request, 'config.maintenance.update', window, { changes: patch });
        return window;
      }),
  );

  api.post(
    '/api/maintenance/:id/end',
    {
      preHandler: canWrite,
      schema: { params: IdParams, response: { 200: MaintenanceWindowView, ...errors } },
    },
    async (request, reply) =>
      handle(reply, async () => {
        const window = await deps.maintenance.end(
          (request.params as { id: number }).id,
          scopeOf(request.user),
          deps.now(),
        );
        await audit(request, 'config.maintenance.end', window, { endedAt: window.endedAt });
        return window;
      }),
  );

  api.delete(
    '/api/maintenance/:id',
    { preHandler: canWrite, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) =>
      handle(reply, async () => {
        const id = (request.params as { id: number }).id;
        // Read first: once removed, the window's scope and title are gone from everywhere but here.
        const window = await deps.maintenance.get(id, scopeOf(request.user), deps.now());
        await deps.maintenance.remove(id, scopeOf(request.user), deps.now());
        await audit(request, 'config.maintenance.delete', window, {
          startsAt: window.startsAt,
          endsAt: window.endsAt,
        });
        return reply.status(204).send();
      }),
  );
}
