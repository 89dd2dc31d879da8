import type pg from 'pg';
import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { AgentClockHealth } from '../../../src/schemas/payloads.ts';
import type { Fix, RegisteredSource } from '../../../src/sources/telemetry.ts';
import { type ClockWindow, emptyClockWindow } from '../../../src/state/agent-clock.ts';
import { UnsavedHeartbeats } from '../ingest/heartbeat-writes.ts';
import { type RegisteredSite, RegistryRepository } from '../registry/registry-repository.ts';
import {
  CAMERA_COLUMNS,
  type CameraRow,
  cameraFromRow,
  SITE_COLUMNS,
  type SiteRow,
  siteFromRow,
} from '../repositories/rows.ts';
import { SourceRepository } from '../sources/source-repository.ts';

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

  /**
   * Per site: recent receive delays (the agent clock offset estimate) and what the agent last said of
   * its own clock. Only the delays of this hub process are known; after a restart the window refills.
   */
  readonly siteClocks = new Map<string, SiteClock>();

  /**
   * Geometry an operator surveyed, by camera: it wins over the commissioning data in later
   * inventories (the database keeps it the same way), and over views a batch copied before the edit.
   */
  readonly surveyed = new Map<string, SurveyedGeometry>();

  /** Heartbeat columns of camera rows the ingest has not written yet (see planCameraWrites). */
  readonly heartbeats = new UnsavedHeartbeats();

  /**
   * The registry as committed: which sites exist, their council, hub and camera networks. Only the
   * registry routes change it, after their transaction commits; the ingest reads it to admit messages.
   */
  readonly registry = new Map<string, RegisteredSite>();

  /** Mobile sources as registered (their telemetry keys included): changed by the source routes after commit. */
  readonly sources = new Map<string, RegisteredSource>();

  /** The newest committed fix of each source: where its next fix is judged from (speed). */
  readonly sourceFixes = new Map<string, Fix>();

  async load(pool: pg.Pool): Promise<void> {
    const cameras = await pool.query<CameraRow>(
      `SELECT ${CAMERA_COLUMNS} FROM cameras c JOIN sites s ON s.id = c.site_id WHERE c.active`,
    );
    const sites = await pool.query<SiteRow>(`SELECT ${SITE_COLUMNS} FROM sites s`);
    this.cameras.clear();
    this.sites.clear();
    for (const row of cameras.rows) this.cameras.set(row.id, cameraFromRow(row));
    for (const row of sites.rows) this.sites.set(row.id, siteFromRow(row));
    const registry = new RegistryRepository(pool);
    this.registry.clear();
    for (const site of await registry.loadAll()) this.registry.set(site.id, site);
    this.siteClocks.clear();
    for (const site of this.sites.values())
      this.siteClocks.set(site.id, { window: emptyClockWindow(), reported: site.agentClock });
    const surveyed = await pool.query<{
      id: string;
      lon: number;
      lat: number;
      bearing: number;
      hfov: number;
    }>(
      `SELECT id, ST_X(location::geometry) AS lon, ST_Y(location::geometry) AS lat,
              bearing_deg AS bearing, hfov_deg AS hfov
         FROM cameras WHERE active AND geometry_set_by IS NOT NULL`,
    );
    const sources = new SourceRepository(pool);
    this.sources.clear();
    for (const source of await sources.registry()) this.sources.set(source.id, source);
    this.sourceFixes.clear();
    for (const fix of await sources.latestFixes())
      this.sourceFixes.set(fix.sourceId, { atMs: fix.atMs, lat: fix.lat, lon: fix.lon });
    this.surveyed.clear();
    for (const r of surveyed.rows)
      this.surveyed.set(r.id, { lat: r.lat, lon: r.lon, bearingDeg: r.bearing, hfovDeg: r.hfov });
  }

  /** Records an operator's survey (after it committed) and returns the camera's updated view. */
  applySurvey(cameraId: string, geometry: SurveyedGeometry): CameraView | null {
    this.surveyed.set(cameraId, geometry);
    const view = this.cameras.get(cameraId);
    if (!view) return null;
    const updated = withSurvey(view, geometry);
    this.cameras.set(cameraId, updated);
    return updated;
  }

  /** The view with the surveyed geometry, if the camera has one. */
  surveyedView(view: CameraView): CameraView {
    const geometry = this.surveyed.get(view.id);
    return geometry ? withSurvey(view, geometry) : view;
  }

  camerasOfSite(siteId: string): CameraView[] {
    const out: CameraView[] = [];
    for (const camera of this.cameras.values()) if (camera.siteId === siteId) out.push(camera);
    return out;
  }
}

export interface SiteClock {
  window: ClockWindow;
  reported: AgentClockHealth | null;
}

export interface SurveyedGeometry {
  lat: number;
  lon: number;
  bearingDeg: number;
  hfovDeg: number;
}

function withSurvey(view: CameraView, g: SurveyedGeometry): CameraView {
  return {
    ...view,
    location: { type: 'Point', coordinates: [g.lon, g.lat] },
    bearingDeg: g.bearingDeg,
    hfovDeg: g.hfovDeg,
  };
}
