import type pg from 'pg';
import type { Place } from '../../../src/schemas/incident-api.ts';
import { loadTowns, type Town } from '../demo/fleet-data.ts';
import type { Scope } from '../repositories/fleet-repository.ts';

const COORDINATES = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*[, ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$/;
const MAX_PLACES = 10;

/**
 * Place look-up for the control room: "lat, lon" as typed, the towns of the region (the same
 * gazetteer the demo fleet is built from) and the hub's sites by name. Prefix matches first.
 */
export class Places {
  private readonly towns: Town[] = loadTowns();

  constructor(private readonly pool: pg.Pool) {}

  async find(q: string, scope: Scope): Promise<Place[]> {
    const coords = COORDINATES.exec(q);
    if (coords) {
      const lat = Number(coords[1]);
      const lon = Number(coords[2]);
      if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180)
        return [{ name: `${lat}, ${lon}`, kind: 'coordinates', detail: 'coordinates (WGS84)', lat, lon }];
    }
    const needle = q.trim().toLowerCase();
    const towns: Place[] = this.towns
      .filter((t) => t.town.toLowerCase().includes(needle))
      .map((t) => ({
        name: t.town,
        kind: 'town',
        detail: `${t.council}, ${t.county}`,
        lat: t.lat,
        lon: t.lon,
      }));
    const sites = await this.pool.query<{ name: string; council: string; lat: number; lon: number }>(
      `SELECT s.name, co.name AS council, ST_Y(s.location) AS lat, ST_X(s.location) AS lon
       FROM sites s JOIN councils co ON co.id = s.council_id
       WHERE s.location IS NOT NULL AND strpos(lower(s.name), $1) > 0
         AND ($2::text[] IS NULL OR s.council_id = ANY($2::text[]))
       ORDER BY s.name LIMIT $3`,
      [needle, scope, MAX_PLACES],
    );
    const all = [
      ...towns,
      ...sites.rows.map(
        (s): Place => ({ name: s.name, kind: 'site', detail: s.council, lat: s.lat, lon: s.lon }),
      ),
    ];
    const starts = (p: Place) => (p.name.toLowerCase().startsWith(needle) ? 0 : 1);
    return all.sort((a, b) => starts(a) - starts(b) || a.name.localeCompare(b.name)).slice(0, MAX_PLACES);
  }
}
