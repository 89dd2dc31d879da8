import type { GeometryUpdate } from './incident-api.ts';

// The fields of the geometry editor with the limits of GeometryUpdate (src/schemas/incident-api.ts).
// The dashboard keeps TypeBox out of its bundle, so the limits are repeated here; a unit test
// checks they equal the schema's. The hub validates again and its message is shown if it refuses.

export type GeometryField = 'lat' | 'lon' | 'bearingDeg' | 'hfovDeg' | 'rangeM';

export interface GeometryFieldSpec {
  key: GeometryField;
  label: string;
  unit: '°' | 'm';
  min: number;
  /** The schema's exclusiveMinimum: the value must be above `min`. */
  minExclusive: boolean;
  max: number;
  /** What the arrow keys add; any value within the limits is accepted. */
  step: number;
  /** Decimals shown when a value is filled in (lat/lon: 7, about 1 cm). */
  decimals: number;
  hint: string;
}

export const GEOMETRY_FIELDS: readonly GeometryFieldSpec[] = [
  {
    key: 'lat',
    label: 'Latitude',
    unit: '°',
    min: -90,
    minExclusive: false,
    max: 90,
    step: 0.00001,
    decimals: 7,
    hint: 'WGS84, north positive',
  },
  {
    key: 'lon',
    label: 'Longitude',
    unit: '°',
    min: -180,
    minExclusive: false,
    max: 180,
    step: 0.00001,
    decimals: 7,
    hint: 'WGS84, east positive',
  },
  {
    key: 'bearingDeg',
    label: 'Bearing',
    unit: '°',
    min: 0,
    minExclusive: false,
    max: 360,
    step: 1,
    decimals: 1,
    hint: 'Centre of the view, clockwise from true north',
  },
  {
    key: 'hfovDeg',
    label: 'Horizontal field of view',
    unit: '°',
    min: 0,
    minExclusive: true,
    max: 360,
    step: 1,
    decimals: 1,
    hint: 'Width of the view; 360 for a dome that sees all round',
  },
  {
    key: 'rangeM',
    label: 'Useful range',
    unit: 'm',
    min: 0,
    minExclusive: true,
    max: 2000,
    step: 5,
    decimals: 1,
    hint: 'How far the camera usefully sees',
  },
];

export type GeometryValues = Record<GeometryField, string>;
export type GeometryErrors = Partial<Record<GeometryField, string>>;

export function quantity(value: number, unit: GeometryFieldSpec['unit']): string {
  return unit === '°' ? `${value}°` : `${value} ${unit}`;
}

/** Input text for each field, rounded to its decimals (floating-point noise would read as a survey). */
export function geometryValues(update: GeometryUpdate): GeometryValues {
  const numbers: Record<GeometryField, number> = {
    lat: update.location.lat,
    lon: update.location.lon,
    bearingDeg: update.bearingDeg,
    hfovDeg: update.hfovDeg,
    rangeM: update.rangeM,
  };
  const values = {} as GeometryValues;
  for (const field of GEOMETRY_FIELDS) values[field.key] = formatValue(numbers[field.key], field.decimals);
  return values;
}

export function formatValue(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

/** The message for one field's text, or null when it is within the limits. */
export function fieldError(field: GeometryFieldSpec, text: string): string | null {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) return `Enter the ${field.label.toLowerCase()} as a number.`;
  const low = field.minExclusive ? value <= field.min : value < field.min;
  if (low || value > field.max)
    return `${field.label} must be ${field.minExclusive ? 'more than' : 'at least'} ${quantity(field.min, field.unit)} and at most ${quantity(field.max, field.unit)}.`;
  return null;
}

/** The update to send when every field is valid, else the messages by field. */
export function readGeometry(
  values: GeometryValues,
): { ok: true; update: GeometryUpdate } | { ok: false; errors: GeometryErrors } {
  const errors: GeometryErrors = {};
  for (const field of GEOMETRY_FIELDS) {
    const message = fieldError(field, values[field.key]);
    if (message !== null) errors[field.key] = message;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    update: {
      location: { lat: Number(values.lat), lon: Number(values.lon) },
      bearingDeg: Number(values.bearingDeg),
      hfovDeg: Number(values.hfovDeg),
      rangeM: Number(values.rangeM),
    },
  };
}

/**
 * The field a refusal of the hub is about, from the body path its validation names
 * (`body/rangeM must be <= 2000`, `body/location/lat must be >= -90`); null when it names none.
 */
export function fieldOfHubMessage(message: string): { field: GeometryField; rest: string } | null {
  const match = /^body\/(?:location\/)?(lat|lon|bearingDeg|hfovDeg|rangeM)\b\s*(.*)$/.exec(message.trim());
  if (!match) return null;
  return { field: match[1] as GeometryField, rest: match[2] ?? '' };
}
