import type { TNumber, TObject } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  fieldError,
  fieldOfHubMessage,
  GEOMETRY_FIELDS,
  type GeometryValues,
  geometryValues,
  readGeometry,
} from '../../../dashboard/src/geometry-fields.ts';
import { GeometryUpdate } from '../../../src/schemas/incident-api.ts';

const spec = (key: string) => GEOMETRY_FIELDS.find((f) => f.key === key)!;
const VALID: GeometryValues = {
  lat: '50.1186',
  lon: '-5.5371',
  bearingDeg: '90',
  hfovDeg: '60',
  rangeM: '120',
};

describe('geometry editor fields', () => {
  it("has the limits of the hub's GeometryUpdate schema, field for field", () => {
    const location = GeometryUpdate.properties.location as TObject<Record<string, TNumber>>;
    const schemaOf: Record<string, TNumber> = {
      lat: location.properties.lat!,
      lon: location.properties.lon!,
      bearingDeg: GeometryUpdate.properties.bearingDeg,
      hfovDeg: GeometryUpdate.properties.hfovDeg,
      rangeM: GeometryUpdate.properties.rangeM,
    };
    expect(GEOMETRY_FIELDS.map((f) => f.key).sort()).toEqual(Object.keys(schemaOf).sort());
    for (const field of GEOMETRY_FIELDS) {
      const schema = schemaOf[field.key]!;
      expect({ key: field.key, min: field.min, minExclusive: field.minExclusive, max: field.max }).toEqual({
        key: field.key,
        min: schema.exclusiveMinimum ?? schema.minimum,
        minExclusive: schema.exclusiveMinimum !== undefined,
        max: schema.maximum,
      });
    }
  });

  it.each([
    ['hfovDeg', '0', 'Horizontal field of view must be more than 0° and at most 360°.'],
    ['hfovDeg', '-5', 'Horizontal field of view must be more than 0° and at most 360°.'],
    ['hfovDeg', '360', null],
    ['hfovDeg', '0.5', null],
    ['rangeM', '2000', null],
    ['rangeM', '2000.5', 'Useful range must be more than 0 m and at most 2000 m.'],
    ['rangeM', '', 'Enter the useful range as a number.'],
    ['rangeM', 'far', 'Enter the useful range as a number.'],
    ['bearingDeg', '0', null],
    ['bearingDeg', '360', null],
    ['bearingDeg', '361', 'Bearing must be at least 0° and at most 360°.'],
    ['bearingDeg', '-1', 'Bearing must be at least 0° and at most 360°.'],
    ['lat', '-90', null],
    ['lat', '90.1', 'Latitude must be at least -90° and at most 90°.'],
    ['lon', 'Infinity', 'Enter the longitude as a number.'],
  ])('%s = %j: %s', (key, text, expected) => {
    expect(fieldError(spec(key), text)).toBe(expected);
  });

  it('reads a valid form into the request body', () => {
    expect(readGeometry(VALID)).toEqual({
      ok: true,
      update: { location: { lat: 50.1186, lon: -5.5371 }, bearingDeg: 90, hfovDeg: 60, rangeM: 120 },
    });
  });

  it('collects every invalid field', () => {
    const read = readGeometry({ ...VALID, hfovDeg: '0', rangeM: '5000' });
    expect(read.ok).toBe(false);
    expect(read.ok ? null : Object.keys(read.errors).sort()).toEqual(['hfovDeg', 'rangeM']);
  });

  it('fills the form without floating-point noise', () => {
    expect(
      geometryValues({
        location: { lat: 50.118600000000001, lon: -5.537099999999 },
        bearingDeg: 12.000000001,
        hfovDeg: 59.95,
        rangeM: 80,
      }),
    ).toEqual({ lat: '50.1186', lon: '-5.5371', bearingDeg: '12', hfovDeg: '60', rangeM: '80' });
  });

  it.each([
    ['body/rangeM must be <= 2000', { field: 'rangeM', rest: 'must be <= 2000' }],
    ['body/hfovDeg must be > 0', { field: 'hfovDeg', rest: 'must be > 0' }],
    ['body/location/lat must be >= -90', { field: 'lat', rest: 'must be >= -90' }],
    ['camera x not found', null],
    ["body must have required property 'location'", null],
  ])('finds the field in the hub message %j', (message, expected) => {
    expect(fieldOfHubMessage(message)).toEqual(expected);
  });
});
