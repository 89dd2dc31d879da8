import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../../src/schemas/api.ts';
import { Id } from '../../../src/schemas/common.ts';
import {
  CameraApprovalQuery,
  CameraApprovalView,
  CameraDecision,
  CouncilUpsert,
  HubUpsert,
  SiteRecord,
  SiteRegistration,
  SiteRegistryUpdate,
  SiteUpdateResult,
} from '../../../src/schemas/registry-api.ts';
import type { RegistryService } from '../registry/registry-service.ts';
import { API_ERRORS, scopeOf } from './common.ts';

const errors = API_ERRORS;
const Params = Type.Object({ id: Id }, { additionalProperties: false });
const Upserted = Type.Object({ created: Type.Boolean() }, { additionalProperties: false });

function only(...roles: Role[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!roles.includes(request.user.role))
      return reply.status(403).send({
        statusCode: 403,
        code: 'FORBIDDEN',
        error: 'Forbidden',
        message: `only ${roles.join(' and ')} users may do this`,
      });
  };
}

const actor = (request: FastifyRequest) => ({ username: request.user.sub, role: request.user.role });

/**
 * The hub's registry: hub operators register sites (council, hub, camera networks, expected
 * cameras), move them, and approve, reject or retire cameras; every change is audited. Council
 * officers and auditors read what concerns them; control rooms have no use for it.
 */
export function registryRoutes(api: FastifyInstance, deps: { registry: RegistryService }): void {
  const { registry } = deps;

  api.get(
    '/api/registry/sites',
    {
      preHandler: only('operator', 'auditor', 'council'),
      schema: { response: { 200: Type.Array(SiteRecord), ...errors } },
    },
    async (request) => registry.repository.listSites(scopeOf(request.user)),
  );

  api.post(
    '/api/registry/sites',
    {
      preHandler: only('operator'),
      schema: { body: SiteRegistration, response: { 201: SiteRecord, ...errors } },
    },
    async (request, reply) => {
      const site = await registry.register(request.body as SiteRegistration, actor(request));
      return reply.status(201).send(site);
    },
  );

  api.patch(
    '/api/registry/sites/:id',
    {
      preHandler: only('operator'),
      schema: { params: Params, body: SiteRegistryUpdate, response: { 200: SiteUpdateResult, ...errors } },
    },
    async (request) =>
      registry.update(
        (request.params as { id: string }).id,
        request.body as SiteRegistryUpdate,
        actor(request),
      ),
  );

  api.get(
    '/api/registry/cameras',
    {
      preHandler: only('operator', 'auditor', 'council'),
      schema: {
        querystring: CameraApprovalQuery,
        response: { 200: Type.Array(CameraApprovalView), ...errors },
      },
    },
    async (request) =>
      registry.repository.listCameras(request.query as CameraApprovalQuery, scopeOf(request.user)),
  );

  api.post(
    '/api/registry/cameras/:id/approval',
    {
      preHandler: only('operator'),
      schema: { params: Params, body: CameraDecision, response: { 200: CameraApprovalView, ...errors } },
    },
    async (request) =>
      registry.decide((request.params as { id: string }).id, request.body as CameraDecision, actor(request)),
  );

  api.put(
    '/api/registry/councils/:id',
    {
      preHandler: only('operator'),
      schema: { params: Params, body: CouncilUpsert, response: { 200: Upserted, ...errors } },
    },
    async (request) =>
      registry.upsertCouncil(
        (request.params as { id: string }).id,
        request.body as CouncilUpsert,
        actor(request),
      ),
  );

  api.put(
    '/api/registry/hubs/:id',
    {
      preHandler: only('operator'),
      schema: { params: Params, body: HubUpsert, response: { 200: Upserted, ...errors } },
    },
    async (request) =>
      registry.upsertHub((request.params as { id: string }).id, request.body as HubUpsert, actor(request)),
  );
}
