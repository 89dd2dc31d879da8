import type pg from 'pg';
import { type Candidate, rankCameras } from '../../../src/incidents/ranking.ts';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import type { GeometryUpdate, IncidentResult, IncidentSearch } from '../../../src/schemas/incident-api.ts';
import type { Scope } from './fleet-repository.ts';

/** [west, south, east, north] in degrees; west beyond east crosses the antimeridian. */
export type ViewBox = readonly [number, number, number, number];

interface CandidateRow {
  id: string;
  name: string;
  site_id: string;
  council_id: string;
  state: CameraState;
  lon: number;
  lat: number;
  bearing_deg: number;
  hfov_deg: number;
  range_m: number;
  distance_m: number;
  covers: boolean;
  coverage: number | null;
  azimuth_deg: number | null;
  stream_width: number | null;
}

const COMMON_COLUMNS = `c.id, c.name, c.site_id, s.council_id, c.state, ST_X(c.location) AS lon, ST_Y(c.location) AS lat,
  c.bearing_deg, c.hfov_deg, COALESCE(c.range_m, c.design_distance_m) AS range_m,
  (c.last_stream ->> 'width')::float8 AS stream_width`;

const FILTERS = `c.active AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))
  AND ($3::text[] IS NULL OR c.state = ANY($3::text[]))`;

/** The same columns from the cameras other hubs share with this one (their state is checked after). */
const LINKED_COLUMNS = `c.id, c.view ->> 'name' AS name, c.view ->> 'siteId' AS site_id, c.council_id, c.state,
  ST_X(c.location) AS lon, ST_Y(c.location) AS lat, c.bearing_deg, c.hfov_deg, c.design_distance_m AS range_m,
  NULL::float8 AS stream_width`;
const LINKED_FILTERS = `($2::text[] IS NULL OR c.council_id = ANY($2::text[])) AND $3::text[] IS NOT DISTINCT FROM $3::text[]`;

/** Where candidates come from: this hub's cameras, or those other hubs share with it. */
const SOURCES = {
  own: { columns: COMMON_COLUMNS, from: 'cameras c JOIN sites s ON s.id = c.site_id', filters: FILTERS },
  linked: { columns: LINKED_COLUMNS, from: 'federated_cameras c', filters: LINKED_FILTERS },
} as const;

/** The state control rooms see of a camera another hub shares (unknown while its link is down). */
export type LinkedState = (cameraId: string) => CameraState | null;

