import type pg from 'pg';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import type {
  CommissioningPayload,
  InventoryPayload,
  MonitorHealth,
  RecordingPayload,
} from '../../../src/schemas/payloads.ts';
import type { IntervalPlan } from '../../../src/state/intervals.ts';
import {
  addDurations,
  emptyDurations,
  type MaintenanceSpan,
  type StateDurations,
} from '../../../src/uptime/durations.ts';
import { type Granularity, splitClosedSpan } from '../../../src/uptime/rollups.ts';
import { TimeSlice } from '../time-slice.ts';
import type { HeartbeatColumns } from './heartbeat-writes.ts';

/** All SQL of the ingest path. Every statement is set-based (unnest arrays), never per message. */

export interface DeadLetterRow {
  topic: string;
  siteId: string | null;
  code: string;
  path: string;
  message: string;
  raw: Buffer;
  rawSize: number;
  receivedAt: Date;
}

export interface AcceptedRow {
  msgId: string;
  siteId: string;
  seq: number;
  kind: string;
  receivedAt: Date;
}

export interface SampleRow {
  msgId: string;
  cameraId: string;
  observedAt: Date;
  receivedAt: Date;
  payload: unknown;
}

export interface HealthRow extends SampleRow {
  state: string;
  clockOffsetMs: number | null;
}

export interface EventRow extends SampleRow {
  type: string;
  active: boolean;
}

export interface CameraUpdate {
  id: string;
  state: string;
  stateSince: Date;
  reasons: unknown;
  lastSeenAt: Date | null;
  lastHealth: unknown | null;
  lastHealthAt: Date | null;
  lastStream: unknown | null;
  lastStreamAt: Date | null;
}

