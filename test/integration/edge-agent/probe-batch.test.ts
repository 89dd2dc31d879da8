import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import type { StreamProbe } from '../../../edge-agent/src/media/probe.ts';
import { type ProbeRequest, StreamProber } from '../../../edge-agent/src/media/probe-batch.ts';
import { CameraFleetSimulator, defaultCacheDir } from '../../simulators/camera/camera-fleet-simulator.ts';
import type { SimCameraEndpoints } from '../../simulators/camera/types.ts';

// Stream probes a batch at a time in one ffmpeg run, against the camera simulator's real RTSP server:
// each stream's figures are those a probe of its own (ffprobe) gives, faults included, and a stream the
// batch cannot read is probed again alone with its own error while the others' results stand.

const media = resolveMediaBinaries();
const context = (cameraId: string) => ({ siteId: 'site-batch', cameraId });
const profile = { width: 320, height: 240, fps: 10, bitrateKbps: 300 };

function prober(windowMs = 300, maxBatch = 8) {
  return new StreamProber({
    ...media,
    windowMs,
    maxBatch,
    timeoutMs: 15_000,
    sampleMs: 2_000,
    now: Date.now,
  });
}

/** What a probe reports about the stream itself (not how long it took). */
const figures = (p: StreamProbe) => ({
  codec: p.codec,
  width: p.width,
  height: p.height,
  fps: p.fps,
  repeated: p.repeatedPackets > 0,
});

describe('stream probes in batches', () => {
  const sim = new CameraFleetSimulator({ cacheDir: defaultCacheDir(), controlPort: null });
  const cams: Record<string, SimCameraEndpoints> = {};
  const request = (id: string, batchable = true): ProbeRequest => ({
    streamUri: (cams[id] as SimCameraEndpoints).rtspUrl,
    username: 'admin',
    password: 'secret',
    context: context(id),
    batchable,
  });
  const scratch = mkdtempSync(join(tmpdir(), 'cctv-probe-batch-'));

  beforeAll(async () => {
    await sim.start();
    for (const id of ['plain', 'repeats', 'slow-fps', 'big', 'locked', 'wide']) {
      cams[id] = await sim.addCamera({
        id,
        username: 'admin',
        password: 'secret',
        profile: id === 'wide' ? { ...profile, width: 640, height: 360 } : profile,
      });
    }
    await sim.setFault('repeats', { kind: 'repeated-packets' });
    await sim.setFault('slow-fps', { kind: 'fps-mismatch', fps: 5 });
    await sim.setFault('big', { kind: 'bitrate-mismatch', bitrateKbps: 900 });
    await sim.setFault('locked', { kind: 'wrong-credentials' });
  }, 180_000);

  afterAll(async () => {
    await sim.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('gives each stream of a batch the figures a probe of its own gives, in one run', async () => {
    const ids = ['plain', 'repeats', 'slow-fps', 'big', 'wide'];
    const p = prober();
    const batched = await Promise.all(ids.map((id) => p.probe(request(id))));
    expect(p.stats).toEqual({ runs: 1, batched: 5, retriedAlone: 0 });
    const alone = await Promise.all(ids.map((id) => p.probe(request(id, false))));
    ids.forEach((id, i) => {
      const b = batched[i] as StreamProbe;
      const a = alone[i] as StreamProbe;
      expect(figures(b), id).toEqual(figures(a));
      // The same 2 s of the same loop: the bitrates agree closely.
      expect(Math.abs((b.bitrateKbps as number) - (a.bitrateKbps as number)), id).toBeLessThan(
        0.1 * (a.bitrateKbps as number),
      );
      expect(b.uri).toBe(cams[id]?.rtspUrl);
    });
    // The faults show as they do alone: repeats counted and dropped, the encoder's own rate and bitrate.
    expect(batched.map((b) => b.fps)).toEqual([10, 10, 5, 10, 10]);
    expect(batched[1]?.repeatedPackets).toBeGreaterThan(10);
    expect(batched[3]?.bitrateKbps).toBeGreaterThan(2 * (batched[0]?.bitrateKbps as number));
    expect(batched[4]).toMatchObject({ width: 640, height: 360 });
    // No password in what is reported.
    for (const b of batched) expect(b.uri).not.toContain('secret');
  }, 120_000);

  it('probes a stream the batch could not read again alone, with its own error, and keeps the others', async () => {
    const p = prober();
    const ids = ['plain', 'locked', 'wide'];
    const results = await Promise.allSettled(ids.map((id) => p.probe(request(id))));
    // The refused stream stopped the whole run (ffmpeg opens its inputs in turn): all three were tried
    // again alone; the two good ones have their figures, the refused one its own error.
    expect(p.stats).toEqual({ runs: 4, batched: 0, retriedAlone: 3 });
    expect(results[0]).toMatchObject({ status: 'fulfilled', value: { fps: 10, width: 320 } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { fps: 10, width: 640 } });
    const refused = results[1] as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect(refused.reason).toBeInstanceOf(AgentError);
    expect((refused.reason as AgentError).context.cameraId).toBe('locked');
    expect((refused.reason as AgentError).message).toMatch(/credentials rejected|401/i);
  }, 120_000);

  it('probes alone a stream whose last probe failed, without holding up the batch', async () => {
    const p = prober();
    const [good, other, locked] = await Promise.allSettled([
      p.probe(request('plain')),
      p.probe(request('wide')),
      p.probe(request('locked', false)),
    ]);
    expect(p.stats).toEqual({ runs: 2, batched: 2, retriedAlone: 0 });
    expect(good?.status).toBe('fulfilled');
    expect(other?.status).toBe('fulfilled');
    expect(locked?.status).toBe('rejected');
  }, 120_000);

  it('rejects what waits when the agent stops, without waiting for the window', async () => {
    const abort = new AbortController();
    const p = new StreamProber({
      ...media,
      windowMs: 60_000,
      maxBatch: 8,
      timeoutMs: 15_000,
      sampleMs: 2_000,
      now: Date.now,
      signal: abort.signal,
    });
    const waiting = Promise.allSettled([p.probe(request('plain')), p.probe(request('wide'))]);
    abort.abort();
    const before = Date.now();
    const settled = await waiting;
    expect(Date.now() - before).toBeLessThan(5_000);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect(((s as PromiseRejectedResult).reason as AgentError).code).toBe('aborted');
    }
  }, 60_000);
});
