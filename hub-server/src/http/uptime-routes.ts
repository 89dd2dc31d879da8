import type { FastifyInstance } from 'fastify';
import {
  type UptimeQuery,
  UptimeQuery as UptimeQuerySchema,
  UptimeReport,
} from '../../../src/schemas/api.ts';
import { availability, observedShare, type StateDurations } from '../../../src/uptime/durations.ts';
import { londonDaysBetween, londonDayWindow } from '../../../src/uptime/london-time.ts';
import { resolveWindow, WindowError } from '../../../src/uptime/windows.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { sumAll, type UptimeRepository } from '../repositories/uptime-repository.ts';
import { ApiErrorSchema, camerasInScope } from './common.ts';

function figures(d: StateDurations) {
  return { durationsMs: d, availability: availability(d), observed: observedShare(d) };
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
    async (request, reply) => {
      const q = request.query as UptimeQuery;
      const nowMs = deps.now();
      let window: ReturnType<typeof resolveWindow>;
      try {
        window = resolveWindow(q.window, nowMs, {
          month: q.month,
          fromMs: q.from ? Date.parse(q.from) : undefined,
          toMs: q.to ? Date.parse(q.to) : undefined,
        });
      } catch (error) {
        if (error instanceof WindowError) {
          return reply
            .status(400)
            .send({ statusCode: 400, code: error.code, error: 'Bad Request', message: error.message });
        }
        throw error;
      }
      const cameraIds = await camerasInScope(deps.fleet, request.user, q.scope, q.id);
      const perCamera = await deps.uptime.durations(cameraIds, window.fromMs, window.toMs, nowMs);
      const days = [];
      if (q.daily) {
        for (const day of londonDaysBetween(window.fromMs, Math.min(window.toMs, nowMs)).slice(0, 400)) {
          const w = londonDayWindow(day);
          const d = await deps.uptime.durations(
            cameraIds,
            Math.max(w.fromMs, window.fromMs),
            Math.min(w.toMs, window.toMs),
            nowMs,
          );
          days.push({ day, ...figures(sumAll(d.values())) });
        }
      }
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
