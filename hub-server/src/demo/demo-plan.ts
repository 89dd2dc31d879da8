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

/** A simulated mobile source of the demo: a police drone or an officer's body-worn camera. */
export interface DemoSource {
  id: string;
  kind: 'drone' | 'bodyworn';
  name: string;
  unit: string;
  /** The demo site whose MQTT identity relays its telemetry (as a ground station would). */
  relaySiteId: string;
  route: { lat: number; lon: number }[];
  speedMps: number;
  altitudeM?: number;
  gimbalPitchDeg?: number;
  /** Viewing credentials of its simulated stream. */
  username: string;
  password: string;
}

/** The point `east` and `north` metres from `at` (flat-earth offsets: a few hundred metres). */
function offset(at: { lat: number; lon: number }, east: number, north: number): { lat: number; lon: number } {
  const lat = at.lat + north / 111_320;
  const lon = at.lon + east / (111_320 * Math.cos((at.lat * Math.PI) / 180));
  return { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
}

/**
 * The demo's mobile sources, over its first town (Penzance when it is in the demo): a drone patrolling
 * a 1.2 km line along the front at 12 m/s and 80 m, and two officers on foot with body-worn cameras.
 * Planned from the sites alone, so the hub and the demo fleet agree on them without talking.
 */
export function planDemoSources(sites: readonly DemoSite[]): DemoSource[] {
  const site = sites.find((s) => s.id === 'penzance') ?? sites[0];
  if (!site) return [];
  const centre = site.location;
  const unit = 'Devon and Cornwall Police';
  return [
    {
      id: 'police-drone-1',
      kind: 'drone',
      name: 'Drone 1',
      unit: `${unit} drone unit`,
      relaySiteId: site.id,
      route: [offset(centre, -600, -150), offset(centre, 0, 0), offset(centre, 600, 150)],
      speedMps: 12,
      altitudeM: 80,
      gimbalPitchDeg: 50,
      username: 'drone-viewer',
      password: 'demo-drone-1',
    },
    {
      id: 'bodyworn-pc-1',
      kind: 'bodyworn',
      name: 'PC 1',
      unit: `${unit} neighbourhood team`,
      relaySiteId: site.id,
      route: [offset(centre, -100, 60), offset(centre, 150, 80), offset(centre, 200, -60)],
      speedMps: 1.4,
      username: 'bwv-viewer',
      password: 'demo-bwv-1',
    },
    {
      id: 'bodyworn-pc-2',
      kind: 'bodyworn',
      name: 'PC 2',
      unit: `${unit} neighbourhood team`,
      relaySiteId: site.id,
      route: [offset(centre, 80, -120), offset(centre, -150, -40), offset(centre, -220, 120)],
      speedMps: 1.3,
      username: 'bwv-viewer',
      password: 'demo-bwv-2',
    },
  ];
}
