import type pg from 'pg';
import {
  OGC_DEFAULT_LIMIT,
  OGC_MAX_LIMIT,
  type OgcCameraItemsQuery,
  type OgcFeature,
  type OgcSiteItemsQuery,
} from '../../../src/schemas/ogc.ts';
import { HttpError } from '../http/common.ts';
import type { Scope } from '../repositories/fleet-repository.ts';

/** The feature collections served: cameras (points), their view cones (polygons) and sites. */
export const COLLECTIONS = {
  cameras: {
    title: 'CCTV cameras',
    description:
      "Public-space CCTV cameras monitored by this hub: surveyed position, purpose, approval and monitored state (now, or at the time asked with datetime). Scoped to the caller's councils.",
  },
  'camera-views': {
    title: 'CCTV camera view cones',
    description:
      "What each camera is surveyed to see: a sector from its position along its bearing, its horizontal field of view wide and its design (or surveyed) range long. Scoped to the caller's councils.",
  },
  sites: {
    title: 'CCTV sites',
    description:
      "Town sites whose edge agents report to this hub: position, council, link state and camera count. Scoped to the caller's councils.",
  },
} as const;
export type CollectionId = keyof typeof COLLECTIONS;

export function isCollection(id: string): id is CollectionId {
  return Object.hasOwn(COLLECTIONS, id);
}

/** [west, south, east, north]; west > east crosses the antimeridian. */
export type Bbox = [number, number, number, number];

/** Parses the bbox parameter (4 numbers, or 6 with heights, which are ignored); a bad one is a 400. */
export function parseBbox(text: string): Bbox {
  const parts = text.split(',').map((p) => p.trim());
  const numbers = parts.map(Number);
  if (
    (parts.length !== 4 && parts.length !== 6) ||
    parts.some((p) => p === '') ||
    numbers.some((n) => !Number.isFinite(n))
  )
    throw new HttpError(
      400,
      'BAD_BBOX',
      `bbox must be 4 numbers (minLon,minLat,maxLon,maxLat) or 6 with heights: "${text}"`,
    );
  const [w, s, e, n] = parts.length === 4 ? numbers : [numbers[0], numbers[1], numbers[3], numbers[4]];
  const box = [w, s, e, n] as Bbox;
  if (box[0] < -180 || box[0] > 180 || box[2] < -180 || box[2] > 180)
    throw new HttpError(400, 'BAD_BBOX', 'bbox longitudes must lie within -180..180');
  if (box[1] < -90 || box[3] > 90 || box[1] > box[3])
    throw new HttpError(400, 'BAD_BBOX', 'bbox latitudes must lie within -90..90, south first');
  return box;
}

/** A datetime parameter: an instant is an interval whose ends are equal; null ends are open. */
export interface TimeFilter {
  fromMs: number | null;
  toMs: number | null;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function instant(text: string, whole: string): number {
  const ms = RFC3339.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms))
    throw new HttpError(
      400,
      'BAD_DATETIME',
      `datetime must be an RFC 3339 date-time (e.g. 2026-12-01T09:00:00Z) or an interval start/end with ".." for an open end: "${whole}"`,
    );
  return ms;
}

export function parseDatetime(text: string): TimeFilter {
  const parts = text.split('/');
  if (parts.length === 1) {
    const at = instant(text, text);
    return { fromMs: at, toMs: at };
  }
  if (parts.length !== 2)
    throw new HttpError(400, 'BAD_DATETIME', `datetime has more than one "/": "${text}"`);
  const open = (p: string) => p === '' || p === '..';
  const [a, b] = parts as [string, string];
  if (open(a) && open(b))
    throw new HttpError(400, 'BAD_DATETIME', 'datetime interval must have at least one end');
  const fromMs = open(a) ? null : instant(a, text);
  const toMs = open(b) ? null : instant(b, text);
  if (fromMs !== null && toMs !== null && fromMs > toMs)
    throw new HttpError(400, 'BAD_DATETIME', 'datetime interval ends before it starts');
  return { fromMs, toMs };
}

export interface FeaturePage {
  features: OgcFeature[];
  numberMatched: number;
}

/** Small SQL builder: each value becomes a numbered parameter. */
class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  add(sql: string): void {
    this.clauses.push(sql);
  }
  get sql(): string {
    return this.clauses.length > 0 ? this.clauses.join(' AND ') : 'true';
  }
}

