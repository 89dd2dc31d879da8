import type pg from 'pg';
import type {
  CameraApprovalQuery,
  CameraApprovalState,
  CameraApprovalView,
  SiteRecord,
  SiteRegistration,
} from '../../../src/schemas/registry-api.ts';

/** What the ingest needs of a registered site, held in memory (see SiteRegistry). */
export interface RegisteredSite {
  id: string;
  name: string;
  councilId: string;
  hubId: string;
  registeredAtMs: number;
  cameraNetworks: string[];
  expectedCameras: Set<string>;
  maxCameras: number | null;
}

interface SiteRow {
  id: string;
  name: string;
  council_id: string;
  hub_id: string;
  lon: number | null;
  lat: number | null;
  camera_networks: string[];
  expected: string[] | null;
  max_cameras: number | null;
  registered_at: Date;
  registered_by: string;
  pending: number;
  approved: number;
  link: SiteRecord['link'];
  last_seen_at: Date | null;
  agent_version: string | null;
  code_created_at: Date | null;
  code_expires_at: Date | null;
  code_used_at: Date | null;
  code_retired_at: Date | null;
  enrolled_at: Date | null;
  agent_clock_offset_ms: number | null;
  outbox: SiteRecord['outbox'];
}

const SITE_SELECT = `SELECT s.id, s.name, s.council_id, s.hub_id, ST_X(s.location) AS lon, ST_Y(s.location) AS lat,
    s.camera_networks, s.max_cameras, s.registered_at, s.registered_by,
    (SELECT array_agg(e.camera_id ORDER BY e.camera_id) FROM site_expected_cameras e WHERE e.site_id = s.id) AS expected,
    (SELECT count(*)::int FROM cameras c WHERE c.site_id = s.id AND c.active AND c.approval = 'pending') AS pending,
    (SELECT count(*)::int FROM cameras c WHERE c.site_id = s.id AND c.active AND c.approval = 'approved') AS approved,
    s.state AS link, s.last_seen_at, s.agent_version, s.agent_clock_offset_ms, s.monitor_health -> 'outbox' AS outbox,
    k.created_at AS code_created_at, k.expires_at AS code_expires_at, k.used_at AS code_used_at,
    k.retired_at AS code_retired_at,
    (SELECT max(u.used_at) FROM enrolment_codes u WHERE u.site_id = s.id) AS enrolled_at
  FROM sites s
  LEFT JOIN LATERAL (SELECT created_at, expires_at, used_at, retired_at FROM enrolment_codes
                      WHERE site_id = s.id ORDER BY id DESC LIMIT 1) k ON true`;

function record(row: SiteRow): SiteRecord {
  return {
    id: row.id,
    name: row.name,
    councilId: row.council_id,
    hubId: row.hub_id,
    location:
      row.lon === null || row.lat === null ? null : { type: 'Point', coordinates: [row.lon, row.lat] },
    cameraNetworks: row.camera_networks,
    expectedCameras: row.expected ?? [],
    maxCameras: row.max_cameras,
    registeredAt: row.registered_at.toISOString(),
    registeredBy: row.registered_by,
    pendingCameras: row.pending,
    approvedCameras: row.approved,
    link: row.link,
    lastSeenAt: row.last_seen_at?.toISOString() ?? null,
    agentVersion: row.agent_version,
    enrolment: enrolmentOf(row),
    enrolledAt: row.enrolled_at?.toISOString() ?? null,
    agentClockOffsetMs: row.agent_clock_offset_ms === null ? null : Math.round(row.agent_clock_offset_ms),
    outbox: row.outbox ?? null,
  };
}

/** The site box's enrolment, from the latest code (see EnrolmentCodes.state for the same rule). */
function enrolmentOf(row: SiteRow): SiteRecord['enrolment'] {
  if (!row.code_created_at) return 'none';
  if (row.code_used_at) return 'enrolled';
  const lapsed = row.code_retired_at !== null || (row.code_expires_at?.getTime() ?? 0) <= Date.now();
  if (lapsed) return row.enrolled_at ? 'enrolled' : 'code-expired';
  return 'code-issued';
}

export function registeredSite(r: SiteRecord): RegisteredSite {
  return {
    id: r.id,
    name: r.name,
    councilId: r.councilId,
    hubId: r.hubId,
    registeredAtMs: Date.parse(r.registeredAt),
    cameraNetworks: r.cameraNetworks,
    expectedCameras: new Set(r.expectedCameras),
    maxCameras: r.maxCameras,
  };
}

