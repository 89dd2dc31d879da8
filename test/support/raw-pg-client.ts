import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';

// A bare PostgreSQL protocol client for tests that look at the messages themselves (on real
// PostgreSQL, or the embedded database's Unix socket).

/** One frontend message: type byte, 32-bit length counting itself, body. */
export function frame(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
export const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
export const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
export const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A bare protocol client that records the type of every backend message. */
export class RawClient {
  readonly types: string[] = [];
  private buffered = Buffer.alloc(0);
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (data) => {
      this.buffered = Buffer.concat([this.buffered, data]);
      while (this.buffered.length >= 5) {
        const end = 1 + this.buffered.readInt32BE(1);
        if (this.buffered.length < end) break;
        this.types.push(String.fromCharCode(this.buffered[0] as number));
        this.buffered = this.buffered.subarray(end);
      }
      this.waiters = this.waiters.filter((w) => (w.done() ? (w.resolve(), false) : true));
    });
  }

  static async connect(connectionString: string): Promise<RawClient> {
    // The embedded database's URL names no host, only the socket's directory (a `host` parameter).
    const url = new URL(connectionString.replace('@/', '@localhost/'));
    const dir = url.searchParams.get('host');
    const socket = dir
      ? createConnection(join(dir, '.s.PGSQL.5432'))
      : createConnection(Number(url.port || 5432), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new RawClient(socket);
    const params = Buffer.concat([
      cstr('user'),
      cstr(url.username || 'postgres'),
      cstr('database'),
      cstr(url.pathname.slice(1) || 'postgres'),
      Buffer.from([0]),
    ]);
    const startup = Buffer.concat([int32(params.length + 8), int32(196608), params]);
    socket.write(startup);
    await client.readyCount(1);
    client.types.length = 0;
    return client;
  }

  /** Resolves once `n` ReadyForQuery messages have come since the log was last cleared. */
  readyCount(n: number): Promise<void> {
    return this.until(() => this.types.filter((t) => t === 'Z').length >= n);
  }

  /** Resolves once a message of this type has come since the log was last cleared. */
  received(type: string): Promise<void> {
    return this.until(() => this.types.includes(type));
  }

  private until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  close(): void {
    this.socket.end(frame('X'));
  }
}
