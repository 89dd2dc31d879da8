import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  blurMethodOf,
  coveredSeconds,
  type FrameMetadata,
  outputLabels,
  parseFilterList,
  parseMetadataPrint,
  summariseVideo,
  videoAnalysisArgs,
  videoFilterGraph,
} from '../../../edge-agent/src/media/video-analysis.ts';

// Fixtures: metadata printed by the npm-shipped ffmpeg (2018 static build, edgedetect) and by Debian's
// ffmpeg 5.1 (debian-5.1/, blurdetect) running the agent's own filter graph over 4 s of the simulator's
// test pattern at 2 fps, against a reference frame of the normal view.
const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../fixtures/ffmpeg-video/${name}`, import.meta.url)), 'utf8');
const outputs = (scene: string) => ({
  live: fixture(`${scene}/live.txt`),
  reference: fixture(`${scene}/reference.txt`),
  scene: fixture(`${scene}/scene.txt`),
  snapshot: fixture(`${scene}/snapshot.txt`),
});

describe('ffmpeg filter list', () => {
  it('reads the 2018 static build: freezedetect, blackdetect, ssim, edgedetect, but no blurdetect', () => {
    const filters = parseFilterList(fixture('filters-static-2018.txt'));
    for (const name of [
      'freezedetect',
      'blackdetect',
      'ssim',
      'psnr',
      'signalstats',
      'edgedetect',
      'metadata',
    ])
      expect(filters.has(name), name).toBe(true);
    expect(filters.has('blurdetect')).toBe(false);
    expect(filters.has('=')).toBe(false);
    expect(blurMethodOf(filters)).toBe('edgedetect');
  });

  it("reads Debian's ffmpeg 5.1, which has blurdetect", () => {
    expect(blurMethodOf(parseFilterList(fixture('filters-debian-5.1.txt')))).toBe('blurdetect');
  });

  it('picks blurdetect where the build lists it (the newer three-flag format)', () => {
    const text =
      ' TSC blurdetect         V->V       Blurdetect filter.\n ..C freezedetect      V->V       Detects frozen video input.\n';
    expect(blurMethodOf(parseFilterList(text))).toBe('blurdetect');
  });
});

describe('metadata print', () => {
  it('splits frames and keys', () => {
    const frames = parseMetadataPrint(
      'frame:0    pts:0       pts_time:0\nlavfi.ssim.All=0.77\nframe:1    pts:1       pts_time:0.5\nlavfi.black_start=0.5\n',
    );
    expect(frames).toHaveLength(2);
    expect(frames[0]?.values.get('lavfi.ssim.All')).toBe('0.77');
    expect(frames[1]?.ptsTime).toBe(0.5);
  });

  it('ignores key lines before any frame and frames with an unreadable time', () => {
    expect(parseMetadataPrint('lavfi.x=1\nframe:0 pts:N/A pts_time:N/A\nlavfi.y=2\n')).toEqual([]);
  });
});

describe('covered time of detector runs', () => {
  const f = (ptsTime: number, values: Record<string, string> = {}): FrameMetadata => ({
    ptsTime,
    values: new Map(Object.entries(values)),
  });
  it.each([
    ['no run', [f(0), f(1)], 0],
    ['open to the end', [f(0), f(1, { s: '0.5' })], 1.5],
    ['closed', [f(0, { s: '0' }), f(1, { e: '1' })], 1],
    ['closed and reopened on one frame', [f(0, { s: '0' }), f(1, { e: '0.5', s: '1' })], 1.5],
    ['started before the sample', [f(0, { s: '-3' })], 2],
    ['start and end on one frame (ffmpeg 5)', [f(0), f(1, { s: '0', e: '1' }), f(1.5)], 1],
  ])('%s', (_name, frames, seconds) => {
    expect(coveredSeconds(frames, 's', 'e', 0, 2)).toBeCloseTo(seconds, 6);
  });
});

describe('measures from captured ffmpeg output', () => {
  it('normal view: nothing frozen or black, sharp, matches reference and snapshot', () => {
    const m = summariseVideo(outputs('normal'), 2, 'edgedetect');
    expect(m).toMatchObject({
      frames: 8,
      sampleMs: 4000,
      frozenShare: 0,
      blackShare: 0,
      blurMethod: 'edgedetect',
    });
    expect(m.sharpnessRatio).toBeGreaterThan(0.9);
    expect(m.sceneSsim).toBeGreaterThan(0.7);
    expect(m.snapshotSsim).toBeGreaterThan(0.7);
  });

  it('frozen: freezedetect covers the whole sample', () => {
    expect(summariseVideo(outputs('frozen'), 2, 'edgedetect').frozenShare).toBe(1);
  });

  it('black: blackdetect covers the whole sample', () => {
    const m = summariseVideo(outputs('black'), 2, 'edgedetect');
    expect(m.blackShare).toBe(1);
    expect(m.sharpness).toBe(0);
  });

  it('half black: blackdetect start and end give half the sample; an unrelated snapshot scores low', () => {
    const m = summariseVideo(outputs('halfblack'), 2, 'edgedetect');
    expect(m.blackShare).toBe(0.5);
    expect(m.frozenShare).toBe(0);
    expect(m.snapshotSsim).toBeLessThan(0.3);
  });

  it('blurred: edge share falls far below the reference frame’s', () => {
    expect(summariseVideo(outputs('blur'), 2, 'edgedetect').sharpnessRatio).toBeLessThan(0.2);
  });

  it('turned away: the view keeps its detail but no longer matches the reference', () => {
    const m = summariseVideo(outputs('turned'), 2, 'edgedetect');
    expect(m.sharpnessRatio).toBeGreaterThan(0.9);
    expect(m.sceneSsim).toBeLessThan(0.3);
  });

  it('without reference or snapshot: those measures are null, not guessed', () => {
    const m = summariseVideo(
      { live: fixture('normal/live.txt'), reference: null, scene: null, snapshot: null },
      2,
      'edgedetect',
    );
    expect(m).toMatchObject({ sharpnessRatio: null, sceneSsim: null, snapshotSsim: null });
    expect(m.sharpness).toBeGreaterThan(0);
  });

  it("Debian's ffmpeg 5.1 (blurdetect): a blurred lens keeps a fifth of the reference's sharpness", () => {
    const debian = (scene: string) => outputs(`debian-5.1/${scene}`);
    const normal = summariseVideo(debian('normal'), 2, 'blurdetect');
    expect(normal).toMatchObject({ frames: 8, frozenShare: 0, blackShare: 0, blurMethod: 'blurdetect' });
    expect(normal.sharpnessRatio).toBeGreaterThan(0.9);
    expect(summariseVideo(debian('blur'), 2, 'blurdetect').sharpnessRatio).toBeLessThan(0.3);
    // ffmpeg 5 puts a finished run's start and end on one frame.
    expect(summariseVideo(debian('halfblack'), 2, 'blurdetect')).toMatchObject({
      blackShare: 0.5,
      frozenShare: 0.5,
    });
  });
});

describe('ffmpeg arguments', () => {
  const files = {
    live: '/tmp/a/live.txt',
    reference: '/tmp/a/ref.txt',
    scene: '/tmp/a/scene.txt',
    snapshot: '/tmp/a/snap.txt',
  };
  const base = {
    rate: 2,
    freezeMinS: 2,
    blurMethod: 'edgedetect' as const,
    hasReference: true,
    hasSnapshot: true,
    files,
  };

  it('bounds RTSP input in time and reads the snapshot from stdin', () => {
    const args = videoAnalysisArgs({
      ...base,
      uri: 'rtsp://u:p@cam/main',
      sampleMs: 4000,
      timeoutMs: 15000,
      timeoutOption: '-stimeout',
      referencePath: '/ref/cam.png',
      keyframesOnly: true,
    });
    expect(args.join(' ')).toContain('-rtsp_transport tcp -stimeout 15000000');
    expect(args.join(' ')).toContain(
      '-t 4.000 -an -sn -dn -i rtsp://u:p@cam/main -i /ref/cam.png -f image2pipe -i pipe:0',
    );
    expect(args.filter((a) => a === '-map')).toHaveLength(4);
    expect(args.join(' ')).toContain('-threads 1 -skip_frame nokey');
  });

  it('uses blurdetect when offered, and one output per branch present', () => {
    const graph = videoFilterGraph({
      ...base,
      blurMethod: 'blurdetect',
      hasReference: false,
      hasSnapshot: false,
    });
    expect(graph).toContain('blurdetect');
    expect(graph).not.toContain('ssim');
    expect(graph).toContain('freezedetect=n=-60dB:d=2');
    // Thinned with select, never fps: fps would repeat frames of a slow stream and look frozen.
    expect(graph).toMatch(/^\[0:v\]select='isnan\(prev_selected_t\)\+gte\(t-prev_selected_t,0\.475\)'/);
  });

  it("places a camera's graph in a shared run: its own inputs, labels apart from the others'", () => {
    const graph = videoFilterGraph({ ...base, inputBase: 3, labelPrefix: 'c1' });
    // Its stream is input 3, its reference 4 and its snapshot 5; nothing of input 0's.
    expect(graph).toMatch(/^\[3:v\]/);
    expect(graph).toContain('[4:v]');
    expect(graph).toContain('[5:v]');
    expect(graph).not.toMatch(/\[[0-2]:v\]/);
    const labels = [...graph.matchAll(/\[([a-z]\w*)\]/g)].map((m) => m[1] as string);
    expect(labels.length).toBeGreaterThan(10);
    for (const label of labels) expect(label.startsWith('c1')).toBe(true);
    expect(outputLabels({ hasReference: true, hasSnapshot: true, labelPrefix: 'c1' })).toEqual([
      'c1olive',
      'c1oref',
      'c1oscene',
      'c1osnap',
    ]);
    // The graph alone is unchanged by the defaults.
    expect(videoFilterGraph({ ...base, inputBase: 0, labelPrefix: '' })).toBe(videoFilterGraph(base));
  });

  it('refuses file names the filter graph would read as syntax', () => {
    expect(() => videoFilterGraph({ ...base, files: { ...files, live: "/tmp/x:y'z/live.txt" } })).toThrow(
      /unsafe/,
    );
  });
});
