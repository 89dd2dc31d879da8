import { describe, expect, it } from 'vitest';
import type { RecorderEvent } from '../../../edge-agent/src/onvif/pull-point.ts';
import { toCameraEvents } from '../../../edge-agent/src/recorder/event-mapping.ts';

const nvr = { cameraIds: ['bude-01', 'bude-02'], cameraBySourceToken: { VS_1: 'bude-01', VS_2: 'bude-02' } };
const cam = { cameraIds: ['bude-03'], cameraBySourceToken: {} };

const event = (over: Partial<RecorderEvent>): RecorderEvent => ({
  topic: 'tns1:Device/HardwareFailure/StorageFailure',
  kind: 'storage_failure',
  utcTimeMs: undefined,
  propertyOperation: 'Changed',
  source: { Token: 'HDD1' },
  data: { Failed: 'true' },
  active: true,
  ...over,
});

describe('toCameraEvents', () => {
  it('reports a recorder storage failure for every camera on it', () => {
    expect(toCameraEvents(event({}), nvr)).toEqual([
      {
        cameraId: 'bude-01',
        type: 'storage_failure',
        active: true,
        source: 'tns1:Device/HardwareFailure/StorageFailure',
        detail: 'Token=HDD1 Failed=true',
      },
      {
        cameraId: 'bude-02',
        type: 'storage_failure',
        active: true,
        source: 'tns1:Device/HardwareFailure/StorageFailure',
        detail: 'Token=HDD1 Failed=true',
      },
    ]);
  });
  it.each([
    ['mapped channel', nvr, { Source: 'VS_2' }, ['bude-02']],
    ['unmapped channel on an NVR', nvr, { Source: 'VS_9' }, []],
    ['a camera of its own', cam, { Source: 'anything' }, ['bude-03']],
  ])('tamper from a %s', (_name, cameras, source, expected) => {
    const out = toCameraEvents(
      event({
        topic: 'tns1:VideoSource/GlobalSceneChange/ImagingService',
        kind: 'tamper',
        source,
        data: { State: 'false' },
        active: false,
      }),
      cameras,
    );
    expect(out.map((e) => e.cameraId)).toEqual(expected);
    expect(out.every((e) => e.type === 'tamper' && e.active === false)).toBe(true);
  });
  it('drops events without a state and unrelated topics', () => {
    expect(toCameraEvents(event({ active: undefined }), nvr)).toEqual([]);
    expect(toCameraEvents(event({ kind: 'other', topic: 'tns1:VideoSource/MotionAlarm' }), nvr)).toEqual([]);
  });
});
