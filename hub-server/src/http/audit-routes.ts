import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AuditFilter,
  AuditFilter as AuditFilterSchema,
  AuditPage,
  type AuditQuery,
  AuditQuery as AuditQuerySchema,
  AuditVerifyResult,
} from '../../../src/schemas/audit-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ReportRenderPool } from '../reports/render-pool.ts';
import { API_ERRORS, HttpError, scopeOf } from './common.ts';
import { checkTimeRange } from './date-range.ts';
import { buildOr503, REPORT_ERRORS } from './report-routes.ts';

const errors = API_ERRORS;
// One CSV is built in memory; past this the caller narrows from/to instead.
const EXPORT_MAX_ENTRIES = 100_000;

/** Auditors and hub operators read everything, council officers their councils' entries. */
function readScope(request: FastifyRequest): readonly string[] | null {
  if (request.user.role === 'controlroom')
    throw new HttpError(403, 'FORBIDDEN', 'control rooms do not read the audit log');
  return scopeOf(request.user);
}

// The CSV builder moved with the other exports, which are built on the render workers.
export { auditCsv } from '../reports/audit-csv.ts';

export function auditRoutes(
  api: FastifyInstance,
  deps: { audit: AuditLog; reports: ReportRenderPool },
): void {
  api.get(
    '/api/audit',
    { schema: { querystring: AuditQuerySchema, response: { 200: AuditPage, ...errors } } },
    async (request) => {
      const scope = readScope(request);
      const { limit, before, ...filter } = request.query as AuditQuery;
      checkTimeRange(filter);
      return deps.audit.search(filter, scope, { limit, before });
    },
  );

  api.get(
    '/api/audit/export.csv',
    { schema: { querystring: AuditFilterSchema, response: REPORT_ERRORS } },
    async (request, reply) => {
      const scope = readScope(request);
      const filter = request.query as AuditFilter;
      checkTimeRange(filter);
      // Up to EXPORT_MAX_ENTRIES rows: the CSV is written on a render worker, not on the event loop.
      const body = await buildOr503(reply, deps.reports, async (render) => {
        const entries = await deps.audit.list(filter, scope, EXPORT_MAX_ENTRIES);
        if (!entries)
          throw new HttpError(
            400,
            'TOO_MANY_ENTRIES',
            `more than ${EXPORT_MAX_ENTRIES} entries match: narrow the period with from and to`,
          );
        // Exporting the log is itself an access to record; the export holds the entries before it.
        await deps.audit.append({
          kind: 'export.audit',
          actor: request.user.sub,
          role: request.user.role,
          detail: { filter, entries: entries.length },
        });
        return render('audit.csv', entries);
      });
      if (!body) return reply;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cctv-audit-log.csv"')
        .send(body);
    },
  );

  api.get(
    '/api/audit/verify',
    { schema: { response: { 200: AuditVerifyResult, ...errors } } },
    async (request) => {
      if (request.user.role !== 'auditor' && request.user.role !== 'operator')
        throw new HttpError(403, 'FORBIDDEN', 'only auditors and hub operators verify the audit log');
      const result = await deps.audit.verify();
      if (!result.ok) request.log.error({ problem: result.problem }, 'audit log verification failed');
      return result;
    },
  );
}
