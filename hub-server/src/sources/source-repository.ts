import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type {
  CoverageExport,
  DutyInput,
  DutyWindow,
  Footprint,
  SourceInput,
  SourceKind,
  SourceRecord,
  SourceStreamCheck,
  SourceUptime,
} from '../../../src/schemas/sources.ts';
import type { RegisteredSource } from '../../../src/sources/telemetry.ts';

/** A stored fix, as the ingest writes it (the footprint is computed by PostGIS on insert). */
export interface PositionRow {
  sourceId: string;
  msgId: string;
  observedAt: Date;
  receivedAt: Date;
  lat: number;
  lon: number;
  altitudeM: number | null;
  headingDeg: number | null;
  gimbalPitchDeg: number | null;
  gimbalBearingDeg: number | null;
  hfovDeg: number | null;
  vfovDeg: number | null;
  speedMps: number | null;
  batteryPct: number | null;
  linkQualityPct: number | null;
}

/** The latest fix of a source with the footprint it gave. */
export interface StoredFix {
  sourceId: string;
  atMs: number;
  lat: number;
  lon: number;
  altitudeM: number | null;
  headingDeg: number | null;
  speedMps: number | null;
  batteryPct: number | null;
  linkQualityPct: number | null;
  footprint: Footprint | null;
  /** Every fix of the source stored with it (a batch may hold several): [lon, lat, epoch ms]. */
  points?: [number, number, number][];
}

export class SourceError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface SourceRow {
  id: string;
  kind: SourceKind;
  name: string;
  unit: string;
  relay_site_id: string;
  stream_url: string;
  hfov_deg: number;
  vfov_deg: number;
  range_m: number;
  telemetry_key: Buffer;
  key_issued_at: Date;
  created_at: Date;
  created_by: string;
}

const SOURCE_COLUMNS = `id, kind, name, unit, relay_site_id, stream_url, hfov_deg, vfov_deg, range_m, telemetry_key,
  key_issued_at, created_at, created_by`;

const recordOf = (r: SourceRow): SourceRecord => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  unit: r.unit,
  relaySiteId: r.relay_site_id,
  streamUrl: r.stream_url,
  hfovDeg: r.hfov_deg,
  vfovDeg: r.vfov_deg,
  rangeM: r.range_m,
  createdAt: r.created_at.toISOString(),
  createdBy: r.created_by,
  keyIssuedAt: r.key_issued_at.toISOString(),
});

const registeredOf = (r: SourceRow): RegisteredSource => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  unit: r.unit,
  relaySiteId: r.relay_site_id,
  key: new Uint8Array(r.telemetry_key),
  hfovDeg: r.hfov_deg,
  vfovDeg: r.vfov_deg,
  rangeM: r.range_m,
  streamUrl: r.stream_url,
});

/**
 * The footprint of a fix, in SQL over the fix's columns (p) and its source (s): a drone's ground
 * trapezoid (cctv_drone_footprint), a body-worn camera's view cone (cctv_fov), or a disc of its range
 * when its heading is not known. Null when a drone's height or gimbal is not reported.
 */
const FOOTPRINT_SQL = `CASE s.kind
    WHEN 'drone' THEN cctv_drone_footprint(p.location, p.altitude_m, p.gimbal_pitch_deg,
      COALESCE(p.gimbal_bearing_deg, p.heading_deg), COALESCE(p.hfov, s.hfov_deg), COALESCE(p.vfov, s.vfov_deg),
      greatest(s.range_m, 50))
    ELSE cctv_fov(p.location, COALESCE(p.heading_deg, 0), CASE WHEN p.heading_deg IS NULL THEN 360 ELSE s.hfov_deg END,
      s.range_m)
  END`;

/** A fix as the queries below read it back. */
interface FixRow {
  source_id: string;
  at_ms: number;
  lat: number;
  lon: number;
  altitude_m: number | null;
  heading_deg: number | null;
  speed_mps: number | null;
  battery_pct: number | null;
  link_quality_pct: number | null;
  footprint: string | null;
}

