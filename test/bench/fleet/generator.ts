// The benchmark fleet: N sites x M cameras publishing health heartbeats at R messages/s over the
// real protocol (QoS 1, the topics and envelopes an edge agent sends), in a process of its own so
// that its cost is not the hub's. Driven by the parent over IPC (see fleet-client.ts).

import mqtt, { type MqttClient } from 'mqtt';
import { timeOrderedUuid } from '../../../src/ids.ts';
import type { InventoryPayload } from '../../../src/schemas/payloads.ts';
import { buildTopic } from '../../../src/topics.ts';
import { fleetCameraId, fleetCouncilId, fleetHubId, fleetSiteId } from './naming.ts';
import type { FleetCommand, FleetReport, FleetSpec } from './protocol.ts';

interface Camera {
  id: string;
  siteId: string;
  topic: string;
  state: 'up' | 'degraded' | 'down';
  conn: Connection;
}

interface Connection {
  client: MqttClient;
  inFlight: number;
}

/** Pre-serialised payload tails: only msgId, seq and observedAt change between heartbeats. */
const PAYLOAD_TAIL: Record<Camera['state'], string> = {
  up: '"reasons":[],"responseMs":38,"clock":{"offsetMs":112,"roundTripMs":9,"dateTimeType":"NTP","timeZone":"GMT0BST,M3.5.0/1,M10.5.0","daylightSavings":false},"device":null,"image":null}}',
  degraded:
    '"reasons":[{"code":"clock_offset","message":"camera clock differs from agent by 4.2 s"}],"responseMs":41,"clock":{"offsetMs":4200,"roundTripMs":11,"dateTimeType":"Manual","timeZone":"GMT0BST,M3.5.0/1,M10.5.0","daylightSavings":false},"device":null,"image":null}}',
  down: '"reasons":[{"code":"unreachable","message":"no answer to GetSystemDateAndTime within 3000 ms"}],"responseMs":null,"clock":null,"device":null,"image":null}}',
};

/** A state-change mix like a real fleet's: most heartbeats repeat the state, a few move it. */
function nextState(current: Camera['state'], changeProbability: number): Camera['state'] {
  if (Math.random() >= changeProbability) return current;
  if (current !== 'up') return 'up';
  return Math.random() < 0.6 ? 'down' : 'degraded';
}

const send = (report: FleetReport) => process.send?.(report);

class Fleet {
  private readonly connections: Connection[] = [];
  private readonly cameras: Camera[] = [];
  private readonly seqBySite = new Map<string, number>();
  private sent = 0;
  private acked = 0;
  private changes = 0;
  private errors = 0;
  private running = false;
  private next = 0;

  constructor(private readonly spec: FleetSpec) {}

  siteId(index: number): string {
    return fleetSiteId(this.spec.prefix, index);
  }

  async connect(): Promise<void> {
    const passwords = this.spec.passwords ?? null;
    const count = passwords ? this.spec.sites : Math.max(1, Math.min(this.spec.connections, this.spec.sites));
    for (let i = 0; i < count; i++) {
      const siteId = this.siteId(i);
      const password = passwords?.[siteId];
      if (passwords && !password) throw new Error(`no MQTT password for site ${siteId}`);
      const client = await mqtt.connectAsync(this.spec.mqttUrl, {
        clientId: passwords ? `site-${siteId}` : `bench-fleet-${process.pid}-${i}`,
        clean: true,
        protocolVersion: 4,
        keepalive: 30,
        reconnectPeriod: 1000,
        ...(password ? { username: siteId, password } : {}),
      });
      client.on('error', () => {
        this.errors++;
      });
      this.connections.push({ client, inFlight: 0 });
    }
  }

