import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../../src/schemas/api.ts';
import { Id } from '../../../src/schemas/common.ts';
import {
  EnrolmentCodeIssued,
  type EnrolmentCodeRequest,
  EnrolmentCodeRequest as EnrolmentCodeRequestSchema,
  EnrolmentState,
  type EnrolRequest,
  EnrolRequest as EnrolRequestSchema,
  EnrolResult,
} from '../../../src/schemas/enrolment-api.ts';
import type { SiteRegistration } from '../../../src/schemas/registry-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { type FailureCounter, LoginFailures } from '../auth/login-failures.ts';
import { generateMqttPassword, hashMqttPassword } from '../auth/mqtt-password.ts';
import type { EnrolmentCodes } from '../registry/enrolment.ts';
import type { RegistryRepository } from '../registry/registry-repository.ts';
import { parseSiteCsv } from '../registry/site-import.ts';
import type { SiteCredentialRepository } from '../repositories/site-credential-repository.ts';
import { API_ERRORS, HttpError, scopeOf } from './common.ts';

const errors = API_ERRORS;
const Params = Type.Object({ id: Id }, { additionalProperties: false });

const REFUSAL_TEXT = {
  ENROL_CODE_UNKNOWN: 'the hub does not know this enrolment code: check it with the operator who issued it',
  ENROL_CODE_USED: 'this enrolment code has been used already: ask the hub operator for a new one',
  ENROL_CODE_EXPIRED:
    'this enrolment code has expired (or a newer one was issued): ask the hub operator for a new one',
} as const;
const REFUSAL_STATUS = { ENROL_CODE_UNKNOWN: 404, ENROL_CODE_USED: 409, ENROL_CODE_EXPIRED: 410 } as const;

