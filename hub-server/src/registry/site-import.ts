import { Value } from '@sinclair/typebox/value';
import { parse } from 'csv-parse/sync';
import { parseNetworkEntry } from '../../../src/registry/camera-networks.ts';
import { SiteRegistration } from '../../../src/schemas/registry-api.ts';

/** The columns a site CSV may have (header row required; id, name, councilId, hubId and cameraNetworks must be there). */
export const SITE_CSV_COLUMNS = [
  'id',
  'name',
  'councilId',
  'hubId',
  'lat',
  'lon',
  'cameraNetworks',
  'expectedCameras',
  'maxCameras',
] as const;
const REQUIRED = ['id', 'name', 'councilId', 'hubId', 'cameraNetworks'];
export const SITE_CSV_MAX_ROWS = 500;

export interface RowError {
  /** The line in the file (the header is line 1). */
  line: number;
  column: string | null;
  message: string;
}

export interface ParsedSites {
  /** Rows without a problem of their own. */
  sites: { line: number; site: SiteRegistration }[];
  /** Every data row as read, for the checks that need the database. */
  all: { line: number; site: SiteRegistration }[];
  errors: RowError[];
}

/** Lists in a cell: separated by spaces, commas or semicolons. */
const list = (cell: string) =>
  cell
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads a CSV of sites to register, row by row. Every problem is named by line and column; a row
 * with a problem is not returned. Checks that need the database (existing sites, councils and hubs)
 * are the caller's.
 */
export function parseSiteCsv(text: string): ParsedSites {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    const e = error as Error & { lines?: number };
    return {
      sites: [],
      all: [],
      errors: [{ line: e.lines ?? 1, column: null, message: `not a readable CSV file: ${e.message}` }],
    };
  }
  const [header, ...rows] = records;
  if (!header)
    return { sites: [], all: [], errors: [{ line: 1, column: null, message: 'the file is empty' }] };
  const errors: RowError[] = [];
  const unknown = header.filter((h) => !(SITE_CSV_COLUMNS as readonly string[]).includes(h));
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (unknown.length > 0)
    errors.push({
      line: 1,
      column: unknown[0] ?? null,
      message: `unknown column ${unknown.map((u) => `"${u}"`).join(', ')}; the columns are ${SITE_CSV_COLUMNS.join(', ')}`,
    });
  if (missing.length > 0)
    errors.push({ line: 1, column: null, message: `missing column ${missing.join(', ')}` });
  if (errors.length > 0) return { sites: [], all: [], errors };
  if (rows.length > SITE_CSV_MAX_ROWS)
    return {
      sites: [],
      all: [],
      errors: [
        { line: SITE_CSV_MAX_ROWS + 2, column: null, message: `at most ${SITE_CSV_MAX_ROWS} sites per file` },
      ],
    };
  const sites: ParsedSites['sites'] = [];
  const all: ParsedSites['all'] = [];
  const seen = new Map<string, number>();
  rows.forEach((cells, index) => {
    const line = index + 2;
    const cell = (name: string) => cells[header.indexOf(name)] ?? '';
    const rowErrors: RowError[] = [];
    if (cells.length > header.length)
      rowErrors.push({
        line,
        column: null,
        message: `${cells.length} cells, but the header has ${header.length}`,
      });
    const lat = cell('lat');
    const lon = cell('lon');
    const number = (name: string, text: string) => {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) {
        rowErrors.push({ line, column: name, message: `"${text}" is not a number` });
        return null;
      }
      return n;
    };
    let location: SiteRegistration['location'] = null;
    if (lat !== '' || lon !== '') {
      const la = number('lat', lat);
      const lo = number('lon', lon);
      if (la !== null && lo !== null) location = { lat: la, lon: lo };
    }
    const site: SiteRegistration = {
      id: cell('id'),
      name: cell('name'),
      councilId: cell('councilId'),
      hubId: cell('hubId'),
      location,
      cameraNetworks: list(cell('cameraNetworks')),
      ...(cell('expectedCameras') ? { expectedCameras: list(cell('expectedCameras')) } : {}),
      ...(cell('maxCameras') ? { maxCameras: number('maxCameras', cell('maxCameras')) } : {}),
    };
    for (const e of Value.Errors(SiteRegistration, site)) {
      const column = e.path.split('/')[1] ?? null;
      const shown = column === 'location' ? (e.path.endsWith('lat') ? 'lat' : 'lon') : column;
      const value =
        column === 'cameraNetworks' || column === 'expectedCameras' ? `"${String(e.value)}" ` : '';
      if (!rowErrors.some((r) => r.column === shown))
        rowErrors.push({ line, column: shown, message: `${value}${e.message.toLowerCase()}` });
    }
    site.cameraNetworks.forEach((entry) => {
      try {
        parseNetworkEntry(entry);
      } catch (error) {
        if (!rowErrors.some((r) => r.column === 'cameraNetworks'))
          rowErrors.push({
            line,
            column: 'cameraNetworks',
            message: `"${entry}": ${(error as Error).message}`,
          });
      }
    });
    if (site.cameraNetworks.length === 0 && !rowErrors.some((r) => r.column === 'cameraNetworks'))
      rowErrors.push({ line, column: 'cameraNetworks', message: 'at least one camera network is needed' });
    const earlier = seen.get(site.id);
    if (earlier !== undefined)
      rowErrors.push({ line, column: 'id', message: `site ${site.id} is also on line ${earlier}` });
    else if (site.id) seen.set(site.id, line);
    all.push({ line, site });
    if (rowErrors.length > 0) errors.push(...rowErrors);
    else sites.push({ line, site });
  });
  return { sites, all, errors };
}
