import { createServer, type Server, type Socket } from 'node:net';
import type { DigestAuthenticator, DigestCredentials } from './digest-auth.ts';
import type { PreparedStream } from './h264.ts';
import { RtpSession } from './rtp-session.ts';
import type { SimStreamName } from './types.ts';

// A small RTSP 1.0 server (RFC 2326) shared by every simulated camera, one path per camera stream:
// rtsp://host:port/cam/<id>/main, and rtsp://host:port/cam/<id>/sub for a camera with a sub-stream.
// Video is H.264 over RTP (RFC 6184) interleaved in the RTSP TCP connection only; UDP transport is
// refused with 461 so clients must use `-rtsp_transport tcp`.

export type CameraNetworkMode = 'normal' | 'unreachable' | 'hang';

export interface RtspCameraSource {
  credentials: DigestCredentials;
  /** False under the wrong-credentials fault: the configured credentials are refused. */
  acceptsCredentials(): boolean;
  networkMode(): CameraNetworkMode;
  /** True under the repeated-packets fault: every frame goes out twice with the same timestamp. */
  repeatsPackets(): boolean;
  /**
   * False for a stream the camera does not serve now: no sub profile, or the sub-stream-down fault. Its
   * path then answers 404 (after authentication, so an unauthenticated client learns nothing).
   */
  serves(stream: SimStreamName): boolean;
  /** The stream to serve now (faults choose the variant); may encode on first use. */
  stream(stream: SimStreamName): Promise<PreparedStream>;
  /** Milliseconds the camera takes to answer DESCRIBE (slow-rtsp fault: a busy or distant camera). */
  rtspDelayMs?(): number;
}

export interface RtspServerOptions {
  host: string;
  port: number;
  auth: DigestAuthenticator;
  lookup: (cameraId: string) => RtspCameraSource | undefined;
  log: (line: string) => void;
}

interface RtspRequest {
  method: string;
  url: string;
  headers: Map<string, string>;
  cseq: string;
}

const MAX_HEADER_BYTES = 16 * 1024;
const PATH_RE = /^\/cam\/([A-Za-z0-9._-]{1,64})\/(main|sub)(?:\/(track1))?\/?$/;
const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

export function cameraPath(cameraId: string, stream: SimStreamName = 'main'): string {
  return `/cam/${cameraId}/${stream}`;
}

class RtspConnection {
  private pending: Buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private hung = false;
  private described: { path: string; stream: PreparedStream } | undefined;
  /** The camera stream path (`<id>/main` or `<id>/sub`) the session was set up on. */
  private sessionPath: string | undefined;
  session: RtpSession | undefined;
  /** Last camera (and which of its streams) this connection asked for, so faults and removal can end it. */
  cameraId: string | undefined;
  streamName: SimStreamName | undefined;

