import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttLimitStats } from '../../../hub-server/src/broker/broker-limits.ts';
import { SiteCredentialRepository } from '../../../hub-server/src/repositories/site-credential-repository.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { SiteMqttCredentialIssued } from '../../../src/schemas/site-credential-api.ts';
import { buildTopic } from '../../../src/topics.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { TestMosquitto } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

interface Credential {
  username: string;
  password: string;
}

/** What a test needs from a running hub: its API as an operator, and a registered site with a credential. */
function hubApi(h: () => HubHarness, token: () => string) {
  const api = async <T>(method: string, path: string): Promise<T> => {
    const response = await fetch(`${h().hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}` },
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as T;
  };
  return {
    api,
    cameraState: async (id: string) => (await api<CameraView>('GET', `/api/cameras/${id}`)).state,
    enrol: async (siteId: string, councilId: string, cameraId: string): Promise<Credential> => {
      await h().registerSite(siteId, councilId, { cameraIds: [cameraId] });
      const issued = await api<SiteMqttCredentialIssued>('POST', `/api/sites/${siteId}/mqtt-credentials`);
      return { username: issued.username, password: issued.password };
    },
  };
}

const connectSite = (url: string, credential: Credential) =>
  mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    clientId: `site-${credential.username}`,
    ...credential,
  });

/** Publishes and waits for the broker to close the connection: MQTT 3.1.1's only way to refuse a PUBLISH. */
async function publishRefused(client: MqttClient, topic: string, payload: string, retain: boolean) {
  client.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.publish(topic, payload, { qos: 1, retain }, () => undefined);
  await closed;
  client.end(true);
}

/** Health of one camera flips, and the hub shows it: that site and the hub still work. */
async function flips(site: SitePublisher, cameraId: string, state: (id: string) => Promise<string>) {
  for (const next of ['down', 'up'] as const) {
    await site.publish(
      'health',
      health(cameraId, next, next === 'down' ? [{ code: 'unreachable', message: 'no answer' }] : []),
      cameraId,
    );
    await eventually(`camera ${cameraId} ${next}`, async () =>
      (await state(cameraId)) === next ? true : undefined,
    );
  }
}

describe('embedded broker limits', () => {
  let h: HubHarness;
  let token = '';
  const { api, cameraState, enrol } = hubApi(
    () => h,
    () => token,
  );
  const council = uniqueId('council');
  // A misbehaves; B keeps publishing.
  const ids = { a: uniqueId('site-a'), b: uniqueId('site-b') };
  const cams = { a: `${ids.a}-c1`, b: `${ids.b}-c1` };
  let credA: Credential;
  let b: SitePublisher;
  const limits = async () =>
    (await api<{ mqttLimits: MqttLimitStats | null }>('GET', '/api/ingest/stats')).mqttLimits;

  beforeAll(async () => {
    // Identity on, so refusals count against the authenticated site; one retained message per site.
    h = await startHub(
      { CCTV_HUB__mqtt__siteAuth: 'enforce', CCTV_HUB__mqtt__retainedMessagesPerSite: '1' },
      { embeddedBroker: true },
    );
    await h.createUser('op', 'operator');
    token = await h.login('op');
    credA = await enrol(ids.a, council, cams.a);
    const credB = await enrol(ids.b, council, cams.b);
    b = new SitePublisher(ids.b, h.hub.mqttUrl, credB);
    await b.connect(false);
    await b.publish('inventory', inventory(council, [cams.b]));
    await b.publish('health', health(cams.b, 'up'), cams.b);
    await eventually('site B camera up', async () =>
      (await cameraState(cams.b)) === 'up' ? true : undefined,
    );
  }, 180_000);

  afterAll(async () => {
    await b?.close().catch(() => undefined);
    await h?.stop();
  });

  it('starts with the configured limits and no refusals', async () => {
    const stats = (await limits()) as MqttLimitStats;
    expect(stats).toMatchObject({
      maxPacketBytes: 262_144,
      retainedMessageBytes: 65_536,
      retainedMessagesPerSite: 1,
      retainedBytesPerSite: 131_072,
      refused: {
        packetTooLarge: 0,
        retainedTopic: 0,
        retainedTooLarge: 0,
        retainedCount: 0,
        retainedBytes: 0,
      },
    });
    expect(stats.sites[ids.b]?.retained.messages).toBe(1);
  });

  it('refuses an oversized packet, a retained observation, an oversized and a surplus retained message', async () => {
    const a = new SitePublisher(ids.a, h.hub.mqttUrl, credA);
    const inventoryText = JSON.stringify(a.envelope(inventory(council, [cams.a])));
    const stateText = JSON.stringify(a.envelope({ state: 'online' as const }));
    const ok = await connectSite(h.hub.mqttUrl, credA);
    await ok.publishAsync(buildTopic('inventory', { siteId: ids.a }), inventoryText, {
      qos: 1,
      retain: true,
    });
    await ok.endAsync();

    // 300 KB in one PUBLISH: the connection closes at its header, before the body is buffered.
    const healthTopic = buildTopic('health', { siteId: ids.a, cameraId: cams.a });
    await publishRefused(await connectSite(h.hub.mqttUrl, credA), healthTopic, 'x'.repeat(300_000), false);
    // Observations are never retained; one retained message per site here, and A holds its inventory.
    await publishRefused(await connectSite(h.hub.mqttUrl, credA), healthTopic, 'x', true);
    const inventoryTopic = buildTopic('inventory', { siteId: ids.a });
    await publishRefused(await connectSite(h.hub.mqttUrl, credA), inventoryTopic, 'x'.repeat(70_000), true);
    const stateTopic = buildTopic('siteState', { siteId: ids.a });
    await publishRefused(await connectSite(h.hub.mqttUrl, credA), stateTopic, stateText, true);

    const stats = (await limits()) as MqttLimitStats;
    expect(stats.sites[ids.a]).toEqual({
      refused: {
        packetTooLarge: 1,
        retainedTopic: 1,
        retainedTooLarge: 1,
        retainedCount: 1,
        retainedBytes: 0,
      },
      retained: { messages: 1, bytes: Buffer.byteLength(inventoryText) },
    });
    expect(stats.refused).toMatchObject({
      packetTooLarge: 1,
      retainedTopic: 1,
      retainedTooLarge: 1,
      retainedCount: 1,
    });
    expect(stats.sites[ids.b]?.refused).toMatchObject({ packetTooLarge: 0, retainedCount: 0 });
    // Logged with the site, never with a payload or a password.
    const refusals = h.logs.filter((line) => line.includes('refused by a broker limit'));
    expect(refusals).toHaveLength(4);
    for (const line of refusals) {
      expect(JSON.parse(line)).toMatchObject({ siteId: ids.a, clientId: `site-${ids.a}` });
      expect(line).not.toContain('xxxx');
      expect(line).not.toContain(credA.password);
    }
  });

  it('keeps the other site, the misbehaving site and the hub working', async () => {
    await flips(b, cams.b, cameraState);
    const a = new SitePublisher(ids.a, h.hub.mqttUrl, credA);
    await a.connect(false);
    try {
      await flips(a, cams.a, cameraState);
    } finally {
      await a.close().catch(() => undefined);
    }
    // A's retained inventory was deleted on close (an empty payload is always allowed).
    await eventually('site A holds nothing', async () =>
      (await limits())?.sites[ids.a]?.retained.messages === 0 ? true : undefined,
    );
  });
});

