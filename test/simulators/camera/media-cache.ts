import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type PreparedStream, prepareH264Stream } from './h264.ts';
import { type MediaVariant, type SimView, variantKey, viewSource } from './types.ts';

// Encodes media with the npm-shipped ffmpeg once per variant and keeps it on disk (restarts are instant)
// and in memory (every camera and session with the same variant shares one copy). Bump the version when
// encoder arguments change so stale cache files are not reused.
const CACHE_VERSION = 'v1';
const LOOP_SECONDS = 2;
const ENCODE_TIMEOUT_MS = 120_000;
/** Distinct snapshot frames per view; a camera serves them in turn so no two snapshots in a row match. */
export const SNAPSHOT_FRAMES = 4;

export class MediaCacheError extends Error {
  readonly code = 'SIM_MEDIA_ENCODE_FAILED';
}

export class MediaCache {
  private readonly streams = new Map<string, Promise<PreparedStream>>();
  private readonly snapshots = new Map<string, Promise<Buffer>>();
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  constructor(
    private readonly cacheDir: string,
    private readonly ffmpegPath: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Concurrent callers for the same variant share one encode. */
  stream(variant: MediaVariant): Promise<PreparedStream> {
    const key = variantKey(variant);
    let pending = this.streams.get(key);
    if (!pending) {
      pending = this.loadOrEncodeStream(variant, key);
      // A failed encode must not poison the cache: the next caller retries.
      pending.catch(() => this.streams.delete(key));
      this.streams.set(key, pending);
    }
    return pending;
  }

  /**
   * A single JPEG frame: the test pattern through `view` (frame `index` of SNAPSHOT_FRAMES spread over the
   * stream's loop, so successive snapshots differ as a live camera's do), or uniform black for blank.
   */
  snapshot(
    width: number,
    height: number,
    blank: boolean,
    view: SimView = 'normal',
    index = 0,
  ): Promise<Buffer> {
    const frame = blank ? 0 : index % SNAPSHOT_FRAMES;
    const look = view === 'normal' ? 'testsrc2' : `testsrc2-${view}`;
    // Frame 0 keeps the name it had before snapshots moved, so existing cache files still serve.
    const key = `${width}x${height}-${blank ? 'black' : look}${frame > 0 ? `-f${frame}` : ''}`;
    let pending = this.snapshots.get(key);
    if (!pending) {
      const rate = SNAPSHOT_FRAMES / LOOP_SECONDS;
      const source = blank
        ? `color=c=black:size=${width}x${height}:rate=1`
        : `${viewSource(width, height, rate, view)},trim=start_frame=${frame}`;
      pending = this.cached(`snapshot-${CACHE_VERSION}-${key}.jpg`, [
        ...['-f', 'lavfi', '-i', source, '-frames:v', '1'],
        ...['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '4', '-f', 'mjpeg'],
      ]);
      pending.catch(() => this.snapshots.delete(key));
      this.snapshots.set(key, pending);
    }
    return pending;
  }

  stop(): void {
    this.stopped = true;
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
  }

  private async loadOrEncodeStream(v: MediaVariant, key: string): Promise<PreparedStream> {
    const source = v.blank
      ? `color=c=black:size=${v.width}x${v.height}:rate=${v.fps}`
      : viewSource(v.width, v.height, v.fps, v.view);
    const annexB = await this.cached(`h264-${CACHE_VERSION}-${key}.h264`, [
      ...['-f', 'lavfi', '-i', source, '-t', String(LOOP_SECONDS)],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-bf', '0'],
      // One IDR per second, never elsewhere, so the loop restarts cleanly on an IDR.
      ...['-g', String(v.fps), '-keyint_min', String(v.fps), '-sc_threshold', '0', '-pix_fmt', 'yuv420p'],
      ...['-b:v', `${v.bitrateKbps}k`, '-maxrate', `${v.bitrateKbps}k`, '-bufsize', `${v.bitrateKbps * 2}k`],
      ...['-f', 'h264'],
    ]);
    return prepareH264Stream(annexB, v);
  }

  private async cached(fileName: string, ffmpegArgs: string[]): Promise<Buffer> {
    const path = join(this.cacheDir, fileName);
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await mkdir(this.cacheDir, { recursive: true });
    // Write to a unique temp name and rename: another process sharing the cache never sees half a file.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const startedAt = performance.now();
    try {
      await this.runFfmpeg([...ffmpegArgs, '-y', tmp]);
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
    this.log(`camera-sim: encoded ${fileName} in ${Math.round(performance.now() - startedAt)} ms`);
    return readFile(path);
  }

  private runFfmpeg(args: string[]): Promise<void> {
    if (this.stopped) return Promise.reject(new MediaCacheError('media cache is stopped'));
    return new Promise((resolve, reject) => {
      const child = spawn(this.ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.children.add(child);
      let stderr = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        if (stderr.length < 4000) stderr += chunk;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), ENCODE_TIMEOUT_MS);
      child.once('error', (error) => {
        clearTimeout(timer);
        this.children.delete(child);
        reject(new MediaCacheError(`cannot run ffmpeg at ${this.ffmpegPath}: ${error.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        if (code === 0) resolve();
        else
          reject(
            new MediaCacheError(`ffmpeg ${args.join(' ')} failed (${signal ?? code}): ${stderr.trim()}`),
          );
      });
    });
  }
}
