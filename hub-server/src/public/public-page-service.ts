import type pg from 'pg';
import {
  LICENCES,
  type LicenceId,
  type PublicCameraPlace,
  type PublicPageData,
  type PublicPageSettings,
  type PublicPageSettingsView,
} from '../../../src/schemas/public-page.ts';
import { availability } from '../../../src/uptime/durations.ts';
import { londonDay, londonMonthWindow } from '../../../src/uptime/london-time.ts';
import type { ComplianceRepository } from '../compliance/compliance-repository.ts';
import { countedDurations } from '../repositories/evidence-spans.ts';
import { sumAll, type UptimeRepository } from '../repositories/uptime-repository.ts';

export interface PublicPageServiceOptions {
  pool: pg.Pool;
  uptime: UptimeRepository;
  compliance: ComplianceRepository;
  now: () => number;
  /** A page's figures are computed at most this often (its data says when). */
  cacheMs: number;
}

const M_PER_DEG_LAT = 111_320;

/** The 12 complete Europe/London calendar months before the current one. */
export function lastTwelveMonths(nowMs: number): { fromMs: number; toMs: number; label: string } {
  const [y, m] = londonDay(nowMs).slice(0, 7).split('-').map(Number) as [number, number];
  const month = (offset: number) => {
    const index = y * 12 + (m - 1) + offset;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
  };
  const first = month(-12);
  const last = month(-1);
  return {
    fromMs: londonMonthWindow(first).fromMs,
    toMs: londonMonthWindow(last).toMs,
    label: `${first} to ${last} (12 complete months, Europe/London)`,
  };
}

/**
 * Rounds positions to squares of `metres` (their centres) and counts the cameras in each, so that
 * the page shows roughly where cameras are without pointing at one building. 0 keeps them exact.
 */
export function coarsen(
  cameras: readonly { lat: number; lon: number; name: string; purpose: string }[],
  metres: number,
): PublicCameraPlace[] {
  const places = new Map<string, PublicCameraPlace>();
  for (const c of cameras) {
    let lat = c.lat;
    let lon = c.lon;
    if (metres > 0) {
      const latStep = metres / M_PER_DEG_LAT;
      lat = (Math.floor(c.lat / latStep) + 0.5) * latStep;
      // Longitude steps from the square's own latitude, so a square is as wide as it is high.
      const lonStep = metres / (M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180));
      lon = (Math.floor(c.lon / lonStep) + 0.5) * lonStep;
    }
    lat = Math.round(lat * 1e6) / 1e6;
    lon = Math.round(lon * 1e6) / 1e6;
    const key = metres > 0 ? `${lat},${lon}` : `${lat},${lon},${places.size}`;
    const place = places.get(key) ?? { lat, lon, cameras: 0, name: metres > 0 ? null : c.name, purposes: [] };
    place.cameras++;
    if (!place.purposes.includes(c.purpose)) place.purposes.push(c.purpose);
    places.set(key, place);
  }
  return [...places.values()].sort((a, b) => b.lat - a.lat || a.lon - b.lon);
}

/** Combines the cameras' compliance statuses into the scheme's: the worst one decides. */
export function overallStatus(
  counts: PublicPageData['certification']['counts'],
): PublicPageData['certification']['status'] {
  const total = counts.pass + counts.warn + counts.fail + counts.not_evaluable;
  if (total === 0) return 'not_evaluated';
  if (counts.fail > 0) return 'not_met';
  if (counts.not_evaluable > 0) return 'not_fully_assessed';
  if (counts.warn > 0) return 'met_with_warnings';
  return 'met';
}

/** Public pages: the councils' settings, and each page's figures (computed at most every cacheMs). */
export class PublicPageService {
  private readonly cache = new Map<string, { atMs: number; data: PublicPageData }>();

  constructor(private readonly options: PublicPageServiceOptions) {}

  async settings(councilId: string): Promise<PublicPageSettingsView | null> {
    const r = await this.options.pool.query<{
      council_id: string;
      enabled: boolean;
      purpose: string;
      responsible_body: string;
      contact: string;
      coarsen_m: number;
      licence: string;
      updated_by: string;
      updated_at: Date;
    }>('SELECT * FROM council_public_pages WHERE council_id = $1', [councilId]);
    const row = r.rows[0];
    if (!row) return null;
    return {
      councilId: row.council_id,
      enabled: row.enabled,
      purpose: row.purpose,
      responsibleBody: row.responsible_body,
      contact: row.contact,
      coarsenM: row.coarsen_m as PublicPageSettings['coarsenM'],
      licence: row.licence as LicenceId,
      url: `/public/councils/${encodeURIComponent(row.council_id)}`,
      updatedBy: row.updated_by,
      updatedAt: row.updated_at.toISOString(),
    };
  }

