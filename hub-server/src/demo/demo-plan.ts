import type { AgentConfig } from '../../../src/config/agent-config.ts';
import type { Purpose } from '../../../src/schemas/commissioning.ts';
import { loadTowns, slug } from './fleet-data.ts';

/** Deterministic pseudo-random numbers so every demo start builds the same fleet. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoCamera {
  id: string;
  name: string;
  siteId: string;
  username: string;
  password: string;
  profile: { width: number; height: number; fps: number; bitrateKbps: number };
  commissioning: AgentConfig['cameras'][number]['commissioning'];
  firmwareVersion: string;
}

export interface DemoSite {
  id: string;
  name: string;
  councilId: string;
  hubId: string;
  location: { lat: number; lon: number };
  cameras: DemoCamera[];
}

const PURPOSES: readonly Purpose[] = [
  'identify',
  'recognise',
  'recognise',
  'observe',
  'observe',
  'observe',
  'detect',
  'monitor',
];
const PROFILES = [
  { width: 1920, height: 1080, fps: 25, bitrateKbps: 4000 },
  { width: 1280, height: 720, fps: 25, bitrateKbps: 2000 },
  { width: 1280, height: 720, fps: 12, bitrateKbps: 1200 },
] as const;
const STREETS = [
  'Market Place',
  'Fore Street',
  'Harbour',
  'Station Road',
  'Church Street',
  'Bus Station',
  'Car Park',
  'High Street',
  'Quay',
  'Promenade',
  'Square',
  'Bridge',
];

/** The demo fleet: one site per town, cameras scattered around the town centre. */
export function planDemoFleet(options: {
  towns: readonly string[] | null;
  maxCamerasPerSite: number;
  seed?: number;
}): DemoSite[] {
  const random = seededRandom(options.seed ?? 62676);
  const wanted = options.towns ? new Set(options.towns.map((t) => t.toLowerCase())) : null;
  return loadTowns()
    .filter((t) => !wanted || wanted.has(t.town.toLowerCase()))
    .map((town) => {
      const siteId = slug(town.town);
      const count = Math.min(town.cameras, options.maxCamerasPerSite);
      const cameras: DemoCamera[] = [];
      for (let i = 1; i <= count; i++) {
        const id = `${siteId}-${String(i).padStart(2, '0')}`;
        // ~400 m scatter: 1 degree of latitude is ~111 km.
        const lat = town.lat + (random() - 0.5) * 0.008;
        const lon = town.lon + (random() - 0.5) * 0.012;
        const profile = PROFILES[Math.floor(random() * PROFILES.length)] ?? PROFILES[0];
        cameras.push({
          id,
          name: `${town.town} ${STREETS[(i - 1) % STREETS.length]}${i > STREETS.length ? ` ${Math.ceil(i / STREETS.length)}` : ''}`,
          siteId,
          username: 'monitor',
          password: `sim-${siteId}-${i}`,
          profile: { ...profile },
          commissioning: {
            location: { lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)) },
            bearingDeg: Math.round(random() * 359),
            hfovDeg: Math.round(40 + random() * 50),
            designDistanceM: Math.round(8 + random() * 32),
            purpose: PURPOSES[Math.floor(random() * PURPOSES.length)] ?? 'observe',
            bitrateKbps: profile.bitrateKbps,
          },
          firmwareVersion: random() < 0.85 ? '5.7.3' : '5.4.0',
        });
      }
      return {
        id: siteId,
        name: `${town.town} town CCTV`,
        councilId: slug(town.council),
        hubId: town.hub,
        location: { lat: town.lat, lon: town.lon },
        cameras,
      };
    });
}
