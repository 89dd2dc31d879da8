import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../../../src/schemas/api.ts';
import { Id, IsoMonth } from '../../../src/schemas/common.ts';
import { londonDay, londonMonthWindow } from '../../../src/uptime/london-time.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { type GatherDeps, gatherCouncilReport } from '../reports/gather.ts';
import type { RenderKind } from '../reports/render-jobs.ts';
import { type Render, type ReportRenderPool, ReportsUnavailableError } from '../reports/render-pool.ts';
import { API_ERRORS, HttpError } from './common.ts';
import { checkMonth } from './date-range.ts';

const FORMATS = {
  'uptime.csv': 'text/csv; charset=utf-8',
  'compliance.csv': 'text/csv; charset=utf-8',
  'maintenance.csv': 'text/csv; charset=utf-8',
  'clock.csv': 'text/csv; charset=utf-8',
  'evidence.pdf': 'application/pdf',
  // The pack's figures for machines: the same evaluation the PDF and CSVs print.
  'evidence.json': 'application/json; charset=utf-8',
} as const satisfies Partial<Record<RenderKind, string>>;
type Format = keyof typeof FORMATS;

/** The error answers of a route that builds a report on the render workers: 503 when they are full. */
export const REPORT_ERRORS = { ...API_ERRORS, 503: ApiError } as const;

/**
 * Builds a report on the render pool, or answers 503 with Retry-After when the pool is full (or
 * the build timed out): the caller tries again later rather than the hub queueing without bound.
 */
export async function buildOr503(
  reply: FastifyReply,
  reports: ReportRenderPool,
  work: (render: Render) => Promise<Buffer>,
): Promise<Buffer | null> {
  try {
    return await reports.admit(work);
  } catch (error) {
    if (!(error instanceof ReportsUnavailableError)) throw error;
    reply.log.warn({ code: error.code, err: error.message }, 'report not built');
    await reply.header('retry-after', String(error.retryAfterS)).status(503).send({
      statusCode: 503,
      code: error.code,
      error: 'Service Unavailable',
      message: error.message,
    });
    return null;
  }
}

/** Per-council reports for a London calendar month: CSV exports and the PDF evidence pack. */
export function reportRoutes(
  api: FastifyInstance,
  deps: GatherDeps & { audit: AuditLog; reports: ReportRenderPool; now: () => number },
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
          {
            month: Type.Optional(
              IsoMonth('Europe/London calendar month, YYYY-MM, not after the current one (default: it)'),
            ),
          },
          { additionalProperties: false },
        ),
        response: REPORT_ERRORS,
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
      const query = request.query as { month?: string };
      checkMonth(query.month, nowMs);
      const month = query.month ?? londonDay(nowMs).slice(0, 7);
      const window = londonMonthWindow(month);
      // The data is read on this thread (database I/O); the file is drawn on a render worker.
      const body = await buildOr503(reply, deps.reports, async (render) => {
        const data = await gatherCouncilReport(
          deps,
          councilId,
          { ...window, label: `${month} (Europe/London)` },
          request.user.sub,
          nowMs,
        );
        if (!data) throw new HttpError(404, 'NOT_FOUND', `council ${councilId} not found`);
        return render(file, data);
      });
      if (!body) return reply;
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
        .header('content-type', FORMATS[file])
        .header('content-disposition', `attachment; filename="cctv-${councilId}-${month}-${file}"`)
        .send(body);
    },
  );
}
