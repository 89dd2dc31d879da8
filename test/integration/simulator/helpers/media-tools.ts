import { spawn } from 'node:child_process';
import { resolveMediaBinaries } from '../../../../edge-agent/src/media/binaries.ts';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the kill timer had to end the process. */
  killed: boolean;
  elapsedMs: number;
}

/** Runs ffmpeg/ffprobe with a hard kill timer: a server that never answers must not hang a test. */
export function runTool(path: string, args: string[], killAfterMs: number): Promise<ToolResult> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed, elapsedMs: performance.now() - startedAt });
    });
  });
}

export function withCredentials(url: string, username: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  avg_frame_rate: string;
  r_frame_rate: string;
}

const binaries = resolveMediaBinaries();
export const ffmpegPath = binaries.ffmpegPath;
export const ffprobePath = binaries.ffprobePath;

/** ffprobe over RTSP/TCP with a socket timeout (microseconds) and a kill timer, as the agent runs it. */
export async function probe(
  url: string,
  opts: { transport?: 'tcp' | 'udp'; socketTimeoutMs?: number; killAfterMs?: number } = {},
): Promise<ToolResult & { stream?: ProbedStream }> {
  const socketTimeoutUs = String((opts.socketTimeoutMs ?? 3000) * 1000);
  const result = await runTool(
    ffprobePath,
    [
      ...['-v', 'error', '-rtsp_transport', opts.transport ?? 'tcp', '-timeout', socketTimeoutUs],
      ...['-analyzeduration', '300000', '-probesize', '65536'],
      ...['-select_streams', 'v:0', '-show_streams', '-of', 'json', url],
    ],
    opts.killAfterMs ?? 15_000,
  );
  if (result.code !== 0) return result;
  const parsed = JSON.parse(result.stdout) as { streams?: ProbedStream[] };
  return { ...result, stream: parsed.streams?.[0] };
}

/** Mean of 8-bit luma samples: decodes one frame of an image or stream to raw gray. */
export async function meanLuma(input: string | Buffer, extraInputArgs: string[] = []): Promise<number> {
  const fromBuffer = Buffer.isBuffer(input);
  const args = [
    ...['-hide_banner', '-loglevel', 'error', ...extraInputArgs],
    ...[
      '-i',
      fromBuffer ? 'pipe:0' : input,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      'pipe:1',
    ],
  ];
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`ffmpeg gray decode failed (${code}): ${stderr}`));
    });
    child.stdin.on('error', () => {}); // ffmpeg may exit before reading all input
    child.stdin.end(fromBuffer ? input : undefined);
  });
  if (raw.length === 0) throw new Error('ffmpeg produced no pixels');
  let sum = 0;
  for (const v of raw) sum += v;
  return sum / raw.length;
}

/** Width and height from a baseline JPEG's SOF0 segment (ITU-T T.81 B.2.2). */
export function jpegSize(jpeg: Buffer): { width: number; height: number } {
  let off = 2;
  while (off + 9 < jpeg.length && jpeg[off] === 0xff) {
    const marker = jpeg[off + 1];
    const length = jpeg.readUInt16BE(off + 2);
    if (marker === 0xc0) return { height: jpeg.readUInt16BE(off + 5), width: jpeg.readUInt16BE(off + 7) };
    off += 2 + length;
  }
  throw new Error('no SOF0 segment in JPEG');
}
