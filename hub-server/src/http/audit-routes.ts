import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AuditEntry,
  type AuditFilter,
  AuditFilter as AuditFilterSchema,
  AuditPage,
  type AuditQuery,
  AuditQuery as AuditQuerySchema,
  AuditVerifyResult,
} from '../../../src/schemas/audit-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { canonicalJson, type JsonValue } from '../audit/chain.ts';
import { csvDocument, num } from '../reports/csv-writer.ts';
import { API_ERRORS, HttpError, scopeOf } from './common.ts';

const errors = API_ERRORS;
// One CSV is built in memory; past this the caller narrows from/to instead.
const EXPORT_MAX_ENTRIES = 100_000;

/** Auditors and hub operators read everything, council officers their councils' entries. */
function readScope(request: FastifyRequest): readonly string[] | null {
  if (request.user.role === 'controlroom')
    throw new HttpError(403, 'FORBIDDEN', 'control rooms do not read the audit log');
  return scopeOf(request.user);
}

/** Every column, hashes included, so an auditor can re-check the chain from the file alone. */
export function auditCsv(entries: readonly AuditEntry[]): Buffer {
  return csvDocument(
    [
      'seq',
      'at',
      'kind',
      'actor',
      'role',
      'council_id',
      'subject',
      'incident_ref',
      'reason',
      'detail',
      'prev_hash',
      'hash',
    ],
    entries.map((e) => [
      num(String(e.seq)),
      e.at,
      e.kind,
      e.actor,
      e.role,
      e.councilId,
      e.subject,
      e.incidentRef,
      e.reason,
      canonicalJson(e.detail as JsonValue),
      e.prevHash,
      e.hash,
    ]),
  );
}

export function auditRoutes(api: FastifyInstance, deps: { audit: AuditLog }): void {
  api.get(
    '/api/audit',
    { schema: { querystring: AuditQuerySchema, response: { 200: AuditPage, ...errors } } },
    async (request) => {
      const scope = readScope(request);
      const { limit, before, ...filter } = request.query as AuditQuery;
      return deps.audit.search(filter, scope, { limit, before });
    },
  );

  api.get(
    '/api/audit/export.csv',
    { schema: { querystring: AuditFilterSchema, response: errors } },
    async (request, reply) => {
      const scope = readScope(request);
      const filter = request.query as AuditFilter;
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
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="cctv-audit-log.csv"')
        .send(auditCsv(entries));
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
