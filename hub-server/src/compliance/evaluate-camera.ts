import { evaluatePack } from '../../../src/compliance/evaluate.ts';
import type { RulePackRegistry } from '../../../src/compliance/load-packs.ts';
import type { PackResult } from '../../../src/compliance/result.ts';
import type { RulePack } from '../../../src/compliance/rule-pack.ts';
import type { StateDurations } from '../../../src/uptime/durations.ts';
import type { Assignment, CameraFacts } from './compliance-repository.ts';
import { resolvePack } from './pack-store.ts';

/*
 * One camera's evaluation against its certification code, shared by the periodic job (live status)
 * and the council reports (one evaluation per report, at its stated time): both hand in durations
 * counted the same way as the uptime API, so a rule's availability is the uptime table's.
 */

/** Most specific assignment wins: camera, then site, then council, then the hub default. */
export function assignmentFor(
  camera: Pick<CameraFacts, 'id' | 'siteId' | 'councilId'>,
  assignments: ReadonlyMap<string, Assignment>,
  defaultCode: string,
): Assignment {
  return (
    assignments.get(`camera|${camera.id}`) ??
    assignments.get(`site|${camera.siteId}`) ??
    assignments.get(`council|${camera.councilId}`) ?? {
      scopeKind: 'council',
      scopeId: camera.councilId,
      code: defaultCode,
      version: null,
      overrides: {},
    }
  );
}

export function assignmentMap(assignments: readonly Assignment[]): Map<string, Assignment> {
  return new Map(assignments.map((a) => [`${a.scopeKind}|${a.scopeId}`, a]));
}

export interface EvaluationContext {
  packs: RulePackRegistry;
  defaultCode: string;
  assignments: ReadonlyMap<string, Assignment>;
  period: { fromMs: number; toMs: number };
  /** Per camera, over its counted spans in the period (see countedDurations). */
  durations: ReadonlyMap<string, StateDurations>;
  views: ReadonlyMap<string, { views: number; complete: number }>;
  /** The audit chain's verification, or null when it was not read. */
  chain: { ok: boolean; message: string; atMs: number } | null;
  nowMs: number;
}

export type CameraEvaluation =
  | { ok: true; pack: RulePack; assignment: Assignment; result: PackResult }
  | { ok: false; assignment: Assignment };

export function evaluateCamera(camera: CameraFacts, ctx: EvaluationContext): CameraEvaluation {
  const assignment = assignmentFor(camera, ctx.assignments, ctx.defaultCode);
  const pack = resolvePack(ctx.packs, assignment.code, assignment.version);
  if (!pack) return { ok: false, assignment };
  const { chain } = ctx;
  const result = evaluatePack(
    pack,
    {
      ...camera.evidence,
      period: { ...ctx.period, durations: ctx.durations.get(camera.id) },
      ...(chain
        ? {
            access: {
              ...(ctx.views.get(camera.id) ?? { views: 0, complete: 0 }),
              chainIntact: chain.ok,
              chainCheckedAtMs: chain.atMs,
              chainMessage: chain.message,
            },
          }
        : {}),
    },
    ctx.nowMs,
    assignment.overrides,
  );
  return { ok: true, pack, assignment, result };
}
