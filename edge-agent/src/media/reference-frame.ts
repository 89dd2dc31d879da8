import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { AgentError, type ErrorContext } from '../errors.ts';
import { rtspSocketTimeoutOption } from './binaries.ts';
import { withCredentials } from './probe.ts';
import { runProcess } from './run-process.ts';
import { REFERENCE_FILTER } from './video-analysis.ts';

/** Where a camera's commissioning reference frame lives on the agent's disk. */
export function referencePath(referenceDir: string, siteId: string, cameraId: string): string {
  return join(referenceDir, siteId, `${cameraId}.png`);
}

export async function hasReference(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

export interface CaptureOptions {
  ffmpegPath: string;
  /** Stream URI without credentials. */
  uri: string;
  username: string;
  password: string;
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal;
  context: ErrorContext;
}

/**
 * Takes one frame of the stream, about a second in (past any start-up artefacts), as the view the camera
 * was commissioned to, and stores it grey at the analysis size. Written to a temporary name and renamed,
 * so an analysis never reads half a file.
 */
export async function captureReference(path: string, o: CaptureOptions): Promise<void> {
  const uri = stripUrlCredentials(o.uri);
  const context = { ...o.context, url: uri, operation: 'reference capture' };
  const rtsp = /^rtsps?:/i.test(uri);
  const input = rtsp ? withCredentials(uri, o.username, o.password) : uri;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp.png`;
  const args = [
    ...['-hide_banner', '-nostats', '-loglevel', 'error', '-nostdin'],
    ...(rtsp
      ? ['-rtsp_transport', 'tcp', rtspSocketTimeoutOption(o.ffmpegPath), String(o.timeoutMs * 1000)]
      : []),
    ...['-analyzeduration', '300000', '-probesize', '65536', '-an', '-i', input],
    ...['-vf', `select='gte(t\\,1)',${REFERENCE_FILTER}`, '-frames:v', '1', '-f', 'image2', '-y', tmp],
  ];
  try {
    const result = await runProcess(o.ffmpegPath, args, {
      timeoutMs: o.timeoutMs,
      maxStdoutBytes: 1024,
      now: o.now,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (result.aborted) throw new AgentError('aborted', 'agent stopping', context);
    if (result.timedOut) throw new AgentError('timeout', `no frame within ${o.timeoutMs} ms`, context);
    if (result.exitCode !== 0 || !(await hasReference(tmp))) {
      const why =
        result.stderr.trim().split('\n').filter(Boolean).pop() ?? `ffmpeg exited with ${result.exitCode}`;
      throw new AgentError(
        'stream_error',
        `could not capture a reference frame: ${why.slice(0, 300)}`,
        context,
      );
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
}
