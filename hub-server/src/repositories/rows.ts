import type { CameraView, SiteView } from '../../../src/schemas/api.ts';
import type { CameraState, Reason, SiteLinkState } from '../../../src/schemas/camera-state.ts';
import type { Purpose } from '../../../src/schemas/commissioning.ts';
import type { AgentClockHealth, MonitorHealth } from '../../../src/schemas/payloads.ts';

/** Column lists and row mappers: snake_case stays in repositories. */
export const CAMERA_COLUMNS = `c.id, c.name, c.site_id, s.council_id, s.hub_id, c.state, c.state_since, c.last_seen_at,
  c.reasons, ST_X(c.location) AS lon, ST_Y(c.location) AS lat, c.bearing_deg, c.hfov_deg, c.design_distance_m, c.purpose, c.approval`;

export interface CameraRow {
  id: string;
  name: string;
  site_id: string;
  council_id: string;
  hub_id: string;
  state: CameraState;
  state_since: Date;
  last_seen_at: Date | null;
  reasons: Reason[];
  lon: number;
  lat: number;
  bearing_deg: number;
  hfov_deg: number;
  design_distance_m: number;
  purpose: Purpose;
  approval: CameraView['approval'];
}

export function cameraFromRow(row: CameraRow): CameraView {
  return {
    id: row.id,
    name: row.name,
    siteId: row.site_id,
    councilId: row.council_id,
    hubId: row.hub_id,
    state: row.state,
    stateSince: row.state_since.toISOString(),
    lastSeenAt: row.last_seen_at ? row.last_seen_at.toISOString() : null,
    reasons: row.reasons,
    location: { type: 'Point', coordinates: [row.lon, row.lat] },
    bearingDeg: row.bearing_deg,
    hfovDeg: row.hfov_deg,
    designDistanceM: row.design_distance_m,
    purpose: row.purpose,
    approval: row.approval,
  };
}

export const SITE_COLUMNS = `s.id, s.name, s.council_id, s.hub_id, s.state, s.state_since, s.last_seen_at, s.camera_count,
  ST_X(s.location) AS lon, ST_Y(s.location) AS lat, s.agent_clock, s.agent_clock_offset_ms, s.clock_suspect, s.clock_reason,
  s.monitor_health`;

export interface SiteRow {
  id: string;
  name: string;
  council_id: string;
  hub_id: string;
  state: SiteLinkState;
  state_since: Date;
  last_seen_at: Date | null;
  camera_count: number;
  lon: number | null;
  lat: number | null;
  agent_clock: AgentClockHealth | null;
  agent_clock_offset_ms: number | null;
  clock_suspect: boolean;
  clock_reason: string | null;
  monitor_health: MonitorHealth | null;
}

export function siteFromRow(row: SiteRow): SiteView {
  return {
    id: row.id,
    name: row.name,
    councilId: row.council_id,
    hubId: row.hub_id,
    state: row.state,
    stateSince: row.state_since.toISOString(),
    lastSeenAt: row.last_seen_at ? row.last_seen_at.toISOString() : null,
    cameraCount: row.camera_count,
    location:
      row.lon === null || row.lat === null ? null : { type: 'Point', coordinates: [row.lon, row.lat] },
    clockSuspect: row.clock_suspect,
    clockReason: row.clock_reason,
    agentClockOffsetMs: row.agent_clock_offset_ms,
    agentClock: row.agent_clock,
    monitor: row.monitor_health,
  };
}