  async save(councilId: string, input: PublicPageSettings, user: string): Promise<PublicPageSettingsView> {
    await this.options.pool.query(
      `INSERT INTO council_public_pages
         (council_id, enabled, purpose, responsible_body, contact, coarsen_m, licence, updated_by, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (council_id) DO UPDATE SET enabled = excluded.enabled, purpose = excluded.purpose,
         responsible_body = excluded.responsible_body, contact = excluded.contact, coarsen_m = excluded.coarsen_m,
         licence = excluded.licence, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [
        councilId,
        input.enabled,
        input.purpose.trim(),
        input.responsibleBody.trim(),
        input.contact.trim(),
        input.coarsenM,
        input.licence,
        user,
        new Date(this.options.now()),
      ],
    );
    // What the council changed shows at once, not after the cache's time.
    this.cache.delete(councilId);
    return (await this.settings(councilId)) as PublicPageSettingsView;
  }

  /** Councils whose page is on, for the index. */
  async published(): Promise<{ id: string; name: string }[]> {
    const r = await this.options.pool.query<{ id: string; name: string }>(
      `SELECT k.id, k.name FROM council_public_pages p JOIN councils k ON k.id = p.council_id
       WHERE p.enabled ORDER BY k.name`,
    );
    return r.rows;
  }

  /** The page's data, or null when the council has not switched it on (or does not exist). */
  async data(councilId: string): Promise<PublicPageData | null> {
    const settings = await this.settings(councilId);
    if (!settings?.enabled) return null;
    const nowMs = this.options.now();
    const cached = this.cache.get(councilId);
    if (cached && nowMs - cached.atMs < this.options.cacheMs) return cached.data;
    const data = await this.compute(councilId, settings, nowMs);
    this.cache.set(councilId, { atMs: nowMs, data });
    return data;
  }

  private async compute(
    councilId: string,
    settings: PublicPageSettingsView,
    nowMs: number,
  ): Promise<PublicPageData> {
    const { pool } = this.options;
    const [council, cameras, review] = await Promise.all([
      pool.query<{ name: string }>('SELECT name FROM councils WHERE id = $1', [councilId]),
      // The scheme's cameras: approved and in service (pending ones are not part of it yet).
      pool.query<{ id: string; name: string; purpose: string; lat: number; lon: number }>(
        `SELECT c.id, c.name, c.purpose, ST_Y(c.location) AS lat, ST_X(c.location) AS lon
         FROM cameras c JOIN sites s ON s.id = c.site_id
         WHERE s.council_id = $1 AND c.active AND c.approval = 'approved' ORDER BY c.id`,
        [councilId],
      ),
      pool.query<{ last_review_at: Date | null }>(
        'SELECT last_review_at FROM scheme_records WHERE council_id = $1',
        [councilId],
      ),
    ]);
    const ids = cameras.rows.map((c) => c.id);
    const statuses = await this.options.compliance.summaries(ids, [councilId]);
    const counts = { pass: 0, warn: 0, fail: 0, not_evaluable: 0 };
    for (const s of statuses) counts[s.status] += 1;
    const evaluated = await pool.query<{ at: Date | null }>(
      'SELECT max(evaluated_at) AS at FROM compliance_status WHERE camera_id = ANY($1::text[])',
      [ids],
    );
    // The same figure as the council's uptime report for the same window (GET /api/uptime).
    const window = lastTwelveMonths(nowMs);
    const { durations } = await countedDurations(
      pool,
      this.options.uptime,
      'council',
      councilId,
      null,
      window.fromMs,
      window.toMs,
      nowMs,
    );
    const share = availability(sumAll(durations.values()));
    const licence = LICENCES[settings.licence];
    return {
      council: { id: councilId, name: council.rows[0]?.name ?? councilId },
      purpose: settings.purpose,
      responsibleBody: settings.responsibleBody,
      contact: settings.contact,
      computedAt: new Date(nowMs).toISOString(),
      cameraCount: cameras.rows.length,
      positionsTo: settings.coarsenM,
      places: coarsen(cameras.rows, settings.coarsenM),
      certification: {
        codes: [...new Set(statuses.map((s) => s.packRef))].sort(),
        status: overallStatus(counts),
        counts,
        evaluatedAt: evaluated.rows[0]?.at ? evaluated.rows[0].at.toISOString() : null,
      },
      availability: {
        from: new Date(window.fromMs).toISOString(),
        to: new Date(window.toMs).toISOString(),
        label: window.label,
        share: share === null ? null : Math.round(share * 1_000_000) / 1_000_000,
        counts:
          "Share of the time the scheme's cameras were seen working while the monitor could see them: (up + degraded) / (up + degraded + down), cameras counted while approved; time the monitor could not see is not counted",
      },
      lastReviewAt: review.rows[0]?.last_review_at ? review.rows[0].last_review_at.toISOString() : null,
      licence: { id: settings.licence, name: licence.name, url: licence.url },
    };
  }
}