const fixOf = (r: FixRow): StoredFix => ({
  sourceId: r.source_id,
  atMs: r.at_ms,
  lat: r.lat,
  lon: r.lon,
  altitudeM: r.altitude_m,
  headingDeg: r.heading_deg,
  speedMps: r.speed_mps,
  batteryPct: r.battery_pct,
  linkQualityPct: r.link_quality_pct,
  footprint: r.footprint ? (JSON.parse(r.footprint) as Footprint) : null,
});

/**
 * Stores fixes (inside the ingest's transaction) and returns the newest fix of each source among
 * them with its footprint, for the live view.
 */
export async function insertPositions(
  client: pg.PoolClient | pg.Pool,
  rows: readonly PositionRow[],
): Promise<StoredFix[]> {
  if (rows.length === 0) return [];
  const col = <K extends keyof PositionRow>(k: K) => rows.map((r) => r[k]);
  const result = await client.query<FixRow>(
    `WITH p AS (
       SELECT u.*, ST_SetSRID(ST_MakePoint(u.lon, u.lat), 4326) AS location
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::float8[], $6::float8[],
         $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::float8[],
         $14::float8[], $15::float8[])
         AS u(source_id, msg_id, observed_at, received_at, lat, lon, altitude_m, heading_deg, gimbal_pitch_deg,
           gimbal_bearing_deg, hfov, vfov, speed_mps, battery_pct, link_quality_pct)
     ), ins AS (
       INSERT INTO source_positions (source_id, msg_id, observed_at, received_at, location, altitude_m, heading_deg,
         gimbal_pitch_deg, gimbal_bearing_deg, speed_mps, battery_pct, link_quality_pct, footprint)
       SELECT p.source_id, p.msg_id, p.observed_at, p.received_at, p.location, p.altitude_m, p.heading_deg,
         p.gimbal_pitch_deg, p.gimbal_bearing_deg, p.speed_mps, p.battery_pct, p.link_quality_pct, ${FOOTPRINT_SQL}
       FROM p JOIN mobile_sources s ON s.id = p.source_id
       RETURNING source_id, observed_at, location, altitude_m, heading_deg, speed_mps, battery_pct, link_quality_pct,
         footprint
     )
     SELECT DISTINCT ON (source_id) source_id, (extract(epoch FROM observed_at) * 1000)::float8 AS at_ms,
       ST_Y(location) AS lat, ST_X(location) AS lon, altitude_m, heading_deg, speed_mps, battery_pct, link_quality_pct,
       ST_AsGeoJSON(footprint, 7) AS footprint
     FROM ins ORDER BY source_id, observed_at DESC`,
    [
      col('sourceId'),
      col('msgId'),
      col('observedAt'),
      col('receivedAt'),
      col('lat'),
      col('lon'),
      col('altitudeM'),
      col('headingDeg'),
      col('gimbalPitchDeg'),
      col('gimbalBearingDeg'),
      col('hfovDeg'),
      col('vfovDeg'),
      col('speedMps'),
      col('batteryPct'),
      col('linkQualityPct'),
    ],
  );
  return result.rows.map(fixOf);
}

/** Mobile sources: the registry, their tracks, duty windows and what their tracks say about a place. */
export class SourceRepository {
  constructor(private readonly pool: pg.Pool) {}

  async registry(): Promise<RegisteredSource[]> {
    const r = await this.pool.query<SourceRow>(
      `SELECT ${SOURCE_COLUMNS} FROM mobile_sources WHERE retired_at IS NULL ORDER BY id`,
    );
    return r.rows.map(registeredOf);
  }

  async list(): Promise<SourceRecord[]> {
    const r = await this.pool.query<SourceRow>(
      `SELECT ${SOURCE_COLUMNS} FROM mobile_sources WHERE retired_at IS NULL ORDER BY id`,
    );
    return r.rows.map(recordOf);
  }

