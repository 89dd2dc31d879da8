import { describe, expect, it } from 'vitest';
import {
  dedupePackets,
  estimateFromPackets,
  parseFrameRate,
  parseNumber,
  toPacketSamples,
} from '../../../edge-agent/src/media/packet-stats.ts';

describe('estimateFromPackets', () => {
  it('measures fps and bitrate from a steady 15 fps, 40 kB/s stream', () => {
    // 31 packets over 2 s: 15 fps; each 2,666 bytes except a 10x keyframe.
    const packets = Array.from({ length: 31 }, (_, i) => ({
      timeS: i / 15,
      sizeBytes: i === 0 ? 26_660 : 2_666,
    }));
    const est = estimateFromPackets(packets);
    expect(est.fps).toBeCloseTo(15, 2);
    expect(est.spanS).toBeCloseTo(2, 6);
    const bytes = 26_660 + 30 * 2_666;
    const coveredS = (31 * 2) / 30;
    expect(est.bitrateKbps).toBeCloseTo((bytes * 8) / coveredS / 1000, 1);
  });

  it('is order-independent (B-frames make pts non-monotonic)', () => {
    const times = [0, 0.08, 0.04, 0.16, 0.12, 0.2];
    const est = estimateFromPackets(times.map((t) => ({ timeS: t, sizeBytes: 1000 })));
    expect(est.fps).toBeCloseTo(25, 2);
  });

  it.each([
    { name: 'no packets', packets: [] },
    { name: 'one packet', packets: [{ timeS: 1, sizeBytes: 100 }] },
    {
      name: 'no timestamps',
      packets: [
        { timeS: null, sizeBytes: 100 },
        { timeS: null, sizeBytes: 100 },
      ],
    },
    {
      name: 'same timestamp',
      packets: [
        { timeS: 1, sizeBytes: 100 },
        { timeS: 1, sizeBytes: 100 },
      ],
    },
  ])('gives nulls for $name', ({ packets }) => {
    const est = estimateFromPackets(packets);
    expect(est.fps).toBeNull();
    expect(est.bitrateKbps).toBeNull();
  });
});

describe('ffprobe value parsing', () => {
  it.each([
    ['15/1', 15],
    ['30000/1001', 29.97002997],
    ['0/0', null],
    ['N/A', null],
    [undefined, null],
  ])('frame rate %s', (raw, want) => {
    const got = parseFrameRate(raw);
    if (want === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(want, 6);
  });

  it.each([
    ['1234', 1234],
    [1234, 1234],
    ['N/A', null],
    ['', null],
    [null, null],
  ])('number %s', (raw, want) => {
    expect(parseNumber(raw)).toBe(want);
  });

  it('prefers pts_time and falls back to dts_time', () => {
    expect(
      toPacketSamples([
        { pts_time: '0.066667', dts_time: '0.000000', size: '812' },
        { pts_time: 'N/A', dts_time: '0.133333', size: '640' },
      ]),
    ).toEqual([
      { timeS: 0.066667, sizeBytes: 812 },
      { timeS: 0.133333, sizeBytes: 640 },
    ]);
  });
});

describe('real ffprobe output (simulator, H.264 320x240 at 10 fps, 300 kbit/s profile)', () => {
  it('measures 10 fps and counts the untimed keyframe', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(
      new URL('../../fixtures/ffprobe/sim-h264-320x240-10fps.json', import.meta.url),
      'utf8',
    );
    const json = JSON.parse(text) as { packets: Record<string, unknown>[] };
    const samples = toPacketSamples(json.packets);
    expect(samples[0]?.timeS).toBeNull();
    const est = estimateFromPackets(samples);
    expect(est.fps).toBeCloseTo(10, 1);
    const bytes = samples.reduce((n, s) => n + s.sizeBytes, 0);
    expect(est.bitrateKbps).toBeCloseTo((bytes * 8) / (samples.length / 10) / 1000, 0);
  });
});

describe('repeated packets (same pts)', () => {
  // 15 fps for 2 s, ~1,026 kbit/s: 8,550 bytes a frame.
  const clean = Array.from({ length: 31 }, (_, i) => ({ timeS: i / 15, sizeBytes: 8_550 }));

  it.each([
    { name: 'every packet sent twice', repeat: (i: number) => i >= 0 },
    { name: 'every other packet sent twice', repeat: (i: number) => i % 2 === 0 },
    { name: 'a burst of repeats after a stall', repeat: (i: number) => i >= 10 && i < 20 },
  ])('gives the clean figures when $name', ({ repeat }) => {
    const repeated = clean.flatMap((p, i) => (repeat(i) ? [p, { ...p }] : [p]));
    const est = estimateFromPackets(repeated);
    const ref = estimateFromPackets(clean);
    expect(est.duplicateCount).toBe(repeated.length - clean.length);
    expect(est.duplicateCount).toBeGreaterThan(0);
    expect(est.packetCount).toBe(31);
    expect(est.fps).toBe(ref.fps);
    expect(est.bitrateKbps).toBe(ref.bitrateKbps);
    expect(est.fps).toBeCloseTo(15, 2);
    expect(est.bitrateKbps).toBeCloseTo(1026, 0);
  });

  it('drops the copy of a pts-less keyframe, which ffprobe gives a pts (captured from a repeating stream)', () => {
    // ffprobe -show_entries packet=pts_time,size over RTSP, every frame sent twice.
    const captured: [string, string][] = [
      ['N/A', '11465'],
      ['0.000000', '11465'],
      ['0.100000', '5057'],
      ['0.100000', '5057'],
      ['0.200000', '5312'],
      ['0.200000', '5312'],
    ];
    const samples = toPacketSamples(captured.map(([pts_time, size]) => ({ pts_time, size })));
    const { unique, duplicateCount } = dedupePackets(samples);
    expect(duplicateCount).toBe(3);
    expect(unique.map((p) => p.sizeBytes)).toEqual([11465, 5057, 5312]);
  });

  it('keeps a pts-less packet followed by a different one', () => {
    const { duplicateCount } = dedupePackets([
      { timeS: null, sizeBytes: 11465 },
      { timeS: 0.1, sizeBytes: 5057 },
    ]);
    expect(duplicateCount).toBe(0);
  });

  it('keeps pts-less packets of different sizes', () => {
    const { unique, duplicateCount } = dedupePackets([
      { timeS: null, sizeBytes: 100 },
      { timeS: null, sizeBytes: 90 },
      { timeS: 0.1, sizeBytes: 10 },
      { timeS: 0.1, sizeBytes: 10 },
    ]);
    expect(unique).toHaveLength(3);
    expect(duplicateCount).toBe(1);
  });

  it('counts no duplicates in a clean stream', () => {
    expect(estimateFromPackets(clean).duplicateCount).toBe(0);
  });
});
