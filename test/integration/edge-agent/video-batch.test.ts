import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentError } from '../../../edge-agent/src/errors.ts';
import { fetchSnapshot } from '../../../edge-agent/src/image/snapshot.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import { captureReference } from '../../../edge-agent/src/media/reference-frame.ts';
import { type AnalyseVideoOptions, analyseVideo } from '../../../edge-agent/src/media/video-analysis.ts';
import { VideoBatcher } from '../../../edge-agent/src/media/video-batch.ts';
import { AgentConfig } from '../../../src/config/agent-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { judgeVideo } from '../../../src/health/video-judge.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/camera-fleet-simulator.ts';
import type { SimCameraEndpoints } from '../../simulators/camera/types.ts';

// Video analyses a batch at a time in one ffmpeg run, against the camera simulator's RTSP streams and
// snapshots: each camera's verdicts are those an analysis of its own gives, and a camera the batch
// cannot analyse is analysed again alone with its own error while the others' results stand.

const { ffmpegPath } = resolveMediaBinaries();
// The agent's own limits, as the live state judges with them.
const { thresholds } = defaultsOf(AgentConfig) as AgentConfig;
const profile = { width: 320, height: 240, fps: 10, bitrateKbps: 300 };
const FAULTS = {
  healthy: null,
  frozen: { kind: 'frozen-video' },
  black: { kind: 'black-video' },
  blurred: { kind: 'blurred-video' },
  turned: { kind: 'turned-away' },
} as const;
type Key = keyof typeof FAULTS;

describe('video analyses in batches', () => {
  const sim = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const cams = {} as Record<Key | 'locked', SimCameraEndpoints>;
  const snapshots = {} as Record<Key, Buffer>;
  const dir = mkdtempSync(join(tmpdir(), 'cctv-video-batch-test-'));
  const options = (key: Key | 'locked'): AnalyseVideoOptions => ({
    ffmpegPath,
    uri: cams[key].rtspUrl,
    username: 'admin',
    password: 'secret',
    sampleMs: 3_000,
    timeoutMs: 30_000,
    rate: 2,
    keyframesOnly: false,
    referencePath: join(dir, `${key}.png`),
    snapshot: key === 'locked' ? null : snapshots[key],
    now: Date.now,
    context: { siteId: 'site-video', cameraId: key },
  });
  const verdicts = (m: Awaited<ReturnType<typeof analyseVideo>>) => {
    const v = judgeVideo({ ...m, checkedAt: new Date(0).toISOString(), snapshotRepeats: 0 }, thresholds);
    return {
      frozen: v.frozen,
      black: v.black,
      blurred: v.blurred,
      sceneChanged: v.sceneChanged,
      mismatch: v.snapshotMismatch,
    };
  };

  beforeAll(async () => {
    await sim.start();
    for (const key of [...(Object.keys(FAULTS) as Key[]), 'locked' as const]) {
      cams[key] = await sim.addCamera({ id: `v-${key}`, username: 'admin', password: 'secret', profile });
      // The reference is the commissioned view, taken before any fault.
      if (key !== 'locked')
        await captureReference(join(dir, `${key}.png`), {
          ffmpegPath,
          uri: cams[key].rtspUrl,
          username: 'admin',
          password: 'secret',
          timeoutMs: 30_000,
          now: Date.now,
          context: { siteId: 'site-video', cameraId: key },
        });
    }
    for (const [key, fault] of Object.entries(FAULTS) as [Key, (typeof FAULTS)[Key]][]) {
      if (fault) await sim.setFault(cams[key].id, fault);
      // The camera's own snapshot under its fault, fetched as the agent fetches it (Digest auth).
      snapshots[key] = await fetchSnapshot(
        {
          url: cams[key].snapshotUrl,
          username: 'admin',
          password: 'secret',
          timeoutMs: 30_000,
          maxBytes: 4 * 1024 * 1024,
          context: { siteId: 'site-video', cameraId: key },
        },
        Date.now,
      );
    }
    await sim.setFault(cams.locked.id, { kind: 'wrong-credentials' });
  }, 240_000);

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each camera of a batch the verdicts an analysis of its own gives, in one run', async () => {
    const keys = ['healthy', 'frozen', 'black', 'blurred'] as const;
    const b = new VideoBatcher({ windowMs: 500, maxBatch: 4 });
    const batched = await Promise.all(keys.map((k) => b.analyse(options(k))));
    expect(b.stats).toEqual({ runs: 1, batched: 4, retriedAlone: 0 });
    const alone = await Promise.all(keys.map((k) => analyseVideo(options(k))));
    keys.forEach((key, i) => {
      expect(verdicts(batched[i] as never), key).toEqual(verdicts(alone[i] as never));
      expect(batched[i]?.frames, key).toBeGreaterThan(3);
    });
    expect(verdicts(batched[0] as never)).toEqual({
      frozen: false,
      black: false,
      blurred: false,
      sceneChanged: false,
      mismatch: false,
    });
    expect(verdicts(batched[1] as never).frozen).toBe(true);
    expect(verdicts(batched[2] as never).black).toBe(true);
    expect(verdicts(batched[3] as never).blurred).toBe(true);
    // Each camera's measures are its own: the healthy view matches its reference, the others differ.
    expect(batched[0]?.sceneSsim).toBeGreaterThan(0.5);
  }, 180_000);

  it('analyses a camera the batch could not read again alone, with its own error, and keeps the others', async () => {
    const b = new VideoBatcher({ windowMs: 500, maxBatch: 4 });
    const results = await Promise.allSettled(
      (['healthy', 'locked', 'turned'] as const).map((k) => b.analyse(options(k))),
    );
    expect(b.stats).toEqual({ runs: 4, batched: 0, retriedAlone: 3 });
    expect(results[0]?.status).toBe('fulfilled');
    expect(verdicts((results[2] as PromiseFulfilledResult<never>).value).sceneChanged).toBe(true);
    const refused = results[1] as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect((refused.reason as AgentError).context.cameraId).toBe('locked');
  }, 180_000);

  it('answers a waiting analysis at once when the agent stops', async () => {
    const stop = new AbortController();
    const b = new VideoBatcher({ windowMs: 60_000, maxBatch: 4 });
    const pending = Promise.allSettled(
      (['healthy', 'frozen'] as const).map((k) => b.analyse({ ...options(k), signal: stop.signal })),
    );
    const before = Date.now();
    stop.abort();
    const settled = await pending;
    expect(Date.now() - before).toBeLessThan(5_000);
    for (const s of settled) expect(((s as PromiseRejectedResult).reason as AgentError).code).toBe('aborted');
  });
});
