import { readFileSync } from 'node:fs';
import { fromRoot } from '../../../src/paths.ts';

export interface Town {
  town: string;
  county: string;
  council: string;
  hub: string;
  lat: number;
  lon: number;
  cameras: number;
}

export interface HubRecord {
  hub: string;
  name: string;
  operator: string;
  lat: number;
  lon: number;
}

function parseCsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(fromRoot('hub-server', 'src', 'demo', path), 'utf8')
    .trim()
    .split(/\r?\n/);
  const keys = (header ?? '').split(',');
  // The shipped files have no quoted fields; a stray quote means the file was edited wrongly.
  return lines.map((line, i) => {
    if (line.includes('"')) throw new Error(`${path} line ${i + 2}: quoted fields are not supported`);
    const values = line.split(',');
    if (values.length !== keys.length)
      throw new Error(`${path} line ${i + 2}: expected ${keys.length} fields`);
    return Object.fromEntries(keys.map((k, j) => [k, values[j] ?? '']));
  });
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function loadTowns(): Town[] {
  return parseCsv('./data/towns.csv').map((r) => ({
    town: r.town ?? '',
    county: r.county ?? '',
    council: r.council ?? '',
    hub: r.hub ?? '',
    lat: Number(r.lat),
    lon: Number(r.lon),
    cameras: Number(r.cameras),
  }));
}

export function loadHubs(): HubRecord[] {
  return parseCsv('./data/hubs.csv').map((r) => ({
    hub: r.hub ?? '',
    name: r.name ?? '',
    operator: r.operator ?? '',
    lat: Number(r.lat),
    lon: Number(r.lon),
  }));
}
