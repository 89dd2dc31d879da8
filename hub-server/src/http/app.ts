import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyReplyFrom from '@fastify/reply-from';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import { fromRoot } from '../../../src/paths.ts';
import {
  CameraDetail,
  CameraQuery,
  CameraView,
  CouncilView,
  HubView,
  type Role,
  SiteView,
  UiConfig,
} from '../../../src/schemas/api.ts';
import { Id } from '../../../src/schemas/common.ts';
import type { LinkStatus } from '../../../src/schemas/federation.ts';
import type { GeometryUpdate, IncidentSearch } from '../../../src/schemas/incident-api.ts';
import type { SourceView } from '../../../src/schemas/sources.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { AuthError, type AuthService } from '../auth/auth-service.ts';
import { type FailureCounter, LoginFailures } from '../auth/login-failures.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import {
  federationPeerRoutes,
  federationStatusRoutes,
  type PeerRouteDeps,
} from '../federation/federation-routes.ts';
import type { LinkedFeeds } from '../federation/linked-feeds.ts';
import type { LinkedSourceSearch } from '../federation/linked-sources.ts';
import type { PeerEndpoint } from '../federation/peer-client.ts';
import type { FeedManager } from '../feeds/feed-manager.ts';
import type { FeedUrlSigner } from '../feeds/signed-url.ts';
import { metricsRoute } from '../metrics/metrics-route.ts';
import { ogcRoutes } from '../ogc/ogc-routes.ts';
import type { Places } from '../places/places.ts';
import { PublicPageService } from '../public/public-page-service.ts';
import { publicPageRoutes, publicPageSettingsRoutes } from '../public/public-routes.ts';
import type { RegistryService } from '../registry/registry-service.ts';
import type { ReportRenderPool } from '../reports/render-pool.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import type { GeometryRepository } from '../repositories/geometry-repository.ts';
import type { MaintenanceRepository } from '../repositories/maintenance-repository.ts';
import type { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import type { UptimeRepository } from '../repositories/uptime-repository.ts';
import type { UserRepository } from '../repositories/user-repository.ts';
import { WallLayoutRepository } from '../repositories/wall-layout-repository.ts';
import type { SourceService } from '../sources/source-service.ts';
import { type AlertRouteDeps, alertRoutes } from './alert-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { authRoutes, loginRoute } from './auth-routes.ts';
import { cameraDetailRoutes } from './camera-detail-routes.ts';
import { commissioningRoutes } from './commissioning-routes.ts';
import { API_ERRORS, scopeOf, type TokenClaims } from './common.ts';
import { complianceRoutes } from './compliance-routes.ts';
import { type EnrolmentRouteDeps, enrolmentAdminRoutes, enrolRoute } from './enrolment-routes.ts';
import { feedFileRoutes, feedRoutes, linkedFeedFileRoutes } from './feed-routes.ts';
import { incidentRoutes } from './incident-routes.ts';
import { LazyCompilers } from './lazy-compilers.ts';
import { maintenanceRoutes } from './maintenance-routes.ts';
import { registryRoutes } from './registry-routes.ts';
import { reportRoutes } from './report-routes.ts';
import { siteCredentialRoutes } from './site-credential-routes.ts';
import { sourceRoutes } from './source-routes.ts';
import { assertClosedSchemas } from './strict-schemas.ts';
import { summaryRoutes } from './summary-routes.ts';
import { uptimeRoutes } from './uptime-routes.ts';
import { userRoutes } from './user-routes.ts';
import { wallLayoutRoutes } from './wall-layout-routes.ts';

export { scopeOf, type TokenClaims };

const DASHBOARD_DIR = fromRoot('dashboard', 'dist');

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer-token check on every /api route but login and ui-config. */
    user: TokenClaims;
  }
  interface FastifyInstance {
    /** Compiles the route schemas no request has needed yet (see LazyCompilers); resolves to their count. */
    compileSchemas(onError: (error: Error) => void): Promise<number>;
  }
}

export interface RateLimits {
  /** Requests per minute per client address. */
  apiPerMinute: number;
  /** Login attempts per address and user name within loginWindowMs. */
  loginAttempts: number;
  /** Login attempts per address (any user names) within loginWindowMs. */
  loginPerAddress: number;
  loginWindowMs: number;
}