  async get(id: string): Promise<SourceRecord | null> {
    const r = await this.pool.query<SourceRow>(
      `SELECT ${SOURCE_COLUMNS} FROM mobile_sources WHERE id = $1 AND retired_at IS NULL`,
      [id],
    );
    return r.rows[0] ? recordOf(r.rows[0]) : null;
  }

  /** Registers a source with a new telemetry key (returned once; the hub keeps it to check signatures). */
  async create(
    input: SourceInput,
    user: string,
    atMs: number,
  ): Promise<{ record: SourceRecord; registered: RegisteredSource; key: string }> {
    const clash = await this.pool.query<{ what: string }>(
      `SELECT 'camera' AS what FROM cameras WHERE id = $1
       UNION ALL SELECT 'source' FROM mobile_sources WHERE id = $1
       UNION ALL SELECT 'site' FROM sites WHERE id = $1`,
      [input.id],
    );
    if (clash.rows[0])
      throw new SourceError(
        409,
        'ID_TAKEN',
        `id ${input.id} is already a ${clash.rows[0].what}'s id at this hub`,
      );
    const site = await this.pool.query('SELECT 1 FROM sites WHERE id = $1', [input.relaySiteId]);
    if (site.rowCount === 0)
      throw new SourceError(400, 'UNKNOWN_SITE', `site ${input.relaySiteId} is not registered at this hub`);
    const key = randomBytes(32);
    const at = new Date(atMs);
    const r = await this.pool.query<SourceRow>(
      `INSERT INTO mobile_sources (id, kind, name, unit, relay_site_id, stream_url, hfov_deg, vfov_deg, range_m,
         telemetry_key, key_issued_at, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12)
       RETURNING ${SOURCE_COLUMNS}`,
      [
        input.id,
        input.kind,
        input.name,
        input.unit,
        input.relaySiteId,
        input.streamUrl,
        input.hfovDeg ?? 70,
        input.vfovDeg ?? 45,
        input.rangeM ?? (input.kind === 'drone' ? 500 : 15),
        key,
        at,
        user,
      ],
    );
    const row = r.rows[0] as SourceRow;
    return { record: recordOf(row), registered: registeredOf(row), key: key.toString('base64url') };
  }

  /** Where the hub pulls the source's video (an operator's fact). */
  async setStreamUrl(id: string, url: string): Promise<RegisteredSource | null> {
    const r = await this.pool.query<SourceRow>(
      `UPDATE mobile_sources SET stream_url = $2 WHERE id = $1 AND retired_at IS NULL RETURNING ${SOURCE_COLUMNS}`,
      [id, url],
    );
    return r.rows[0] ? registeredOf(r.rows[0]) : null;
  }

  /** A new telemetry key: fixes signed with the old one are refused from now on. */
  async rotateKey(id: string, atMs: number): Promise<{ registered: RegisteredSource; key: string } | null> {
    const key = randomBytes(32);
    const r = await this.pool.query<SourceRow>(
      `UPDATE mobile_sources SET telemetry_key = $2, key_issued_at = $3 WHERE id = $1 AND retired_at IS NULL
       RETURNING ${SOURCE_COLUMNS}`,
      [id, key, new Date(atMs)],
    );
    const row = r.rows[0];
    return row ? { registered: registeredOf(row), key: key.toString('base64url') } : null;
  }

