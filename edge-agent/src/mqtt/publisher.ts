import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import type { InventoryPayload, SiteStatePayload } from '../../../src/schemas/payloads.ts';
import { buildTopic, type PayloadOf, TOPICS, type TopicKind, type TopicParams } from '../../../src/topics.ts';
import { formatIssues } from '../../../src/validation.ts';
import { AgentError } from '../errors.ts';
import { Outbox, type OutboxStats } from '../outbox/outbox.ts';
import type { OutboxEnvelope, OutboxKind, OutboxRecord } from '../outbox/record.ts';
import { OutboxSender } from '../outbox/sender.ts';
import { type EnvelopeFactory, validateEnvelope } from './envelope.ts';

export type PublishParams = Omit<TopicParams, 'siteId'>;

/**
 * Where the agent's messages go. Observations and events resolve once they are safely in the durable
 * outbox (or refused by a full one), not when the broker has them; retained state resolves on PUBACK.
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
  /** Observations and events not yet acknowledged by the broker: waiting in the outbox or in flight. */
  queueLength: number;
  outbox: OutboxStats | null;
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
  /** This site's outbox directory and its bound. */
  outbox: { dir: string; maxBytes: number };
  /** Outbox records handed to mqtt.js and not yet acknowledged, at most. */
  maxInFlight?: number;
}

const OFFLINE_PUBLISH_TIMEOUT_MS = 2_000;
/** A graceful stop waits this long for the outbox to empty while connected; the rest is sent next start. */
const DRAIN_TIMEOUT_MS = 5_000;
const RECONNECT_PERIOD_MS = 2_000;
const MAX_IN_FLIGHT = 100;

/**
 * Publishes over MQTT 3.1.1, QoS 1. Observations and events go through the durable outbox (on disk
 * before they are sent, removed when the broker acknowledges them, sent in order with at most
 * `maxInFlight` unacknowledged); retained state (inventory, site state) is published afresh on every
 * connect and is not queued, since only its latest value matters.
 */
export class MqttPublisher implements Publisher {
  private client: MqttClient | null = null;
  private outbox: Outbox | null = null;
  private sender: OutboxSender | null = null;
  private counters = { connects: 0, published: 0, publishErrors: 0, rejected: 0 };
  private retainedInFlight = 0;
  private lastOutboxStats: OutboxStats | null = null;
  private readonly listeners = new Map<string, ((...args: never[]) => void)[]>();

  constructor(private readonly options: MqttPublisherOptions) {}

