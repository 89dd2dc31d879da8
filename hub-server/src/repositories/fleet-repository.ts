import type pg from 'pg';
import type {
  CameraDetail,
  CameraQuery,
  CameraView,
  CouncilView,
  HubView,
  SiteView,
} from '../../../src/schemas/api.ts';
import type { CameraState } from '../../../src/schemas/camera-state.ts';
import type { FeedCamera } from '../feeds/feed-manager.ts';
import {
  CAMERA_COLUMNS,
  type CameraRow,
  cameraFromRow,
  SITE_COLUMNS,
  type SiteRow,
  siteFromRow,
} from './rows.ts';

/** Council scope of the caller: null sees every council. */
export type Scope = readonly string[] | null;

export class FleetRepository {
  constructor(private readonly pool: pg.Pool) {}

  async listCameras(query: CameraQuery, scope: Scope): Promise<CameraView[]> {
    const where = ['c.active'];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (scope) add('s.council_id = ANY(?::text[])', scope);
    if (query.hubId) add('s.hub_id = ?', query.hubId);
    if (query.councilId) add('s.council_id = ?', query.councilId);
    if (query.siteId) add('c.site_id = ?', query.siteId);
    if (query.state) add('c.state = ?', query.state);
    const result = await this.pool.query<CameraRow>(
      `SELECT ${CAMERA_COLUMNS} FROM cameras c JOIN sites s ON s.id = c.site_id WHERE ${where.join(' AND ')} ORDER BY c.id`,
      params,
    );
    return result.rows.map(cameraFromRow);
  }

  /** What opening a live feed needs: state, the site link's state and the reported stream address. */
  async feedTarget(id: string, scope: Scope): Promise<(FeedCamera & { councilId: string }) | null> {
    const result = await this.pool.query<{
      id: string;
      name: string;
      site_id: string;
      council_id: string;
      state: CameraState;
      site_state: string;
      uri: string | null;
      camera_networks: string[];
    }>(
      `SELECT c.id, c.name, c.site_id, s.council_id, c.state, s.state AS site_state, c.last_stream ->> 'uri' AS uri,
         s.camera_networks
       FROM cameras c JOIN sites s ON s.id = c.site_id
       WHERE c.id = $1 AND c.active AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))`,
      [id, scope],
    );
    const row = result.rows[0];
    if (!row) return null;
    return {
      id: row.id,
      name: row.name,
      siteId: row.site_id,
      councilId: row.council_id,
      state: row.state,
      siteState: row.site_state,
      streamUri: row.uri,
      cameraNetworks: row.camera_networks,
    };
  }

  async getCamera(id: string, scope: Scope): Promise<CameraDetail | null> {
    const result = await this.pool.query<
      CameraRow & {
        last_health: unknown;
        last_health_at: Date | null;
        last_stream: unknown;
        last_stream_at: Date | null;
      }
    >(
      `SELECT ${CAMERA_COLUMNS}, c.last_health, c.last_health_at, c.last_stream, c.last_stream_at
       FROM cameras c JOIN sites s ON s.id = c.site_id
       WHERE c.id = $1 AND c.active AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))`,
      [id, scope],
    );
    const row = result.rows[0];
    if (!row) return null;
    const view = cameraFromRow(row);
    const subs = await this.pool.query<{ observed_at: Date; payload: object }>(
      'SELECT observed_at, payload FROM camera_sub_streams WHERE camera_id = $1 ORDER BY token LIMIT 16',
      [id],
    );
    return {
      ...view,
      health:
        row.last_health && row.last_health_at
          ? ({
              ...(row.last_health as object),
              observedAt: row.last_health_at.toISOString(),
            } as CameraDetail['health'])
          : null,
      stream:
        row.last_stream && row.last_stream_at
          ? ({
              ...(row.last_stream as object),
              observedAt: row.last_stream_at.toISOString(),
            } as CameraDetail['stream'])
          : null,
      subStreams: subs.rows.map(
        (s) =>
          ({ ...s.payload, observedAt: s.observed_at.toISOString() }) as CameraDetail['subStreams'][number],
      ),
    };
  }