interface CameraRow {
  id: string;
  name: string;
  site_id: string;
  council_id: string;
  approval: CameraApprovalState;
  approval_at: Date | null;
  approval_by: string | null;
  first_seen_at: Date;
  active: boolean;
  commissioned_at: Date | null;
}

function approvalView(row: CameraRow): CameraApprovalView {
  return {
    id: row.id,
    name: row.name,
    siteId: row.site_id,
    councilId: row.council_id,
    approval: row.approval,
    approvalAt: row.approval_at?.toISOString() ?? null,
    approvalBy: row.approval_by,
    firstSeenAt: row.first_seen_at.toISOString(),
    active: row.active,
    commissionedAt: row.commissioned_at?.toISOString() ?? null,
  };
}

/** The hub's registry: sites, their council and hub, camera networks, and camera approval. All SQL here. */
export class RegistryRepository {
  constructor(private readonly pool: pg.Pool) {}

  async listSites(scope: readonly string[] | null): Promise<SiteRecord[]> {
    const result = await this.pool.query<SiteRow>(
      `${SITE_SELECT} WHERE ($1::text[] IS NULL OR s.council_id = ANY($1::text[])) ORDER BY s.id`,
      [scope],
    );
    return result.rows.map(record);
  }

  async findSite(id: string, db: pg.Pool | pg.PoolClient = this.pool): Promise<SiteRecord | null> {
    const result = await db.query<SiteRow>(`${SITE_SELECT} WHERE s.id = $1`, [id]);
    const row = result.rows[0];
    return row ? record(row) : null;
  }

  async councilHub(councilId: string, db: pg.Pool | pg.PoolClient = this.pool): Promise<string | null> {
    const result = await db.query<{ hub_id: string }>('SELECT hub_id FROM councils WHERE id = $1', [
      councilId,
    ]);
    return result.rows[0]?.hub_id ?? null;
  }

  async hubExists(hubId: string, db: pg.Pool | pg.PoolClient = this.pool): Promise<boolean> {
    const result = await db.query('SELECT 1 FROM hubs WHERE id = $1', [hubId]);
    return result.rowCount === 1;
  }

  /** Inserts a new site and its first assignment; false when the id is taken. */
  async insertSite(client: pg.PoolClient, site: SiteRegistration, by: string, at: Date): Promise<boolean> {
    const inserted = await client.query(
      `INSERT INTO sites (id, name, council_id, hub_id, location, camera_networks, max_cameras, registered_at,
         registered_by, state_since)
       VALUES ($1, $2, $3, $4, CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($5, $6), 4326) END,
         $7, $8, $9, $10, $9)
       ON CONFLICT (id) DO NOTHING`,
      [
        site.id,
        site.name,
        site.councilId,
        site.hubId,
        site.location?.lon ?? null,
        site.location?.lat ?? null,
        site.cameraNetworks,
        site.maxCameras ?? null,
        at,
        by,
      ],
    );
    if (inserted.rowCount !== 1) return false;
    await client.query(
      'INSERT INTO site_assignments (site_id, council_id, hub_id, valid_from) VALUES ($1, $2, $3, $4)',
      [site.id, site.councilId, site.hubId, at],
    );
    if (site.expectedCameras) await this.setExpected(client, site.id, site.expectedCameras, by, at);
    return true;
  }

  async updateSite(
    client: pg.PoolClient,
    id: string,
    fields: {
      name: string;
      councilId: string;
      hubId: string;
      location: { lat: number; lon: number } | null;
      cameraNetworks: string[];
      maxCameras: number | null;
    },
  ): Promise<void> {
    await client.query(
      `UPDATE sites SET name = $2, council_id = $3, hub_id = $4,
         location = CASE WHEN $5::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($5, $6), 4326) END,
         camera_networks = $7, max_cameras = $8
       WHERE id = $1`,
      [
        id,
        fields.name,
        fields.councilId,
        fields.hubId,
        fields.location?.lon ?? null,
        fields.location?.lat ?? null,
        fields.cameraNetworks,
        fields.maxCameras,
      ],
    );
  }

  /** Closes the site's open assignment at `at` and opens the new one. */
  async moveSite(
    client: pg.PoolClient,
    id: string,
    councilId: string,
    hubId: string,
    at: Date,
  ): Promise<void> {
    await client.query('UPDATE site_assignments SET valid_to = $2 WHERE site_id = $1 AND valid_to IS NULL', [
      id,
      at,
    ]);
    await client.query(
      'INSERT INTO site_assignments (site_id, council_id, hub_id, valid_from) VALUES ($1, $2, $3, $4)',
      [id, councilId, hubId, at],
    );
  }

