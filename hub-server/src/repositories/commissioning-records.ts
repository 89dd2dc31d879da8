import type pg from 'pg';
import { judgeCommissioning } from '../../../src/compliance/commissioning-judgement.ts';
import type { CommissioningRecord } from '../../../src/schemas/commissioning-api.ts';
import type { CommissioningPayload } from '../../../src/schemas/payloads.ts';

/** Dated commissioning records taken on site (camera_commissioning), each with the hub's judgement. */

const MAX_RECORDS = 50;

interface Row {
  id: string;
  camera_id: string;
  observed_at: Date;
  received_at: Date;
  recorded_by: string;
  payload: CommissioningPayload;
}

function record(row: Row): CommissioningRecord {
  return {
    id: row.id,
    cameraId: row.camera_id,
    recordedAt: row.observed_at.toISOString(),
    receivedAt: row.received_at.toISOString(),
    recordedBy: row.recorded_by,
    commissioning: row.payload.commissioning,
    measured: row.payload.measured,
    judgement: judgeCommissioning(row.payload),
  };
}

export async function commissioningRecords(pool: pg.Pool, cameraId: string): Promise<CommissioningRecord[]> {
  const { rows } = await pool.query<Row>(
    `SELECT id::text AS id, camera_id, observed_at, received_at, recorded_by, payload
       FROM camera_commissioning WHERE camera_id = $1 ORDER BY observed_at DESC, id DESC LIMIT ${MAX_RECORDS}`,
    [cameraId],
  );
  return rows.map(record);
}

/** Each camera's latest record observed at or before `atMs` (the evidence as of an evaluation time). */
export async function latestCommissioning(
  pool: pg.Pool,
  cameraIds: readonly string[],
  atMs: number,
): Promise<Map<string, CommissioningRecord>> {
  if (cameraIds.length === 0) return new Map();
  const { rows } = await pool.query<Row>(
    `SELECT DISTINCT ON (camera_id) id::text AS id, camera_id, observed_at, received_at, recorded_by, payload
       FROM camera_commissioning WHERE camera_id = ANY($1::text[]) AND observed_at <= $2
      ORDER BY camera_id, observed_at DESC, id DESC`,
    [cameraIds, new Date(atMs)],
  );
  return new Map(rows.map((r) => [r.camera_id, record(r)]));
}
