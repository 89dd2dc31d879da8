import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { allSitesFilter, buildTopic } from '../../../src/topics.ts';
import type { IngestPipeline } from './pipeline.ts';

export interface MqttIngestOptions {
  url: string;
  clientId: string;
  /** MQTT keep-alive, seconds. */
  keepaliveS?: number;
  username: string | null;
  password: string | null;
  /** CA(s) for an mqtts:// broker, trusted instead of the system's; the certificate is always verified. */
  ca?: string | null;
  /** Connects in process instead of over url (the embedded broker without a plain listener). */
  connectStream?: (() => Duplex) | null;
  log: Logger;
}

/** A client of the hub's identity on its broker (the ingest's, or another connection of the hub's). */
export function hubMqttClient(
  options: Omit<MqttIngestOptions, 'log' | 'clientId'>,
  session: { clientId: string; clean: boolean; reconnectPeriod: number },
): MqttClient {
  const clientOptions: IClientOptions = {
    ...session,
    protocolVersion: 4,
    keepalive: options.keepaliveS ?? 60,
    connectTimeout: 10_000,
    username: options.username ?? undefined,
    password: options.password ?? undefined,
    // Over mqtts:// the broker's certificate chain and host name are checked, never skipped.
    rejectUnauthorized: true,
    ...(options.ca ? { ca: options.ca } : {}),
  };
  const connectStream = options.connectStream;
  return connectStream
    ? new MqttClient(() => connectStream(), clientOptions)
    : mqtt.connect(options.url, clientOptions);
}

/**
 * Subscribes to every site's topics with QoS 1 on a persistent session. The PUBACK for each
 * message is held back (mqtt.js `handleMessage`) until the pipeline has committed it, so a crash
 * between receive and commit makes the broker redeliver.
 */
export class MqttIngest {
  private client: MqttClient | null = null;
  private connectedOnce = false;
  /** Connections made to the broker, and lost (each loss means a reconnect and redelivery). */
  readonly stats = { connects: 0, connectionsLost: 0 };
  /** When a received message last counted as a sign of life for the keep-alive (hub clock, ms). */
  private lastSignOfLifeMs = 0;
  /** When the hub last wrote a packet to the broker. */
  private lastSentMs = 0;
  /** Short-lived sessions asking for a newly registered site's retained messages. */
  private readonly replays = new Set<MqttClient>();
  /** PUBACKs held until their message is committed, by MQTT packet id. */
  private readonly pubacks = new PubackQueue();