export interface AppDeps {
  logger: Logger;
  /** Prometheus metrics at GET /metrics for holders of the token; none: no such route. */
  metrics?: { registry: Registry; token: string | null };
  bodyLimitBytes: number;
  auth: AuthService;
  rateLimits: RateLimits;
  /** Councils' public pages (no login): per-address limit and cache time. */
  publicPages?: { perMinute: number; cacheSeconds: number };
  /** PEM certificate chain and key: serve over HTTPS only. */
  https?: { cert: string; key: string } | null;
  uiConfig: UiConfig;
  fleet: FleetRepository;
  users: UserRepository;
  uptime: UptimeRepository;
  maintenance: MaintenanceRepository;
  packs: RulePackRegistry;
  /** The certification code of cameras with no assignment (the compliance job's default). */
  defaultCode: string;
  pool: pg.Pool;
  compliance: ComplianceRepository;
  audit: AuditLog;
  /** Builds PDFs and CSV exports on worker threads. */
  reports: ReportRenderPool;
  geometry: GeometryRepository;
  /** Mobile sources (drones, body-worn cameras). */
  sources?: {
    service: SourceService;
    staleAfterMs: number;
    /** Sources other hubs share with this one (a network of hubs). */
    linked?: () => SourceView[];
    /** Those of them around an incident, as their owning hubs answer, and the hubs that could not. */
    linkedCandidates?: (query: IncidentSearch) => Promise<LinkedSourceSearch>;
  };
  places: Places;
  feeds: FeedManager;
  feedSigner: FeedUrlSigner;
  registry: RegistryService;
  alerts: Omit<AlertRouteDeps, 'audit' | 'now'>;
  enrolment: EnrolmentRouteDeps;
  geometryChanged?: (cameraId: string, update: GeometryUpdate) => void;
  readiness: () => Promise<Record<string, boolean>>;
  /** Redis the per-address request limit is counted in (cluster.redisUrl), shared by a region's processes. */
  rateLimitRedis?: import('ioredis').Redis | undefined;
  /** Load balancers whose X-Forwarded-For names the client (http.trustProxy). */
  trustProxy?: readonly string[];
  /**
   * Cluster mode: where live feeds are served in the region. Every pull from a camera runs in the
   * leading process (one pull per camera over the town's link, and the site and hub limits count
   * them all); another process forwards feed requests there. Null: serve them here.
   */
  cluster?: {
    instanceId: string;
    feedsAt: () => Promise<string | null>;
    /** Proves a forwarded request came from a process of the region (and whose client it carries). */
    peerToken: string;
  };
  /** Cluster mode: failed logins counted by every process of the region (default: in this process). */
  sharedFailures?: ((windowMs: number) => FailureCounter) | undefined;
  /** Cluster mode: which process answers /healthz and what it does in the region (role, instance). */
  identity?: (() => Record<string, string>) | undefined;
  ingestStats: () => unknown;
  /** A network of hubs: peers read their share with a hub-to-hub key; people see the links. */
  federation?: {
    peer: PeerRouteDeps;
    links: () => LinkStatus[];
    cameras: () => CameraView[];
    /** One linked hub's camera as its link shows it now, or null. */
    linkedView: (id: string) => CameraView | null;
    /** A linked hub's camera in the caller's scope, with its owner. */
    linkedCamera: (id: string, scope: readonly string[] | null) => { hub: string; councilId: string } | null;
    /** A mobile source another hub shares with this one: the hub that owns it. */
    linkedSource?: (id: string) => { hub: string } | null;
    linkedFeeds: LinkedFeeds | null;
    endpoint: (hub: string) => PeerEndpoint | null;
  };
  /** Per-site MQTT credentials; `changed` closes a site's connections after rotation or revocation. */
  mqttCredentials: {
    repository: SiteCredentialRepository;
    reservedUsernames: readonly string[];
    changed: (siteId: string) => void;
  };
  now?: () => number;
}

const errors = API_ERRORS;

