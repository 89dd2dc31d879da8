import type pg from 'pg';
import { checkStreamAddress, SOURCE_STREAM_SCHEMES } from '../../../src/registry/camera-networks.ts';
import type { IncidentSearch } from '../../../src/schemas/incident-api.ts';
import type {
  DutyInput,
  DutyWindow,
  IncidentSource,
  SourceInput,
  SourceKind,
  SourceRecord,
  SourceState,
  SourceStreamCheck,
  SourceView,
} from '../../../src/schemas/sources.ts';
import type { FeedCamera } from '../feeds/feed-manager.ts';
import type { FleetState } from '../state/fleet-state.ts';
import { SourceError, SourceRepository } from './source-repository.ts';
import { SourceTracker } from './source-tracker.ts';

export interface SourceServiceOptions {
  pool: pg.Pool;
  fleet: FleetState;
  staleAfterMs: number;
  offlineAfterMs: number;
  trackMinutes: number;
  now: () => number;
  changed: (views: SourceView[]) => void;
  removed: (ids: string[]) => void;
  /** A registry change other processes of the region must reload (cluster mode). */
  announce?: (change: SourceEvent) => void;
  /** Whether the hub's ffmpeg reads streams of this scheme ('srt:' needs a build with libsrt); default all. */
  reads?: (scheme: string) => boolean;
}

/** A change to mobile sources that the region's other processes apply too (cluster mode). */
export interface SourceEvent {
  sourceIds?: string[];
  duty?: DutyWindow;
  /** A check of a source's stream the leader made. */
  stream?: { sourceId: string; check: SourceStreamCheck };
}

/** A source found around an incident, before it is ranked with the cameras. */
export type SourceCandidate = Omit<IncidentSource, 'rank'>;

/** How far back duty windows are loaded at start (the longest a window may last). */
const DUTY_LOOKBACK_MS = 7 * 86_400_000;

/**
 * Mobile sources at this hub: the registry (operators), the live picture (SourceTracker), and what
 * their stored tracks say (incident search, coverage exports, link uptime on duty).
 */
export class SourceService {
  readonly repository: SourceRepository;
  readonly tracker: SourceTracker;

  constructor(private readonly options: SourceServiceOptions) {
    this.repository = new SourceRepository(options.pool);
    this.tracker = new SourceTracker({
      staleAfterMs: options.staleAfterMs,
      offlineAfterMs: options.offlineAfterMs,
      trackMinutes: options.trackMinutes,
      now: options.now,
      changed: options.changed,
      removed: options.removed,
    });
  }

  async start(): Promise<void> {
    const now = this.options.now();
    const [fixes, tracks, duty, checks] = await Promise.all([
      this.repository.latestFixes(),
      this.repository.tracksSince(now - this.options.trackMinutes * 60_000),
      this.repository.duty(null, now - DUTY_LOOKBACK_MS, now + DUTY_LOOKBACK_MS),
      this.repository.latestStreamChecks(),
    ]);
    this.tracker.load([...this.options.fleet.sources.values()], fixes, tracks, duty);
    for (const [id, check] of checks) this.tracker.setStream(id, check, false);
    this.tracker.start();
  }

  /** A check of a source's stream this process made (the leader's prober): stored, shown, told. */
  async recordStreamCheck(sourceId: string, check: SourceStreamCheck): Promise<void> {
    if (!this.tracker.registered(sourceId)) return;
    await this.repository.addStreamCheck(sourceId, check);
    this.tracker.setStream(sourceId, check);
    this.options.announce?.({ stream: { sourceId, check } });
  }

  stop(): void {
    this.tracker.stop();
  }