export class GeometryError extends Error {
  constructor(
    readonly code: 'BAD_TARGET' | 'BAD_POLYGON',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Camera geometry and incident search. Fields of view are polygons kept by a trigger (see the
 * camera-geometry migration); searches use the GiST indexes on camera locations and fields of view
 * for the candidates, then exact distances on the spheroid.
 */
export class GeometryRepository {
  constructor(
    private readonly pool: pg.Pool,
    /** Cameras shared by other hubs are searched too when this is given. */
    private readonly linkedState: LinkedState | null = null,
  ) {}

  async search(query: IncidentSearch, scope: Scope): Promise<IncidentResult> {
    if ((query.point === undefined) === (query.polygon === undefined))
      throw new GeometryError('BAD_TARGET', 'give either a point (with radiusM) or a polygon, not both');
    const found = await this.candidates(query, scope, 'own');
    const linkedState = this.linkedState;
    if (linkedState) {
      const states = query.states ? new Set(query.states) : null;
      for (const row of (await this.candidates(query, scope, 'linked')).rows) {
        const state = linkedState(row.id);
        if (state === null || (states && !states.has(state))) continue;
        found.rows.push({ ...row, state });
      }
    }
    const { rows, target } = found;
    return this.ranked(rows, target, query);
  }

  private async candidates(
    query: IncidentSearch,
    scope: Scope,
    source: keyof typeof SOURCES,
  ): Promise<{ rows: CandidateRow[]; target: { lat: number; lon: number } }> {
    const { columns, from, filters } = SOURCES[source];
    const states = query.states ?? null;
    let rows: CandidateRow[];
    let target: { lat: number; lon: number };
    if (query.point) {
      target = query.point;
      const result = await this.pool.query<CandidateRow>(
        `WITH t AS (SELECT ST_SetSRID(ST_MakePoint($4, $5), 4326) AS pt),
              a AS (SELECT ST_Buffer(t.pt::geography, $6 * 1.02 + 1)::geometry AS box FROM t)
         SELECT ${columns},
           ST_Distance(c.location::geography, t.pt::geography) AS distance_m,
           COALESCE(ST_Covers(c.fov, t.pt), false) AS covers, NULL::float8 AS coverage,
           degrees(ST_Azimuth(c.location::geography, t.pt::geography)) AS azimuth_deg
         FROM ${from}, t, a
         WHERE (c.location && a.box OR c.fov && a.box)
           AND (ST_DWithin(c.location::geography, t.pt::geography, $6) OR ST_DWithin(c.fov::geography, t.pt::geography, $6))
           AND ${filters}
         LIMIT $1`,
        [CANDIDATE_LIMIT, scope, states, query.point.lon, query.point.lat, query.radiusM ?? DEFAULT_RADIUS_M],
      );
      rows = result.rows;
    } else {
      const polygon = query.polygon as NonNullable<IncidentSearch['polygon']>;
      const ring = polygon.coordinates[0] ?? [];
      const [first, last] = [ring[0], ring[ring.length - 1]];
      if (!first || !last || first[0] !== last[0] || first[1] !== last[1])
        throw new GeometryError('BAD_POLYGON', 'polygon ring must end where it starts (GeoJSON linear ring)');
      const valid = await this.pool.query<{ valid: boolean; reason: string; lon: number; lat: number }>(
        `SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_X(ST_PointOnSurface(g)) AS lon,
           ST_Y(ST_PointOnSurface(g)) AS lat
         FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) x`,
        [JSON.stringify(polygon)],
      );
      const check = valid.rows[0];
      if (!check?.valid)
        throw new GeometryError('BAD_POLYGON', `polygon is not valid: ${check?.reason ?? 'unknown'}`);
      target = { lat: check.lat, lon: check.lon };
      const result = await this.pool.query<CandidateRow>(
        `WITH t AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($4), 4326) AS area)
         SELECT ${columns},
           ST_Distance(c.location::geography, t.area::geography) AS distance_m,
           COALESCE(ST_Intersects(c.fov, t.area), false) AS covers,
           COALESCE(ST_Area(ST_Intersection(c.fov, t.area)::geography) / NULLIF(ST_Area(t.area::geography), 0), 0) AS coverage,
           degrees(ST_Azimuth(c.location::geography, ST_PointOnSurface(t.area)::geography)) AS azimuth_deg
         FROM ${from}, t
         WHERE (ST_Intersects(c.location, t.area) OR ST_Intersects(c.fov, t.area)) AND ${filters}
         LIMIT $1`,
        [CANDIDATE_LIMIT, scope, states, JSON.stringify(polygon)],
      );
      rows = result.rows;
    }
    return { rows, target };
  }

  private ranked(
    rows: CandidateRow[],
    target: { lat: number; lon: number },
    query: IncidentSearch,
  ): IncidentResult {
    const candidates: Candidate[] = rows.map((r) => ({
      cameraId: r.id,
      name: r.name,
      siteId: r.site_id,
      councilId: r.council_id,
      state: r.state,
      location: { type: 'Point', coordinates: [r.lon, r.lat] },
      bearingDeg: r.bearing_deg,
      hfovDeg: r.hfov_deg,
      rangeM: r.range_m,
      distanceM: round2(r.distance_m),
      covers: r.covers,
      coverage: r.coverage === null ? null : Math.round(r.coverage * 10_000) / 10_000,
      azimuthDeg: r.azimuth_deg,
      streamWidthPx: r.stream_width,
    }));
    return { target, cameras: rankCameras(candidates, query.limit ?? DEFAULT_LIMIT), sources: [] };
  }

  /** Surveyed geometry from a hub operator; inventories from the site no longer overwrite it. */
  async setGeometry(cameraId: string, update: GeometryUpdate, user: string, atMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE cameras SET location = ST_SetSRID(ST_MakePoint($2, $3), 4326), bearing_deg = $4, hfov_deg = $5, range_m = $6,
         geometry_set_by = $7, geometry_set_at = $8
       WHERE id = $1 AND active`,
      [
        cameraId,
        update.location.lon,
        update.location.lat,
        update.bearingDeg,
        update.hfovDeg,
        update.rangeM,
        user,
        new Date(atMs),
      ],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /**
   * The fields of view as GeoJSON (a FovCollection), in pieces of text: PostgreSQL writes each
   * feature's JSON, a page of cameras at a time (keyset on the id, each page its own short query).
   * At 50,000 cameras the whole collection is tens of megabytes; built as objects and serialised,
   * two dashboards loading at once took the hub past its heap. Pages are read only as the client
   * takes them (the caller streams them), so the hub holds one page per request, and a client that
   * goes away stops the reading. A camera added while a collection is being read may be left out
   * of it; none appears twice.
   *
   * `bbox` keeps the fields of view that reach into it (a map's view: the dashboard asks for a
   * town's cones, not a region's). `limit` stops after that many features (in id order) and adds
   * `numberMatched`, how many there are in all: the dashboard asks for a few first, and fetches by
   * view only when there are thousands.
   */
  async *fieldsOfView(
    scope: Scope,
    options: { bbox?: ViewBox; limit?: number } = {},
    pageSize = FOV_PAGE_SIZE,
  ): AsyncGenerator<string> {
    const params: unknown[] = [scope];
    let where = 'c.active AND c.fov IS NOT NULL AND ($1::text[] IS NULL OR s.council_id = ANY($1::text[]))';
    if (options.bbox) {
      const [west, south, east, north] = options.bbox;
      const envelope = (w: number, e: number) => {
        params.push(w, south, e, north);
        const n = params.length;
        return `ST_Intersects(c.fov, ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326))`;
      };
      // West beyond east crosses the antimeridian: two boxes.
      where +=
        west <= east
          ? ` AND ${envelope(west, east)}`
          : ` AND (${envelope(west, 180)} OR ${envelope(-180, east)})`;
    }
    let matched: number | null = null;
    if (options.limit !== undefined) {
      const count = await this.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM cameras c JOIN sites s ON s.id = c.site_id WHERE ${where}`,
        params,
      );
      matched = count.rows[0]?.n ?? 0;
    }
    let left = options.limit ?? Number.POSITIVE_INFINITY;
    let after = '';
    let first = true;
    const afterParam = params.length + 1;
    for (;;) {
      const size = Math.min(pageSize, left);
      const page =
        size === 0
          ? { rows: [] }
          : await this.pool.query<{ id: string; feature: string }>(
              `SELECT c.id, json_build_object(
             'type', 'Feature',
             'id', c.id,
             'properties', json_build_object(
               'state', c.state,
               'siteId', c.site_id,
               'name', c.name,
               'location', json_build_object('lat', ST_Y(c.location), 'lon', ST_X(c.location)),
               'bearingDeg', c.bearing_deg,
               'hfovDeg', c.hfov_deg,
               'rangeM', COALESCE(c.range_m, c.design_distance_m),
               'surveyedAt', to_char(c.geometry_set_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             'geometry', ST_AsGeoJSON(c.fov, 6)::json)::text AS feature
         FROM cameras c JOIN sites s ON s.id = c.site_id
         WHERE ${where} AND c.id > $${afterParam}
         ORDER BY c.id
         LIMIT $${afterParam + 1}`,
              [...params, after, size],
            );
      // The opening comes with the first page, once the database has answered: a hub that cannot
      // read gives an error status, not a 200 with a cut-off body.
      const features = page.rows.map((r) => r.feature).join(',');
      yield first ? `{"type":"FeatureCollection","features":[${features}` : features && `,${features}`;
      first = false;
      left -= page.rows.length;
      after = page.rows[page.rows.length - 1]?.id ?? after;
      if (page.rows.length < size || size === 0 || left === 0) break;
    }
    yield matched === null ? ']}' : `],"numberMatched":${matched}}`;
  }
}

/** Cameras per page of the fields of view (about 600 bytes of JSON each). */
const FOV_PAGE_SIZE = 1000;

const DEFAULT_RADIUS_M = 200;
const DEFAULT_LIMIT = 50;

/** Candidates read before ranking: far more than any page, bounded so a huge polygon cannot run away. */
const CANDIDATE_LIMIT = 2000;

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