/** Builds the REST app as a plugin; never listens (tests use inject, server.ts listens). */
export async function buildApp(deps: AppDeps) {
  const compilers = new LazyCompilers();
  const app = Fastify({
    schemaController: { compilersFactory: compilers.factory },
    loggerInstance: deps.logger,
    bodyLimit: deps.bodyLimitBytes,
    // Only the configured load balancers' X-Forwarded-For is believed (request.ip is the client then).
    ...(deps.trustProxy && deps.trustProxy.length > 0 ? { trustProxy: [...deps.trustProxy] } : {}),
    https: deps.https ? { ...deps.https, minVersion: 'TLSv1.2' } : null,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Says which field is wrong and where; an unknown field is named (the default only says one exists).
    schemaErrorFormatter: (failures, dataVar) =>
      new Error(
        failures
          .map((f) =>
            f.keyword === 'additionalProperties'
              ? `${dataVar}${f.instancePath} has unknown field "${String((f.params as { additionalProperty?: unknown }).additionalProperty)}"`
              : `${dataVar}${f.instancePath} ${f.message}`,
          )
          .join(', '),
      ),
  });
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'CCTV hub API', version: '0.1.0', description: 'Camera health, sites and live status' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.decorateRequest('user', null as unknown as TokenClaims);
  app.decorate('compileSchemas', (onError: (error: Error) => void) => compilers.warmUp(onError));
  // Every body and query schema must refuse unknown fields: checked as each route is added.
  app.addHook('onRoute', assertClosedSchemas);
  await app.register(fastifyHelmet, { contentSecurityPolicy: { directives: cspDirectives(deps.uiConfig) } });
  await app.register(fastifyRateLimit, {
    global: true,
    max: deps.rateLimits.apiPerMinute,
    timeWindow: 60_000,
    // Per address, counted before any credential is checked, so junk credentials cannot dodge it.
    // A request another process of the region forwarded counts for the client it came from.
    keyGenerator: (request) => `ip:${clientAddress(request, deps.cluster?.peerToken)}`,
    // Counted in Redis when the region shares one (cluster.redisUrl); served uncounted if it is away.
    ...(deps.rateLimitRedis
      ? { redis: deps.rateLimitRedis, nameSpace: 'cctv-hub-rate:', skipOnError: true }
      : {}),
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      error: 'Too Many Requests',
      message: `too many requests from this address: at most ${context.max} per minute; retry in ${context.after}`,
    }),
  });

  if (deps.cluster) await forwardFeeds(app as unknown as FastifyInstance, deps.cluster);

  // 5xx details are logged, never sent.
  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (error instanceof AuthError) return reply.status(401).send(unauthorized(error.code, error.message));
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ err: error }, 'database unavailable');
        return reply.header('retry-after', 5).status(503).send({
          statusCode: 503,
          code: 'DATABASE_UNAVAILABLE',
          error: 'Service Unavailable',
          message: 'the database is unavailable: try again shortly',
        });
      }
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
        code: error.code ?? (status === 413 ? 'BODY_TOO_LARGE' : 'BAD_REQUEST'),
        error: STATUS_CODES[status] ?? 'Error',
        message: error.message,
      });
    },
  );

  const authenticate = async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header) : null;
    if (!match)
      throw new AuthError('UNAUTHORIZED', 'missing bearer token (Authorization: Bearer <token or API key>)');
    request.user = await deps.auth.authenticate(match[1] as string);
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
    const identity = deps.identity?.() ?? {};
    return reply
      .status(ok ? 200 : 503)
      .send(ok ? { status: 'ok', ...identity } : { status: 'not_ready', ...identity, checks });
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/ui-config',
    { schema: { security: [], response: { 200: UiConfig } } },
    async () => deps.uiConfig,
  );

  const authDeps = {
    auth: deps.auth,
    users: deps.users,
    audit: deps.audit,
    now: () => deps.now?.() ?? Date.now(),
  };
  app.register(async (open) => loginRoute(open, authDeps, loginLimits(deps)));
  app.register(async (open) => enrolRoute(open, deps.enrolment));
  const federation = deps.federation;
  if (federation) app.register(async (open) => federationPeerRoutes(open, federation.peer));
  if (deps.metrics) {
    const { registry, token } = deps.metrics;
    app.register(async (open) => metricsRoute(open, registry, token));
  }

  const publicPages = new PublicPageService({
    pool: deps.pool,
    uptime: deps.uptime,
    compliance: deps.compliance,
    now: () => deps.now?.() ?? Date.now(),
    cacheMs: (deps.publicPages?.cacheSeconds ?? 300) * 1000,
  });
  app.register(async (open) =>
    publicPageRoutes(open, {
      pages: publicPages,
      shellPath: fromRoot('dashboard', 'dist', 'council-page.html'),
      perMinute: deps.publicPages?.perMinute ?? 60,
      cacheSeconds: deps.publicPages?.cacheSeconds ?? 300,
    }),
  );

  app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    publicPageSettingsRoutes(api, {
      pages: publicPages,
      audit: deps.audit,
      councilExists: async (id) => (await deps.fleet.listCouncils(null)).some((c) => c.id === id),
    });
    authRoutes(api, authDeps);
    userRoutes(api, {
      ...authDeps,
      councilExists: async (id) => (await deps.fleet.listCouncils(null)).some((c) => c.id === id),
    });

    api.get(
      '/api/cameras',
      { schema: { querystring: CameraQuery, response: { 200: Type.Array(CameraView), ...errors } } },
      async (request) => {
        const query = request.query as CameraQuery;
        const scope = scopeOf(request.user);
        const own = await deps.fleet.listCameras(query, scope);
        // Cameras other hubs share with this one, as their links say now (unknown while a link is down).
        const linked = (deps.federation?.cameras() ?? []).filter(
          (c) =>
            (!scope || scope.includes(c.councilId)) &&
            (!query.hubId || c.hubId === query.hubId) &&
            (!query.councilId || c.councilId === query.councilId) &&
            (!query.siteId || c.siteId === query.siteId) &&
            (!query.state || c.state === query.state),
        );
        return linked.length === 0
          ? own
          : [...own, ...linked].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      },
    );

    api.get(
      '/api/cameras/:id',
      { schema: { params: Type.Object({ id: Id }), response: { 200: CameraDetail, ...errors } } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const scope = scopeOf(request.user);
        let camera = await deps.fleet.getCamera(id, scope);
        if (!camera) {
          // Another hub's camera: the view its link gave (its health and stream stay at that hub).
          const linked = deps.federation?.linkedView(id);
          if (linked && (!scope || scope.includes(linked.councilId)))
            camera = { ...linked, health: null, stream: null, subStreams: [] };
        }
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
      defaultCode: deps.defaultCode,
      audit: deps.audit,
      reports: deps.reports,
      now: () => deps.now?.() ?? Date.now(),
    });
    maintenanceRoutes(api, {
      maintenance: deps.maintenance,
      audit: deps.audit,
      now: () => deps.now?.() ?? Date.now(),
    });
    auditRoutes(api, { audit: deps.audit, reports: deps.reports });
    uptimeRoutes(api, {
      pool: deps.pool,
      fleet: deps.fleet,
      uptime: deps.uptime,
      now: () => deps.now?.() ?? Date.now(),
    });
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
      geometryChanged: deps.geometryChanged,
      ...(deps.sources
        ? {
            sources: async (q: IncidentSearch) => {
              const sources = deps.sources as NonNullable<AppDeps['sources']>;
              const [own, linked] = await Promise.all([
                sources.service.candidates(q),
                sources.linkedCandidates?.(q) ?? { found: [], unavailable: [] },
              ]);
              return { found: [...own, ...linked.found], unavailable: linked.unavailable };
            },
          }
        : {}),
      now: () => deps.now?.() ?? Date.now(),
    });
    ogcRoutes(api, { pool: deps.pool, now: () => deps.now?.() ?? Date.now() });
    const linkedFeeds = deps.federation?.linkedFeeds;
    if (deps.sources)
      sourceRoutes(api, {
        sources: deps.sources.service,
        linked: deps.sources.linked ?? (() => []),
        audit: deps.audit,
        staleAfterMs: deps.sources.staleAfterMs,
        now: () => deps.now?.() ?? Date.now(),
      });
    feedRoutes(api, {
      feeds: deps.feeds,
      fleet: deps.fleet,
      audit: deps.audit,
      ...(deps.sources
        ? { source: (id: string) => (deps.sources as { service: SourceService }).service.feedTarget(id) }
        : {}),
      ...(linkedFeeds && deps.federation
        ? {
            linked: {
              camera: deps.federation.linkedCamera,
              source: deps.federation.linkedSource,
              feeds: linkedFeeds,
            },
          }
        : {}),
    });
    cameraDetailRoutes(api, {
      pool: deps.pool,
      fleet: deps.fleet,
      feeds: deps.feeds,
      audit: deps.audit,
      now: () => deps.now?.() ?? Date.now(),
    });
    wallLayoutRoutes(api, {
      layouts: new WallLayoutRepository(deps.pool),
      now: () => deps.now?.() ?? Date.now(),
    });
    registryRoutes(api, { registry: deps.registry });
    siteCredentialRoutes(api, {
      credentials: deps.mqttCredentials.repository,
      audit: deps.audit,
      councilOfSite: (id) => deps.maintenance.councilOf('site', id),
      reservedUsernames: deps.mqttCredentials.reservedUsernames,
      changed: deps.mqttCredentials.changed,
      now: () => deps.now?.() ?? Date.now(),
    });
    alertRoutes(api, { ...deps.alerts, audit: deps.audit, now: () => deps.now?.() ?? Date.now() });
    enrolmentAdminRoutes(api, deps.enrolment);
    commissioningRoutes(api, {
      pool: deps.pool,
      audit: deps.audit,
      geometry: deps.geometry,
      councilOfCamera: (id) => deps.maintenance.councilOf('camera', id),
      geometryChanged: deps.geometryChanged,
      approve: (id, note, actor) =>
        deps.registry.decide(id, { decision: 'approve', ...(note ? { note } : {}) }, actor),
      now: () => deps.now?.() ?? Date.now(),
    });
    federationStatusRoutes(api, { links: () => deps.federation?.links() ?? [] });
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
  const endpoint = deps.federation?.endpoint;
  if (endpoint) app.register(async (files) => linkedFeedFileRoutes(files, { peer: endpoint }));

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
        !request.url.startsWith('/feeds/') &&
        !request.url.startsWith('/socket.io') &&
        request.url.split('?')[0] !== '/metrics'
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

