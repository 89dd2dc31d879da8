import type { FastifyInstance } from 'fastify';
import {
  type FleetSummary,
  FleetSummary as FleetSummarySchema,
  SummaryQuery,
} from '../../../src/schemas/api.ts';
import { availability, observedShare } from '../../../src/uptime/durations.ts';
import type { ReportWindow } from '../../../src/uptime/windows.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import type { FleetRepository, Scope } from '../repositories/fleet-repository.ts';
import { sumAll, type UptimeRepository } from '../repositories/uptime-repository.ts';
import { ApiErrorSchema, camerasInScope, scopeOf } from './common.ts';
import { windowOf } from './uptime-routes.ts';

export interface SummaryDeps {
  uptime: UptimeRepository;
  compliance: ComplianceRepository;
}

/**
 * Uptime over the window and latest compliance of each camera, one line per camera, with totals.
 * The uptime and the compliance queries run together.
 */
export async function buildFleetSummary(
  deps: SummaryDeps,
  cameraIds: readonly string[],
  scope: Scope,
  window: ReportWindow,
  nowMs: number,
): Promise<Omit<FleetSummary, 'scope' | 'id'>> {
  const [durations, statuses] = await Promise.all([
    deps.uptime.durations(cameraIds, window.fromMs, window.toMs, nowMs),
    deps.compliance.summaries(cameraIds, scope),
  ]);
  const byCamera = new Map(statuses.map((s) => [s.cameraId, s]));
  const counts = { pass: 0, warn: 0, fail: 0, not_evaluable: 0 };
  for (const s of statuses) counts[s.status] += 1;
  const cameras = [];
  for (const [cameraId, d] of durations) {
    const status = byCamera.get(cameraId);
    cameras.push({
      cameraId,
      availability: availability(d),
      observed: observedShare(d),
      compliance: status?.status ?? null,
      packRef: status?.packRef ?? null,
      failing: status?.failing ?? [],
    });
  }
  const total = sumAll(durations.values());
  return {
    window: {
      kind: window.kind,
      from: new Date(window.fromMs).toISOString(),
      to: new Date(window.toMs).toISOString(),
      label: window.label,
    },
    cameraCount: cameraIds.length,
    uptime: { durationsMs: total, availability: availability(total), observed: observedShare(total) },
    compliance: { evaluated: statuses.length, counts },
    cameras,
  };
}

export function summaryRoutes(
  api: FastifyInstance,
  deps: SummaryDeps & { fleet: FleetRepository; now: () => number },
): void {
  api.get(
    '/api/summary',
    {
      schema: {
        querystring: SummaryQuery,
        response: {
          200: FleetSummarySchema,
          400: ApiErrorSchema,
          401: ApiErrorSchema,
          404: ApiErrorSchema,
        },
      },
    },
    async (request) => {
      const q = request.query as SummaryQuery;
      const nowMs = deps.now();
      const window = windowOf(q, nowMs);
      const cameraIds = await camerasInScope(deps.fleet, request.user, q.scope, q.id);
      const summary = await buildFleetSummary(deps, cameraIds, scopeOf(request.user), window, nowMs);
      return { scope: q.scope, id: q.id ?? null, ...summary };
    },
  );
}