const ImportQuery = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'Check every row, create nothing' })),
    codes: Type.Optional(Type.Boolean({ description: 'Issue an enrolment code for each site created' })),
  },
  { additionalProperties: false },
);
const RowError = Type.Object(
  { line: Type.Integer(), column: Type.Union([Type.String(), Type.Null()]), message: Type.String() },
  { additionalProperties: false },
);
const ImportResult = Type.Object(
  {
    dryRun: Type.Boolean(),
    rows: Type.Integer({ description: 'Data rows read' }),
    errors: Type.Array(RowError, { description: 'Every problem found, by line (header = 1) and column' }),
    created: Type.Array(
      Type.Object(
        {
          id: Id,
          line: Type.Integer(),
          code: Type.Union([Type.String(), Type.Null()]),
          expiresAt: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface EnrolmentRouteDeps {
  codes: EnrolmentCodes;
  sites: RegistryRepository;
  /** Registers one site as POST /api/registry/sites does (audited). */
  register: (site: SiteRegistration, actor: { username: string; role: Role }) => Promise<unknown>;
  credentials: SiteCredentialRepository;
  audit: AuditLog;
  /** The broker URL to give a site box, for the host name it used to reach the hub. */
  brokerUrlFor: (requestHost: string) => string;
  /** Called after a credential is replaced: live connections on the old one are closed. */
  credentialChanged: (siteId: string) => void;
  codeTtlMs: number;
  attemptsPerAddress: number;
  attemptWindowMs: number;
  /** Cluster mode: attempts counted by every process of the region (default: in this process). */
  sharedFailures?: ((windowMs: number) => FailureCounter) | undefined;
  now: () => number;
}

/** Operators issue codes; operators, auditors and the site's council officers read the state. */
export function enrolmentAdminRoutes(api: FastifyInstance, deps: EnrolmentRouteDeps): void {
  const site = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const record = await deps.sites.findSite(id);
    const scope = scopeOf(request.user);
    if (!record || (scope && !scope.includes(record.councilId)))
      throw new HttpError(404, 'SITE_NOT_REGISTERED', `site ${id} is not registered`);
    return record;
  };

  api.post(
    '/api/registry/sites/:id/enrolment-code',
    {
      schema: {
        params: Params,
        body: Type.Union([EnrolmentCodeRequestSchema, Type.Null()]),
        response: { 201: EnrolmentCodeIssued, ...errors },
      },
    },
    async (request, reply) => {
      if (request.user.role !== 'operator')
        throw new HttpError(403, 'FORBIDDEN', 'only hub operators issue enrolment codes');
      const record = await site(request);
      const minutes = (request.body as EnrolmentCodeRequest | null)?.validForMinutes;
      const ttlMs = minutes ? minutes * 60_000 : deps.codeTtlMs;
      const { code, expiresAt } = await deps.codes.issue(record.id, request.user.sub, deps.now(), ttlMs);
      await deps.audit.append({
        kind: 'config.site.enrolment-code',
        actor: request.user.sub,
        role: request.user.role,
        councilId: record.councilId,
        subject: { type: 'site', id: record.id },
        detail: { expiresAt: expiresAt.toISOString() },
      });
      return reply.code(201).send({ siteId: record.id, code, expiresAt: expiresAt.toISOString() });
    },
  );

  // Onboarding many sites at once: a CSV checked row by row; all of it or nothing is registered.
  api.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 1_048_576 }, (_request, body, done) =>
    done(null, body),
  );
  api.post(
    '/api/registry/sites/import',
    {
      schema: {
        querystring: ImportQuery,
        consumes: ['text/csv'],
        response: { ...errors, 200: ImportResult, 400: Type.Union([ImportResult, errors[400]]) },
      },
    },
    async (request, reply) => {
      if (request.user.role !== 'operator')
        throw new HttpError(403, 'FORBIDDEN', 'only hub operators register sites');
      if (typeof request.body !== 'string')
        throw new HttpError(400, 'NOT_CSV', 'send the sites as text/csv, with a header row');
      const { dryRun = false, codes = false } = request.query as { dryRun?: boolean; codes?: boolean };
      const parsed = parseSiteCsv(request.body);
      const errorsFound = [...parsed.errors];
      const councils = new Map<string, string | null>();
      for (const { line, site } of parsed.all) {
        if (site.id && (await deps.sites.findSite(site.id)))
          errorsFound.push({ line, column: 'id', message: `site ${site.id} is already registered` });
        if (!site.councilId || !site.hubId) continue;
        if (!councils.has(site.councilId))
          councils.set(site.councilId, await deps.sites.councilHub(site.councilId));
        if (councils.get(site.councilId) === null)
          errorsFound.push({
            line,
            column: 'councilId',
            message: `council ${site.councilId} is not registered`,
          });
        if (!(await deps.sites.hubExists(site.hubId)))
          errorsFound.push({ line, column: 'hubId', message: `hub ${site.hubId} is not registered` });
      }
      errorsFound.sort((a, b) => a.line - b.line);
      const rows =
        parsed.sites.length + new Set(parsed.errors.filter((e) => e.line > 1).map((e) => e.line)).size;
      if (errorsFound.length > 0 || dryRun)
        return reply
          .status(errorsFound.length > 0 ? 400 : 200)
          .send({ dryRun, rows, errors: errorsFound, created: [] });
      const created: { id: string; line: number; code: string | null; expiresAt: string | null }[] = [];
      for (const { line, site } of parsed.sites) {
        await deps.register(site, { username: request.user.sub, role: request.user.role });
        let code: string | null = null;
        let expiresAt: string | null = null;
        if (codes) {
          const issued = await deps.codes.issue(site.id, request.user.sub, deps.now(), deps.codeTtlMs);
          code = issued.code;
          expiresAt = issued.expiresAt.toISOString();
          await deps.audit.append({
            kind: 'config.site.enrolment-code',
            actor: request.user.sub,
            role: request.user.role,
            councilId: site.councilId,
            subject: { type: 'site', id: site.id },
            detail: { expiresAt, via: 'import' },
          });
        }
        created.push({ id: site.id, line, code, expiresAt });
      }
      return { dryRun, rows, errors: [], created };
    },
  );

  api.get(
    '/api/registry/sites/:id/enrolment',
    { schema: { params: Params, response: { 200: EnrolmentState, ...errors } } },
    async (request) => {
      if (request.user.role === 'controlroom')
        throw new HttpError(403, 'FORBIDDEN', 'control rooms do not read the site registry');
      const record = await site(request);
      return deps.codes.state(record.id, deps.now());
    },
  );
}

/**
 * POST /api/enrol, without login: the code is the credential. Each address may try
 * `attemptsPerAddress` codes per window (a success gives its attempt back); every attempt is
 * audited, refused ones with their reason.
 */
export function enrolRoute(app: FastifyInstance, deps: EnrolmentRouteDeps): void {
  const attempts: FailureCounter =
    deps.sharedFailures?.(deps.attemptWindowMs) ?? new LoginFailures(deps.attemptWindowMs, deps.now);
  const limit = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = `enrol:${request.ip}`;
    if ((await attempts.count(key)) >= deps.attemptsPerAddress) {
      const seconds = Math.max(1, Math.ceil((await attempts.retryAfterMs(key)) / 1000));
      reply.header('retry-after', seconds);
      return reply.status(429).send({
        statusCode: 429,
        code: 'ENROL_RATE_LIMITED',
        error: 'Too Many Requests',
        message: `too many enrolment attempts from this address: at most ${deps.attemptsPerAddress} per ${Math.round(deps.attemptWindowMs / 60_000)} min; retry in ${seconds} s`,
      });
    }
    await attempts.add(key);
  };

  app.post(
    '/api/enrol',
    {
      preHandler: limit,
      schema: {
        security: [],
        body: EnrolRequestSchema,
        response: { 200: EnrolResult, 410: errors[404], ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as EnrolRequest;
      const agent = { hostname: body.hostname ?? null, version: body.agentVersion ?? null };
      const result = await deps.codes.redeem(body.code, deps.now(), request.ip, agent);
      if (!result.ok) {
        const siteRecord = result.siteId ? await deps.sites.findSite(result.siteId) : null;
        await deps.audit.append({
          kind: 'site.enrol.refused',
          actor: `address:${request.ip}`,
          role: null,
          councilId: siteRecord?.councilId ?? null,
          subject: result.siteId ? { type: 'site', id: result.siteId } : null,
          reason: result.code,
          detail: { ip: request.ip, ...agent },
        });
        return reply.status(REFUSAL_STATUS[result.code]).send({
          statusCode: REFUSAL_STATUS[result.code],
          code: result.code,
          error: 'Enrolment refused',
          message: REFUSAL_TEXT[result.code],
        });
      }
      await attempts.removeLatest(`enrol:${request.ip}`);
      const record = await deps.sites.findSite(result.siteId);
      if (!record)
        throw new HttpError(404, 'SITE_NOT_REGISTERED', `site ${result.siteId} is no longer registered`);
      const password = generateMqttPassword();
      const credential = await deps.credentials.put(
        record.id,
        await hashMqttPassword(password),
        `enrolment:${request.ip}`,
        new Date(deps.now()),
      );
      const rotated = credential.rotations > 0;
      // Recorded before the password is handed out: no credential without its audit entry.
      await deps.audit.append({
        kind: 'site.enrol',
        actor: `address:${request.ip}`,
        role: null,
        councilId: record.councilId,
        subject: { type: 'site', id: record.id },
        detail: { ip: request.ip, ...agent, credential: rotated ? 'rotated' : 'issued' },
      });
      if (rotated) deps.credentialChanged(record.id);
      request.log.info({ siteId: record.id, ip: request.ip, rotated }, 'site enrolled');
      return {
        site: {
          id: record.id,
          name: record.name,
          councilId: record.councilId,
          hubId: record.hubId,
          location: record.location,
        },
        mqtt: {
          url: deps.brokerUrlFor(request.hostname),
          username: record.id,
          password,
        },
        rotated,
      };
    },
  );
}