function unauthorized(code: string, message: string) {
  return { statusCode: 401, code, error: 'Unauthorized', message };
}

/**
 * Content Security Policy for the dashboard: scripts and styles from the hub only (Leaflet needs
 * inline style attributes), video from blob: (hls.js media source), tiles from the configured tile
 * server, sockets to the hub.
 */
function cspDirectives(ui: UiConfig): Record<string, string[]> {
  const tiles = ui.tileUrl ? [tileOrigin(ui.tileUrl)].filter((o): o is string => o !== null) : [];
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:', ...tiles],
    mediaSrc: ["'self'", 'blob:'],
    workerSrc: ["'self'", 'blob:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
  };
}

function tileOrigin(template: string): string | null {
  try {
    return new URL(template.replace(/\{[a-z]\}/g, '0')).origin;
  } catch {
    return null;
  }
}

/**
 * Login limits: failed attempts per address and user name, and per address over all names, within the
 * window; at the limit every attempt waits until the oldest failure leaves the window. The first
 * refusal of each key in a window is audited (later ones only counted).
 */
function loginLimits(deps: AppDeps) {
  const limits = deps.rateLimits;
  const audited = new Map<string, number>();
  const now = () => deps.now?.() ?? Date.now();
  const refuse =
    (what: string) => async (request: FastifyRequest, context: { max: number; after: string }) => {
      const username = String((request.body as { username?: unknown } | undefined)?.username ?? '').slice(
        0,
        100,
      );
      const key = `${what}:${request.ip}:${what === 'user' ? username : ''}`;
      const until = audited.get(key) ?? 0;
      if (until <= now()) {
        if (audited.size > 10_000) audited.clear();
        audited.set(key, now() + limits.loginWindowMs);
        request.log.warn({ username, ip: request.ip, limit: what }, 'login attempts limited');
        // Recorded before answering, so the refusal and its entry are seen together.
        await deps.audit
          .append({
            kind: 'login.limited',
            actor: username,
            role: null,
            detail: { ip: request.ip, limit: what },
          })
          .catch((error: unknown) => request.log.error({ err: error }, 'audit of a limited login failed'));
      }
      return {
        statusCode: 429,
        code: 'LOGIN_RATE_LIMITED',
        error: 'Too Many Requests',
        message: `too many login attempts ${what === 'user' ? 'for this user name ' : ''}from this address: at most ${context.max} per ${Math.round(limits.loginWindowMs / 60_000)} min; retry in ${context.after}`,
      };
    };
  // Failed attempts only: a shared control-room account signs in as often as it needs.
  const failures: FailureCounter =
    deps.sharedFailures?.(limits.loginWindowMs) ?? new LoginFailures(limits.loginWindowMs, now);
  const username = (request: FastifyRequest) =>
    String((request.body as { username?: unknown } | undefined)?.username ?? '').toLowerCase();
  const keys = (request: FastifyRequest) => ({
    address: `login-ip:${request.ip}`,
    user: `login-user:${request.ip}:${username(request)}`,
  });
  const check =
    (what: 'address' | 'user', max: number) => async (request: FastifyRequest, reply: FastifyReply) => {
      const key = keys(request)[what];
      if ((await failures.count(key)) < max) return;
      const seconds = Math.max(1, Math.ceil((await failures.retryAfterMs(key)) / 1000));
      reply.header('retry-after', seconds);
      throw await refuse(what)(request, {
        max,
        after: seconds >= 120 ? `${Math.ceil(seconds / 60)} min` : `${seconds} s`,
      });
    };
  // Each attempt counts as a failure from its start (so a burst of concurrent guesses is bounded too);
  // a success takes its count back.
  const count = async (request: FastifyRequest) => {
    const k = keys(request);
    await failures.add(k.address);
    await failures.add(k.user);
  };
  return {
    preHandler: [check('address', limits.loginPerAddress), check('user', limits.loginAttempts), count],
    succeeded: async (request: FastifyRequest) => {
      const k = keys(request);
      await failures.clear(k.user);
      await failures.removeLatest(k.address);
    },
  };
}

