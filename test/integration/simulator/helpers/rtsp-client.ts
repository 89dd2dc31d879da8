import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';

// A bare RTSP/1.0 client for protocol-level assertions (ffmpeg hides the wire details). Independent of
// the simulator's code: its own request framing, Digest computation and interleaved-frame parsing.

export interface RtspResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface RtpPacket {
  channel: number;
  version: number;
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  payload: Buffer;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export class RawRtspClient {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiting: ((r: RtspResponse) => void) | undefined;
  private digest: { realm: string; nonce: string } | undefined;
  readonly packets: RtpPacket[] = [];
  /** Resolves when the connection closes (from either end). */
  readonly closed: Promise<void>;
  private onClosed: () => void = () => {};

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {
    this.closed = new Promise((resolve) => {
      this.onClosed = resolve;
    });
  }

  async connect(url: string): Promise<void> {
    const u = new URL(url);
    const socket = connect(Number(u.port), u.hostname);
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('close', () => this.onClosed());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) return;
        const length = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + length) return;
        const rtp = this.buffer.subarray(4, 4 + length);
        this.packets.push({
          channel: this.buffer[1] ?? -1,
          version: (rtp[0] ?? 0) >> 6,
          marker: ((rtp[1] ?? 0) & 0x80) !== 0,
          payloadType: (rtp[1] ?? 0) & 0x7f,
          seq: rtp.readUInt16BE(2),
          timestamp: rtp.readUInt32BE(4),
          ssrc: rtp.readUInt32BE(8),
          payload: Buffer.from(rtp.subarray(12)),
        });
        this.buffer = this.buffer.subarray(4 + length);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.toString('latin1', 0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const bodyLength = Number(headers.get('content-length') ?? 0);
      if (this.buffer.length < end + 4 + bodyLength) return;
      const body = this.buffer.toString('utf8', end + 4, end + 4 + bodyLength);
      this.buffer = this.buffer.subarray(end + 4 + bodyLength);
      const status = Number(/^RTSP\/1\.0 (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.({ status, headers, body });
    }
  }

  /** Sends a request; answers a 401 Digest challenge once, like ffmpeg does. */
  async request(method: string, url: string, headers: Record<string, string> = {}): Promise<RtspResponse> {
    const first = await this.send(method, url, headers);
    if (first.status !== 401 || this.digest) return first;
    const challenge = first.headers.get('www-authenticate') ?? '';
    this.digest = {
      realm: /realm="([^"]*)"/.exec(challenge)?.[1] ?? '',
      nonce: /nonce="([^"]*)"/.exec(challenge)?.[1] ?? '',
    };
    return this.send(method, url, headers);
  }

  private send(method: string, url: string, headers: Record<string, string>): Promise<RtspResponse> {
    const lines = [`${method} ${url} RTSP/1.0`, `CSeq: ${++this.cseq}`];
    if (this.digest) {
      const { realm, nonce } = this.digest;
      const ha1 = md5(`${this.username}:${realm}:${this.password}`);
      const response = md5(`${ha1}:${nonce}:${md5(`${method}:${url}`)}`);
      lines.push(
        `Authorization: Digest username="${this.username}", realm="${realm}", nonce="${nonce}", uri="${url}", response="${response}"`,
      );
    }
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method}: no RTSP response in 3 s`)), 3000);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.socket?.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }
}
