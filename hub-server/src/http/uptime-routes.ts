import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import {
  type UptimeQuery,
  UptimeQuery as UptimeQuerySchema,
  UptimeReport,
} from '../../../src/schemas/api.ts';
import { availability, observedShare, type StateDurations } from '../../../src/uptime/durations.ts';
import { type ReportWindow, resolveWindow, WindowError } from '../../../src/uptime/windows.ts';
import { countedDurations } from '../repositories/evidence-spans.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { sumAll, type UptimeRepository } from '../repositories/uptime-repository.ts';
import { ApiErrorSchema, camerasInScope, HttpError, scopeOf } from './common.ts';
import { checkMonth, checkTimeRange } from './date-range.ts';

function figures(d: StateDurations) {
  return { durationsMs: d, availability: availability(d), observed: observedShare(d) };
}

// The longest custom window (resolveWindow refuses longer ones too).
const MAX_WINDOW_DAYS = 400;

/** The report window a query asks for; a bad one is a 400 naming the problem. */
export function windowOf(
  q: Pick<UptimeQuery, 'window' | 'month' | 'from' | 'to'>,
  nowMs: number,
): ReportWindow {
  // Checked whatever the window kind, so a bad date is never accepted only to be ignored.
  checkTimeRange(q, MAX_WINDOW_DAYS);
  checkMonth(q.month, nowMs);
  try {
    return resolveWindow(q.window, nowMs, {
      month: q.month,
      fromMs: q.from ? Date.parse(q.from) : undefined,
      toMs: q.to ? Date.parse(q.to) : undefined,
    });
  } catch (error) {
    if (error instanceof WindowError) throw new HttpError(400, error.code, error.message);
    throw error;
  }
}

export function uptimeRoutes(
  api: FastifyInstance,
  deps: { pool: pg.Pool; fleet: FleetRepository; uptime: UptimeRepository; now: () => number },
): void {
  api.get(
    '/api/uptime',
    {
      schema: {
        querystring: UptimeQuerySchema,
        response: { 200: UptimeReport, 400: ApiErrorSchema, 401: ApiErrorSchema, 404: ApiErrorSchema },
      },
    },
    async (request) => {
      const q = request.query as UptimeQuery;
      const nowMs = deps.now();
      const window = windowOf(q, nowMs);
      if (q.scope !== 'fleet' && !q.id) throw new HttpError(400, 'BAD_SCOPE', `scope ${q.scope} needs an id`);
      // The same spans the council reports count: cameras while approved and while their site was
      // assigned to the council, so this figure and the evidence pack agree.
      const { spans, durations: perCamera } = await countedDurations(
        deps.pool,
        deps.uptime,
        q.scope,
        q.id ?? null,
        scopeOf(request.user),
        window.fromMs,
        window.toMs,
        nowMs,
      );
      // Nothing counted in the window: 404 for unknown or out-of-scope ids, as on every scoped route.
      if (spans.length === 0) await camerasInScope(deps.fleet, request.user, q.scope, q.id);
      const cameraIds = [...perCamera.keys()];
      const days = q.daily
        ? (await deps.uptime.daily(cameraIds, window.fromMs, window.toMs, nowMs)).map((d) => ({
            day: d.day,
            ...figures(d.durations),
          }))
        : [];
      return {
        scope: q.scope,
        id: q.id ?? null,
        window: {
          kind: window.kind,
          from: new Date(window.fromMs).toISOString(),
          to: new Date(window.toMs).toISOString(),
          label: window.label,
        },
        evaluatedAt: new Date(nowMs).toISOString(),
        cameraCount: cameraIds.length,
        total: figures(sumAll(perCamera.values())),
        ...(q.daily ? { days } : {}),
        ...(q.perCamera
          ? { cameras: [...perCamera].map(([cameraId, d]) => ({ cameraId, ...figures(d) })) }
          : {}),
      };
    },
  );
}