  /**
   * Opens the outbox (records left by an earlier run are sent first), then connects in the background:
   * the agent polls and queues even while the broker is unreachable.
   */
  async start(): Promise<void> {
    if (this.client) return;
    const o = this.options;
    const outbox = new Outbox({
      dir: o.outbox.dir,
      siteId: o.siteId,
      maxBytes: o.outbox.maxBytes,
      now: o.now,
      wrapGap: (payload, atMs) => o.envelopes.wrap(payload, atMs) as OutboxEnvelope,
      logger: o.logger.child({ component: 'outbox' }),
    });
    await outbox.open();
    const sender = new OutboxSender({
      outbox,
      maxInFlight: o.maxInFlight ?? MAX_IN_FLIGHT,
      publish: (record) => this.send(record),
      logger: o.logger.child({ component: 'outbox' }),
    });
    sender.start();
    this.outbox = outbox;
    this.sender = sender;
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
      // Inventory first: the hub learns the site and its cameras before their state, then the outbox.
      this.track(this.publish('inventory', {}, inventory, at));
      this.track(this.publish('siteState', {}, siteState, at));
      sender.resume();
    });
    // Records already with mqtt.js stay there (it resends them on reconnect); nothing new until then.
    this.listen(client, 'close', () => sender.pause());
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
      o.logger.warn(where, 'broker connection lost; observations wait in the outbox');
    });
    this.listen(client, 'error', (error: Error) => {
      if (error.message === lastError) return;
      lastError = error.message;
      o.logger.warn({ ...where, err: error.message }, 'broker error');
    });
  }

  private listen(
    client: MqttClient,
    event: 'connect' | 'reconnect' | 'offline' | 'error' | 'close',
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

  /** Publishes the retained online state afresh (while connected; a reconnect publishes it anyway). */
  async publishSiteState(): Promise<void> {
    if (!this.client?.connected) return;
    await this.publish('siteState', {}, this.options.onlineState().siteState, this.options.now());
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
    if (!TOPICS[kind].retain) {
      // Not retained means a per-camera observation, event or gap (buildTopic checked the camera id):
      // those go through the outbox.
      const outbox = this.outbox;
      if (!outbox)
        throw new AgentError('not_started', 'publisher is stopped', { siteId: this.options.siteId });
      await outbox.append(
        kind as OutboxKind,
        params.cameraId as string,
        envelope as unknown as OutboxEnvelope,
      );
      return;
    }
    this.retainedInFlight += 1;
    try {
      await client.publishAsync(topic, JSON.stringify(envelope), { qos: 1, retain: true });
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishErrors += 1;
      throw error;
    } finally {
      this.retainedInFlight -= 1;
    }
  }

  /** The outbox sender's way out: resolves on PUBACK. */
  private async send(record: OutboxRecord): Promise<void> {
    const client = this.client;
    if (!client) throw new AgentError('not_started', 'publisher is stopped', { siteId: this.options.siteId });
    const topic = buildTopic(record.kind, { siteId: this.options.siteId, cameraId: record.cameraId });
    try {
      await client.publishAsync(topic, JSON.stringify(record.envelope), { qos: 1, retain: false });
      this.counters.published += 1;
    } catch (error) {
      this.counters.publishErrors += 1;
      throw error;
    }
  }

  /** Waits (bounded) until everything in the outbox was acknowledged, while connected. */
  private async drain(): Promise<void> {
    // Real time, not the agent's clock: this paces I/O, and a test's fake clock may stand still.
    for (let waitedMs = 0; waitedMs < DRAIN_TIMEOUT_MS; waitedMs += 20) {
      // Appends still being written count too.
      await this.outbox?.settle();
      if (!this.client?.connected || !this.sender || this.sender.idle) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * graceful: publish retained `offline` (bounded wait), then DISCONNECT so the broker discards the will.
   * abrupt: drop the socket without DISCONNECT, as a crash or cut link would, so the broker sends the will.
   */
  async stop(mode: 'graceful' | 'abrupt' = 'graceful'): Promise<void> {
    const client = this.client;
    if (!client) return;
    if (mode === 'graceful') await this.drain();
    this.client = null;
    this.sender?.stop();
    if (mode === 'abrupt') {
      await client.endAsync(true);
      this.detach(client);
      await this.closeOutbox();
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
    await this.closeOutbox();
  }

  /** Whatever was not acknowledged stays on disk for the next start. */
  private async closeOutbox(): Promise<void> {
    const outbox = this.outbox;
    if (!outbox) return;
    await outbox.close();
    this.lastOutboxStats = outbox.stats();
    this.outbox = null;
    this.sender = null;
  }

  private detach(client: MqttClient): void {
    for (const event of ['connect', 'reconnect', 'offline', 'error', 'close'] as const) {
      for (const listener of this.listeners.get(event) ?? []) client.off(event, listener);
    }
    this.listeners.clear();
    // mqtt.js may still report a late socket error after end(); keep it from becoming an uncaught 'error'.
    client.on('error', () => undefined);
  }

  /** Also after stop: the counters of the last run, with what was left in the outbox. */
  stats(): PublisherStats {
    const outbox = this.outbox?.stats() ?? this.lastOutboxStats;
    return {
      connected: this.client?.connected ?? false,
      ...this.counters,
      queueLength: this.retainedInFlight + (outbox ? outbox.queued + outbox.inFlight : 0),
      outbox,
    };
  }
}
