import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { stripUrlCredentials } from '../../../src/config/resolve.ts';
import { allSitesFilter } from '../../../src/topics.ts';
import type { IngestPipeline } from './pipeline.ts';

export interface MqttIngestOptions {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  log: Logger;
}

/**
 * Subscribes to every site's topics with QoS 1 on a persistent session. The PUBACK for each
 * message is held back (mqtt.js `handleMessage`) until the pipeline has committed it, so a crash
 * between receive and commit makes the broker redeliver.
 */
export class MqttIngest {
  private client: MqttClient | null = null;
  private connectedOnce = false;

  constructor(
    private readonly options: MqttIngestOptions,
    private readonly pipeline: IngestPipeline,
  ) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const { log } = this.options;
    const client = mqtt.connect(this.options.url, {
      clientId: this.options.clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      username: this.options.username ?? undefined,
      password: this.options.password ?? undefined,
    });
    this.client = client;
    client.handleMessage = (packet, callback) => {
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      this.pipeline.push(packet.topic, payload, () => callback());
    };
    client.on('error', (error) => log.error({ err: error.message }, 'mqtt ingest error'));
    client.on('offline', () => log.warn('mqtt ingest offline; reconnecting'));
    client.on('connect', (connack) => {
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

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
  }
}
