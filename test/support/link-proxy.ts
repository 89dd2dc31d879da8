import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './mosquitto.ts';

/**
 * A TCP relay standing for a town site's link to the hub's broker: the agent connects to it, and the
 * test takes the link down (nothing listens, open connections are cut) and brings it back on the same
 * port. The broker and everything behind it stay real and running.
 */
export class LinkProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forUrl(url: string): LinkProxy {
    const u = new URL(url);
    return new LinkProxy({ host: u.hostname, port: Number(u.port || 1883) });
  }

  /** Picks the port the agent is told to use, without listening yet (the link starts down). */
  async reserve(): Promise<string> {
    this.port = await freePort();
    return this.url;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    if (this.port === 0) await this.reserve();
    const server = createServer((inbound) => {
      const outbound = connect(this.target.port, this.target.host);
      for (const [a, b] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        this.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
