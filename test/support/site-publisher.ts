import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Commissioning } from '../../src/schemas/commissioning.ts';
import type { HealthPayload, InventoryPayload } from '../../src/schemas/payloads.ts';
import { buildTopic, type PayloadOf, TOPICS, type TopicKind } from '../../src/topics.ts';

/** A minimal site speaking the real protocol over a real broker, for hub tests that need exact control. */
export class SitePublisher {
  private client: MqttClient | null = null;
  private seq = 0;

  constructor(
    readonly siteId: string,
    private readonly mqttUrl: string,
    /** MQTT credentials, when the broker enforces site identity. */
    private readonly credentials: { username: string; password: string } | null = null,
    /** More connect options, e.g. the CA for an mqtts:// url. */
    private readonly connectOptions: Pick<IClientOptions, 'ca'> = {},
  ) {}

  async connect(withWill = true): Promise<void> {
    const will = withWill
      ? {
          topic: buildTopic('siteState', { siteId: this.siteId }),
          payload: Buffer.from(JSON.stringify(this.envelope({ state: 'offline' }))),
          qos: 1 as const,
          retain: true,
        }
      : undefined;
    this.client = await mqtt.connectAsync(this.mqttUrl, {
      clientId: `site-${this.siteId}`,
      clean: true,
      protocolVersion: 4,
      keepalive: 5,
      will,
      ...(this.credentials ?? {}),
      ...this.connectOptions,
    });
  }

  envelope<P>(payload: P, observedAt = new Date()) {
    return {
      v: 1 as const,
      msgId: randomUUID(),
      siteId: this.siteId,
      seq: this.seq++,
      observedAt: observedAt.toISOString(),
      payload,
    };
  }

  async publish<K extends TopicKind>(
    kind: K,
    payload: PayloadOf<K>,
    cameraId?: string,
    observedAt?: Date,
  ): Promise<string> {
    const envelope = this.envelope(payload, observedAt);
    await this.raw(
      // The id of a per-camera topic, or of a mobile source's (telemetry).
      buildTopic(kind, { siteId: this.siteId, cameraId, sourceId: cameraId }),
      JSON.stringify(envelope),
      TOPICS[kind].retain,
    );
    return envelope.msgId;
  }

  async raw(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    if (!this.client) throw new Error('not connected');
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /** Drops the connection without DISCONNECT so the broker publishes the last will. */
  kill(): void {
    this.client?.stream.destroy();
    this.client?.end(true);
    this.client = null;
  }

  async close(clearRetained = true): Promise<void> {
    if (clearRetained && this.client) {
      await this.raw(buildTopic('siteState', { siteId: this.siteId }), '', true);
      await this.raw(buildTopic('inventory', { siteId: this.siteId }), '', true);
    }
    await this.client?.endAsync();
    this.client = null;
  }
}

export function commissioning(
  lat: number,
  lon: number,
  purpose: Commissioning['purpose'] = 'recognise',
): Commissioning {
  return { location: { lat, lon }, bearingDeg: 90, hfovDeg: 60, designDistanceM: 20, purpose };
}

export function inventory(councilId: string, cameraIds: string[]): InventoryPayload {
  return {
    siteName: `Test site ${councilId}`,
    councilId,
    hubId: 'test-hub',
    location: { lat: 50.1, lon: -5.5 },
    cameras: cameraIds.map((id, i) => ({
      id,
      name: `Camera ${id}`,
      commissioning: commissioning(50.1 + i * 0.001, -5.5),
    })),
  };
}

export function health(
  cameraId: string,
  state: HealthPayload['state'],
  reasons: HealthPayload['reasons'] = [],
): HealthPayload {
  return { cameraId, state, reasons, responseMs: 12, clock: null, device: null, image: null };
}
