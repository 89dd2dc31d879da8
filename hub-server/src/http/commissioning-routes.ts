import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { CommissioningRecord as CommissioningRecordSchema } from '../../../src/schemas/commissioning-api.ts';
import { Id } from '../../../src/schemas/common.ts';
import type { GeometryUpdate } from '../../../src/schemas/incident-api.ts';
import {
  type CameraApprovalView,
  CameraApprovalView as CameraApprovalViewSchema,
} from '../../../src/schemas/registry-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { commissioningRecords } from '../repositories/commissioning-records.ts';
import type { GeometryRepository } from '../repositories/geometry-repository.ts';
import { API_ERRORS, HttpError, scopeOf } from './common.ts';

const errors = API_ERRORS;
const Params = Type.Object({ id: Id }, { additionalProperties: false });
export interface CommissioningRouteDeps {
  pool: pg.Pool;
  audit: AuditLog;
  geometry: GeometryRepository;
  councilOfCamera: (cameraId: string) => Promise<string | null>;
  geometryChanged?: (cameraId: string, update: GeometryUpdate) => void;
  /** The registry's decision on a camera (see RegistryService.decide). */
  approve: (
    cameraId: string,
    note: string | undefined,
    actor: { username: string; role: 'operator' },
  ) => Promise<CameraApprovalView>;
  now: () => number;
}

export function commissioningRoutes(api: FastifyInstance, deps: CommissioningRouteDeps): void {
  api.get(
    '/api/cameras/:id/commissioning',
    { schema: { params: Params, response: { 200: Type.Array(CommissioningRecordSchema), ...errors } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const council = await deps.councilOfCamera(id);
      const scope = scopeOf(request.user);
      if (council === null || (scope && !scope.includes(council)))
        throw new HttpError(404, 'NOT_FOUND', `camera ${id} not found`);
      return commissioningRecords(deps.pool, id);
    },
  );

  // Approval in one action for a camera commissioned on site: the latest record's geometry becomes
  // the registry's (as an operator's survey), and the camera is approved. Both are audited.
  api.post(
    '/api/registry/cameras/:id/approve-commissioned',
    {
      schema: {
        params: Params,
        body: Type.Union([
          Type.Object(
            { note: Type.Optional(Type.String({ maxLength: 500 })) },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        response: {
          200: Type.Object(
            { approval: CameraApprovalViewSchema, record: CommissioningRecordSchema },
            { additionalProperties: false },
          ),
          ...errors,
        },
      },
    },
    async (request) => {
      if (request.user.role !== 'operator')
        throw new HttpError(403, 'FORBIDDEN', 'only hub operators approve cameras');
      const { id } = request.params as { id: string };
      const [latest] = await commissioningRecords(deps.pool, id);
      if (!latest)
        throw new HttpError(
          409,
          'NOT_COMMISSIONED',
          `camera ${id} has no commissioning record: commission it at the site (npm run agent -- commission) or approve it with its geometry set by hand`,
        );
      const c = latest.commissioning;
      const update: GeometryUpdate = {
        location: c.location,
        bearingDeg: c.bearingDeg,
        hfovDeg: c.hfovDeg,
        rangeM: Math.min(2000, c.designDistanceM),
      };
      const approval = await deps.approve(id, (request.body as { note?: string } | null)?.note, {
        username: request.user.sub,
        role: 'operator',
      });
      await deps.geometry.setGeometry(id, update, request.user.sub, deps.now());
      await deps.audit.append({
        kind: 'config.camera.geometry',
        actor: request.user.sub,
        role: request.user.role,
        cameraId: id,
        detail: {
          ...update,
          from: `commissioning record ${latest.id} by ${latest.recordedBy} at ${latest.recordedAt}`,
        },
      });
      deps.geometryChanged?.(id, update);
      return { approval, record: latest };
    },
  );
}
