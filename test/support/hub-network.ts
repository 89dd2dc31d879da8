import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashMqttPassword } from '../../hub-server/src/auth/mqtt-password.ts';
import { type HubHarness, startHub } from './hub-harness.ts';
import { LinkProxy } from './link-proxy.ts';
import { TestMosquitto } from './mosquitto.ts';
import { SitePublisher } from './site-publisher.ts';
import type { TestPki } from './test-pki.ts';

/**
 * A small network of hubs on real parts, for tests of what people see at a force hub: regional hubs,
 * each with its own Mosquitto bridged over TLS (through a relay the test can cut) into the force
 * hub's Mosquitto, configured by the hub's own generator; and the force hub linked to them.
 */

export interface NetworkRegion {
  id: string;
  council: string;
  site: string;
  cameras: string[];
  broker: TestMosquitto;
  relay: LinkProxy;
  hub: HubHarness;
  publisher: SitePublisher;
  keyFile: string;
}

export interface HubNetwork {
  forceBroker: TestMosquitto;
  force: HubHarness;
  /** Every process of the force hub (one, or several in cluster mode; `force` is the first). */
  forceProcesses: HubHarness[];
  regions: NetworkRegion[];
  stop(): Promise<void>;
}

/** Writes a secret (0600) in `dir`: a key, a password. */
export function secretFile(dir: string, name: string, value = randomBytes(24).toString('base64url')) {
  const file = join(dir, name);
  writeFileSync(file, value, { mode: 0o600 });
  return { file, value };
}

export async function startHubNetwork(options: {
  dir: string;
  pki: TestPki;
  regions: { id: string; cameras: number; location: { lat: number; lon: number } }[];
  linkTimeoutMs: number;
  /**
   * Run the force hub as this many processes of one region (cluster mode) on this PostgreSQL;
   * default one process on its own database.
   */
  forceCluster?: { processes: number; databaseUrl: string };
}): Promise<HubNetwork> {
  const { dir, pki } = options;
  const started: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const close of started.reverse()) await close().catch(() => undefined);
  };
  try {
    const bridges = new Map(options.regions.map((r) => [r.id, secretFile(dir, `bridge-${r.id}`)]));
    const forceUser = { username: 'hub-force', password: secretFile(dir, 'force-mqtt').value };
    mkdirSync(join(dir, 'force-broker'));
    const forceBroker = new TestMosquitto(
      join(dir, 'force-broker'),
      forceUser,
      { certFile: pki.certFile, keyFile: pki.keyFile },
      { peers: [...bridges].map(([hub, p]) => ({ hub, password: p.value })) },
    );
    await forceBroker.start([]);
    started.push(() => forceBroker.stop());
    const regions: NetworkRegion[] = [];
    for (const spec of options.regions) {
      const relay = new LinkProxy({ host: '127.0.0.1', port: forceBroker.tlsPort });
      await relay.up();
      started.push(() => relay.down());
      const hubUser = { username: `hub-${spec.id}`, password: secretFile(dir, `${spec.id}-mqtt`).value };
      const site = `${spec.id}-town-${randomBytes(2).toString('hex')}`;
      const sitePassword = `site-${randomBytes(8).toString('hex')}`;
      mkdirSync(join(dir, `${spec.id}-broker`));
      const broker = new TestMosquitto(join(dir, `${spec.id}-broker`), hubUser, null, {
        bridges: () => [
          {
            self: spec.id,
            peer: 'force',
            host: '127.0.0.1',
            port: relay.port,
            caFile: pki.caFile,
            password: (bridges.get(spec.id) as { value: string }).value,
          },
        ],
      });
      await broker.start([{ siteId: site, passwordHash: await hashMqttPassword(sitePassword) }]);
      started.push(() => broker.stop());
      const key = secretFile(dir, `${spec.id}.key`);
      const hub = await startHub({
        MQTT_URL: broker.url,
        CCTV_HUB__mqtt__username: hubUser.username,
        CCTV_HUB__mqtt__passwordFile: secretFile(dir, `${spec.id}-hub-password`, hubUser.password).file,
        CCTV_HUB__federation__hubId: spec.id,
        CCTV_HUB__federation__heartbeatMs: '1000',
        CCTV_HUB__federation__shares: JSON.stringify([{ peer: 'force', keyFile: key.file }]),
      });
      started.push(() => hub.stop());
      const council = `${spec.id}-council`;
      const cameras = Array.from({ length: spec.cameras }, (_, i) => `${site}-${i + 1}`);
      await hub.registerSite(site, council, { cameraIds: cameras, location: spec.location });
      const publisher = new SitePublisher(site, broker.url, { username: site, password: sitePassword });
      await publisher.connect();
      started.push(() => publisher.close());
      await publisher.publish('siteState', { state: 'online', agentVersion: 'test' });
      await publisher.publish('inventory', {
        siteName: `Town of ${spec.id}`,
        councilId: council,
        hubId: 'test-hub',
        location: spec.location,
        cameras: cameras.map((id, i) => ({
          id,
          name: `${spec.id} camera ${i + 1}`,
          commissioning: {
            location: { lat: spec.location.lat + i * 0.0002, lon: spec.location.lon },
            bearingDeg: 0,
            hfovDeg: 60,
            designDistanceM: 20,
            purpose: 'recognise',
          },
        })),
      });
      for (const id of cameras)
        await publisher.publish(
          'health',
          { cameraId: id, state: 'up', reasons: [], responseMs: 12, clock: null, device: null, image: null },
          id,
        );
      regions.push({ ...spec, council, site, cameras, broker, relay, hub, publisher, keyFile: key.file });
    }
    const forceEnv = {
      MQTT_URL: forceBroker.url,
      CCTV_HUB__mqtt__username: forceUser.username,
      CCTV_HUB__mqtt__passwordFile: secretFile(dir, 'force-hub-password', forceUser.password).file,
      CCTV_HUB__federation__hubId: 'force',
      CCTV_HUB__federation__linkTimeoutMs: String(options.linkTimeoutMs),
      CCTV_HUB__federation__links: JSON.stringify(
        regions.map((r) => ({ hub: r.id, apiUrl: r.hub.hub.url, keyFile: r.keyFile })),
      ),
    };
    const cluster = options.forceCluster;
    const forceProcesses: HubHarness[] = [];
    for (let i = 0; i < (cluster?.processes ?? 1); i++) {
      const process = await startHub(
        cluster
          ? {
              ...forceEnv,
              DATABASE_URL: cluster.databaseUrl,
              CCTV_CLUSTER: 'true',
              CCTV_HUB__cluster__instanceId: `force-${i + 1}`,
              CCTV_HUB__mqtt__clientId: 'force-hub',
            }
          : forceEnv,
      );
      started.push(() => process.stop());
      forceProcesses.push(process);
    }
    return { forceBroker, force: forceProcesses[0] as HubHarness, forceProcesses, regions, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