function bboxClause(w: Where, column: string, box: Bbox): string {
  const [west, south, east, north] = box;
  const env = (a: number, b: number) =>
    `ST_Intersects(${column}, ST_MakeEnvelope(${w.param(a)}, ${w.param(south)}, ${w.param(b)}, ${w.param(north)}, 4326))`;
  return west <= east ? env(west, east) : `(${env(west, 180)} OR ${env(-180, east)})`;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Joins `st`: the state interval of the row `owner` open at the parameter `at` (none: no row). */
function stateAt(table: string, key: string, owner: string, at: string): string {
  return `LEFT JOIN LATERAL (
      SELECT i.state, i.started_at FROM ${table} i
      WHERE i.${key} = ${owner} AND i.started_at <= ${at}::timestamptz AND (i.ended_at IS NULL OR i.ended_at > ${at}::timestamptz)
      ORDER BY i.started_at DESC LIMIT 1) st ON true`;
}

/**
 * Reads features with PostGIS doing the spatial filtering and GeoJSON encoding. Without datetime a
 * collection is as the REST API shows it now; with datetime, the cameras that were in service then,
 * each with its state at the instant (or at the end of the interval; an open or future end means now).
 */
export class OgcFeatureRepository {
  constructor(private readonly pool: pg.Pool) {}

  async cameras(
    kind: 'cameras' | 'camera-views',
    q: OgcCameraItemsQuery & { id?: string },
    scope: Scope,
    nowMs: number,
  ): Promise<FeaturePage> {
    const w = new Where();
    const time = q.datetime ? parseDatetime(q.datetime) : null;
    let stateSql = 'c.state';
    let sinceSql = 'c.state_since';
    let lateral = '';
    if (time) {
      const at = w.param(new Date(Math.min(time.toMs ?? nowMs, nowMs)));
      const from = w.param(new Date(Math.min(time.fromMs ?? time.toMs ?? nowMs, nowMs)));
      // In service at some time in the window: first seen before its end, not retired before its start.
      w.add(`c.first_seen_at <= ${at}::timestamptz`);
      w.add(`(c.active OR (c.approval = 'retired' AND c.counted_to > ${from}::timestamptz))`);
      w.add(`c.approval <> 'rejected'`);
      stateSql = `COALESCE(st.state, 'unknown')`;
      sinceSql = 'st.started_at';
      lateral = stateAt('camera_state_intervals', 'camera_id', 'c.id', at);
    } else {
      w.add('c.active');
    }
    if (scope) w.add(`s.council_id = ANY(${w.param(scope)}::text[])`);
    if (q.id) w.add(`c.id = ${w.param(q.id)}`);
    if (q.councilId) w.add(`s.council_id = ${w.param(q.councilId)}`);
    if (q.siteId) w.add(`c.site_id = ${w.param(q.siteId)}`);
    if (q.purpose) w.add(`c.purpose = ${w.param(q.purpose)}`);
    if (q.approval) w.add(`c.approval = ${w.param(q.approval)}`);
    if (q.state) w.add(`${stateSql} = ${w.param(q.state)}`);
    const geometry = kind === 'cameras' ? 'c.location' : 'c.fov';
    if (kind === 'camera-views') w.add('c.fov IS NOT NULL');
    if (q.bbox) w.add(bboxClause(w, geometry, parseBbox(q.bbox)));
    const { limit, offset } = page(q);
    const r = await this.pool.query<{
      id: string;
      geometry: string | null;
      name: string;
      site_id: string;
      site_name: string;
      council_id: string;
      council_name: string;
      hub_id: string;
      state: string;
      state_since: Date | null;
      last_seen_at: Date | null;
      purpose: string;
      approval: string;
      bearing_deg: number;
      hfov_deg: number;
      design_distance_m: number;
      range_m: number | null;
      first_seen_at: Date;
      matched: number;
    }>(
      `SELECT c.id, ST_AsGeoJSON(${geometry}, 7) AS geometry, c.name, c.site_id, s.name AS site_name,
         s.council_id, k.name AS council_name, s.hub_id, ${stateSql} AS state, ${sinceSql} AS state_since,
         c.last_seen_at, c.purpose, c.approval, c.bearing_deg, c.hfov_deg, c.design_distance_m, c.range_m,
         c.first_seen_at, count(*) OVER ()::int AS matched
       FROM cameras c JOIN sites s ON s.id = c.site_id JOIN councils k ON k.id = s.council_id
       ${lateral}
       WHERE ${w.sql}
       ORDER BY c.id LIMIT ${w.param(limit)} OFFSET ${w.param(offset)}`,
      w.params,
    );
    let numberMatched = r.rows[0]?.matched ?? 0;
    if (r.rows.length === 0 && offset > 0)
      numberMatched = (await this.cameras(kind, { ...q, offset: 0, limit: 1 }, scope, nowMs)).numberMatched;
    return {
      numberMatched,
      features: r.rows.map((x) => ({
        type: 'Feature' as const,
        id: x.id,
        geometry: x.geometry ? (JSON.parse(x.geometry) as OgcFeature['geometry']) : null,
        properties: {
          ...(kind === 'camera-views' ? { cameraId: x.id } : {}),
          name: x.name,
          siteId: x.site_id,
          siteName: x.site_name,
          councilId: x.council_id,
          councilName: x.council_name,
          hubId: x.hub_id,
          purpose: x.purpose,
          approval: x.approval,
          state: x.state,
          stateSince: iso(x.state_since),
          ...(time ? {} : { lastSeenAt: iso(x.last_seen_at) }),
          bearingDeg: x.bearing_deg,
          hfovDeg: x.hfov_deg,
          rangeM: x.range_m ?? x.design_distance_m,
          firstSeenAt: x.first_seen_at.toISOString(),
        },
      })),
    };
  }

  async sites(q: OgcSiteItemsQuery & { id?: string }, scope: Scope, nowMs: number): Promise<FeaturePage> {
    const w = new Where();
    const time = q.datetime ? parseDatetime(q.datetime) : null;
    let stateSql = 's.state';
    let sinceSql = 's.state_since';
    let lateral = '';
    if (time) {
      const at = w.param(new Date(Math.min(time.toMs ?? nowMs, nowMs)));
      w.add(`s.registered_at <= ${at}::timestamptz`);
      stateSql = `COALESCE(st.state, 'unknown')`;
      sinceSql = 'st.started_at';
      lateral = stateAt('site_state_intervals', 'site_id', 's.id', at);
    }
    if (scope) w.add(`s.council_id = ANY(${w.param(scope)}::text[])`);
    if (q.id) w.add(`s.id = ${w.param(q.id)}`);
    if (q.councilId) w.add(`s.council_id = ${w.param(q.councilId)}`);
    if (q.state) w.add(`${stateSql} = ${w.param(q.state)}`);
    if (q.bbox) w.add(bboxClause(w, 's.location', parseBbox(q.bbox)));
    const { limit, offset } = page(q);
    const r = await this.pool.query<{
      id: string;
      geometry: string | null;
      name: string;
      council_id: string;
      council_name: string;
      hub_id: string;
      state: string;
      state_since: Date | null;
      camera_count: number;
      registered_at: Date;
      matched: number;
    }>(
      `SELECT s.id, ST_AsGeoJSON(s.location, 7) AS geometry, s.name, s.council_id, k.name AS council_name, s.hub_id,
         ${stateSql} AS state, ${sinceSql} AS state_since,
         (SELECT count(*)::int FROM cameras c WHERE c.site_id = s.id AND c.active) AS camera_count,
         s.registered_at, count(*) OVER ()::int AS matched
       FROM sites s JOIN councils k ON k.id = s.council_id
       ${lateral}
       WHERE ${w.sql}
       ORDER BY s.id LIMIT ${w.param(limit)} OFFSET ${w.param(offset)}`,
      w.params,
    );
    let numberMatched = r.rows[0]?.matched ?? 0;
    if (r.rows.length === 0 && offset > 0)
      numberMatched = (await this.sites({ ...q, offset: 0, limit: 1 }, scope, nowMs)).numberMatched;
    return {
      numberMatched,
      features: r.rows.map((x) => ({
        type: 'Feature' as const,
        id: x.id,
        geometry: x.geometry ? (JSON.parse(x.geometry) as OgcFeature['geometry']) : null,
        properties: {
          name: x.name,
          councilId: x.council_id,
          councilName: x.council_name,
          hubId: x.hub_id,
          state: x.state,
          stateSince: iso(x.state_since),
          cameraCount: x.camera_count,
          registeredAt: x.registered_at.toISOString(),
        },
      })),
    };
  }

  /** The spatial and temporal extent of a collection in the caller's scope. */
  async extent(
    kind: CollectionId,
    scope: Scope,
  ): Promise<{ bbox: [number, number, number, number] | null; since: string | null }> {
    const table =
      kind === 'sites'
        ? `SELECT s.location AS g, s.registered_at AS since FROM sites s WHERE ($1::text[] IS NULL OR s.council_id = ANY($1::text[]))`
        : `SELECT ${kind === 'cameras' ? 'c.location' : 'c.fov'} AS g, c.first_seen_at AS since
           FROM cameras c JOIN sites s ON s.id = c.site_id
           WHERE c.active AND ($1::text[] IS NULL OR s.council_id = ANY($1::text[]))`;
    const r = await this.pool.query<{
      w: number | null;
      s: number | null;
      e: number | null;
      n: number | null;
      since: Date | null;
    }>(
      `SELECT ST_XMin(b) AS w, ST_YMin(b) AS s, ST_XMax(b) AS e, ST_YMax(b) AS n, since
       FROM (SELECT ST_Extent(g)::geometry AS b, min(since) AS since FROM (${table}) t) x`,
      [scope],
    );
    const row = r.rows[0];
    return {
      bbox: row && row.w !== null ? [row.w, row.s as number, row.e as number, row.n as number] : null,
      since: row?.since ? row.since.toISOString() : null,
    };
  }
}

function page(q: { limit?: number; offset?: number }): { limit: number; offset: number } {
  return { limit: Math.min(q.limit ?? OGC_DEFAULT_LIMIT, OGC_MAX_LIMIT), offset: q.offset ?? 0 };
}
