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
import { ApiErrorSchema, scopeOf } from './common.ts';

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
      if (q.scope !== 'fleet' && !q.id) {
        return reply.status(400).send({
          statusCode: 400,
          code: 'BAD_SCOPE',
          error: 'Bad Request',
          message: `scope ${q.scope} needs an id`,
        });
      }
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
      const cameraIds = await deps.fleet.cameraIdsIn(q.scope, q.id ?? null, scopeOf(request.user));
      if (q.scope !== 'fleet' && cameraIds.length === 0) {
        // Unknown and out-of-scope ids look the same, so nothing leaks about other councils.
        return reply.status(404).send({
          statusCode: 404,
          code: 'NOT_FOUND',
          error: 'Not Found',
          message: `${q.scope} ${q.id} not found`,
        });
      }
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