describe('Mosquitto from the generated config', () => {
  let h: HubHarness;
  let mosquitto: TestMosquitto;
  let dir = '';
  let token = '';
  const { cameraState, enrol } = hubApi(
    () => h,
    () => token,
  );
  const hubUser = { username: 'cctv-hub-test', password: randomBytes(24).toString('base64url') };
  const council = uniqueId('council');
  const ids = { a: uniqueId('site-a'), b: uniqueId('site-b') };
  const cams = { a: `${ids.a}-c1`, b: `${ids.b}-c1` };
  let credA: Credential;
  let b: SitePublisher;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cctv-mosquitto-'));
    mosquitto = new TestMosquitto(dir, hubUser);
    await mosquitto.start([]);
    const passwordFile = join(dir, 'hub-password');
    writeFileSync(passwordFile, hubUser.password, { mode: 0o600 });
    h = await startHub({
      MQTT_URL: mosquitto.url,
      CCTV_HUB__mqtt__username: hubUser.username,
      CCTV_HUB__mqtt__passwordFile: passwordFile,
    });
    await h.createUser('op', 'operator');
    token = await h.login('op');
    credA = await enrol(ids.a, council, cams.a);
    const credB = await enrol(ids.b, council, cams.b);
    const sites = await new SiteCredentialRepository(h.hub.database.pool).list();
    await mosquitto.configure(sites.map((s) => ({ siteId: s.siteId, passwordHash: s.passwordHash })));
    mosquitto.reload();
    b = new SitePublisher(ids.b, mosquitto.url, credB);
    await eventually('site B admitted', async () => {
      await b.connect(false);
      return true;
    });
    await b.publish('inventory', inventory(council, [cams.b]));
    await b.publish('health', health(cams.b, 'up'), cams.b);
    await eventually('site B camera up', async () =>
      (await cameraState(cams.b)) === 'up' ? true : undefined,
    );
  }, 180_000);

  afterAll(async () => {
    await b?.close().catch(() => undefined);
    await h?.stop();
    await mosquitto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('closes the connection of a site that sends a packet over max_packet_size; the hub and others go on', async () => {
    const conf = readFileSync(join(dir, 'test.conf'), 'utf8');
    expect(conf).toContain('\nmax_packet_size 262144\n');
    const healthTopic = buildTopic('health', { siteId: ids.a, cameraId: cams.a });
    await publishRefused(await connectSite(mosquitto.url, credA), healthTopic, 'x'.repeat(300_000), false);
    await flips(b, cams.b, cameraState);
    // The oversized message never reached the hub: it would have been dead-lettered as TOO_LARGE.
    const deadLetters = await fetch(`${h.hub.url}/api/ingest/dead-letters`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const letters = (await deadLetters.json()) as { siteId: string | null; code: string }[];
    expect(letters.filter((l) => l.siteId === ids.a)).toEqual([]);
  });

  it('lets a message just over the hub payload limit through, for the hub to dead-letter with its site', async () => {
    const a = await connectSite(mosquitto.url, credA);
    const topic = buildTopic('health', { siteId: ids.a, cameraId: cams.a });
    await a.publishAsync(topic, 'x'.repeat(70_000), { qos: 1 });
    await a.endAsync();
    await eventually('A dead-lettered as too large', async () => {
      const response = await fetch(`${h.hub.url}/api/ingest/dead-letters`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const letters = (await response.json()) as { siteId: string | null; code: string }[];
      return letters.some((l) => l.siteId === ids.a && l.code === 'TOO_LARGE') ? true : undefined;
    });
  });
});
