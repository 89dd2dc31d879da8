import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id, IsoTime } from '../../../src/schemas/common.ts';
import { INCIDENT_REF_PATTERN } from '../../../src/schemas/incident-ref.ts';
import {
  CoverageExport,
  type DutyInput,
  DutyInput as DutyInputSchema,
  DutyWindow,
  SourceCreated,
  type SourceInput,
  SourceInput as SourceInputSchema,
  SourceRecord,
  SourceUptime,
  SourceView,
} from '../../../src/schemas/sources.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { csvDocument } from '../reports/csv-writer.ts';
import { SourceError } from '../sources/source-repository.ts';
import type { SourceService } from '../sources/source-service.ts';
import { API_ERRORS, assertRole, HttpError } from './common.ts';

const errors = API_ERRORS;
const closed = { additionalProperties: false } as const;
const Params = Type.Object({ id: Id }, closed);
/** Sources belong to police units: control rooms and hub operators see them, councils do not. */
const WATCHERS = ['controlroom', 'operator'] as const;
const READERS = ['controlroom', 'operator', 'auditor'] as const;
/** Longest period one uptime or coverage query reads (a month of fixes at two a second per source). */
const MAX_PERIOD_MS = 31 * 86_400_000;

const Period = Type.Object({ from: IsoTime, to: IsoTime }, closed);
const CoverageQuery = Type.Object(
  {
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    radiusM: Type.Optional(Type.Number({ minimum: 1, maximum: 5000, default: 100 })),
    from: IsoTime,
    to: IsoTime,
    incidentRef: Type.String({
      minLength: 3,
      maxLength: 64,
      pattern: `^${INCIDENT_REF_PATTERN}$`,
      description: 'The incident the export is for (it is audited with it)',
    }),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
  },
  closed,
);

function period(from: string, to: string): { fromMs: number; toMs: number } {
  const fromMs = Date.parse(from);
  const toMs = Date.parse(to);
  if (toMs <= fromMs) throw new HttpError(400, 'BAD_RANGE', '`to` must be after `from`');
  if (toMs - fromMs > MAX_PERIOD_MS) throw new HttpError(400, 'BAD_RANGE', 'a period is at most 31 days');
  return { fromMs, toMs };
}

const rethrow = (error: unknown): never => {
  if (error instanceof SourceError) throw new HttpError(error.status, error.code, error.message);
  throw error;
};