  constructor(
    private readonly options: MqttIngestOptions,
    private readonly pipeline: IngestPipeline,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /**
   * Publishes as the hub at QoS 1 (not retained): resolves once the broker has taken the message,
   * fails at once when the hub is not connected (the caller's queue retries).
   */
  publish(topic: string, payload: string): Promise<void> {
    const client = this.client;
    if (!client?.connected) return Promise.reject(new Error('the hub is not connected to the broker'));
    return new Promise((resolve, reject) =>
      client.publish(topic, payload, { qos: 1, retain: false }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  /** A client of the hub's identity: a persistent session, or a clean one that does not reconnect. */
  private connect(session: { clientId: string; clean: boolean; reconnectPeriod: number }): MqttClient {
    return hubMqttClient(this.options, session);
  }

  async start(): Promise<void> {
    const { log } = this.options;
    const client = this.connect({ clientId: this.options.clientId, clean: false, reconnectPeriod: 1000 });
    this.client = client;
    this.deferPubacks(client);
    client.handleMessage = (packet, callback) => {
      this.signOfLife(client);
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const messageId = packet.qos > 0 ? packet.messageId : undefined;
      if (messageId !== undefined) this.pubacks.received(messageId);
      // A retained flag on delivery means the broker stored it earlier [MQTT-3.3.1-8]; live
      // forwarding clears it [MQTT-3.3.1-9]. The agent clock estimate must not read old messages as slow ones.
      this.pipeline.push(
        packet.topic,
        payload,
        () => {
          if (messageId !== undefined) this.pubacks.committed(messageId);
        },
        packet.retain,
      );
      // Calling back lets mqtt.js parse the next packet; the PUBACK itself waits (see deferPubacks).
      // With maxQueued messages waiting, reading pauses until a batch commits: TCP pushes back and
      // the broker keeps the backlog in the hub's session.
      this.pipeline.whenRoom(callback);
    };
    client.on('error', (error) => log.error({ err: error.message }, 'mqtt ingest error'));
    // Packet ids are per connection: PUBACKs parked for a lost connection must never be sent on the
    // next one (they could acknowledge a different message). The broker redelivers those messages.
    let up = false;
    client.on('close', () => {
      if (up && this.client === client) this.stats.connectionsLost++;
      up = false;
      this.pubacks.clear();
    });
    client.on('offline', () => log.warn('mqtt ingest offline; reconnecting'));
    client.on('connect', (connack) => {
      this.stats.connects++;
      up = true;
      log.info({ sessionPresent: connack.sessionPresent }, 'mqtt ingest connected');
      if (!connack.sessionPresent || !this.connectedOnce) {
        client.subscribe(allSitesFilter(), { qos: 1 }, (error) => {
          if (error) log.error({ err: error.message }, 'mqtt ingest subscribe failed');
        });
      }
      this.connectedOnce = true;
    });
    await new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        client.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        client.off('connect', onConnect);
        client.end(true);
        reject(
          new Error(
            `cannot connect to MQTT broker ${stripUrlCredentials(this.options.url)}: ${error.message}`,
          ),
        );
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  /**
   * mqtt.js takes only a PINGRESP (or an ack) as proof that the broker is alive: it pings after a
   * keep-alive period and reconnects half a period later if no PINGRESP has been read. Under a
   * backlog the broker's PINGRESP waits behind every message it sent before it (Mosquitto 2.0 was
   * measured sending more than its max_inflight_messages), so the hub read it only after storing
   * them all: past about 90 s of backlog it reconnected, and everything in flight came again.
   * A message just read is as good a sign of life, so it restarts the keep-alive timer (at most
   * once a second, or every quarter period if that is shorter). The broker must still hear from
   * the hub within its own keep-alive: when the hub has written nothing for half a period (no
   * PUBACK, as while the database is down), a PINGREQ goes out anyway.
   */
  private signOfLife(client: MqttClient): void {
    const now = Date.now();
    const keepaliveMs = (client.options.keepalive ?? 60) * 1000;
    if (now - this.lastSignOfLifeMs < Math.min(1000, keepaliveMs / 4)) return;
    this.lastSignOfLifeMs = now;
    client.reschedulePing(true);
    if (client.connected && now - this.lastSentMs > keepaliveMs / 2) client.sendPing();
  }

  /**
   * mqtt.js handles incoming packets one at a time and only moves on once handleMessage's callback
   * has run, which also sends the PUBACK. To batch writes and still acknowledge only after commit
   * [MQTT-4.3.2], the client's packet sender is wrapped: a PUBACK for a message not yet committed is
   * parked and sent when the pipeline commits it. A crash before then leaves it unacknowledged, so
   * the broker redelivers (persistent session) and msgId dedupe absorbs the repeat.
   */
  private deferPubacks(client: MqttClient): void {
    type Send = (packet: { cmd: string; messageId?: number }, cb?: () => void, ...rest: unknown[]) => void;
    const target = client as unknown as { _sendPacket: Send };
    const write = target._sendPacket.bind(client);
    const original: Send = (...args) => {
      this.lastSentMs = Date.now();
      write(...args);
    };
    target._sendPacket = (packet, cb, ...rest) => {
      if (
        packet.cmd === 'puback' &&
        packet.messageId !== undefined &&
        this.pubacks.park(packet.messageId, () => original(packet, undefined, ...rest))
      ) {
        cb?.();
        return;
      }
      original(packet, cb, ...rest);
    };
  }

  /**
   * Asks the broker for a site's retained inventory and state again: a site registered after its
   * agent started had them refused, and the broker sends retained messages on each new
   * subscription [MQTT-3.3.1-6]. The ask goes on a short-lived clean session of its own: a second,
   * overlapping subscription on the hub's persistent session made the embedded broker drop the
   * connection. Only messages flagged retained are taken (live ones come on the main session), and
   * a message that also comes there is absorbed by the msgId dedupe.
   */
  replayRetained(siteId: string, holdMs = 3000): void {
    if (!this.client) return;
    const { log } = this.options;
    const topics = [buildTopic('inventory', { siteId }), buildTopic('siteState', { siteId })];
    const client = this.connect({
      clientId: `${this.options.clientId}-replay-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
    });
    this.replays.add(client);
    let timer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (!this.replays.delete(client)) return;
      client.end(true);
    };
    client.handleMessage = (packet, callback) => {
      if (!packet.retain) {
        callback();
        return;
      }
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.pipeline.push(packet.topic, payload, () => {}, true);
      this.pipeline.whenRoom(callback);
    };
    client.on('error', (error) => {
      log.warn({ siteId, err: error.message }, 'could not ask the broker for a site retained state');
      finish();
    });
    client.once('connect', () => {
      client.subscribe(topics, { qos: 1 }, (error) => {
        if (error) {
          log.warn({ siteId, err: error.message }, 'could not ask the broker for a site retained state');
          finish();
          return;
        }
        // Retained messages follow the SUBACK at once; the hold covers a slow pipeline.
        timer = setTimeout(finish, holdMs);
        timer.unref();
      });
    });
    client.once('close', finish);
  }

  async stop(): Promise<void> {
    for (const replay of this.replays) replay.end(true);
    this.replays.clear();
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }
}

/**
 * PUBACKs of received QoS 1 messages, each sent once its message is committed and mqtt.js has
 * made it, in the order the PUBLISHes came [MQTT-4.6.0-2]: with several ingest writers a later
 * message (another site's) can commit before an earlier one, and its PUBACK then waits.
 */
export class PubackQueue {
  /** By packet id. */
  private readonly pending = new Map<number, { committed: boolean; send: (() => void) | null }>();
  /**
   * Packet ids in the order received, from \`head\` on. Not the Map's own order: a Map iterated
   * from its start after many deletes steps over every deleted slot until it is rehashed, and the
   * queue is read from its start at each commit.
   */
  private order: number[] = [];
  private head = 0;

  received(messageId: number): void {
    if (!this.pending.has(messageId)) this.order.push(messageId);
    this.pending.set(messageId, { committed: false, send: null });
  }

  /** mqtt.js made the PUBACK: false when the message is not held here (send it at once). */
  park(messageId: number, send: () => void): boolean {
    const entry = this.pending.get(messageId);
    if (!entry) return false;
    entry.send = send;
    this.flush();
    return true;
  }

  committed(messageId: number): void {
    const entry = this.pending.get(messageId);
    if (!entry) return;
    entry.committed = true;
    this.flush();
  }

  /** The connection is gone: packet ids are per connection, and the broker redelivers. */
  clear(): void {
    this.pending.clear();
    this.order = [];
    this.head = 0;
  }

  get size(): number {
    return this.pending.size;
  }

  private flush(): void {
    while (this.head < this.order.length) {
      const id = this.order[this.head] as number;
      const entry = this.pending.get(id);
      if (entry && (!entry.committed || !entry.send)) break;
      this.head++;
      if (!entry) continue;
      this.pending.delete(id);
      entry.send?.();
    }
    // Drop the sent ids once they are most of the array (amortised constant time per id).
    if (this.head >= 1024 && this.head * 2 >= this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
