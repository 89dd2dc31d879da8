import type { FastifyInstance } from 'fastify';
import {
  type UptimeQuery,
  UptimeQuery as UptimeQuerySchema,
  UptimeReport,
} from '../../../src/schemas/api.ts';
import { availability, observedShare, type StateDurations } from '../../../src/uptime/durations.ts';
import { type ReportWindow, resolveWindow, WindowError } from '../../../src/uptime/windows.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { sumAll, type UptimeRepository } from '../repositories/uptime-repository.ts';
import { ApiErrorSchema, camerasInScope, HttpError } from './common.ts';

function figures(d: StateDurations) {
  return { durationsMs: d, availability: availability(d), observed: observedShare(d) };
}

/** The report window a query asks for; a bad one is a 400 naming the problem. */
export function windowOf(
  q: Pick<UptimeQuery, 'window' | 'month' | 'from' | 'to'>,
  nowMs: number,
): ReportWindow {
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
  deps: { fleet: FleetRepository; uptime: UptimeRepository; now: () => number },
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
      const cameraIds = await camerasInScope(deps.fleet, request.user, q.scope, q.id);
      const perCamera = await deps.uptime.durations(cameraIds, window.fromMs, window.toMs, nowMs);
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
