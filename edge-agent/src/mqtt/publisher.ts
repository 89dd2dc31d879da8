import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import type { InventoryPayload, SiteStatePayload } from '../../../src/schemas/payloads.ts';
import { buildTopic, type PayloadOf, TOPICS, type TopicKind, type TopicParams } from '../../../src/topics.ts';
import { formatIssues } from '../../../src/validation.ts';
import { AgentError } from '../errors.ts';
import { type EnvelopeFactory, validateEnvelope } from './envelope.ts';

export type PublishParams = Omit<TopicParams, 'siteId'>;

/**
 * Where the agent's messages go. The MQTT implementation below keeps unsent messages in memory while the
 * broker is away (mqtt.js queues QoS 1 publishes offline and resends them on reconnect); a durable disk
 * outbox can implement the same interface later so nothing is lost when the agent restarts mid-outage.
 */
export interface Publisher {
  publish<K extends TopicKind>(
    kind: K,
    params: PublishParams,
    payload: PayloadOf<K>,
    observedAtMs: number,
  ): Promise<void>;
}

export interface PublisherStats {
  connected: boolean;
  connects: number;
  published: number;
  publishErrors: number;
  rejected: number;
  /** Publishes handed to mqtt.js and not yet acknowledged (includes those held while offline). */
  queueLength: number;
}

export interface MqttPublisherOptions {
  url: string;
  siteId: string;
  username: string | null;
  password: string | null;
  /** CA(s) for an mqtts:// broker, trusted instead of the system's; the certificate is always verified. */
  ca: string | null;
  keepaliveS: number;
  connectTimeoutMs: number;
  envelopes: EnvelopeFactory;
  now: () => number;
  logger: Logger;
  /** Retained state published on every (re)connect. */
  onlineState: () => { siteState: SiteStatePayload; inventory: InventoryPayload };
}

const OFFLINE_PUBLISH_TIMEOUT_MS = 2_000;
const RECONNECT_PERIOD_MS = 2_000;

export class MqttPublisher implements Publisher {
  private client: MqttClient | null = null;
  private counters = { connects: 0, published: 0, publishErrors: 0, rejected: 0, queueLength: 0 };
  private readonly listeners = new Map<string, ((...args: never[]) => void)[]>();

  constructor(private readonly options: MqttPublisherOptions) {}

  /** Connects in the background: the agent polls and queues even while the broker is unreachable. */
  start(): void {
    if (this.client) return;
    const o = this.options;
    const clientOptions: IClientOptions = {
      clientId: `site-${o.siteId}`,
      protocolVersion: 4,
      clean: false,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      will: this.will(),
      ...(o.username !== null ? { username: o.username } : {}),
      ...(o.password !== null ? { password: o.password } : {}),
      // Over mqtts:// the broker's certificate chain and host name are checked, never skipped.
      rejectUnauthorized: true,
      ...(o.ca !== null ? { ca: o.ca } : {}),
    };
    const client = connect(o.url, clientOptions);
    this.client = client;
    const where = { broker: stripUrlCredentials(o.url), siteId: o.siteId };
    this.listen(client, 'connect', () => {
      this.counters.connects += 1;
      o.logger.info(where, 'connected to broker');
      const { siteState, inventory } = o.onlineState();
      const at = o.now();
      // Inventory first: the hub learns the site and its cameras before their state.
      this.track(this.publish('inventory', {}, inventory, at));
      this.track(this.publish('siteState', {}, siteState, at));
    });
    // The will is sent inside CONNECT, so refresh its envelope before each attempt (its observedAt is the
    // connect time and its seq is older than anything published afterwards).
    this.listen(client, 'reconnect', () => {
      client.options.will = this.will();
    });
    // mqtt.js reports the same refusal on every retry: log a loss once and an error only when it changes.
    let lastError = '';
    let online = true;
    this.listen(client, 'connect', () => {
      lastError = '';
      online = true;
    });
    this.listen(client, 'offline', () => {
      if (!online) return;
      online = false;
      o.logger.warn(where, 'broker connection lost; holding messages in memory');
    });
    this.listen(client, 'error', (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      o.logger.warn({ ...where, err: error.message }, 'broker error');
    });
  }