  /**
   * A stream address the hub can pull: a scheme its ffmpeg reads, no credentials, and for SRT only the
   * options a caller needs (camera-networks.ts). Refused with a code, before anything is stored.
   */
  private checkStreamUrl(url: string): void {
    const checked = checkStreamAddress(url, [], SOURCE_STREAM_SCHEMES);
    if (!checked.ok && checked.code !== 'STREAM_ADDRESS_NOT_REGISTERED')
      throw new SourceError(400, checked.code, checked.message);
    const scheme = new URL(url).protocol;
    if (this.options.reads && !this.options.reads(scheme))
      throw new SourceError(
        400,
        'STREAM_PROTOCOL_UNSUPPORTED',
        `this hub's ffmpeg cannot read ${scheme.slice(0, -1).toUpperCase()} streams: install an ffmpeg built with libsrt (Debian's ffmpeg package is) or register an RTSP or RTMP address`,
      );
  }

  async create(input: SourceInput, user: string): Promise<{ record: SourceRecord; key: string }> {
    this.checkStreamUrl(input.streamUrl);
    const { record, registered, key } = await this.repository.create(input, user, this.options.now());
    this.options.fleet.sources.set(registered.id, registered);
    this.tracker.register(registered);
    this.options.announce?.({ sourceIds: [registered.id] });
    return { record, key };
  }

  async rotateKey(id: string): Promise<string | null> {
    const rotated = await this.repository.rotateKey(id, this.options.now());
    if (!rotated) return null;
    this.options.fleet.sources.set(id, rotated.registered);
    this.tracker.register(rotated.registered, false);
    this.options.announce?.({ sourceIds: [id] });
    return rotated.key;
  }

  async retire(id: string): Promise<boolean> {
    if (!(await this.repository.retire(id, this.options.now()))) return false;
    this.options.fleet.sources.delete(id);
    this.options.fleet.sourceFixes.delete(id);
    this.tracker.retire(id);
    this.options.announce?.({ sourceIds: [id] });
    return true;
  }

  /** A new stream address for a source (the demo's simulated streams start after the hub). */
  async setStream(id: string, url: string): Promise<boolean> {
    this.checkStreamUrl(url);
    const updated = await this.repository.setStreamUrl(id, url);
    if (!updated) return false;
    this.options.fleet.sources.set(id, updated);
    this.tracker.register(updated, false);
    this.options.announce?.({ sourceIds: [id] });
    return true;
  }

  async addDuty(id: string, input: DutyInput, user: string): Promise<DutyWindow | null> {
    const window = await this.repository.addDuty(id, input, user);
    if (window) {
      this.tracker.addDuty(window);
      this.options.announce?.({ duty: window });
    }
    return window;
  }

  /** Another process of the region changed the registry: read these sources again. */
  async reload(ids: readonly string[]): Promise<void> {
    const registered = new Map((await this.repository.registry()).map((s) => [s.id, s]));
    for (const id of ids) {
      const source = registered.get(id);
      if (source) {
        this.options.fleet.sources.set(id, source);
        this.tracker.register(source);
      } else {
        this.options.fleet.sources.delete(id);
        this.options.fleet.sourceFixes.delete(id);
        this.tracker.retire(id);
      }
    }
  }

  /**
   * What a feed of the source pulls: its registered stream, an operator's fact (not a site's report),
   * counted against its relay site's pull limits. A source that is offline has no video to show.
   */
  feedTarget(id: string): FeedCamera | null {
    const source = this.tracker.registered(id);
    const view = this.tracker.get(id);
    if (!source || !view) return null;
    let host = '';
    try {
      host = new URL(source.streamUrl).hostname.replace(/^\[|\]$/g, '');
    } catch {
      host = '';
    }
    return {
      id: source.id,
      name: source.name,
      siteId: source.relaySiteId,
      councilId: null,
      state: view.state === 'offline' ? 'down' : view.state === 'up' ? 'up' : 'unknown',
      siteState: 'online',
      streamUri: source.streamUrl,
      cameraNetworks: host ? [host] : [],
      streamSchemes: SOURCE_STREAM_SCHEMES,
      credentialsOptional: true,
    };
  }