/** Mobile sources: the registry (operators), live views, duty windows, uptime and coverage exports. */
export function sourceRoutes(
  api: FastifyInstance,
  deps: {
    sources: SourceService;
    /** Sources other hubs share with this one, after this hub's own. */
    linked: () => SourceView[];
    audit: AuditLog;
    staleAfterMs: number;
    now: () => number;
  },
): void {
  const { sources, audit } = deps;

  api.get(
    '/api/sources',
    { schema: { response: { 200: Type.Array(SourceView), ...errors } } },
    async (request) => {
      assertRole(request.user, WATCHERS, 'mobile sources');
      return [...sources.tracker.list(), ...deps.linked()];
    },
  );

  api.get(
    '/api/sources/registry',
    { schema: { response: { 200: Type.Array(SourceRecord), ...errors } } },
    async (request) => {
      assertRole(request.user, ['operator', 'auditor'], 'the mobile source registry');
      return sources.repository.list();
    },
  );

  api.post(
    '/api/sources',
    { schema: { body: SourceInputSchema, response: { 201: SourceCreated, ...errors } } },
    async (request, reply) => {
      assertRole(request.user, ['operator'], 'registering a mobile source');
      const input = request.body as SourceInput;
      const created = await sources.create(input, request.user.sub).catch(rethrow);
      await audit.append({
        kind: 'config.source.create',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'source', id: input.id },
        detail: {
          kind: input.kind,
          name: input.name,
          unit: input.unit,
          relaySiteId: input.relaySiteId,
          streamHost: new URL(input.streamUrl).host,
        },
      });
      return reply.status(201).send({ source: created.record, telemetryKey: created.key });
    },
  );

  api.post(
    '/api/sources/:id/key',
    {
      schema: {
        params: Params,
        response: { 200: Type.Object({ telemetryKey: Type.String() }, closed), ...errors },
      },
    },
    async (request) => {
      assertRole(request.user, ['operator'], 'issuing a telemetry key');
      const { id } = request.params as { id: string };
      const key = await sources.rotateKey(id);
      if (!key) throw new HttpError(404, 'NOT_FOUND', `source ${id} not found`);
      await audit.append({
        kind: 'config.source.key',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'source', id },
      });
      return { telemetryKey: key };
    },
  );

  api.delete(
    '/api/sources/:id',
    { schema: { params: Params, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      assertRole(request.user, ['operator'], 'retiring a mobile source');
      const { id } = request.params as { id: string };
      if (!(await sources.retire(id))) throw new HttpError(404, 'NOT_FOUND', `source ${id} not found`);
      await audit.append({
        kind: 'config.source.retire',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'source', id },
      });
      return reply.status(204).send();
    },
  );

  api.post(
    '/api/sources/:id/duty',
    { schema: { params: Params, body: DutyInputSchema, response: { 201: DutyWindow, ...errors } } },
    async (request, reply) => {
      assertRole(request.user, WATCHERS, 'declaring a mission or shift');
      const { id } = request.params as { id: string };
      const input = request.body as DutyInput;
      const window = await sources.addDuty(id, input, request.user.sub).catch(rethrow);
      if (!window) throw new HttpError(404, 'NOT_FOUND', `source ${id} not found`);
      await audit.append({
        kind: 'source.duty',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'source', id },
        reason: input.reason,
        detail: { startsAt: window.startsAt, endsAt: window.endsAt },
      });
      return reply.status(201).send(window);
    },
  );

  api.get(
    '/api/sources/:id/uptime',
    { schema: { params: Params, querystring: Period, response: { 200: SourceUptime, ...errors } } },
    async (request) => {
      assertRole(request.user, READERS, 'mobile source uptime');
      const { id } = request.params as { id: string };
      const q = request.query as { from: string; to: string };
      const { fromMs, toMs } = period(q.from, q.to);
      if (!(await sources.repository.get(id)))
        throw new HttpError(404, 'NOT_FOUND', `source ${id} not found`);
      return sources.repository.uptime(id, fromMs, toMs, deps.staleAfterMs, deps.now());
    },
  );

  api.get(
    '/api/sources/coverage',
    {
      schema: {
        querystring: CoverageQuery,
        response: { 200: CoverageExport, ...errors },
        description:
          'Which mobile sources covered a point, and when, from their stored tracks: for disclosure. Audited with the incident reference. `format=csv` gives one row per interval.',
      },
    },
    async (request, reply) => {
      assertRole(request.user, READERS, 'a mobile source coverage export');
      const q = request.query as {
        lat: number;
        lon: number;
        radiusM?: number;
        from: string;
        to: string;
        incidentRef: string;
        format?: 'json' | 'csv';
      };
      const { fromMs, toMs } = period(q.from, q.to);
      const result = await sources.repository.coverage(
        { lat: q.lat, lon: q.lon },
        q.radiusM ?? 100,
        fromMs,
        toMs,
        deps.staleAfterMs,
        deps.now(),
      );
      await audit.append({
        kind: 'export.source-coverage',
        actor: request.user.sub,
        role: request.user.role,
        incidentRef: q.incidentRef,
        detail: {
          lat: q.lat,
          lon: q.lon,
          radiusM: result.radiusM,
          from: result.from,
          to: result.to,
          format: q.format ?? 'json',
          sources: result.sources.map((s) => s.sourceId),
        },
      });
      if (q.format !== 'csv') return result;
      const rows = result.sources.flatMap((s) =>
        s.intervals.map((i) => [
          s.sourceId,
          s.kind,
          s.name,
          s.unit,
          i.from,
          i.to,
          { csvNumber: String(i.fixes) },
          { csvNumber: String(i.closestM) },
          i.footprintCovered ? 'yes' : 'no',
        ]),
      );
      const doc = csvDocument(
        ['source', 'kind', 'name', 'unit', 'from', 'to', 'fixes', 'closest_m', 'footprint_covered'],
        rows,
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="source-coverage-${q.incidentRef.replace(/[^A-Za-z0-9-]/g, '_')}.csv"`,
        )
        .header('x-computed-at', result.computedAt)
        .send(doc);
    },
  );
}