/** Live-feed requests: opening, listing and closing sessions, their signed files, camera snapshots. */
const FEED_PATHS = /^\/(?:feeds\/|api\/feeds(?:[/?]|$)|api\/cameras\/[^/?]+\/snapshot(?:\?|$))/;
const PEER_HEADER = 'x-cctv-peer';
const CLIENT_HEADER = 'x-cctv-client';

/** The client's address: its own, or for a request a process of the region forwarded, the one it carries. */
function clientAddress(request: FastifyRequest, peerToken: string | undefined): string {
  if (!peerToken) return request.ip;
  const peer = request.headers[PEER_HEADER];
  const client = request.headers[CLIENT_HEADER];
  if (typeof peer !== 'string' || typeof client !== 'string' || client.length > 64) return request.ip;
  const a = Buffer.from(peer);
  const b = Buffer.from(peerToken);
  return a.length === b.length && timingSafeEqual(a, b) ? client : request.ip;
}

/**
 * Cluster mode: every response names the process that answered (x-cctv-instance), and feed requests
 * reaching a process that does not run the region's feeds are forwarded, body and all, to the one
 * that does, with its answer streamed back (video segments included).
 */
async function forwardFeeds(app: FastifyInstance, cluster: NonNullable<AppDeps['cluster']>): Promise<void> {
  await app.register(fastifyReplyFrom, { disableRequestLogging: true, retryMethods: [] });
  app.addHook('onSend', async (_request, reply) => {
    // A forwarded answer keeps the name of the process that gave it.
    if (!reply.hasHeader('x-cctv-instance')) reply.header('x-cctv-instance', cluster.instanceId);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!FEED_PATHS.test(request.url)) return;
    const target = await cluster.feedsAt().catch(() => null);
    if (!target) return;
    // Not parsed here: the body goes on as the client sent it, streamed.
    if (request.method !== 'GET' && request.method !== 'HEAD') request.body = request.raw;
    return reply.from(`${target.replace(/\/$/, '')}${request.url}`, {
      rewriteRequestHeaders: (_raw, headers) => ({
        ...headers,
        [PEER_HEADER]: cluster.peerToken,
        [CLIENT_HEADER]: clientAddress(request, cluster.peerToken),
      }),
      onError: (forwardReply, { error }) => {
        request.log.warn({ err: error.message, target }, 'could not forward a feed request');
        void forwardReply.status(503).send({
          statusCode: 503,
          code: 'FEEDS_UNAVAILABLE',
          error: 'Service Unavailable',
          message: 'the hub process that serves live feeds did not answer: try again in a few seconds',
        });
      },
    });
  });
}