  /**
   * Sources around an incident: those whose newest fix (while their link is up or only late) covers
   * the target or lies within the radius, and those whose stored track passed it in the last
   * `sourcesWithinMinutes`.
   */
  async candidates(query: IncidentSearch): Promise<SourceCandidate[]> {
    if (this.tracker.list().length === 0) return [];
    const now = this.options.now();
    const sinceMs = now - (query.sourcesWithinMinutes ?? 15) * 60_000;
    const target = query.point
      ? {
          sql: 'ST_SetSRID(ST_MakePoint($1, $2), 4326)',
          params: [query.point.lon, query.point.lat] as unknown[],
          near: 'ST_DWithin(p.location::geography, t.g::geography, $3)',
          covers: 'COALESCE(ST_Covers(p.footprint, t.g), false)',
          radius: query.radiusM ?? 200,
        }
      : {
          // The same parameters as a point search ($2 and $3 unused, but typed).
          sql: 'ST_SetSRID(ST_GeomFromGeoJSON(COALESCE($1::text, $2::text)), 4326)',
          params: [JSON.stringify(query.polygon), null] as unknown[],
          near: '(ST_Intersects(p.location, t.g) OR $3::float8 < 0)',
          covers: 'COALESCE(ST_Intersects(p.footprint, t.g), false)',
          radius: 0,
        };
    const r = await this.options.pool.query<{
      source_id: string;
      latest_ms: number | null;
      latest_near: boolean | null;
      latest_covers: boolean | null;
      latest_distance: number | null;
      hit_from_ms: number | null;
      hit_to_ms: number | null;
      closest: number | null;
    }>(
      `WITH t AS (SELECT ${target.sql} AS g),
       hits AS (
         SELECT p.source_id, min(p.observed_at) AS hit_from, max(p.observed_at) AS hit_to,
           min(ST_Distance(p.location::geography, t.g::geography)) AS closest
         FROM source_positions p, t
         WHERE p.observed_at >= $4 AND p.source_id = ANY($5::text[]) AND (${target.near} OR ${target.covers})
         GROUP BY p.source_id
       ),
       latest AS (
         SELECT s.id AS source_id, p.observed_at, ${target.near} AS near, ${target.covers} AS covers,
           ST_Distance(p.location::geography, t.g::geography) AS distance
         FROM unnest($5::text[]) AS s(id), t,
           LATERAL (SELECT * FROM source_positions q WHERE q.source_id = s.id ORDER BY q.observed_at DESC LIMIT 1) p
       )
       SELECT l.source_id, (extract(epoch FROM l.observed_at) * 1000)::float8 AS latest_ms, l.near AS latest_near,
         l.covers AS latest_covers, l.distance AS latest_distance,
         (extract(epoch FROM h.hit_from) * 1000)::float8 AS hit_from_ms,
         (extract(epoch FROM h.hit_to) * 1000)::float8 AS hit_to_ms, h.closest
       FROM latest l LEFT JOIN hits h ON h.source_id = l.source_id`,
      [...target.params, target.radius, new Date(sinceMs), this.tracker.list().map((v) => v.id)],
    );
    const out: SourceCandidate[] = [];
    for (const row of r.rows) {
      const view = this.tracker.get(row.source_id);
      if (!view) continue;
      const live = view.state !== 'offline';
      const coversNow = live && (row.latest_covers === true || row.latest_near === true);
      if (!coversNow && row.hit_from_ms === null) continue;
      out.push({
        sourceId: view.id,
        kind: view.kind as SourceKind,
        name: view.name,
        unit: view.unit,
        state: view.state as SourceState,
        location: view.location,
        distanceM: row.latest_distance === null ? null : Math.round(row.latest_distance * 100) / 100,
        coversNow,
        coveredFrom: row.hit_from_ms === null ? null : new Date(row.hit_from_ms).toISOString(),
        coveredTo: row.hit_to_ms === null ? null : new Date(row.hit_to_ms).toISOString(),
        closestM: row.closest === null ? null : Math.round(row.closest * 100) / 100,
        streamOk: view.stream?.ok ?? null,
      });
    }
    return out;
  }
}