  constructor(
    readonly socket: Socket,
    private readonly opts: RtspServerOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.session?.pause());
  }

  private onData(chunk: Buffer): void {
    if (this.hung) return; // hang fault: swallow everything, answer nothing
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length > 0 && !this.socket.destroyed) {
      if (this.pending[0] === 0x24) {
        // Interleaved data from the client (RTCP receiver reports): skip it.
        if (this.pending.length < 4) return;
        const frameBytes = 4 + this.pending.readUInt16BE(2);
        if (this.pending.length < frameBytes) return;
        this.pending = this.pending.subarray(frameBytes);
        continue;
      }
      const headerEnd = this.pending.indexOf('\r\n\r\n');
      if (headerEnd < 0) {
        if (this.pending.length > MAX_HEADER_BYTES) this.socket.destroy();
        return;
      }
      const head = this.pending.toString('latin1', 0, headerEnd);
      const request = parseRequest(head);
      const contentLength = Number(request?.headers.get('content-length') ?? 0);
      const total = headerEnd + 4 + (Number.isFinite(contentLength) ? contentLength : 0);
      if (this.pending.length < total) return;
      this.pending = this.pending.subarray(total);
      if (!request) {
        this.reply('0', 400, {});
        continue;
      }
      this.queue = this.queue
        .then(() => this.handle(request))
        .catch((error: unknown) => {
          this.opts.log(`camera-sim rtsp: ${request.method} ${request.url} failed: ${String(error)}`);
          this.reply(request.cseq, 500, {});
        });
    }
  }

  private reply(cseq: string, status: number, headers: Record<string, string>, body = ''): void {
    if (this.socket.destroyed || this.hung) return;
    let text = `RTSP/1.0 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nCSeq: ${cseq}\r\nServer: cctv-camera-sim\r\n`;
    for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
    if (body) text += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    this.socket.write(`${text}\r\n${body}`);
  }

  private async handle(req: RtspRequest): Promise<void> {
    if (this.hung || this.socket.destroyed) return;
    let cameraId: string | undefined;
    let streamName: SimStreamName = 'main';
    let isTrack = false;
    if (req.url !== '*') {
      let path: string;
      try {
        path = new URL(req.url).pathname;
      } catch {
        this.reply(req.cseq, 400, {});
        return;
      }
      const m = PATH_RE.exec(path);
      cameraId = m?.[1];
      streamName = m?.[2] === 'sub' ? 'sub' : 'main';
      isTrack = m?.[3] !== undefined;
    }
    const camera = cameraId === undefined ? undefined : this.opts.lookup(cameraId);
    if (camera) {
      this.cameraId = cameraId;
      // A connection with a session stays labelled with the stream it plays.
      if (!this.session) this.streamName = streamName;
    }
    if (cameraId === undefined || !camera) {
      if (req.method === 'OPTIONS' && req.url === '*') this.reply(req.cseq, 200, { Public: PUBLIC_METHODS });
      else this.reply(req.cseq, 404, {});
      return;
    }
    const mode = camera.networkMode();
    if (mode === 'unreachable') {
      this.socket.destroy(); // as close to "connection refused" as a shared listener can get
      return;
    }
    if (mode === 'hang') {
      this.hung = true;
      return;
    }
    if (req.method === 'OPTIONS') {
      this.reply(req.cseq, 200, { Public: PUBLIC_METHODS });
      return;
    }
    const auth = this.opts.auth.verify(
      req.headers.get('authorization'),
      req.method,
      camera.credentials,
      camera.acceptsCredentials(),
    );
    if (auth !== 'ok') {
      this.reply(req.cseq, 401, { 'WWW-Authenticate': this.opts.auth.challenge(auth === 'stale') });
      return;
    }
    // A camera without a sub-stream, or whose secondary encoder is down: "stream unavailable".
    if (!camera.serves(streamName) && req.method !== 'TEARDOWN') {
      this.reply(req.cseq, 404, {});
      return;
    }
    await this.handleAuthorized(req, cameraId, streamName, camera, isTrack);
  }

  private async handleAuthorized(
    req: RtspRequest,
    cameraId: string,
    streamName: SimStreamName,
    camera: RtspCameraSource,
    isTrack: boolean,
  ): Promise<void> {
    const path = `${cameraId}/${streamName}`;
    const baseUrl = stripCredentials(req.url)
      .replace(/\/track1\/?$/, '')
      .replace(/\/$/, '');
    const sessionHeader = req.headers.get('session')?.split(';')[0]?.trim();
    switch (req.method) {
      case 'DESCRIBE': {
        if (isTrack) return this.reply(req.cseq, 404, {});
        const delayMs = camera.rtspDelayMs?.() ?? 0;
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        const stream = await camera.stream(streamName);
        this.described = { path, stream };
        const sdp = buildSdp(cameraId, stream);
        return this.reply(
          req.cseq,
          200,
          { 'Content-Base': `${baseUrl}/`, 'Content-Type': 'application/sdp' },
          sdp,
        );
      }
      case 'SETUP': {
        const transport = req.headers.get('transport') ?? '';
        if (!/RTP\/AVP\/TCP/i.test(transport)) return this.reply(req.cseq, 461, {});
        const channel = Number(/interleaved=(\d+)/.exec(transport)?.[1] ?? 0);
        if (!Number.isInteger(channel) || channel > 254) return this.reply(req.cseq, 400, {});
        if (this.session) {
          // One session per connection, bound to the stream it was set up on.
          if (sessionHeader !== this.session.id || this.sessionPath !== path) {
            return this.reply(req.cseq, 455, {});
          }
        } else {
          const stream =
            this.described?.path === path ? this.described.stream : await camera.stream(streamName);
          this.sessionPath = path;
          this.session = new RtpSession(
            cameraId,
            this.socket,
            stream,
            channel,
            () => camera.networkMode() === 'hang',
            () => camera.repeatsPackets(),
          );
        }
        const ssrc = this.session.ssrc.toString(16).padStart(8, '0').toUpperCase();
        return this.reply(req.cseq, 200, {
          Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1};ssrc=${ssrc};mode="PLAY"`,
          Session: `${this.session.id};timeout=60`,
        });
      }
      case 'PLAY': {
        if (!this.session || sessionHeader !== this.session.id) return this.reply(req.cseq, 454, {});
        const info = this.session.nextRtpInfo();
        this.reply(req.cseq, 200, {
          Session: this.session.id,
          Range: 'npt=0.000-',
          'RTP-Info': `url=${baseUrl}/track1;seq=${info.seq};rtptime=${info.rtpTime}`,
        });
        this.session.play();
        return;
      }
      case 'PAUSE':
        if (!this.session || sessionHeader !== this.session.id) return this.reply(req.cseq, 454, {});
        this.session.pause();
        return this.reply(req.cseq, 200, { Session: this.session.id });
      case 'TEARDOWN':
        this.session?.pause();
        this.session = undefined;
        this.sessionPath = undefined;
        return this.reply(req.cseq, 200, {});
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        // Keepalives (RFC 2326 10.8): nothing to report.
        return this.reply(req.cseq, 200, this.session ? { Session: this.session.id } : {});
      default:
        return this.reply(req.cseq, 501, {});
    }
  }

  close(): void {
    this.session?.pause();
    this.socket.destroy();
  }
}

function parseRequest(head: string): RtspRequest | undefined {
  const lines = head.split('\r\n');
  const m = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(lines[0] ?? '');
  if (!m?.[1] || !m[2]) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: m[1], url: m[2], headers, cseq: headers.get('cseq') ?? '0' };
}

function stripCredentials(url: string): string {
  return url.replace(/^(rtsp:\/\/)[^@/]*@/i, '$1');
}

function buildSdp(cameraId: string, stream: PreparedStream): string {
  // RFC 4566 session description; fmtp per RFC 6184 8.1.
  const sessionId = Date.now();
  return [
    'v=0',
    `o=- ${sessionId} 1 IN IP4 127.0.0.1`,
    `s=${cameraId}`,
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=control:*',
    'a=range:npt=0-',
    `m=video 0 RTP/AVP 96`,
    'a=rtpmap:96 H264/90000',
    `a=fmtp:96 packetization-mode=1;profile-level-id=${stream.profileLevelId};sprop-parameter-sets=${stream.spropParameterSets}`,
    'a=control:track1',
    '',
  ].join('\r\n');
}

export class RtspServer {
  private server: Server | undefined;
  private readonly connections = new Set<RtspConnection>();
  private boundPort = 0;

  constructor(private readonly opts: RtspServerOptions) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      const conn = new RtspConnection(socket, this.opts);
      this.connections.add(conn);
      socket.once('close', () => this.connections.delete(conn));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.opts.port;
  }

  /**
   * Ends every connection that touched this camera (removal, or an unreachable fault), or only those on
   * one of its streams (sub-stream-down).
   */
  dropCamera(cameraId: string, stream?: SimStreamName): void {
    for (const conn of this.connections) {
      if (conn.cameraId === cameraId && (stream === undefined || conn.streamName === stream)) conn.close();
    }
  }

  async stop(): Promise<void> {
    for (const conn of this.connections) conn.close();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
