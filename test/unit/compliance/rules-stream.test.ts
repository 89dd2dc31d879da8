import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../../src/compliance/evaluate.ts';
import type { Evidence } from '../../../src/compliance/evidence.ts';
import type { Rule } from '../../../src/compliance/rule-pack.ts';
import type { StreamPayload } from '../../../src/schemas/payloads.ts';
import { HOUR_MS, NOW_MS, ruleOf, withEvidence } from './evidence-builders.ts';

type Camera = Evidence['camera'];
const make = (stream: Partial<StreamPayload> | null, camera: Partial<Camera> = {}, ageMs = 3 * HOUR_MS) =>
  withEvidence((e) => {
    Object.assign(e.camera, camera);
    for (const key of Object.keys(camera) as (keyof Camera)[])
      if (camera[key] === undefined) delete e.camera[key];
    if (stream === null) delete e.latestStream;
    else {
      Object.assign(e.latestStream!.payload, stream);
      e.latestStream!.observedAtMs = NOW_MS - ageMs;
    }
  });

interface Row {
  name: string;
  rule: Rule;
  evidence: Evidence;
  status: string;
  reason: RegExp;
}

const density = ruleOf('pixel-density');
const density2025 = ruleOf('pixel-density', { table: 'iec-62676-4-2025' });
const fps = ruleOf('frame-rate');
const codec = ruleOf('codec');
const bitrate = ruleOf('bitrate');