export interface SiteUpdate {
  id: string;
  state: string;
  stateSince: Date;
  lastSeenAt: Date | null;
  agentVersion: string | null;
  /** The agent's own health as its latest site state says (null: none reported). */
  monitor: MonitorHealth | null;
  /** Set when the site's state changed: close its open interval and open one at stateSince. */
  transition: boolean;
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/**
 * A batch's rows as one JSON parameter (an array of row arrays), read in SQL with
 * jsonb_array_elements, for the statements every heartbeat goes through. pg sends each column
 * array as an array literal, quoting and escaping every element: each payload's JSON text copied
 * twice more, and each timestamp formatted field by field, which was about a quarter of what the
 * hub allocated while ingesting. Times go as epoch milliseconds (`to_timestamp(ms / 1000)` is exact
 * to the microsecond); a null payload as JSON null, read back as SQL NULL with `nullif`.
 */
const jsonRows = (rows: unknown[][]): string => JSON.stringify(rows);
const epochMs = (at: Date | null): number | null => (at === null ? null : at.getTime());
/** The columns every sample table starts with, as jsonRows carries them. */
const sampleColumns = (r: SampleRow): unknown[] => [
  r.msgId,
  r.cameraId,
  r.observedAt.getTime(),
  r.receivedAt.getTime(),
];

/** Returns the msgIds that were not seen before: ingest is idempotent on msgId. */
export async function claimMessages(client: pg.PoolClient, rows: AcceptedRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  // In msgId order: batches of several writers that claim the same ids (a site repeating another's)
  // then wait for one another instead of deadlocking.
  const sorted = [...rows].sort((a, b) => (a.msgId < b.msgId ? -1 : a.msgId > b.msgId ? 1 : 0));
  const result = await client.query<{ msg_id: string }>(
    `INSERT INTO ingested_messages (msg_id, site_id, seq, kind, received_at)
     SELECT r->>0, r->>1, (r->>2)::bigint, r->>3, to_timestamp((r->>4)::float8 / 1000)
     FROM jsonb_array_elements($1::jsonb) AS r
     ON CONFLICT (msg_id) DO NOTHING RETURNING msg_id`,
    [jsonRows(sorted.map((r) => [r.msgId, r.siteId, r.seq, r.kind, r.receivedAt.getTime()]))],
  );
  return new Set(result.rows.map((r) => r.msg_id));
}

export async function insertDeadLetters(client: pg.PoolClient, rows: DeadLetterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO dead_letters (topic, site_id, code, path, message, raw, raw_size, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::int[], $8::timestamptz[])`,
    [
      rows.map((r) => r.topic),
      rows.map((r) => r.siteId),
      rows.map((r) => r.code),
      rows.map((r) => r.path),
      rows.map((r) => r.message),
      rows.map((r) => r.raw),
      rows.map((r) => r.rawSize),
      rows.map((r) => r.receivedAt),
    ],
  );
}

export async function upsertInventory(
  client: pg.PoolClient,
  siteId: string,
  inventory: InventoryPayload,
  at: Date,
  expected: ReadonlySet<string>,
): Promise<{
  added: string[];
  removed: string[];
  foreign: string[];
  approval: Map<string, 'pending' | 'approved' | 'rejected' | 'retired'>;
}> {
  // The site, its council and hub are the registry's (an operator registered them); the inventory
  // only says which cameras the site watches. A camera seen for the first time is pending, unless
  // the operator listed it when registering the site.
  await client.query('UPDATE sites SET camera_count = $2 WHERE id = $1', [siteId, inventory.cameras.length]);
  const cams = inventory.cameras;
  const result = await client.query<{
    id: string;
    inserted: boolean;
    approval: 'pending' | 'approved' | 'rejected' | 'retired';
  }>(
    `INSERT INTO cameras AS c (id, site_id, name, location, bearing_deg, hfov_deg, design_distance_m, purpose,
       commissioned_bitrate_kbps, active, state, state_since, first_seen_at, approval, approval_at, approval_by,
       counted_from)
     SELECT t.id, $1, t.name, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.bearing, t.hfov, t.dist, t.purpose, t.kbps,
       true, 'unknown', $2, $2,
       CASE WHEN t.id = ANY($12::text[]) THEN 'approved' ELSE 'pending' END,
       CASE WHEN t.id = ANY($12::text[]) THEN $2::timestamptz END,
       CASE WHEN t.id = ANY($12::text[]) THEN 'registry' END,
       CASE WHEN t.id = ANY($12::text[]) THEN $2::timestamptz END
     FROM unnest($3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::text[], $11::float8[])
       AS t(id, name, lon, lat, bearing, hfov, dist, purpose, kbps)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name,
       -- Geometry surveyed by a hub operator wins over the site's commissioning data.
       location = CASE WHEN c.geometry_set_at IS NULL THEN excluded.location ELSE c.location END,
       bearing_deg = CASE WHEN c.geometry_set_at IS NULL THEN excluded.bearing_deg ELSE c.bearing_deg END,
       hfov_deg = CASE WHEN c.geometry_set_at IS NULL THEN excluded.hfov_deg ELSE c.hfov_deg END,
       design_distance_m = excluded.design_distance_m, purpose = excluded.purpose,
       commissioned_bitrate_kbps = excluded.commissioned_bitrate_kbps, active = true
     WHERE c.site_id = excluded.site_id
     RETURNING c.id, (xmax = 0) AS inserted, c.approval`,
    [
      siteId,
      at,
      cams.map((c) => c.id),
      cams.map((c) => c.name),
      cams.map((c) => c.commissioning.location.lon),
      cams.map((c) => c.commissioning.location.lat),
      cams.map((c) => c.commissioning.bearingDeg),
      cams.map((c) => c.commissioning.hfovDeg),
      cams.map((c) => c.commissioning.designDistanceM),
      cams.map((c) => c.commissioning.purpose),
      cams.map((c) => c.commissioning.bitrateKbps ?? null),
      [...expected],
    ],
  );
  const written = new Set(result.rows.map((r) => r.id));
  const foreign = cams.map((c) => c.id).filter((id) => !written.has(id));
  const removed = await client.query<{ id: string }>(
    'UPDATE cameras SET active = false WHERE site_id = $1 AND active AND NOT (id = ANY($2::text[])) RETURNING id',
    [siteId, cams.map((c) => c.id)],
  );
  return {
    added: result.rows.filter((r) => r.inserted).map((r) => r.id),
    removed: removed.rows.map((r) => r.id),
    foreign,
    approval: new Map(result.rows.map((r) => [r.id, r.approval])),
  };
}

export async function insertHealth(client: pg.PoolClient, rows: HealthRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO health_samples (msg_id, camera_id, observed_at, received_at, state, clock_offset_ms, payload)
     SELECT r->>0, r->>1, to_timestamp((r->>2)::float8 / 1000), to_timestamp((r->>3)::float8 / 1000), r->>4,
       (r->>5)::float8, nullif(r->6, 'null'::jsonb)
     FROM jsonb_array_elements($1::jsonb) AS r`,
    [jsonRows(rows.map((r) => [...sampleColumns(r), r.state, r.clockOffsetMs, r.payload ?? null]))],
  );
}

