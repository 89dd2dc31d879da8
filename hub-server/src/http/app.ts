import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyJwt from '@fastify/jwt';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import { Alert } from '../../../src/schemas/alert-api.ts';
import {
  ApiError,
  CameraDetail,
  CameraQuery,
  CameraView,
  CouncilView,
  HubView,
  LoginBody,
  LoginResponse,
  type Role,
  SiteView,
  UiConfig,
} from '../../../src/schemas/api.ts';
import { Id } from '../../../src/schemas/common.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { verifyPassword } from '../auth/passwords.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import type { FeedManager } from '../feeds/feed-manager.ts';
import type { FeedUrlSigner } from '../feeds/signed-url.ts';
import type { Places } from '../places/places.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import type { GeometryRepository } from '../repositories/geometry-repository.ts';
import type { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import type { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import type { UptimeRepository } from '../repositories/uptime-repository.ts';
import type { UserRepository } from '../repositories/user-repository.ts';
import { auditRoutes } from './audit-routes.ts';
import { scopeOf, type TokenClaims } from './common.ts';
import { complianceRoutes } from './compliance-routes.ts';
import { feedFileRoutes, feedRoutes } from './feed-routes.ts';
import { incidentRoutes } from './incident-routes.ts';
import { maintenanceRoutes } from './maintenance-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { siteCredentialRoutes } from './site-credential-routes.ts';
import { summaryRoutes } from './summary-routes.ts';
import { uptimeRoutes } from './uptime-routes.ts';

export { scopeOf, type TokenClaims };

const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

export interface AppDeps {
  logger: Logger;
  bodyLimitBytes: number;
  /** PEM certificate chain and key: serve over HTTPS only. */
  https?: { cert: string; key: string } | null;
  tokenSecret: string;
  tokenTtlMs: number;
  uiConfig: UiConfig;
  fleet: FleetRepository;
  users: UserRepository;
  uptime: UptimeRepository;
  maintenance: MaintenanceRepository;
  packs: RulePackRegistry;
  pool: pg.Pool;
  compliance: ComplianceRepository;
  audit: AuditLog;
  geometry: GeometryRepository;
  places: Places;
  feeds: FeedManager;
  feedSigner: FeedUrlSigner;
  openAlerts: () => Alert[];
  readiness: () => Promise<Record<string, boolean>>;
  ingestStats: () => unknown;
  /** Per-site MQTT credentials; `changed` closes a site's connections after rotation or revocation. */
  mqttCredentials: {
    repository: SiteCredentialRepository;
    reservedUsernames: readonly string[];
    changed: (siteId: string) => void;
  };
  now?: () => number;
}

const errors = { 400: ApiError, 401: ApiError, 403: ApiError, 404: ApiError };

/** Builds the REST app as a plugin; never listens (tests use inject, server.ts listens). */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    https: deps.https ? { ...deps.https, minVersion: 'TLSv1.2' } : null,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'CCTV hub API', version: '0.1.0', description: 'Camera health, sites and live status' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(fastifyJwt, {
    secret: deps.tokenSecret,
    sign: { expiresIn: Math.floor(deps.tokenTtlMs / 1000) },
  });

  // 5xx details are logged, never sent.
  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500 && !(error as { expose?: boolean }).expose) {
        request.log.error({ err: error }, 'request failed');
        return reply.status(status).send({
          statusCode: status,
          code: 'INTERNAL',
          error: 'Internal Server Error',
          message: 'internal error',
        });
      }
      return reply.status(status).send({
        statusCode: status,
        code: error.code ?? 'BAD_REQUEST',
        error: status === 400 ? 'Bad Request' : 'Error',
        message: error.message,
      });
    },
  );

  const authenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await request.jwtVerify();
    } catch {
      return reply.status(401).send({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'missing, invalid or expired token',
      });
    }
  };
  const requireRole =
    (...roles: Role[]) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (!roles.includes(request.user.role)) {
        return reply.status(403).send({
          statusCode: 403,
          code: 'FORBIDDEN',
          error: 'Forbidden',
          message: `requires role ${roles.join(' or ')}`,
        });
      }
    };

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    const checks = await deps.readiness();
    const ok = Object.values(checks).every(Boolean);
    return reply.status(ok ? 200 : 503).send(ok ? { status: 'ok' } : { status: 'not_ready', checks });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/ui-config',
    { schema: { security: [], response: { 200: UiConfig } } },
    async () => deps.uiConfig,
  );

  app.post(
    '/api/auth/login',
    { schema: { security: [], body: LoginBody, response: { 200: LoginResponse, ...errors } } },
    async (request, reply) => {
      const { username, password } = request.body as LoginBody;
      const user = await deps.users.find(username);
      const valid = user !== null && !user.disabled && (await verifyPassword(password, user.passwordHash));
      if (!user || !valid) {
        // The name tried is recorded, never the password.
        await deps.audit.append({
          kind: 'login.refused',
          actor: username,
          role: null,
          detail: {
            ip: request.ip,
            cause: !user ? 'unknown user' : user.disabled ? 'disabled' : 'wrong password',
          },
        });
        request.log.info({ username }, 'login refused');
        return reply.status(401).send({
          statusCode: 401,
          code: 'BAD_CREDENTIALS',
          error: 'Unauthorized',
          message: 'wrong user name or password',
        });
      }
      const claims: TokenClaims = { sub: user.username, role: user.role, councilIds: user.councilIds };
      // Recorded before the token is handed out: no session without its audit entry.
      await deps.audit.append({
        kind: 'login.success',
        actor: user.username,
        role: user.role,
        detail: { ip: request.ip },
      });
      const token = app.jwt.sign(claims);
      const now = deps.now?.() ?? Date.now();
      request.log.info({ username, role: user.role }, 'login');
      return {
        token,
        expiresAt: new Date(now + deps.tokenTtlMs).toISOString(),
        user: { username: user.username, role: user.role, councilIds: user.councilIds },
      };
    },
  );

  app.register(async (api) => {
    api.addHook('onRequest', authenticate);

    api.get(
      '/api/cameras',
      { schema: { querystring: CameraQuery, response: { 200: Type.Array(CameraView), ...errors } } },
      async (request) => deps.fleet.listCameras(request.query as CameraQuery, scopeOf(request.user)),
    );

    api.get(
      '/api/cameras/:id',
      { schema: { params: Type.Object({ id: Id }), response: { 200: CameraDetail, ...errors } } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const camera = await deps.fleet.getCamera(id, scopeOf(request.user));
        // Out-of-scope cameras are reported as missing, so their existence does not leak.
        if (!camera)
          return reply.status(404).send({
            statusCode: 404,
            code: 'NOT_FOUND',
            error: 'Not Found',
            message: `camera ${id} not found`,
          });
        return camera;
      },
    );

    api.get(
      '/api/sites',
      { schema: { response: { 200: Type.Array(SiteView), ...errors } } },
      async (request) => deps.fleet.listSites(scopeOf(request.user)),
    );
    api.get(
      '/api/councils',
      { schema: { response: { 200: Type.Array(CouncilView), ...errors } } },
      async (request) => deps.fleet.listCouncils(scopeOf(request.user)),
    );
    api.get('/api/hubs', { schema: { response: { 200: Type.Array(HubView), ...errors } } }, async () =>
      deps.fleet.listHubs(),
    );

    api.get(
      '/api/ingest/dead-letters',
      {
        preHandler: requireRole('operator'),
        schema: {
          querystring: Type.Object(
            { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => deps.fleet.listDeadLetters((request.query as { limit: number }).limit),
    );
    complianceRoutes(api, {
      packs: deps.packs,
      compliance: deps.compliance,
      fleet: deps.fleet,
      audit: deps.audit,
      councilOf: (kind, id) => deps.maintenance.councilOf(kind, id),
      now: () => deps.now?.() ?? Date.now(),
    });
    reportRoutes(api, {
      pool: deps.pool,
      uptime: deps.uptime,
      maintenance: deps.maintenance,
      compliance: deps.compliance,
      packs: deps.packs,
      audit: deps.audit,
      now: () => deps.now?.() ?? Date.now(),
    });
    maintenanceRoutes(api, {
      maintenance: deps.maintenance,
      audit: deps.audit,
      now: () => deps.now?.() ?? Date.now(),
    });
    auditRoutes(api, { audit: deps.audit });
    uptimeRoutes(api, { fleet: deps.fleet, uptime: deps.uptime, now: () => deps.now?.() ?? Date.now() });
    summaryRoutes(api, {
      fleet: deps.fleet,
      uptime: deps.uptime,
      compliance: deps.compliance,
      now: () => deps.now?.() ?? Date.now(),
    });
    incidentRoutes(api, {
      geometry: deps.geometry,
      places: deps.places,
      audit: deps.audit,
      now: () => deps.now?.() ?? Date.now(),
    });
    feedRoutes(api, { feeds: deps.feeds, fleet: deps.fleet });
    siteCredentialRoutes(api, {
      credentials: deps.mqttCredentials.repository,
      audit: deps.audit,
      councilOfSite: (id) => deps.maintenance.councilOf('site', id),
      reservedUsernames: deps.mqttCredentials.reservedUsernames,
      changed: deps.mqttCredentials.changed,
      now: () => deps.now?.() ?? Date.now(),
    });
    api.get(
      '/api/alerts',
      { schema: { response: { 200: Type.Array(Alert), ...errors } } },
      async (request) => {
        const scope = scopeOf(request.user);
        return deps.openAlerts().filter((a) => !scope || scope.includes(a.councilId));
      },
    );
    api.get('/api/ingest/stats', { preHandler: requireRole('operator') }, async () => deps.ingestStats());
  });
  // Signed feed files: outside the bearer-token scope (see feedFileRoutes).
  app.register(async (files) =>
    feedFileRoutes(files, {
      feeds: deps.feeds,
      signer: deps.feedSigner,
      now: () => deps.now?.() ?? Date.now(),
    }),
  );

  if (existsSync(DASHBOARD_DIR)) {
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
    });
    app.setNotFoundHandler((request, reply) => {
      if (
        request.method === 'GET' &&
        !request.url.startsWith('/api/') &&
        !request.url.startsWith('/socket.io')
      ) {
        return reply.sendFile('index.html');
      }
      return reply.status(404).send({
        statusCode: 404,
        code: 'NOT_FOUND',
        error: 'Not Found',
        message: `no route ${request.method} ${request.url.split('?')[0]}`,
      });
    });
  } else {
    deps.logger.warn(`dashboard bundle not found at ${DASHBOARD_DIR}: run npm run build:dashboard`);
  }
  return app;
}
