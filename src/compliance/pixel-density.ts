import type { Purpose } from '../schemas/commissioning.ts';

export type PixelDensityTable = 'bs-en-62676-4-2015' | 'iec-62676-4-2025';
export const PIXEL_DENSITY_TABLES: readonly PixelDensityTable[] = ['bs-en-62676-4-2015', 'iec-62676-4-2025'];

/**
 * BS EN 62676-4:2015 (= IEC 62676-4:2014) operational-requirement levels: minimum horizontal
 * pixels per metre of scene at the target for each purpose. The values are the widely published
 * DORI levels (e.g. identify = 4 mm per pixel).
 */
const BS_EN_62676_4_2015: Readonly<Record<Purpose, number>> = {
  identify: 250,
  recognise: 125,
  observe: 62.5,
  detect: 25,
  monitor: 12.5,
};

/**
 * IEC 62676-4:2025 (edition 2, in force October 2025) replaced the DORI levels with seven named
 * levels. SOURCE / UNCERTAINTY: the values below come from secondary sources (vendor design-tool notes
 * and white papers describing the 2025 edition: overview 20, outline 40, discern 80, perceive 125,
 * characterise 250, validate 500, scrutinise 1500 px/m), not from the standard's own text, which was
 * not available here. Check them against a purchased copy before a pack relies on them for evidence.
 */
export const IEC_62676_4_2025_LEVELS_PX_PER_M = {
  overview: 20,
  outline: 40,
  discern: 80,
  perceive: 125,
  characterise: 250,
  validate: 500,
  scrutinise: 1500,
} as const;

/**
 * Our commissioning purposes use the 2015 names. Mapping them onto the 2025 levels is this project's
 * judgement, not the standard's: each purpose maps to the 2025 level describing the same operator task
 * (identify -> validate, as vendor notes say identification now needs 500 px/m). A pack can replace any
 * value with `minPxPerM`.
 */
const IEC_62676_4_2025: Readonly<Record<Purpose, number>> = {
  identify: IEC_62676_4_2025_LEVELS_PX_PER_M.validate,
  recognise: IEC_62676_4_2025_LEVELS_PX_PER_M.characterise,
  observe: IEC_62676_4_2025_LEVELS_PX_PER_M.discern,
  detect: IEC_62676_4_2025_LEVELS_PX_PER_M.outline,
  monitor: IEC_62676_4_2025_LEVELS_PX_PER_M.overview,
};

const TABLES: Readonly<Record<PixelDensityTable, Readonly<Record<Purpose, number>>>> = {
  'bs-en-62676-4-2015': BS_EN_62676_4_2015,
  'iec-62676-4-2025': IEC_62676_4_2025,
};

export function requiredPxPerM(table: PixelDensityTable, purpose: Purpose): number {
  return TABLES[table][purpose];
}

/**
 * Width of the scene covered at `distanceM` by a rectilinear lens: 2 d tan(hfov / 2). Returns null
 * for a field of view of 180 degrees or more (fisheye, panoramic), where a flat-plane width has no meaning.
 */
export function sceneWidthM(hfovDeg: number, distanceM: number): number | null {
  if (!(hfovDeg > 0 && hfovDeg < 180) || !(distanceM > 0)) return null;
  return 2 * distanceM * Math.tan((hfovDeg * Math.PI) / 360);
}

/** Horizontal pixels per metre of scene at the design distance; null when the geometry has no meaning. */
export function pixelDensityPxPerM(widthPx: number, hfovDeg: number, distanceM: number): number | null {
  const sceneM = sceneWidthM(hfovDeg, distanceM);
  if (sceneM === null || !(widthPx > 0)) return null;
  return widthPx / sceneM;
}