export async function insertStreams(client: pg.PoolClient, rows: SampleRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO stream_samples (msg_id, camera_id, observed_at, received_at, payload)
     SELECT r->>0, r->>1, to_timestamp((r->>2)::float8 / 1000), to_timestamp((r->>3)::float8 / 1000),
       nullif(r->4, 'null'::jsonb)
     FROM jsonb_array_elements($1::jsonb) AS r`,
    [jsonRows(rows.map((r) => [...sampleColumns(r), r.payload ?? null]))],
  );
}

export interface RetentionRow extends SampleRow {
  payload: RecordingPayload;
}

export async function insertRetention(client: pg.PoolClient, rows: RetentionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO retention_readings (msg_id, camera_id, observed_at, received_at, days_retained, earliest_at,
       latest_at, source, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[],
       $6::timestamptz[], $7::timestamptz[], $8::text[], $9::jsonb[])`,
    [
      rows.map((r) => r.msgId),
      rows.map((r) => r.cameraId),
      rows.map((r) => r.observedAt),
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.payload.daysRetained),
      rows.map((r) => new Date(r.payload.earliestAt)),
      rows.map((r) => (r.payload.latestAt === null ? null : new Date(r.payload.latestAt))),
      rows.map((r) => r.payload.source),
      rows.map((r) => json(r.payload)),
    ],
  );
}

export interface CommissioningRow extends SampleRow {
  payload: CommissioningPayload;
}

/** Commissioning records, append-only; a replayed message (same msg_id) is stored once. */
export async function insertCommissioning(client: pg.PoolClient, rows: CommissioningRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO camera_commissioning (msg_id, camera_id, observed_at, received_at, recorded_by, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::jsonb[])
     ON CONFLICT (msg_id) DO NOTHING`,
    [
      rows.map((r) => r.msgId),
      rows.map((r) => r.cameraId),
      rows.map((r) => r.observedAt),
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.payload.by),
      rows.map((r) => json(r.payload)),
    ],
  );
}

export interface SubStreamRow {
  cameraId: string;
  token: string;
  observedAt: Date;
  payload: unknown;
}

/** The latest probe per (camera, profile token); an older one (an outbox replay) never replaces a newer. */
export async function upsertSubStreams(client: pg.PoolClient, rows: SubStreamRow[]): Promise<void> {
  if (rows.length === 0) return;
  const latest = new Map<string, SubStreamRow>();
  for (const r of rows) {
    const key = `${r.cameraId}\u0000${r.token}`;
    const held = latest.get(key);
    if (!held || held.observedAt.getTime() <= r.observedAt.getTime()) latest.set(key, r);
  }
  const list = [...latest.values()];
  await client.query(
    `INSERT INTO camera_sub_streams (camera_id, token, observed_at, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[])
     ON CONFLICT (camera_id, token) DO UPDATE SET observed_at = excluded.observed_at, payload = excluded.payload
     WHERE camera_sub_streams.observed_at <= excluded.observed_at`,
    [
      list.map((r) => r.cameraId),
      list.map((r) => r.token),
      list.map((r) => r.observedAt),
      list.map((r) => json(r.payload)),
    ],
  );
}

export async function insertEvents(client: pg.PoolClient, rows: EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO camera_events (msg_id, camera_id, observed_at, received_at, type, active, payload)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::bool[], $7::jsonb[])`,
    [
      rows.map((r) => r.msgId),
      rows.map((r) => r.cameraId),
      rows.map((r) => r.observedAt),
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.type),
      rows.map((r) => r.active),
      rows.map((r) => json(r.payload)),
    ],
  );
}

