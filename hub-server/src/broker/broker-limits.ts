import type { Logger } from 'pino';
import { parseTopic, TOPIC_ROOT, TOPICS, TopicError } from '../../../src/topics.ts';

/**
 * What one site may make the embedded broker hold (DESIGN, Trust model: a site cannot make the hub
 * do unbounded work, and a retained message is work the broker repeats for every new subscriber).
 * A packet is bounded in size; a site retains only its own state and inventory, each no larger than
 * the hub accepts, and within a count and a byte total. Refusals are counted per site and logged
 * with client, site, topic and sizes, never a payload or a password.
 */
export interface BrokerLimitsConfig {
  maxPacketBytes: number;
  /** The hub's mqtt.maxPayloadBytes: a larger retained message would only ever be dead-lettered. */
  retainedMessageBytes: number;
  retainedMessagesPerSite: number;
  retainedBytesPerSite: number;
}

export type LimitRefusal =
  | 'packetTooLarge'
  | 'retainedTopic'
  | 'retainedTooLarge'
  | 'retainedCount'
  | 'retainedBytes';

type RefusalCounts = Record<LimitRefusal, number>;

export interface SiteLimitStats {
  refused: RefusalCounts;
  /** What the broker holds for the site now. */
  retained: { messages: number; bytes: number };
}

export interface MqttLimitStats extends BrokerLimitsConfig {
  /** Every refusal, also those of connections not (yet) authenticated as a site. */
  refused: RefusalCounts;
  sites: Record<string, SiteLimitStats>;
}

/** Smallest packet limit for a payload limit: room for the fixed header, a topic and a packet id. */
export const PACKET_OVERHEAD_BYTES = 1024;

export class BrokerLimitsError extends Error {
  readonly code = 'BROKER_LIMITS_INVALID';
}

/** Fails start-up when the packet limit would refuse messages the hub is meant to dead-letter. */
export function checkBrokerLimits(config: BrokerLimitsConfig): void {
  if (config.maxPacketBytes < config.retainedMessageBytes + PACKET_OVERHEAD_BYTES)
    throw new BrokerLimitsError(
      `'mqtt.maxPacketBytes' (${config.maxPacketBytes}) must be at least 'mqtt.maxPayloadBytes' + ${PACKET_OVERHEAD_BYTES} (${config.retainedMessageBytes + PACKET_OVERHEAD_BYTES})`,
    );
  if (config.retainedBytesPerSite < config.retainedMessageBytes)
    throw new BrokerLimitsError(
      `'mqtt.retainedBytesPerSite' (${config.retainedBytesPerSite}) must be at least 'mqtt.maxPayloadBytes' (${config.retainedMessageBytes})`,
    );
}

const SITE_TREE = new RegExp(`^${TOPIC_ROOT}/site/([a-z0-9][a-z0-9-]{0,62})/`);

function siteOf(topic: string): string | null {
  return SITE_TREE.exec(topic)?.[1] ?? null;
}

const noRefusals = (): RefusalCounts => ({
  packetTooLarge: 0,
  retainedTopic: 0,
  retainedTooLarge: 0,
  retainedCount: 0,
  retainedBytes: 0,
});

export class BrokerLimits {
  private readonly refused = noRefusals();
  private readonly sites = new Map<string, SiteLimitStats>();
  /** Retained payload bytes by topic, per site: what the broker stores for it. */
  private readonly retained = new Map<string, Map<string, number>>();

  constructor(
    readonly config: BrokerLimitsConfig,
    private readonly log: Logger,
  ) {
    checkBrokerLimits(config);
  }

  get stats(): MqttLimitStats {
    const sites: Record<string, SiteLimitStats> = {};
    for (const [siteId, site] of this.sites)
      sites[siteId] = { refused: { ...site.refused }, retained: { ...site.retained } };
    return { ...this.config, refused: { ...this.refused }, sites };
  }

  private site(siteId: string): SiteLimitStats {
    let site = this.sites.get(siteId);
    if (!site) {
      site = { refused: noRefusals(), retained: { messages: 0, bytes: 0 } };
      this.sites.set(siteId, site);
    }
    return site;
  }

  private refuse(
    reason: LimitRefusal,
    siteId: string | null,
    context: { clientId: string | null; topic?: string; bytes: number },
  ): LimitRefusal {
    this.refused[reason]++;
    if (siteId) this.site(siteId).refused[reason]++;
    this.log.warn(
      {
        reason,
        siteId,
        clientId: context.clientId,
        topic: context.topic?.slice(0, 200),
        bytes: context.bytes,
      },
      'mqtt message refused by a broker limit',
    );
    return reason;
  }

  /** A packet larger than maxPacketBytes; siteId null before the connection is authenticated. */
  packetTooLarge(siteId: string | null, clientId: string | null, packetBytes: number): void {
    this.refuse('packetTooLarge', siteId, { clientId, bytes: packetBytes });
  }

  /**
   * Decides a retained publish (the site's own topic is already checked) and records what the
   * broker will then hold. An empty payload deletes the retained message [MQTT-3.3.1-10] and is
   * always allowed. Returns the refusal, or null when the broker may store it.
   */
  retain(clientId: string | null, topic: string, payloadBytes: number): LimitRefusal | null {
    let siteId: string;
    let retainable: boolean;
    try {
      const parsed = parseTopic(topic);
      siteId = parsed.siteId;
      retainable = TOPICS[parsed.kind].retain;
    } catch (error) {
      if (!(error instanceof TopicError)) throw error;
      // Not a topic the hub reads, so nothing anyone may leave on the broker; counted for the
      // site whose tree it is in (with site authentication on, the publisher's own).
      const owner = siteOf(topic);
      return this.refuse('retainedTopic', owner, { clientId, topic, bytes: payloadBytes });
    }
    const held = this.retained.get(siteId) ?? new Map<string, number>();
    const stats = this.site(siteId);
    if (payloadBytes === 0) {
      held.delete(topic);
    } else {
      const context = { clientId, topic, bytes: payloadBytes };
      if (!retainable) return this.refuse('retainedTopic', siteId, context);
      if (payloadBytes > this.config.retainedMessageBytes)
        return this.refuse('retainedTooLarge', siteId, context);
      const before = held.get(topic);
      if (before === undefined && held.size >= this.config.retainedMessagesPerSite)
        return this.refuse('retainedCount', siteId, context);
      if (stats.retained.bytes - (before ?? 0) + payloadBytes > this.config.retainedBytesPerSite)
        return this.refuse('retainedBytes', siteId, context);
      held.set(topic, payloadBytes);
    }
    this.retained.set(siteId, held);
    let bytes = 0;
    for (const size of held.values()) bytes += size;
    stats.retained = { messages: held.size, bytes };
    return null;
  }
}