  async setExpected(client: pg.PoolClient, siteId: string, ids: readonly string[], by: string, at: Date) {
    await client.query(
      'DELETE FROM site_expected_cameras WHERE site_id = $1 AND NOT (camera_id = ANY($2::text[]))',
      [siteId, ids],
    );
    await client.query(
      `INSERT INTO site_expected_cameras (site_id, camera_id, listed_by, listed_at)
       SELECT $1, unnest($2::text[]), $3, $4 ON CONFLICT DO NOTHING`,
      [siteId, ids, by, at],
    );
    // Cameras already seen and still pending are approved by being listed.
    const approved = await client.query<{ id: string }>(
      `UPDATE cameras SET approval = 'approved', approval_at = $3, approval_by = $4, counted_from = $3, counted_to = NULL
        WHERE site_id = $1 AND id = ANY($2::text[]) AND approval = 'pending' RETURNING id`,
      [siteId, ids, at, by],
    );
    return approved.rows.map((r) => r.id);
  }

  async listCameras(
    query: CameraApprovalQuery,
    scope: readonly string[] | null,
  ): Promise<CameraApprovalView[]> {
    const result = await this.pool.query<CameraRow>(
      `SELECT c.id, c.name, c.site_id, s.council_id, c.approval, c.approval_at, c.approval_by, c.first_seen_at, c.active,
              (SELECT max(k.observed_at) FROM camera_commissioning k WHERE k.camera_id = c.id) AS commissioned_at
         FROM cameras c JOIN sites s ON s.id = c.site_id
        WHERE ($1::text IS NULL OR c.approval = $1) AND ($2::text IS NULL OR c.site_id = $2)
          AND ($3::text[] IS NULL OR s.council_id = ANY($3::text[]))
        ORDER BY c.first_seen_at DESC, c.id LIMIT 5000`,
      [query.approval ?? null, query.siteId ?? null, scope],
    );
    return result.rows.map(approvalView);
  }

  async findCamera(id: string, db: pg.Pool | pg.PoolClient = this.pool): Promise<CameraApprovalView | null> {
    const result = await db.query<CameraRow>(
      `SELECT c.id, c.name, c.site_id, s.council_id, c.approval, c.approval_at, c.approval_by, c.first_seen_at, c.active,
              (SELECT max(k.observed_at) FROM camera_commissioning k WHERE k.camera_id = c.id) AS commissioned_at
         FROM cameras c JOIN sites s ON s.id = c.site_id WHERE c.id = $1`,
      [id],
    );
    const row = result.rows[0];
    return row ? approvalView(row) : null;
  }

  async setApproval(
    client: pg.PoolClient,
    id: string,
    approval: CameraApprovalState,
    by: string,
    at: Date,
  ): Promise<void> {
    // Approval starts the camera's counted span; retirement ends it; a rejection never starts one.
    await client.query(
      `UPDATE cameras SET approval = $2, approval_at = $3, approval_by = $4,
         counted_from = CASE WHEN $2 = 'approved' THEN $3 ELSE counted_from END,
         counted_to = CASE WHEN $2 = 'retired' THEN $3 ELSE counted_to END
       WHERE id = $1`,
      [id, approval, at, by],
    );
  }

  async upsertCouncil(client: pg.PoolClient, id: string, name: string, hubId: string): Promise<boolean> {
    const result = await client.query<{ inserted: boolean }>(
      `INSERT INTO councils (id, name, hub_id) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, hub_id = excluded.hub_id RETURNING (xmax = 0) AS inserted`,
      [id, name, hubId],
    );
    return result.rows[0]?.inserted ?? false;
  }

  async upsertHub(
    client: pg.PoolClient,
    id: string,
    name: string,
    operator: string,
    location: { lat: number; lon: number } | null,
  ): Promise<boolean> {
    const result = await client.query<{ inserted: boolean }>(
      `INSERT INTO hubs (id, name, operator, location)
       VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint($4, $5), 4326) END)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, operator = excluded.operator,
         location = COALESCE(excluded.location, hubs.location)
       RETURNING (xmax = 0) AS inserted`,
      [id, name, operator, location?.lon ?? null, location?.lat ?? null],
    );
    return result.rows[0]?.inserted ?? false;
  }

  /** Every registered site, for the ingest's in-memory registry. */
  async loadAll(): Promise<RegisteredSite[]> {
    return (await this.listSites(null)).map(registeredSite);
  }
}
