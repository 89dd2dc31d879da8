import type { Logger } from 'pino';
import type { HubConfig } from '../../../src/config/hub-config.ts';

export interface DemoFleetOptions {
  mqttUrl: string;
  config: HubConfig['demo'];
  log: Logger;
}

/** Simulated town sites (camera simulator + edge agents) publishing to the hub's broker. */
export class DemoFleet {
  constructor(private readonly options: DemoFleetOptions) {}

  async start(): Promise<void> {
    this.options.log.info('demo fleet starting');
  }

  async stop(): Promise<void> {}
}