export async function updateCameras(client: pg.PoolClient, rows: CameraUpdate[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE cameras c SET state = t.state, state_since = t.state_since, reasons = t.reasons,
       last_seen_at = COALESCE(t.last_seen_at, c.last_seen_at),
       last_health = COALESCE(t.last_health, c.last_health), last_health_at = COALESCE(t.last_health_at, c.last_health_at),
       last_stream = COALESCE(t.last_stream, c.last_stream), last_stream_at = COALESCE(t.last_stream_at, c.last_stream_at)
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::jsonb[], $5::timestamptz[], $6::jsonb[], $7::timestamptz[],
       $8::jsonb[], $9::timestamptz[]) AS t(id, state, state_since, reasons, last_seen_at, last_health, last_health_at,
       last_stream, last_stream_at)
     WHERE c.id = t.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.state),
      rows.map((r) => r.stateSince),
      rows.map((r) => json(r.reasons)),
      rows.map((r) => r.lastSeenAt),
      rows.map((r) => json(r.lastHealth)),
      rows.map((r) => r.lastHealthAt),
      rows.map((r) => json(r.lastStream)),
      rows.map((r) => r.lastStreamAt),
    ],
  );
}

/** Only the heartbeat columns (see planCameraWrites); a camera's state columns are left as they are. */
export async function updateHeartbeats(client: pg.PoolClient, rows: HeartbeatColumns[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE cameras c SET last_seen_at = COALESCE(t.last_seen_at, c.last_seen_at),
       last_health = COALESCE(t.last_health, c.last_health), last_health_at = COALESCE(t.last_health_at, c.last_health_at)
     FROM (SELECT r->>0 AS id, to_timestamp((r->>1)::float8 / 1000) AS last_seen_at,
             nullif(r->2, 'null'::jsonb) AS last_health, to_timestamp((r->>3)::float8 / 1000) AS last_health_at
           FROM jsonb_array_elements($1::jsonb) AS r) AS t
     WHERE c.id = t.id`,
    [jsonRows(rows.map((r) => [r.id, epochMs(r.lastSeenAt), r.lastHealth ?? null, epochMs(r.lastHealthAt)]))],
  );
}

export async function writeIntervals(client: pg.PoolClient, plan: IntervalPlan): Promise<void> {
  if (plan.close.size > 0) {
    await client.query(
      `UPDATE camera_state_intervals i SET ended_at = GREATEST(t.at, i.started_at)
       FROM unnest($1::text[], $2::timestamptz[]) AS t(camera_id, at)
       WHERE i.camera_id = t.camera_id AND i.ended_at IS NULL`,
      [[...plan.close.keys()], [...plan.close.values()]],
    );
  }
  if (plan.insert.length === 0) return;
  const rows = plan.insert;
  await client.query(
    `INSERT INTO camera_state_intervals (camera_id, state, reasons, started_at, ended_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamptz[], $5::timestamptz[])`,
    [
      rows.map((r) => r.cameraId),
      rows.map((r) => r.state),
      rows.map((r) => json(r.reasons)),
      rows.map((r) => r.startedAt),
      rows.map((r) => r.endedAt),
    ],
  );
}

export async function updateSites(client: pg.PoolClient, rows: SiteUpdate[]): Promise<void> {
  if (rows.length === 0) return;
  await client.query(
    `UPDATE sites s SET state = t.state, state_since = t.state_since, last_seen_at = COALESCE(t.last_seen_at, s.last_seen_at),
       agent_version = COALESCE(t.agent_version, s.agent_version), monitor_health = t.monitor_health
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::jsonb[])
       AS t(id, state, state_since, last_seen_at, agent_version, monitor_health)
     WHERE s.id = t.id`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.state),
      rows.map((r) => r.stateSince),
      rows.map((r) => r.lastSeenAt),
      rows.map((r) => r.agentVersion),
      rows.map((r) => json(r.monitor)),
    ],
  );
  const changed = rows.filter((r) => r.transition);
  if (changed.length === 0) return;
  await client.query(
    `UPDATE site_state_intervals i SET ended_at = GREATEST(t.at, i.started_at)
     FROM unnest($1::text[], $2::timestamptz[]) AS t(site_id, at) WHERE i.site_id = t.site_id AND i.ended_at IS NULL`,
    [changed.map((r) => r.id), changed.map((r) => r.stateSince)],
  );
  await client.query(
    `INSERT INTO site_state_intervals (site_id, state, started_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])`,
    [changed.map((r) => r.id), changed.map((r) => r.state), changed.map((r) => r.stateSince)],
  );
}

export interface ClosedSpan {
  cameraId: string;
  state: CameraState;
  startMs: number;
  endMs: number;
}

const ROLLUP_TABLES: Record<Granularity, string> = { hour: 'camera_state_hourly', day: 'camera_state_daily' };

/** Longest stretch of rollup arithmetic between turns of the event loop. */
const ROLLUP_SLICE_MS = 20;

/** Adds closed intervals to (or, with sign -1, takes them out of) the hourly and London-day rollups: one upsert per table per batch. */
export async function addRollups(
  client: pg.PoolClient,
  spans: readonly ClosedSpan[],
  maintenance: ReadonlyMap<string, MaintenanceSpan[]>,
  /** -1 takes the spans out again (history rewritten by late data). */
  sign: 1 | -1 = 1,
): Promise<void> {
  if (spans.length === 0) return;
  for (const granularity of ['hour', 'day'] as const) {
    const buckets = new Map<string, { cameraId: string; startMs: number; d: StateDurations }>();
    const slice = new TimeSlice(ROLLUP_SLICE_MS);
    for (const span of spans) {
      if (span.endMs <= span.startMs) continue;
      // A month-long interval splits into ~750 hours (a few ms); many closing in one batch would
      // hold the event loop: give it a turn every ROLLUP_SLICE_MS.
      const turn = slice.due();
      if (turn) await turn;
      // Windows cannot be created or changed in the past, so what applies now applies for good.
      for (const share of splitClosedSpan(span, maintenance.get(span.cameraId) ?? [], granularity)) {
        const key = `${span.cameraId}|${share.bucketStartMs}`;
        const prior = buckets.get(key);
        buckets.set(key, {
          cameraId: span.cameraId,
          startMs: share.bucketStartMs,
          d: addDurations(prior?.d ?? emptyDurations(), share.durations),
        });
      }
    }
    const rows = [...buckets.values()];
    if (rows.length === 0) continue;
    await client.query(
      `INSERT INTO ${ROLLUP_TABLES[granularity]} AS r (camera_id, bucket_start, up_ms, degraded_ms, down_ms, unknown_ms, maintenance_ms)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
       ON CONFLICT (camera_id, bucket_start) DO UPDATE SET
         up_ms = r.up_ms + excluded.up_ms, degraded_ms = r.degraded_ms + excluded.degraded_ms,
         down_ms = r.down_ms + excluded.down_ms, unknown_ms = r.unknown_ms + excluded.unknown_ms,
         maintenance_ms = r.maintenance_ms + excluded.maintenance_ms`,
      [
        rows.map((r) => r.cameraId),
        rows.map((r) => new Date(r.startMs)),
        rows.map((r) => sign * Math.round(r.d.up)),
        rows.map((r) => sign * Math.round(r.d.degraded)),
        rows.map((r) => sign * Math.round(r.d.down)),
        rows.map((r) => sign * Math.round(r.d.unknown)),
        rows.map((r) => sign * Math.round(r.d.maintenance)),
      ],
    );
    if (granularity === 'hour') await refreshRunningTotals(client, rows);
  }
}

/**
 * Recomputes the hourly running totals of each touched camera from its earliest touched bucket on:
 * the total before that bucket plus a running sum. Intervals close in time order, so this is
 * normally the last row or two of each camera; a bucket changed in the past is handled the same way.
 */
async function refreshRunningTotals(
  client: pg.PoolClient,
  rows: readonly { cameraId: string; startMs: number }[],
): Promise<void> {
  const earliest = new Map<string, number>();
  for (const r of rows) earliest.set(r.cameraId, Math.min(earliest.get(r.cameraId) ?? r.startMs, r.startMs));
  await client.query(
    `WITH touched AS (
       SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS t(camera_id, from_bucket)
     ), base AS (
       SELECT t.camera_id, t.from_bucket, coalesce(p.cum_up_ms, 0) AS up, coalesce(p.cum_degraded_ms, 0) AS degraded,
         coalesce(p.cum_down_ms, 0) AS down, coalesce(p.cum_unknown_ms, 0) AS unknown,
         coalesce(p.cum_maintenance_ms, 0) AS maintenance
       FROM touched t LEFT JOIN LATERAL (
         SELECT cum_up_ms, cum_degraded_ms, cum_down_ms, cum_unknown_ms, cum_maintenance_ms
         FROM camera_state_hourly h WHERE h.camera_id = t.camera_id AND h.bucket_start < t.from_bucket
         ORDER BY h.bucket_start DESC LIMIT 1) p ON true
     ), running AS (
       SELECT h.camera_id, h.bucket_start,
         b.up + sum(h.up_ms) OVER w AS up, b.degraded + sum(h.degraded_ms) OVER w AS degraded,
         b.down + sum(h.down_ms) OVER w AS down, b.unknown + sum(h.unknown_ms) OVER w AS unknown,
         b.maintenance + sum(h.maintenance_ms) OVER w AS maintenance
       FROM camera_state_hourly h JOIN base b ON b.camera_id = h.camera_id AND h.bucket_start >= b.from_bucket
       WINDOW w AS (PARTITION BY h.camera_id ORDER BY h.bucket_start)
     ), updated AS (
       UPDATE camera_state_hourly h SET cum_up_ms = r.up, cum_degraded_ms = r.degraded, cum_down_ms = r.down,
         cum_unknown_ms = r.unknown, cum_maintenance_ms = r.maintenance
       FROM running r WHERE h.camera_id = r.camera_id AND h.bucket_start = r.bucket_start
     )
     INSERT INTO camera_state_totals AS t
     SELECT DISTINCT ON (camera_id) camera_id, bucket_start, up, degraded, down, unknown, maintenance
     FROM running ORDER BY camera_id, bucket_start DESC
     ON CONFLICT (camera_id) DO UPDATE SET bucket_start = excluded.bucket_start, cum_up_ms = excluded.cum_up_ms,
       cum_degraded_ms = excluded.cum_degraded_ms, cum_down_ms = excluded.cum_down_ms,
       cum_unknown_ms = excluded.cum_unknown_ms, cum_maintenance_ms = excluded.cum_maintenance_ms`,
    [[...earliest.keys()], [...earliest.values()].map((ms) => new Date(ms))],
  );
}
