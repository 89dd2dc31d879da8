import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Id } from '../../../src/schemas/common.ts';
import {
  SiteMqttCredentialIssued,
  SiteMqttCredentialView,
} from '../../../src/schemas/site-credential-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { generateMqttPassword, hashMqttPassword } from '../auth/mqtt-password.ts';
import type {
  SiteCredentialRecord,
  SiteCredentialRepository,
} from '../repositories/site-credential-repository.ts';
import { API_ERRORS } from './common.ts';

const errors = API_ERRORS;
const Params = Type.Object({ id: Id }, { additionalProperties: false });

export interface SiteCredentialRouteDeps {
  credentials: SiteCredentialRepository;
  audit: AuditLog;
  councilOfSite: (siteId: string) => Promise<string | null>;
  /** MQTT user names that are not sites (the hub's own); a site with such an id cannot be issued one. */
  reservedUsernames: readonly string[];
  /** Called after a rotation or revocation commits: live connections on the old password are closed. */
  changed: (siteId: string) => void;
  now: () => number;
}

function view(record: SiteCredentialRecord): SiteMqttCredentialView {
  return {
    siteId: record.siteId,
    username: record.siteId,
    issuedAt: record.issuedAt.toISOString(),
    issuedBy: record.issuedBy,
    rotations: record.rotations,
  };
}

async function operatorOnly(request: FastifyRequest, reply: FastifyReply) {
  if (request.user.role !== 'operator') {
    return reply.status(403).send({
      statusCode: 403,
      code: 'FORBIDDEN',
      error: 'Forbidden',
      message: 'only hub operators manage site MQTT credentials',
    });
  }
}

/** Per-site MQTT credentials: issued, rotated and revoked by hub operators, every change audited. */
export function siteCredentialRoutes(api: FastifyInstance, deps: SiteCredentialRouteDeps): void {
  const notFound = (reply: FastifyReply, id: string) =>
    reply.status(404).send({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not Found',
      message: `site ${id} has no MQTT credential`,
    });

  api.get(
    '/api/sites/:id/mqtt-credentials',
    {
      preHandler: operatorOnly,
      schema: { params: Params, response: { 200: SiteMqttCredentialView, ...errors } },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const record = await deps.credentials.find(id);
      return record ? view(record) : notFound(reply, id);
    },
  );

  api.post(
    '/api/sites/:id/mqtt-credentials',
    {
      preHandler: operatorOnly,
      schema: {
        params: Params,
        response: { 200: SiteMqttCredentialIssued, 201: SiteMqttCredentialIssued, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (deps.reservedUsernames.includes(id)) {
        return reply.status(409).send({
          statusCode: 409,
          code: 'RESERVED_USERNAME',
          error: 'Conflict',
          message: `${id} is the hub's own MQTT user name and cannot be a site's`,
        });
      }
      // A credential is bound to a registered site: its council and hub are the registry's.
      const councilId = await deps.councilOfSite(id);
      if (councilId === null)
        return reply.status(404).send({
          statusCode: 404,
          code: 'SITE_NOT_REGISTERED',
          error: 'Not Found',
          message: `site ${id} is not registered: register it first (POST /api/registry/sites)`,
        });
      const password = generateMqttPassword();
      const record = await deps.credentials.put(
        id,
        await hashMqttPassword(password),
        request.user.sub,
        new Date(deps.now()),
      );
      const rotated = record.rotations > 0;
      // Recorded before the password is handed out: no credential without its audit entry.
      await deps.audit.append({
        kind: 'config.site.mqtt-credentials',
        actor: request.user.sub,
        role: request.user.role,
        councilId,
        subject: { type: 'site', id },
        detail: { action: rotated ? 'rotated' : 'issued', rotations: record.rotations },
      });
      if (rotated) deps.changed(id);
      request.log.info({ siteId: id, rotations: record.rotations }, 'site MQTT credential issued');
      return reply.status(rotated ? 200 : 201).send({ ...view(record), password });
    },
  );

  api.delete(
    '/api/sites/:id/mqtt-credentials',
    {
      preHandler: operatorOnly,
      schema: { params: Params, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await deps.credentials.remove(id))) return notFound(reply, id);
      await deps.audit.append({
        kind: 'config.site.mqtt-credentials.revoke',
        actor: request.user.sub,
        role: request.user.role,
        councilId: await deps.councilOfSite(id),
        subject: { type: 'site', id },
      });
      deps.changed(id);
      return reply.status(204).send();
    },
  );
}