  /** Retained inventory and an online site state for every site, each acknowledged. */
  async announce(): Promise<void> {
    const { sites, camerasPerSite, prefix } = this.spec;
    const pending: Promise<unknown>[] = [];
    for (let s = 0; s < sites; s++) {
      const siteId = this.siteId(s);
      const conn = this.connections[s % this.connections.length] as Connection;
      const lat = 50 + (s % 100) * 0.01;
      const lon = -5.5 + Math.floor(s / 100) * 0.01;
      const inventory: InventoryPayload = {
        siteName: `Bench site ${s}`,
        councilId: fleetCouncilId(this.spec, s),
        hubId: fleetHubId(prefix),
        location: { lat, lon },
        cameras: [],
      };
      for (let c = 0; c < camerasPerSite; c++) {
        const id = fleetCameraId(siteId, c);
        inventory.cameras.push({
          id,
          name: `Bench camera ${s}/${c}`,
          commissioning: {
            location: { lat: lat + c * 0.0001, lon },
            bearingDeg: (c * 37) % 360,
            hfovDeg: 60,
            designDistanceM: 30,
            purpose: 'recognise',
          },
        });
        this.cameras.push({
          id,
          siteId,
          topic: buildTopic('health', { siteId, cameraId: id }),
          state: 'up',
          conn,
        });
      }
      pending.push(
        conn.client.publishAsync(buildTopic('inventory', { siteId }), this.envelope(siteId, inventory), {
          qos: 1,
          retain: true,
        }),
      );
      pending.push(
        conn.client.publishAsync(
          buildTopic('siteState', { siteId }),
          this.envelope(siteId, { state: 'online', agentVersion: 'bench' }),
          { qos: 1, retain: true },
        ),
      );
      if (pending.length >= 200) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    // Interleave sites so consecutive heartbeats come from different sites, as a real fleet's do.
    this.cameras.sort((a, b) => camIndex(a) - camIndex(b));
  }

  private envelope(siteId: string, payload: unknown): string {
    const seq = this.seqBySite.get(siteId) ?? 0;
    this.seqBySite.set(siteId, seq + 1);
    return JSON.stringify({
      v: 1,
      msgId: timeOrderedUuid(),
      siteId,
      seq,
      observedAt: new Date().toISOString(),
      payload,
    });
  }

  private publishOne(): boolean {
    const cam = this.cameras[this.next % this.cameras.length] as Camera;
    if (cam.conn.inFlight >= this.spec.windowPerConnection) return false;
    this.next++;
    const state = nextState(cam.state, this.spec.changeProbability);
    if (state !== cam.state) this.changes++;
    cam.state = state;
    const seq = this.seqBySite.get(cam.siteId) ?? 0;
    this.seqBySite.set(cam.siteId, seq + 1);
    // observedAt is the publish instant: the hub's stateSince for a change, so a socket client can
    // measure publish-to-socket latency on the same clock.
    const json = `{"v":1,"msgId":"${timeOrderedUuid()}","siteId":"${cam.siteId}","seq":${seq},"observedAt":"${new Date().toISOString()}","payload":{"cameraId":"${cam.id}","state":"${state}",${PAYLOAD_TAIL[state]}`;
    cam.conn.inFlight++;
    this.sent++;
    let settled = false;
    cam.conn.client.publish(cam.topic, json, { qos: 1 }, (error) => {
      // Counted once, whatever the client library does on a reconnect.
      if (settled) return;
      settled = true;
      cam.conn.inFlight--;
      if (error) this.errors++;
      else this.acked++;
    });
    return true;
  }

  /** Publishes at spec.rate (0: as fast as the broker acknowledges) for durationS, reporting each second. */
  async run(rate: number, durationS: number): Promise<void> {
    this.running = true;
    const startMs = Date.now();
    const endMs = startMs + durationS * 1000;
    let lastReport = startMs;
    let sentAtLastReport = this.sent;
    let ackedAtLastReport = this.acked;
    const base = this.sent;
    const ackedBase = this.acked;
    const errorsBase = this.errors;
    while (this.running && Date.now() < endMs) {
      const now = Date.now();
      const due = rate > 0 ? Math.floor(((now - startMs) * rate) / 1000) - (this.sent - base) : 5000;
      let published = 0;
      while (published < due && this.publishOne()) published++;
      if (now - lastReport >= 1000) {
        send({
          type: 'progress',
          atMs: now,
          sent: this.sent,
          acked: this.acked,
          sentPerS: ((this.sent - sentAtLastReport) * 1000) / (now - lastReport),
          ackedPerS: ((this.acked - ackedAtLastReport) * 1000) / (now - lastReport),
        });
        lastReport = now;
        sentAtLastReport = this.sent;
        ackedAtLastReport = this.acked;
      }
      // Yield to the socket: acknowledgements arrive and writes drain.
      await new Promise((r) => setImmediate(r));
      if (published === 0) await new Promise((r) => setTimeout(r, 1));
    }
    this.running = false;
    const elapsedMs = Date.now() - startMs;
    // Wait for the last acknowledgements (a hub that acknowledges after commit may take a while).
    const drainUntil = Date.now() + 60_000;
    while (this.acked + this.errors < this.sent && Date.now() < drainUntil)
      await new Promise((r) => setTimeout(r, 20));
    send({
      type: 'done',
      sent: this.sent - base,
      acked: this.acked - ackedBase,
      errors: this.errors - errorsBase,
      changes: this.changes,
      elapsedMs,
      drainedMs: Date.now() - startMs - elapsedMs,
    });
  }

  stop(): void {
    this.running = false;
  }

  /**
   * Empties every site's retained inventory and state: a baseline run on the hub's broker must not
   * leave them for the hub to read before its sites are registered (each would be a dead letter).
   */
  async clearRetained(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (let s = 0; s < this.spec.sites; s++) {
      const siteId = this.siteId(s);
      const conn = this.connections[s % this.connections.length] as Connection;
      for (const topic of [buildTopic('inventory', { siteId }), buildTopic('siteState', { siteId })])
        pending.push(conn.client.publishAsync(topic, '', { qos: 1, retain: true }));
    }
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.client.endAsync()));
  }
}

function camIndex(cam: Camera): number {
  const m = /-cam(\d+)$/.exec(cam.id);
  return Number(m?.[1] ?? 0);
}

let fleet: Fleet | null = null;
process.on('message', (command: FleetCommand) => {
  void (async () => {
    try {
      if (command.type === 'setup') {
        fleet = new Fleet(command.spec);
        await fleet.connect();
        await fleet.announce();
        send({ type: 'ready' });
      } else if (command.type === 'run') {
        if (!fleet) throw new Error('run before setup');
        await fleet.run(command.rate, command.durationS);
      } else if (command.type === 'stop') {
        fleet?.stop();
      } else if (command.type === 'close') {
        if (command.clearRetained) await fleet?.clearRetained();
        await fleet?.close();
        send({ type: 'closed' });
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
