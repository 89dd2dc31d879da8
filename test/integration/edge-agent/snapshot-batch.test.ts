import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../edge-agent/src/errors.ts';
import { decodeSnapshot, SnapshotDecoder } from '../../../edge-agent/src/image/image-check.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';

// Snapshots decoded a batch at a time in one ffmpeg run (real ffmpeg): each frame byte for byte what a
// run of its own gives, and a bad snapshot fails alone.

const { ffmpegPath } = resolveMediaBinaries();
const context = { siteId: 'site-a', cameraId: 'cam-1' };

/** A JPEG of ffmpeg's own test pattern, or of one colour, at the given size. */
function jpeg(source: string, size: string, pixelFormat = 'yuvj420p'): Buffer {
  return execFileSync(
    ffmpegPath,
    [
      ...[
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        `${source}${source.includes('=') ? ':' : '='}s=${size}`,
        '-frames:v',
        '1',
      ],
    ].concat(['-pix_fmt', pixelFormat, '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1']),
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

const snapshots = [
  jpeg('testsrc2', '1280x720'),
  jpeg('color=c=black', '640x480'),
  jpeg('testsrc', '1920x1080', 'yuvj422p'),
  jpeg('color=c=gray', '352x288'),
  jpeg('smptebars', '704x576'),
];

const alone = (image: Buffer) =>
  decodeSnapshot(image, ffmpegPath, { timeoutMs: 15_000, now: Date.now, context });

function decoder(windowMs = 200, maxBatch = 16) {
  return new SnapshotDecoder({ ffmpegPath, windowMs, maxBatch, timeoutMs: 15_000, now: Date.now });
}

describe('snapshot decodes in batches', () => {
  it('gives each snapshot of a batch the frame a run of its own gives, in one run', async () => {
    const expected = await Promise.all(snapshots.map(alone));
    const d = decoder();
    const frames = await Promise.all(snapshots.map((s) => d.decode(s, context)));
    expect(d.stats).toEqual({ runs: 1, snapshots: 5, retriedAlone: 0 });
    frames.forEach((frame, i) => {
      expect(frame.length).toBe(160 * 90);
      expect(frame.equals(expected[i] as Buffer), `snapshot ${i}`).toBe(true);
    });
    // Different pictures give different frames (the batch did not repeat one).
    expect(frames[0]?.equals(frames[1] as Buffer)).toBe(false);
    const checks = await Promise.all(
      snapshots.map((s) => d.analyse(s, { blankLumaStdDev: 4, darkMeanLuma: 20 }, context)),
    );
    expect(checks[1]).toMatchObject({ blank: true, dark: true });
    expect(checks[3]).toMatchObject({ blank: true, dark: false });
    expect(checks[0]).toMatchObject({ blank: false, dark: false });
  });

  it('fails a corrupt or foreign snapshot alone, with its own error, and keeps the others', async () => {
    const expected = await Promise.all(snapshots.slice(0, 3).map(alone));
    const good = snapshots[0] as Buffer;
    const truncated = good.subarray(0, 600);
    const text = Buffer.from('<html>401 Unauthorized</html>');
    const d = decoder();
    const results = await Promise.allSettled(
      [snapshots[0], truncated, snapshots[1], text, snapshots[2]].map((s) => d.decode(s as Buffer, context)),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const frames = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    frames.forEach((frame, i) => {
      expect(frame.equals(expected[i] as Buffer), `good snapshot ${i}`).toBe(true);
    });
    for (const r of results.filter((x) => x.status === 'rejected')) {
      const error = (r as PromiseRejectedResult).reason as AgentError;
      expect(error).toBeInstanceOf(AgentError);
      expect(error.code).toBe('image_decode_failed');
    }
    expect(d.stats.retriedAlone).toBeGreaterThanOrEqual(2);
  });

  it('runs at once when a batch is full, and each snapshot alone with no window', async () => {
    const full = decoder(60_000, 2);
    const started = Date.now();
    await Promise.all(snapshots.slice(0, 4).map((s) => full.decode(s, context)));
    // Two full batches; the 60 s window never came into it.
    expect(full.stats).toEqual({ runs: 2, snapshots: 4, retriedAlone: 0 });
    expect(Date.now() - started).toBeLessThan(30_000);
    const none = decoder(0);
    await Promise.all(snapshots.slice(0, 3).map((s) => none.decode(s, context)));
    expect(none.stats).toEqual({ runs: 3, snapshots: 3, retriedAlone: 0 });
  });

  it('rejects what waits when the agent stops', async () => {
    const stop = new AbortController();
    const d = new SnapshotDecoder({
      ffmpegPath,
      windowMs: 100,
      maxBatch: 16,
      timeoutMs: 15_000,
      now: Date.now,
      signal: stop.signal,
    });
    const pending = Promise.allSettled(snapshots.slice(0, 2).map((s) => d.decode(s, context)));
    stop.abort();
    const results = await pending;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as AgentError).code).toBe('aborted');
  });
});