  private listen(
    client: MqttClient,
    event: 'connect' | 'reconnect' | 'offline' | 'error',
    listener: (...args: never[]) => void,
  ): void {
    client.on(event, listener as () => void);
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }

  private will(): NonNullable<IClientOptions['will']> {
    const envelope = this.options.envelopes.wrap<SiteStatePayload>({ state: 'offline' }, this.options.now());
    return {
      topic: buildTopic('siteState', { siteId: this.options.siteId }),
      payload: Buffer.from(JSON.stringify(envelope)),
      qos: 1,
      retain: true,
    };
  }

  private track(promise: Promise<void>): void {
    promise.catch((error: unknown) => {
      this.options.logger.warn({ err: (error as Error).message }, 'retained state publish failed');
    });
  }

  async publish<K extends TopicKind>(
    kind: K,
    params: PublishParams,
    payload: PayloadOf<K>,
    observedAtMs: number,
  ): Promise<void> {
    const client = this.client;
    if (!client) {
      throw new AgentError('not_started', 'publisher is not started', { siteId: this.options.siteId });
    }
    const envelope = this.options.envelopes.wrap(payload, observedAtMs);
    const checked = validateEnvelope(kind, envelope);
    if (!checked.ok) {
      // A bug on our side: the hub would dead-letter it anyway, so say exactly what is wrong here.
      this.counters.rejected += 1;
      throw new AgentError(
        'publish_invalid',
        `outgoing ${kind} message is invalid: ${formatIssues(checked.issues)}`,
        {
          siteId: this.options.siteId,
          ...(params.cameraId ? { cameraId: params.cameraId } : {}),
        },
      );
    }
    const topic = buildTopic(kind, { siteId: this.options.siteId, ...params });
    this.counters.queueLength += 1;
    try {
      await client.publishAsync(topic, JSON.stringify(envelope), { qos: 1, retain: TOPICS[kind].retain });
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishErrors += 1;
      throw error;
    } finally {
      this.counters.queueLength -= 1;
    }
  }

  /**
   * graceful: publish retained `offline` (bounded wait), then DISCONNECT so the broker discards the will.
   * abrupt: drop the socket without DISCONNECT, as a crash or cut link would, so the broker sends the will.
   */
  async stop(mode: 'graceful' | 'abrupt' = 'graceful'): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (mode === 'abrupt') {
      await client.endAsync(true);
      this.detach(client);
      return;
    }
    if (client.connected) {
      const envelope = this.options.envelopes.wrap<SiteStatePayload>(
        { state: 'offline' },
        this.options.now(),
      );
      const topic = buildTopic('siteState', { siteId: this.options.siteId });
      let timer: NodeJS.Timeout | undefined;
      const sent = client.publishAsync(topic, JSON.stringify(envelope), { qos: 1, retain: true }).then(
        () => undefined,
        (error: unknown) =>
          this.options.logger.warn({ err: (error as Error).message }, 'offline state publish failed'),
      );
      const bounded = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, OFFLINE_PUBLISH_TIMEOUT_MS);
      });
      await Promise.race([sent, bounded]);
      clearTimeout(timer);
    }
    await client.endAsync(!client.connected);
    this.detach(client);
  }

  private detach(client: MqttClient): void {
    for (const event of ['connect', 'reconnect', 'offline', 'error'] as const) {
      for (const listener of this.listeners.get(event) ?? []) client.off(event, listener);
    }
    this.listeners.clear();
    // mqtt.js may still report a late socket error after end(); keep it from becoming an uncaught 'error'.
    client.on('error', () => undefined);
  }

  stats(): PublisherStats {
    return { connected: this.client?.connected ?? false, ...this.counters };
  }
}