  /** Active cameras of a scope (fleet, hub, council, site or camera), within the caller's councils. */
  async cameraIdsIn(
    kind: 'fleet' | 'hub' | 'council' | 'site' | 'camera',
    id: string | null,
    scope: Scope,
  ): Promise<string[]> {
    const column = {
      fleet: null,
      hub: 's.hub_id',
      council: 's.council_id',
      site: 'c.site_id',
      camera: 'c.id',
    }[kind];
    const result = await this.pool.query<{ id: string }>(
      `SELECT c.id FROM cameras c JOIN sites s ON s.id = c.site_id
       WHERE c.active AND ($1::text[] IS NULL OR s.council_id = ANY($1::text[]))${column ? ` AND ${column} = $2` : ''}
       ORDER BY c.id`,
      column ? [scope, id] : [scope],
    );
    return result.rows.map((r) => r.id);
  }

  async listSites(scope: Scope): Promise<SiteView[]> {
    const result = await this.pool.query<SiteRow>(
      `SELECT ${SITE_COLUMNS} FROM sites s WHERE ($1::text[] IS NULL OR s.council_id = ANY($1::text[])) ORDER BY s.id`,
      [scope],
    );
    return result.rows.map(siteFromRow);
  }

  async listCouncils(scope: Scope): Promise<CouncilView[]> {
    const result = await this.pool.query<{ id: string; name: string; hub_id: string }>(
      'SELECT id, name, hub_id FROM councils WHERE ($1::text[] IS NULL OR id = ANY($1::text[])) ORDER BY name',
      [scope],
    );
    return result.rows.map((r) => ({ id: r.id, name: r.name, hubId: r.hub_id }));
  }

  async listHubs(): Promise<HubView[]> {
    const result = await this.pool.query<{
      id: string;
      name: string;
      operator: string;
      lon: number | null;
      lat: number | null;
    }>('SELECT id, name, operator, ST_X(location) AS lon, ST_Y(location) AS lat FROM hubs ORDER BY name');
    return result.rows.map((r) => ({
      id: r.id,
      name: r.name,
      operator: r.operator,
      location: { type: 'Point', coordinates: [r.lon ?? 0, r.lat ?? 0] },
    }));
  }

  async upsertHub(hub: {
    id: string;
    name: string;
    operator: string;
    lat: number;
    lon: number;
  }): Promise<void> {
    await this.pool.query(
      `INSERT INTO hubs (id, name, operator, location) VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326))
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, operator = excluded.operator, location = excluded.location`,
      [hub.id, hub.name, hub.operator, hub.lon, hub.lat],
    );
  }

  async upsertCouncil(council: { id: string; name: string; hubId: string }): Promise<void> {
    await this.pool.query(
      `INSERT INTO councils (id, name, hub_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, hub_id = excluded.hub_id`,
      [council.id, council.name, council.hubId],
    );
  }

  async countDeadLetters(): Promise<number> {
    const result = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters');
    return result.rows[0]?.n ?? 0;
  }

  async listDeadLetters(limit: number): Promise<
    {
      id: number;
      receivedAt: string;
      topic: string;
      siteId: string | null;
      code: string;
      path: string;
      message: string;
      rawSize: number;
    }[]
  > {
    const result = await this.pool.query<{
      id: number;
      received_at: Date;
      topic: string;
      site_id: string | null;
      code: string;
      path: string;
      message: string;
      raw_size: number;
    }>(
      // Newest received first: with several ingest writers, ids follow the commits, not the arrivals.
      'SELECT id, received_at, topic, site_id, code, path, message, raw_size FROM dead_letters ORDER BY received_at DESC, id DESC LIMIT $1',
      [limit],
    );
    return result.rows.map((r) => ({
      id: r.id,
      receivedAt: r.received_at.toISOString(),
      topic: r.topic,
      siteId: r.site_id,
      code: r.code,
      path: r.path,
      message: r.message,
      rawSize: r.raw_size,
    }));
  }
}
