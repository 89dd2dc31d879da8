import type pg from 'pg';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import {
  CAMERA_COLUMNS,
  type CameraRow,
  cameraFromRow,
  SITE_COLUMNS,
  type SiteRow,
  siteFromRow,
} from '../repositories/rows.ts';

/**
 * The committed current state of every camera and site, kept in memory so live pushes and the
 * ingest's transition decisions need no SQL. Only the ingest pipeline writes it, after commit.
 */
export class FleetState {
  readonly cameras = new Map<string, CameraView>();
  readonly sites = new Map<string, SiteView>();
  /** Site states that arrived before the site's inventory (retained messages come in any order). */
  readonly pendingSiteStates = new Map<
    string,
    { state: 'online' | 'offline'; at: Date; agentVersion: string | null }
  >();

  async load(pool: pg.Pool): Promise<void> {
    const cameras = await pool.query<CameraRow>(
      `SELECT ${CAMERA_COLUMNS} FROM cameras c JOIN sites s ON s.id = c.site_id WHERE c.active`,
    );
    const sites = await pool.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites s`);
    this.cameras.clear();
    this.sites.clear();
    for (const row of cameras.rows) this.cameras.set(row.id, cameraFromRow(row));
    for (const row of sites.rows) this.sites.set(row.id, siteFromRow(row));
  }

  camerasOfSite(siteId: string): CameraView[] {
    const out: CameraView[] = [];
    for (const camera of this.cameras.values()) if (camera.siteId === siteId) out.push(camera);
    return out;
  }
}
