import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { type DecodedMessage, decodeMessage } from '../../../../src/messages.ts';
import { siteFilter } from '../../../../src/topics.ts';

/** A real in-process MQTT 3.1.1 broker on a free loopback port. */
export async function startBroker(): Promise<{ url: string; close: () => Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('broker has no TCP address');
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Received {
  topic: string;
  raw: string;
  retained: boolean;
  atMs: number;
  message: DecodedMessage;
}

/** Subscribes to one site's topics and keeps every message, decoded exactly as the hub decodes them. */
export class SiteWatcher {
  readonly messages: Received[] = [];
  readonly rejected: string[] = [];
  private client: MqttClient | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly url: string,
    private readonly siteId: string,
  ) {}

  async start(): Promise<void> {
    const client = await connectAsync(this.url, { protocolVersion: 4, clean: true, reconnectPeriod: 0 });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const decoded = decodeMessage(topic, payload, 65_536);
      if (!decoded.ok) {
        this.rejected.push(
          `${topic}: ${decoded.rejection.code} ${decoded.rejection.path} ${decoded.rejection.message}`,
        );
        return;
      }
      this.messages.push({
        topic,
        raw: payload.toString('utf8'),
        retained: packet.retain,
        atMs: Date.now(),
        message: decoded.message,
      });
      for (const wake of this.waiters) wake();
    });
    await client.subscribeAsync(siteFilter(this.siteId), { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = null;
  }

  /** Resolves with the first message from index `from` on that matches, or rejects after timeoutMs. */
  waitFor(match: (r: Received) => boolean, timeoutMs: number, from = 0, what = 'message'): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(match);
        if (!found) return false;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(found);
        return true;
      };
      const wake = () => {
        check();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(wake);
      check();
    });
  }
}

export function health(
  r: Received,
  cameraId: string,
): r is Received & { message: Extract<DecodedMessage, { kind: 'health' }> } {
  return r.message.kind === 'health' && r.message.cameraId === cameraId;
}

export function stream(
  r: Received,
  cameraId: string,
): r is Received & { message: Extract<DecodedMessage, { kind: 'stream' }> } {
  return r.message.kind === 'stream' && r.message.cameraId === cameraId;
}