  /** Retired: its telemetry is refused from now on; its track stays for the incidents it covered. */
  async retire(id: string, atMs: number): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE mobile_sources SET retired_at = $2 WHERE id = $1 AND retired_at IS NULL',
      [id, new Date(atMs)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** See insertPositions. */
  insertPositions(client: pg.PoolClient, rows: readonly PositionRow[]): Promise<StoredFix[]> {
    return insertPositions(client, rows);
  }

  /** The newest fix of every registered source (at start-up). */
  async latestFixes(): Promise<StoredFix[]> {
    const r = await this.pool.query<FixRow>(
      `SELECT s.id AS source_id, (extract(epoch FROM p.observed_at) * 1000)::float8 AS at_ms, ST_Y(p.location) AS lat,
         ST_X(p.location) AS lon, p.altitude_m, p.heading_deg, p.speed_mps, p.battery_pct, p.link_quality_pct,
         ST_AsGeoJSON(p.footprint, 7) AS footprint
       FROM mobile_sources s
       CROSS JOIN LATERAL (SELECT * FROM source_positions q WHERE q.source_id = s.id
                           ORDER BY q.observed_at DESC LIMIT 1) p
       WHERE s.retired_at IS NULL`,
    );
    return r.rows.map(fixOf);
  }

  /** Every source's positions since `sinceMs`, oldest first: [lon, lat, epoch ms]. */
  async tracksSince(sinceMs: number, perSource = 2000): Promise<Map<string, [number, number, number][]>> {
    const r = await this.pool.query<{ source_id: string; lon: number; lat: number; at_ms: number }>(
      `SELECT source_id, lon, lat, at_ms FROM (
         SELECT p.source_id, ST_X(p.location) AS lon, ST_Y(p.location) AS lat,
           (extract(epoch FROM p.observed_at) * 1000)::float8 AS at_ms,
           row_number() OVER (PARTITION BY p.source_id ORDER BY p.observed_at DESC) AS n
         FROM source_positions p JOIN mobile_sources s ON s.id = p.source_id AND s.retired_at IS NULL
         WHERE p.observed_at >= $1) x
       WHERE n <= $2 ORDER BY source_id, at_ms`,
      [new Date(sinceMs), perSource],
    );
    const out = new Map<string, [number, number, number][]>();
    for (const row of r.rows) {
      const list = out.get(row.source_id) ?? [];
      list.push([row.lon, row.lat, row.at_ms]);
      out.set(row.source_id, list);
    }
    return out;
  }

  async addDuty(sourceId: string, input: DutyInput, user: string): Promise<DutyWindow | null> {
    const startsMs = Date.parse(input.startsAt);
    const endsMs = Date.parse(input.endsAt);
    if (endsMs <= startsMs) throw new SourceError(400, 'BAD_RANGE', 'a duty window ends after it starts');
    if (endsMs - startsMs > 7 * 86_400_000)
      throw new SourceError(
        400,
        'BAD_RANGE',
        'a duty window lasts at most 7 days (declare shifts one by one)',
      );
    const r = await this.pool.query<{ id: string }>(
      `INSERT INTO source_duty_windows (source_id, starts_at, ends_at, reason, created_by)
       SELECT id, $2, $3, $4, $5 FROM mobile_sources WHERE id = $1 AND retired_at IS NULL
       RETURNING id::text`,
      [sourceId, new Date(startsMs), new Date(endsMs), input.reason, user],
    );
    const id = r.rows[0]?.id;
    if (!id) return null;
    return {
      id,
      sourceId,
      startsAt: new Date(startsMs).toISOString(),
      endsAt: new Date(endsMs).toISOString(),
      reason: input.reason,
      createdBy: user,
    };
  }

  /** Duty windows overlapping [fromMs, toMs) (null source: every source's). */
  async duty(sourceId: string | null, fromMs: number, toMs: number): Promise<DutyWindow[]> {
    const r = await this.pool.query<{
      id: string;
      source_id: string;
      starts_at: Date;
      ends_at: Date;
      reason: string;
      created_by: string;
    }>(
      `SELECT id::text, source_id, starts_at, ends_at, reason, created_by FROM source_duty_windows
       WHERE ($1::text IS NULL OR source_id = $1) AND starts_at < $3 AND ends_at > $2
       ORDER BY starts_at, id`,
      [sourceId, new Date(fromMs), new Date(toMs)],
    );
    return r.rows.map((w) => ({
      id: w.id,
      sourceId: w.source_id,
      startsAt: w.starts_at.toISOString(),
      endsAt: w.ends_at.toISOString(),
      reason: w.reason,
      createdBy: w.created_by,
    }));
  }

  /**
   * Link uptime over the duty windows in [fromMs, toMs): the time on duty covered by fresh telemetry,
   * where a fix counts as fresh until the next one or until staleAfterMs after it, whichever is first.
   * Overlapping windows count once.
   */
  async uptime(
    sourceId: string,
    fromMs: number,
    toMs: number,
    staleAfterMs: number,
    computedAtMs: number,
  ): Promise<SourceUptime> {
    const windows = await this.duty(sourceId, fromMs, toMs);
    const end = Math.min(toMs, computedAtMs);
    const spans = mergeSpans(
      windows.map((w) => [Math.max(fromMs, Date.parse(w.startsAt)), Math.min(end, Date.parse(w.endsAt))]),
    );
    let dutyMs = 0;
    let linkedMs = 0;
    let streamChecks = 0;
    let streamChecksOk = 0;
    for (const [a, b] of spans) {
      if (b <= a) continue;
      dutyMs += b - a;
      const checks = await this.pool.query<{ total: number; ok: number }>(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE ok)::int AS ok FROM source_stream_checks
         WHERE source_id = $1 AND checked_at >= $2 AND checked_at < $3`,
        [sourceId, new Date(a), new Date(b)],
      );
      streamChecks += checks.rows[0]?.total ?? 0;
      streamChecksOk += checks.rows[0]?.ok ?? 0;
      const fixes = await this.pool.query<{ at_ms: number }>(
        `SELECT (extract(epoch FROM observed_at) * 1000)::float8 AS at_ms FROM source_positions
         WHERE source_id = $1 AND observed_at >= $2 AND observed_at < $3 ORDER BY observed_at`,
        [sourceId, new Date(a - staleAfterMs), new Date(b)],
      );
      const times = fixes.rows.map((x) => x.at_ms);
      for (let i = 0; i < times.length; i++) {
        const t = times[i] as number;
        const freshUntil = Math.min(t + staleAfterMs, times[i + 1] ?? Number.POSITIVE_INFINITY);
        const lo = Math.max(a, t);
        const hi = Math.min(b, freshUntil);
        if (hi > lo) linkedMs += hi - lo;
      }
    }
    return {
      sourceId,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      computedAt: new Date(computedAtMs).toISOString(),
      dutyMs,
      linkedMs,
      availability: dutyMs > 0 ? Math.round((linkedMs / dutyMs) * 1_000_000) / 1_000_000 : null,
      streamChecks,
      streamChecksOk,
      streamAvailability:
        streamChecks > 0 ? Math.round((streamChecksOk / streamChecks) * 1_000_000) / 1_000_000 : null,
      windows,
    };
  }

  /** Stores a check of a source's stream (the hub's own observation). */
  async addStreamCheck(sourceId: string, check: SourceStreamCheck): Promise<void> {
    await this.pool.query(
      `INSERT INTO source_stream_checks
         (source_id, checked_at, ok, codec, width, height, fps, bitrate_kbps, error_code, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        sourceId,
        new Date(check.checkedAt),
        check.ok,
        check.codec,
        check.width,
        check.height,
        check.fps,
        check.bitrateKbps,
        check.errorCode,
        check.error,
      ],
    );
  }

  /** The newest stream check of each source that has one. */
  async latestStreamChecks(): Promise<Map<string, SourceStreamCheck>> {
    const r = await this.pool.query<{
      source_id: string;
      checked_at: Date;
      ok: boolean;
      codec: string | null;
      width: number | null;
      height: number | null;
      fps: number | null;
      bitrate_kbps: number | null;
      error_code: string | null;
      error: string | null;
    }>(
      `SELECT DISTINCT ON (source_id) source_id, checked_at, ok, codec, width, height, fps, bitrate_kbps,
         error_code, error
       FROM source_stream_checks ORDER BY source_id, checked_at DESC`,
    );
    return new Map(
      r.rows.map((x) => [
        x.source_id,
        {
          checkedAt: x.checked_at.toISOString(),
          ok: x.ok,
          codec: x.codec,
          width: x.width,
          height: x.height,
          fps: x.fps,
          bitrateKbps: x.bitrate_kbps,
          errorCode: x.error_code,
          error: x.error,
        },
      ]),
    );
  }

  /**
   * Which sources covered a point in [fromMs, toMs), from their stored tracks: the runs of fixes whose
   * footprint covered the point or whose position lay within radiusM of it (a run ends where a fix does
   * not, or where fixes are more than gapMs apart).
   */
  async coverage(
    point: { lat: number; lon: number },
    radiusM: number,
    fromMs: number,
    toMs: number,
    gapMs: number,
    computedAtMs: number,
  ): Promise<CoverageExport> {
    const r = await this.pool.query<{
      source_id: string;
      kind: SourceKind;
      name: string;
      unit: string;
      at_ms: number;
      near: boolean;
      covered: boolean;
      distance_m: number;
    }>(
      `WITH t AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS pt)
       SELECT p.source_id, s.kind, s.name, s.unit, (extract(epoch FROM p.observed_at) * 1000)::float8 AS at_ms,
         ST_DWithin(p.location::geography, t.pt::geography, $3) AS near,
         COALESCE(ST_Covers(p.footprint, t.pt), false) AS covered,
         ST_Distance(p.location::geography, t.pt::geography) AS distance_m
       FROM source_positions p JOIN mobile_sources s ON s.id = p.source_id, t
       WHERE p.observed_at >= $4 AND p.observed_at < $5
         AND p.source_id IN (
           SELECT q.source_id FROM source_positions q, t
           WHERE q.observed_at >= $4 AND q.observed_at < $5
             AND (ST_DWithin(q.location::geography, t.pt::geography, $3) OR ST_Covers(q.footprint, t.pt)))
       ORDER BY p.source_id, p.observed_at`,
      [point.lon, point.lat, radiusM, new Date(fromMs), new Date(toMs)],
    );
    const bySource = new Map<string, CoverageExport['sources'][number]>();
    let open: { from: number; to: number; fixes: number; closest: number; covered: boolean } | null = null;
    let current: string | null = null;
    const close = () => {
      if (!open || current === null) return;
      bySource.get(current)?.intervals.push({
        from: new Date(open.from).toISOString(),
        to: new Date(open.to).toISOString(),
        fixes: open.fixes,
        closestM: Math.round(open.closest * 10) / 10,
        footprintCovered: open.covered,
      });
      open = null;
    };
    for (const row of r.rows) {
      if (row.source_id !== current) {
        close();
        current = row.source_id;
        bySource.set(row.source_id, {
          sourceId: row.source_id,
          kind: row.kind,
          name: row.name,
          unit: row.unit,
          intervals: [],
        });
      }
      const hit = row.near || row.covered;
      if (!hit || (open && row.at_ms - open.to > gapMs)) close();
      if (!hit) continue;
      if (!open) open = { from: row.at_ms, to: row.at_ms, fixes: 0, closest: row.distance_m, covered: false };
      open.to = row.at_ms;
      open.fixes++;
      open.closest = Math.min(open.closest, row.distance_m);
      open.covered ||= row.covered;
    }
    close();
    return {
      target: point,
      radiusM,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      computedAt: new Date(computedAtMs).toISOString(),
      counts:
        'For each source, the runs of consecutive stored fixes whose footprint covered the target or whose position lay within radiusM of it; a run ends at a fix that did neither or after a gap of more than sources.staleAfterMs',
      sources: [...bySource.values()].filter((s) => s.intervals.length > 0),
    };
  }
}

/** Sorted, merged [start, end) spans. */
function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = spans.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}