const rows: Row[] = [
  // 1920 px across 2 * 10 m * tan(45) = 20 m: 96 px/m.
  {
    name: '96 px/m meets observe (62.5)',
    rule: density,
    evidence: make({}, { purpose: 'observe' }),
    status: 'pass',
    reason: /^96 px\/m at 10 m \(scene 20 m wide\); observe needs 62\.5 px\/m \(bs-en-62676-4-2015\)$/,
  },
  {
    name: '96 px/m misses recognise (125)',
    rule: density,
    evidence: make({}, { purpose: 'recognise' }),
    status: 'fail',
    reason: /recognise needs 125 px\/m/,
  },
  {
    name: '96 px/m meets observe in the 2025 table (80)',
    rule: density2025,
    evidence: make({}, { purpose: 'observe' }),
    status: 'pass',
    reason: /observe needs 80 px\/m \(iec-62676-4-2025\)/,
  },
  {
    name: '3840 px at 5 m and 60 degrees (665 px/m) meets identify',
    rule: density,
    evidence: make({ width: 3840 }, { purpose: 'identify', hfovDeg: 60, designDistanceM: 5 }),
    status: 'pass',
    reason: /^665\.1 px\/m at 5 m \(scene 5\.77 m wide\)/,
  },
  {
    name: 'a pack value replaces the table value',
    rule: ruleOf('pixel-density', { minPxPerM: { observe: 100 } }),
    evidence: make({}, { purpose: 'observe' }),
    status: 'fail',
    reason: /observe needs 100 px\/m/,
  },
  {
    name: 'density without a commissioned purpose is not evaluable',
    rule: density,
    evidence: make({}, { purpose: undefined }),
    status: 'not_evaluable',
    reason: /no commissioned purpose/,
  },
  {
    name: 'density without HFOV and distance names both',
    rule: density,
    evidence: make({}, { hfovDeg: undefined, designDistanceM: undefined }),
    status: 'not_evaluable',
    reason: /no commissioned horizontal field of view, design distance/,
  },
  {
    name: 'density without a stream probe is not evaluable',
    rule: density,
    evidence: make(null),
    status: 'not_evaluable',
    reason: /no stream reading/,
  },
  {
    name: 'density from a stale probe is not evaluable',
    rule: density,
    evidence: make({}, {}, 27 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale \(27 h old, limit 26 h\)/,
  },
  {
    name: 'density from a probe without a frame width is not evaluable',
    rule: density,
    evidence: make({ width: 0 }),
    status: 'not_evaluable',
    reason: /has no frame width/,
  },
  {
    name: 'density of a fisheye is not evaluable',
    rule: density,
    evidence: make({}, { hfovDeg: 180 }),
    status: 'not_evaluable',
    reason: /180 degree field of view/,
  },

  {
    name: '6 fps meets the general minimum',
    rule: fps,
    evidence: make({ fps: 6 }, { purpose: 'observe' }),
    status: 'pass',
    reason: /6 fps measured \(minimum 6 for observe\)/,
  },
  {
    name: '5.9 fps fails',
    rule: fps,
    evidence: make({ fps: 5.9 }, { purpose: 'observe' }),
    status: 'fail',
    reason: /5\.9 fps/,
  },
  {
    name: '10 fps fails for identify (12)',
    rule: fps,
    evidence: make({ fps: 10 }, { purpose: 'identify' }),
    status: 'fail',
    reason: /minimum 12 for identify/,
  },
  {
    name: '12 fps passes for identify',
    rule: fps,
    evidence: make({ fps: 12 }, { purpose: 'identify' }),
    status: 'pass',
    reason: /minimum 12/,
  },
  {
    name: 'without a purpose, 25 fps meets every threshold',
    rule: fps,
    evidence: make({ fps: 25 }, { purpose: undefined }),
    status: 'pass',
    reason: /minimum 12\)/,
  },
  {
    name: 'without a purpose, 4 fps fails every threshold',
    rule: fps,
    evidence: make({ fps: 4 }, { purpose: undefined }),
    status: 'fail',
    reason: /minimum 6\)/,
  },
  {
    name: 'without a purpose, 8 fps cannot be judged',
    rule: fps,
    evidence: make({ fps: 8 }, { purpose: undefined }),
    status: 'not_evaluable',
    reason: /no commissioned purpose/,
  },
  {
    name: 'an unmeasured frame rate is not evaluable',
    rule: fps,
    evidence: make({ fps: null }),
    status: 'not_evaluable',
    reason: /has no frame rate/,
  },
  {
    name: 'frame rate without a probe is not evaluable',
    rule: fps,
    evidence: make(null),
    status: 'not_evaluable',
    reason: /no stream reading/,
  },
  {
    name: 'frame rate from a stale probe is not evaluable',
    rule: fps,
    evidence: make({ fps: 25 }, {}, 30 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },

  {
    name: 'h264 is allowed',
    rule: codec,
    evidence: make({ codec: 'h264' }),
    status: 'pass',
    reason: /codec h264 is allowed/,
  },
  {
    name: 'hevc is allowed',
    rule: codec,
    evidence: make({ codec: 'hevc' }),
    status: 'pass',
    reason: /allowed/,
  },
  {
    name: 'H.265 spelling is allowed',
    rule: codec,
    evidence: make({ codec: 'H.265' }),
    status: 'pass',
    reason: /allowed/,
  },
  {
    name: 'mjpeg is not allowed',
    rule: codec,
    evidence: make({ codec: 'mjpeg' }),
    status: 'fail',
    reason: /mjpeg is not one of h264, h265, hevc/,
  },
  {
    name: 'an empty codec is not evaluable',
    rule: codec,
    evidence: make({ codec: '' }),
    status: 'not_evaluable',
    reason: /has no codec/,
  },
  {
    name: 'codec without a probe is not evaluable',
    rule: codec,
    evidence: make(null),
    status: 'not_evaluable',
    reason: /no stream reading/,
  },
  {
    name: 'codec from a stale probe is not evaluable',
    rule: codec,
    evidence: make({}, {}, 27 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },

  {
    name: 'half the commissioned bitrate passes',
    rule: bitrate,
    evidence: make({ bitrateKbps: 2000 }, { bitrateKbps: 4000 }),
    status: 'pass',
    reason: /2000 kbps is 50% of the commissioned 4000 kbps \(minimum 50%\)/,
  },
  {
    name: 'under half fails',
    rule: bitrate,
    evidence: make({ bitrateKbps: 1999 }, { bitrateKbps: 4000 }),
    status: 'fail',
    reason: /49\.98%/,
  },
  {
    name: 'no commissioned bitrate is not evaluable',
    rule: bitrate,
    evidence: make({ bitrateKbps: 3000 }, { bitrateKbps: undefined }),
    status: 'not_evaluable',
    reason: /no commissioned bitrate/,
  },
  {
    name: 'an unmeasured bitrate is not evaluable',
    rule: bitrate,
    evidence: make({ bitrateKbps: null }),
    status: 'not_evaluable',
    reason: /has no measured bitrate/,
  },
  {
    name: 'bitrate without a probe is not evaluable',
    rule: bitrate,
    evidence: make(null),
    status: 'not_evaluable',
    reason: /no stream reading/,
  },
  {
    name: 'bitrate from a stale probe is not evaluable',
    rule: bitrate,
    evidence: make({}, {}, 27 * HOUR_MS),
    status: 'not_evaluable',
    reason: /stale/,
  },
];

describe('stream rules', () => {
  it.each(rows)('$name', ({ rule, evidence, status, reason }) => {
    const result = evaluateRule(rule, evidence, NOW_MS);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it('pixel density evidence holds the geometry and the threshold', () => {
    const result = evaluateRule(density, make({}, { purpose: 'recognise' }), NOW_MS);
    expect(result.evidence.values).toEqual({
      widthPx: 1920,
      hfovDeg: 90,
      designDistanceM: 10,
      sceneWidthM: expect.closeTo(20, 9),
      pxPerM: expect.closeTo(96, 9),
    });
    expect(result.evidence.thresholds).toMatchObject({
      table: 'bs-en-62676-4-2015',
      minPxPerM: 125,
      purpose: 'recognise',
    });
    expect(result.evidence.observedAtMs).toBe(NOW_MS - 3 * HOUR_MS);
  });
});
