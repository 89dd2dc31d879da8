import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { applyOverrides, RuleOverrideError } from '../../../src/compliance/evaluate.ts';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import { Id, IsoDay, IsoTime } from '../../../src/schemas/common.ts';
import { ComplianceHistory, ComplianceOverview, PackSummary } from '../../../src/schemas/compliance-api.ts';
import { addDays, londonDay } from '../../../src/uptime/london-time.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import { resolvePack } from '../compliance/pack-store.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { camerasInScope, HttpError, scopeOf } from './common.ts';
import { checkDayRange } from './date-range.ts';

const ScopeQuery = Type.Object(
  {
    scope: Type.Union([
      Type.Literal('fleet'),
      Type.Literal('hub'),
      Type.Literal('council'),
      Type.Literal('site'),
      Type.Literal('camera'),
    ]),
    id: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const AssignmentBody = Type.Object(
  {
    scope: Type.Union([Type.Literal('camera'), Type.Literal('site'), Type.Literal('council')]),
    scopeId: Id,
    code: Id,
    version: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
    overrides: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()))),
  },
  { additionalProperties: false },
);
// Days of compliance history one request may ask for.
const HISTORY_MAX_DAYS = 400;

export function complianceRoutes(
  api: FastifyInstance,
  deps: {
    packs: RulePackRegistry;
    compliance: ComplianceRepository;
    fleet: FleetRepository;
    audit: AuditLog;
    /** Council of an assignment's target, or null when it does not exist. */
    councilOf: (kind: 'camera' | 'site' | 'council', id: string) => Promise<string | null>;
    now: () => number;
  },
): void {
  api.get('/api/compliance/packs', { schema: { response: { 200: Type.Array(PackSummary) } } }, async () =>
    [...deps.packs.values()].map((p) => ({
      ref: `${p.code}@${p.version}`,
      code: p.code,
      version: p.version,
      title: p.title,
      rules: p.rules.map((r) => ({
        id: r.id,
        kind: r.kind,
        title: r.title,
        source: r.source,
        severity: r.severity,
      })),
    })),
  );

  api.get(
    '/api/compliance',
    { schema: { querystring: ScopeQuery, response: { 200: ComplianceOverview } } },
    async (request) => {
      const q = request.query as { scope: 'fleet' | 'hub' | 'council' | 'site' | 'camera'; id?: string };
      const ids = await camerasInScope(deps.fleet, request.user, q.scope, q.id);
      const rows = await deps.compliance.statuses(ids, scopeOf(request.user));
      const counts = { pass: 0, warn: 0, fail: 0, not_evaluable: 0 };
      for (const r of rows) counts[r.status] += 1;
      return {
        scope: q.scope,
        id: q.id ?? null,
        cameraCount: ids.length,
        evaluated: rows.length,
        counts,
        cameras: rows,
      };
    },
  );

  api.get(
    '/api/compliance/cameras/:id/history',
    {
      schema: {
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        querystring: Type.Object(
          {
            from: Type.Optional(IsoDay('First Europe/London day (default: 30 days before to)')),
            to: Type.Optional(IsoDay('Last Europe/London day, inclusive (default: today)')),
          },
          { additionalProperties: false },
        ),
        response: { 200: ComplianceHistory },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = request.query as { from?: string; to?: string };
      const to = q.to ?? londonDay(deps.now());
      const from = q.from ?? addDays(to, -30);
      checkDayRange(from, to, HISTORY_MAX_DAYS);
      await camerasInScope(deps.fleet, request.user, 'camera', id);
      return { cameraId: id, from, to, days: await deps.compliance.history(id, from, to) };
    },
  );

  api.put(
    '/api/compliance/records/:councilId',
    {
      schema: {
        params: Type.Object({ councilId: Id }, { additionalProperties: false }),
        body: Type.Object(
          {
            lastReviewAt: Type.Union([IsoTime, Type.Null()]),
            dpiaAt: Type.Union([IsoTime, Type.Null()]),
            certificateIssuedAt: Type.Union([IsoTime, Type.Null()]),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { councilId } = request.params as { councilId: string };
      const { role, councilIds, sub } = request.user;
      if (role !== 'operator' && role !== 'council')
        throw new HttpError(
          403,
          'FORBIDDEN',
          'only hub operators and council officers record scheme reviews',
        );
      if (role === 'council' && !councilIds.includes(councilId))
        throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
      const body = request.body as {
        lastReviewAt: string | null;
        dpiaAt: string | null;
        certificateIssuedAt: string | null;
      };
      for (const [key, value] of Object.entries(body)) {
        if (value && Date.parse(value) > deps.now())
          throw new HttpError(400, 'FUTURE_DATE', `${key} is in the future`);
      }
      if (!(await deps.compliance.setRecords(councilId, body, sub)))
        throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
      await deps.audit.append({
        kind: 'config.compliance.records',
        actor: sub,
        role,
        councilId,
        subject: { type: 'council', id: councilId },
        detail: body,
      });
      request.log.info({ user: sub, councilId }, 'scheme records updated');
      return { ok: true };
    },
  );

  api.put('/api/compliance/assignments', { schema: { body: AssignmentBody } }, async (request, reply) => {
    if (request.user.role !== 'operator') {
      return reply.status(403).send({
        statusCode: 403,
        code: 'FORBIDDEN',
        error: 'Forbidden',
        message: 'only hub operators assign certification codes',
      });
    }
    const body = request.body as {
      scope: 'camera' | 'site' | 'council';
      scopeId: string;
      code: string;
      version?: string | null;
      overrides?: Record<string, Record<string, unknown>>;
    };
    const pack = resolvePack(deps.packs, body.code, body.version ?? null);
    if (!pack) {
      return reply.status(400).send({
        statusCode: 400,
        code: 'UNKNOWN_CODE',
        error: 'Bad Request',
        message: `certification code ${body.code}${body.version ? `@${body.version}` : ''} is not loaded`,
      });
    }
    try {
      applyOverrides(pack, body.overrides ?? {});
    } catch (error) {
      if (error instanceof RuleOverrideError) {
        return reply
          .status(400)
          .send({ statusCode: 400, code: error.code, error: 'Bad Request', message: error.message });
      }
      throw error;
    }
    await deps.compliance.assign(
      {
        scopeKind: body.scope,
        scopeId: body.scopeId,
        code: body.code,
        version: body.version ?? null,
        overrides: body.overrides ?? {},
      },
      request.user.sub,
    );
    await deps.audit.append({
      kind: 'config.compliance.assign',
      actor: request.user.sub,
      role: request.user.role,
      councilId: await deps.councilOf(body.scope, body.scopeId),
      subject: { type: body.scope, id: body.scopeId },
      detail: { code: body.code, version: body.version ?? null, overrides: body.overrides ?? {} },
    });
    request.log.info(
      { user: request.user.sub, scope: body.scope, scopeId: body.scopeId, code: body.code },
      'certification code assigned',
    );
    return { ok: true };
  });
}
