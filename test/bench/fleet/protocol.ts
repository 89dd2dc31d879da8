/** What the benchmark parent and the fleet generator process say to each other over IPC. */

export interface FleetSpec {
  mqttUrl: string;
  /** Site and camera ids start with this (one run's fleet never meets another's). */
  prefix: string;
  sites: number;
  camerasPerSite: number;
  councils: number;
  /** MQTT connections the sites share (a real fleet has one per site; a few carry the same load). */
  connections: number;
  /** Unacknowledged QoS 1 messages allowed per connection before publishing waits. */
  windowPerConnection: number;
  /** Chance that a heartbeat moves its camera to another state. */
  changeProbability: number;
  /**
   * MQTT password of each site (user name: the site id), when the broker enforces site identity:
   * then every site has its own connection, as real agents do, and `connections` is ignored.
   */
  passwords?: Record<string, string> | null;
}

export type FleetCommand =
  | { type: 'setup'; spec: FleetSpec }
  | { type: 'run'; rate: number; durationS: number }
  | { type: 'stop' }
  /** clearRetained: first clear every site's retained inventory and state on the broker. */
  | { type: 'close'; clearRetained?: boolean };

export type FleetReport =
  | { type: 'ready' }
  | { type: 'progress'; atMs: number; sent: number; acked: number; sentPerS: number; ackedPerS: number }
  | {
      type: 'done';
      sent: number;
      acked: number;
      errors: number;
      changes: number;
      elapsedMs: number;
      drainedMs: number;
    }
  | { type: 'closed' }
  | { type: 'error'; message: string };
