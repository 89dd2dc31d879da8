import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import {
  CameraHistory,
  type CameraHistoryQuery,
  CameraHistoryQuery as CameraHistoryQuerySchema,
  HISTORY_MAX_DAYS,
  HISTORY_MAX_INTERVALS,
  type SnapshotRequest,
  SnapshotRequest as SnapshotRequestSchema,
} from '../../../src/schemas/camera-history.ts';
import type { Reason } from '../../../src/schemas/camera-state.ts';
import { Id } from '../../../src/schemas/common.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { FeedError, type FeedManager } from '../feeds/feed-manager.ts';
import type { FleetRepository } from '../repositories/fleet-repository.ts';
import { API_ERRORS, assertRole, camerasInScope, HttpError, scopeOf } from './common.ts';
import { checkTimeRange } from './date-range.ts';

const DAY_MS = 86_400_000;
/** The default history window: the last week. */
const DEFAULT_HISTORY_DAYS = 7;
/** Roles that may look at a camera's picture: those that may open its live feed. */
const VIEWERS = ['controlroom', 'operator'] as const;

const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/**
 * A camera's detail beyond its current state: its state history as recorded (the intervals uptime is
 * counted from) and a still picture on demand, audited like a live feed.
 */
export function cameraDetailRoutes(
  api: FastifyInstance,
  deps: { pool: pg.Pool; fleet: FleetRepository; feeds: FeedManager; audit: AuditLog; now: () => number },
): void {
  api.get(
    '/api/cameras/:id/history',
    {
      schema: {
        description: `State intervals of a camera that overlap [from, to), newest first, clipped to the window (default: the last ${DEFAULT_HISTORY_DAYS} days; at most ${HISTORY_MAX_DAYS} days and ${HISTORY_MAX_INTERVALS} intervals).`,
        params: IdParams,
        querystring: CameraHistoryQuerySchema,
        response: { 200: CameraHistory, ...API_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = request.query as CameraHistoryQuery;
      const nowMs = deps.now();
      const toMs = q.to ? Date.parse(q.to) : nowMs;
      const fromMs = q.from ? Date.parse(q.from) : toMs - DEFAULT_HISTORY_DAYS * DAY_MS;
      checkTimeRange(
        { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
        HISTORY_MAX_DAYS,
      );
      await camerasInScope(deps.fleet, request.user, 'camera', id);
      const rows = await deps.pool.query<{
        state: string;
        reasons: Reason[];
        started_at: Date;
        ended_at: Date | null;
      }>(
        `SELECT state, reasons, started_at, ended_at FROM camera_state_intervals
         WHERE camera_id = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2)
         ORDER BY started_at DESC, id DESC LIMIT $4`,
        [id, new Date(fromMs), new Date(toMs), HISTORY_MAX_INTERVALS + 1],
      );
      const truncated = rows.rows.length > HISTORY_MAX_INTERVALS;
      return {
        cameraId: id,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        evaluatedAt: new Date(nowMs).toISOString(),
        truncated,
        intervals: rows.rows.slice(0, HISTORY_MAX_INTERVALS).map((r) => {
          const startMs = r.started_at.getTime();
          const endMs = r.ended_at?.getTime() ?? null;
          return {
            state: r.state as CameraHistory['intervals'][number]['state'],
            reasons: Array.isArray(r.reasons) ? r.reasons : [],
            from: new Date(Math.max(startMs, fromMs)).toISOString(),
            // An interval still open, or one ending after the window, ends at the window's edge
            // unless the window reaches now (then an open interval stays open).
            to:
              endMs === null
                ? toMs >= nowMs
                  ? null
                  : new Date(toMs).toISOString()
                : new Date(Math.min(endMs, toMs)).toISOString(),
            clippedFrom: startMs < fromMs,
          };
        }),
      };
    },
  );

  api.post(
    '/api/cameras/:id/snapshot',
    {
      schema: {
        description:
          "A still picture of the camera now (JPEG, at most 640 px wide), for operators and control rooms. Taken from the camera's running feed when there is one, otherwise by one short pull counted against the site's feed limit. Every attempt is audited (snapshot.taken or snapshot.refused) with the reason given.",
        params: IdParams,
        body: SnapshotRequestSchema,
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'image/jpeg' }),
          ...API_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { reason } = request.body as SnapshotRequest;
      const refused = async (code: string, councilId: string | null) =>
        deps.audit.append({
          kind: 'snapshot.refused',
          actor: request.user.sub,
          role: request.user.role,
          councilId,
          cameraId: id,
          reason,
          detail: { code },
        });
      try {
        assertRole(request.user, VIEWERS, 'a camera snapshot');
      } catch (error) {
        await refused('FORBIDDEN', null);
        throw error;
      }
      const camera = await deps.fleet.feedTarget(id, scopeOf(request.user));
      if (!camera) throw new HttpError(404, 'NOT_FOUND', `camera ${id} not found`);
      let jpeg: Buffer;
      try {
        jpeg = await deps.feeds.still(camera, request.user);
      } catch (error) {
        if (error instanceof FeedError) await refused(error.code, camera.councilId);
        throw error;
      }
      // No picture without its audit entry: if it cannot be written, the picture is not sent.
      await deps.audit.append({
        kind: 'snapshot.taken',
        actor: request.user.sub,
        role: request.user.role,
        councilId: camera.councilId,
        cameraId: id,
        reason,
        detail: { bytes: jpeg.length },
      });
      return reply
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'no-store')
        .header('content-disposition', `inline; filename="${id}-snapshot.jpg"`)
        .send(jpeg);
    },
  );
}
