import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Id } from '../../../src/schemas/common.ts';
import { londonDay, londonMonthWindow } from '../../../src/uptime/london-time.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { complianceCsv, maintenanceCsv, uptimeCsv } from '../reports/csv.ts';
import { type GatherDeps, gatherCouncilReport } from '../reports/gather.ts';
import { councilEvidencePdf } from '../reports/pdf.ts';
import { HttpError } from './common.ts';

const FORMATS = {
  'uptime.csv': {
    type: 'text/csv; charset=utf-8',
    build: async (d: Parameters<typeof uptimeCsv>[0]) => uptimeCsv(d),
  },
  'compliance.csv': {
    type: 'text/csv; charset=utf-8',
    build: async (d: Parameters<typeof complianceCsv>[0]) => complianceCsv(d),
  },
  'maintenance.csv': {
    type: 'text/csv; charset=utf-8',
    build: async (d: Parameters<typeof maintenanceCsv>[0]) => maintenanceCsv(d),
  },
  'evidence.pdf': { type: 'application/pdf', build: councilEvidencePdf },
} as const;
type Format = keyof typeof FORMATS;

/** Per-council reports for a London calendar month: CSV exports and the PDF evidence pack. */
export function reportRoutes(
  api: FastifyInstance,
  deps: GatherDeps & { audit: AuditLog; now: () => number },
): void {
  api.get(
    '/api/reports/councils/:councilId/:file',
    {
      schema: {
        params: Type.Object(
          { councilId: Id, file: Type.Union(Object.keys(FORMATS).map((f) => Type.Literal(f))) },
          { additionalProperties: false },
        ),
        querystring: Type.Object(
          { month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const { councilId, file } = request.params as { councilId: string; file: Format };
      const { role, councilIds } = request.user;
      if (role === 'controlroom')
        throw new HttpError(403, 'FORBIDDEN', 'control rooms do not download council reports');
      if (role === 'council' && !councilIds.includes(councilId))
        throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
      const nowMs = deps.now();
      const month = (request.query as { month?: string }).month ?? londonDay(nowMs).slice(0, 7);
      const window = londonMonthWindow(month);
      const data = await gatherCouncilReport(
        deps,
        councilId,
        { ...window, label: `${month} (Europe/London)` },
        request.user.sub,
        nowMs,
      );
      if (!data) throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
      const body = await FORMATS[file].build(data);
      // Recorded before the file leaves: no export without its audit entry.
      await deps.audit.append({
        kind: 'export.report',
        actor: request.user.sub,
        role,
        councilId,
        subject: { type: 'council', id: councilId },
        detail: { file, month, bytes: body.length },
      });
      request.log.info({ user: request.user.sub, councilId, file, month }, 'report exported');
      // Ids are slugs and the month is validated, so the file name needs no further escaping.
      return reply
        .header('content-type', FORMATS[file].type)
        .header('content-disposition', `attachment; filename="cctv-${councilId}-${month}-${file}"`)
        .send(body);
    },
  );
}
