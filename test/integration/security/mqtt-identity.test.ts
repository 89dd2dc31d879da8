import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttAuthStats } from '../../../hub-server/src/broker/site-auth.ts';
import { SiteCredentialRepository } from '../../../hub-server/src/repositories/site-credential-repository.ts';
import type { CameraView } from '../../../src/schemas/api.ts';
import type { AuditPage } from '../../../src/schemas/audit-api.ts';
import type { SiteMqttCredentialIssued } from '../../../src/schemas/site-credential-api.ts';
import { buildTopic, siteRequestFilter } from '../../../src/topics.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { TestMosquitto } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';

type Broker = 'embedded' | 'mosquitto';
interface Credential {
  username: string;
  password: string;
}

/** Connects once (no retries); resolves the CONNACK refusal code, or 0 when accepted. */
async function connackCode(url: string, options: mqtt.IClientOptions): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });
    await client.endAsync();
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

/** The SUBACK return code for one filter (mqtt.js turns a 0x80 into an error carrying the SUBACK). */
async function grantOf(client: MqttClient, topic: string): Promise<number> {
  try {
    const granted = await client.subscribeAsync(topic, { qos: 1 });
    return granted[0]?.qos ?? -1;
  } catch (error) {
    const suback = (error as { packet?: { granted?: unknown[] } }).packet;
    const code = suback?.granted?.[0];
    if (typeof code !== 'number') throw error;
    return code;
  }
}

const connect = (url: string, credential: Credential, clientId: string) =>
  mqtt.connectAsync(url, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
    clientId,
    ...credential,
  });

describe.each<Broker>(['embedded', 'mosquitto'])('MQTT identity on the %s broker', (broker) => {
  let h: HubHarness;
  let mosquitto: TestMosquitto | null = null;
  let dir = '';
  let url = '';
  let token = '';
  const hubUser = { username: 'cctv-hub-test', password: randomBytes(24).toString('base64url') };
  const council = uniqueId('council');
  // V keeps publishing legitimately throughout; A misbehaves; B is A's victim.
  const ids = { v: uniqueId('site-v'), a: uniqueId('site-a'), b: uniqueId('site-b') };
  const cams = { v: `${ids.v}-c1`, a: `${ids.a}-c1`, b: `${ids.b}-c1` };
  const creds: Record<'v' | 'a' | 'b', Credential> = {
    v: { username: '', password: '' },
    a: { username: '', password: '' },
    b: { username: '', password: '' },
  };
  const issuedPasswords: string[] = [];
  const alertsReader = { username: '_alerts', password: randomBytes(24).toString('base64url') };
  let v: SitePublisher;
  let b: SitePublisher;
  let vState: 'up' | 'down' = 'up';

  const api = async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const cameraState = async (id: string) => (await api<CameraView>('GET', `/api/cameras/${id}`)).body.state;
  const authStats = async () =>
    (await api<{ mqttAuth: MqttAuthStats | null; received: number }>('GET', '/api/ingest/stats')).body;

  const issue = async (siteId: string): Promise<SiteMqttCredentialIssued> => {
    const response = await api<SiteMqttCredentialIssued>('POST', `/api/sites/${siteId}/mqtt-credentials`);
    expect([200, 201]).toContain(response.status);
    issuedPasswords.push(response.body.password);
    return response.body;
  };
  /** Mosquitto only learns about issued credentials from regenerated files and a reload. */
  const applyToBroker = async () => {
    if (!mosquitto) return;
    const sites = await new SiteCredentialRepository(h.hub.database.pool).list();
    await mosquitto.configure(sites.map((s) => ({ siteId: s.siteId, passwordHash: s.passwordHash })));
    mosquitto.reload();
  };
  /** V's camera flips state and the hub shows it: the legitimate site still gets through. */
  const validSiteStillIngests = async () => {
    vState = vState === 'up' ? 'down' : 'up';
    await v.publish(
      'health',
      health(cams.v, vState, vState === 'down' ? [{ code: 'unreachable', message: 'no answer' }] : []),
      cams.v,
    );
    await eventually(`site V camera ${vState}`, async () =>
      (await cameraState(cams.v)) === vState ? true : undefined,
    );
  };

  beforeAll(async () => {
    if (broker === 'embedded') {
      dir = mkdtempSync(join(tmpdir(), 'cctv-alerts-reader-'));
      writeFileSync(join(dir, 'alerts-reader'), alertsReader.password, { mode: 0o600 });
      h = await startHub(
        {
          CCTV_HUB__mqtt__siteAuth: 'enforce',
          CCTV_HUB__notifications__mqttReaderPasswordFile: join(dir, 'alerts-reader'),
        },
        { embeddedBroker: true },
      );
      url = h.hub.mqttUrl;
    } else {
      dir = mkdtempSync(join(tmpdir(), 'cctv-mosquitto-'));
      mosquitto = new TestMosquitto(dir, hubUser);
      await mosquitto.start([]);
      url = mosquitto.url;
      const passwordFile = join(dir, 'hub-password');
      writeFileSync(passwordFile, hubUser.password, { mode: 0o600 });
      h = await startHub({
        MQTT_URL: url,
        CCTV_HUB__mqtt__username: hubUser.username,
        CCTV_HUB__mqtt__passwordFile: passwordFile,
      });
    }
    await h.createUser('op', 'operator');
    token = await h.login('op');
    for (const key of ['v', 'a', 'b'] as const) {
      // A credential is issued only for a registered site.
      await h.registerSite(ids[key], council, { cameraIds: [cams[key]] });
      const issued = await issue(ids[key]);
      expect(issued.username).toBe(ids[key]);
      creds[key] = { username: issued.username, password: issued.password };
    }
    await applyToBroker();
    v = new SitePublisher(ids.v, url, creds.v);
    b = new SitePublisher(ids.b, url, creds.b);
    // After a reload Mosquitto takes a moment to read the new files.
    await eventually('site V admitted', async () => {
      await v.connect();
      return true;
    });
    await b.connect();
    for (const [site, key] of [
      [v, 'v'],
      [b, 'b'],
    ] as const) {
      await site.publish('inventory', inventory(council, [cams[key]]));
      await site.publish('siteState', { state: 'online', agentVersion: 'test' });
      await site.publish('health', health(cams[key], 'up'), cams[key]);
    }
    await eventually('both cameras up', async () =>
      (await cameraState(cams.v)) === 'up' && (await cameraState(cams.b)) === 'up' ? true : undefined,
    );
  }, 180_000);

  afterAll(async () => {
    await v?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await h?.stop();
    await mosquitto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password, an unknown user and no credentials', async () => {
    const before = (await authStats()).mqttAuth;
    const wrong = await connackCode(url, {
      clientId: `site-${ids.a}`,
      username: ids.a,
      password: `${creds.a.password}x`,
    });
    const unknown = await connackCode(url, {
      clientId: 'site-nobody',
      username: uniqueId('nobody'),
      password: creds.a.password,
    });
    const anonymous = await connackCode(url, { clientId: 'anonymous' });
    // 4: bad user name or password; 5: not authorised (Mosquitto says 5 for all of them).
    for (const code of [wrong, unknown, anonymous]) expect([4, 5]).toContain(code);
    if (broker === 'embedded') {
      const after = (await authStats()).mqttAuth as MqttAuthStats;
      expect(after.mode).toBe('enforce');
      expect(after.connectRefused.badPassword).toBe((before?.connectRefused.badPassword ?? 0) + 1);
      expect(after.connectRefused.unknownUser).toBe((before?.connectRefused.unknownUser ?? 0) + 1);
      expect(after.connectRefused.noCredentials).toBe((before?.connectRefused.noCredentials ?? 0) + 1);
    }
    // The right password is accepted: the refusals above were about the credentials.
    expect(await connackCode(url, { clientId: `site-${ids.a}`, ...creds.a })).toBe(0);
    await validSiteStillIngests();
  });

  it("refuses site A publishing under site B's topics", async () => {
    const before = await authStats();
    const a = await connect(url, creds.a, `site-${ids.a}`);
    const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
    const forged = new SitePublisher(ids.b, url).envelope(
      health(cams.b, 'down', [{ code: 'unreachable', message: 'no answer' }]),
    );
    const published = new Promise<void>((resolve, reject) =>
      a.publish(
        buildTopic('health', { siteId: ids.b, cameraId: cams.b }),
        JSON.stringify(forged),
        { qos: 1 },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    if (broker === 'embedded') {
      // MQTT 3.1.1 has no negative PUBACK: the embedded broker drops the offender's connection.
      await closed;
      published.catch(() => undefined);
    } else {
      // Mosquitto acknowledges and silently drops it.
      await published;
      await a.endAsync();
    }
    await validSiteStillIngests();
    await h.hub.pipeline.idle();
    const after = await authStats();
    // Only V's message reached the hub; B's camera never saw the forged health.
    expect(after.received - before.received).toBe(1);
    expect(await cameraState(cams.b)).toBe('up');
    if (broker === 'embedded')
      expect(after.mqttAuth?.publishRefused).toBe((before.mqttAuth?.publishRefused ?? 0) + 1);
    if (a.connected) await a.endAsync();
  });

  it('refuses a forged envelope on the site’s own topic at the hub (dead-lettered)', async () => {
    const a = await connect(url, creds.a, `site-${ids.a}`);
    const forged = new SitePublisher(ids.b, url).envelope(
      health(cams.b, 'down', [{ code: 'unreachable', message: 'no answer' }]),
    );
    await a.publishAsync(buildTopic('health', { siteId: ids.a, cameraId: cams.a }), JSON.stringify(forged), {
      qos: 1,
    });
    await a.endAsync();
    await eventually('the forged envelope dead-lettered', async () => {
      const rows = await h.hub.database.pool.query<{ code: string }>(
        'SELECT code FROM dead_letters WHERE topic = $1',
        [buildTopic('health', { siteId: ids.a, cameraId: cams.a })],
      );
      return rows.rows.some((r) => r.code === 'SITE_MISMATCH') ? true : undefined;
    });
    expect(await cameraState(cams.b)).toBe('up');
    await validSiteStillIngests();
  });

  // The embedded broker's alert consumer (on Mosquitto the operator adds the user to its files).
  if (broker === 'embedded')
    it('lets the _alerts user read alert topics and nothing else, and no site read alerts', async () => {
      expect(await connackCode(url, { ...alertsReader, password: 'wrong-password' })).toBeGreaterThan(0);
      const reader = await connect(url, alertsReader, uniqueId('alerts-reader'));
      try {
        expect(await grantOf(reader, 'cctv/v1/alerts/#')).toBe(1);
        expect(await grantOf(reader, `cctv/v1/alerts/${council}/#`)).toBe(1);
        expect(await grantOf(reader, 'cctv/v1/site/+/#')).toBe(128);
        expect(await grantOf(reader, '#')).toBe(128);
      } finally {
        await reader.endAsync();
      }
      const site = await connect(url, creds.a, `site-${ids.a}.alerts`);
      try {
        expect(await grantOf(site, 'cctv/v1/alerts/#')).toBe(128);
      } finally {
        await site.endAsync();
      }
    });

  it("refuses site A subscribing to site B's requests", async () => {
    const before = await authStats();
    const a = await connect(url, creds.a, `site-${ids.a}`);
    const received: string[] = [];
    a.on('message', (topic) => received.push(topic));
    const foreign = [
      siteRequestFilter(ids.b),
      'cctv/v1/site/+/request/#',
      `cctv/v1/site/${ids.b}/#`,
      'cctv/v1/#',
    ];
    const grants = new Map<string, number>();
    for (const topic of [...foreign, siteRequestFilter(ids.a)]) grants.set(topic, await grantOf(a, topic));
    expect(grants.get(siteRequestFilter(ids.a))).toBe(1);
    if (broker === 'embedded') {
      // SUBACK failure return code [MQTT-3.9.3]
      for (const topic of foreign) expect(grants.get(topic)).toBe(128);
      const after = (await authStats()).mqttAuth as MqttAuthStats;
      expect(after.subscribeRefused).toBe((before.mqttAuth?.subscribeRefused ?? 0) + foreign.length);
    } else {
      // Mosquitto's ACL file grants the SUBACK but never delivers: the hub sends B a request; B gets
      // it, A does not (and B's forged-state topics reach nobody but the hub).
      const bClient = await connect(url, creds.b, `site-${ids.b}.requests`);
      const bReceived: string[] = [];
      bClient.on('message', (topic) => bReceived.push(topic));
      await bClient.subscribeAsync(siteRequestFilter(ids.b), { qos: 1 });
      const hubClient = await connect(url, hubUser, `hub-request-${randomBytes(3).toString('hex')}`);
      const request = `cctv/v1/site/${ids.b}/request/ping`;
      await hubClient.publishAsync(request, 'ping', { qos: 1 });
      await eventually('B receives its request', async () =>
        bReceived.includes(request) ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toEqual([]);
      await Promise.all([bClient.endAsync(), hubClient.endAsync()]);
    }
    await a.endAsync();
    await validSiteStillIngests();
  });

  it('a rotated password stops working and the new one works', async () => {
    let live: MqttClient | null = null;
    if (broker === 'embedded') live = await connect(url, creds.a, `site-${ids.a}`);
    const liveClosed = live
      ? new Promise<void>((resolve) => live?.once('close', () => resolve()))
      : Promise.resolve();
    const old = creds.a.password;
    const rotated = await issue(ids.a);
    expect(rotated.rotations).toBe(1);
    expect(rotated.password).not.toBe(old);
    await applyToBroker();
    await eventually('the new password admitted', async () =>
      (await connackCode(url, { clientId: `site-${ids.a}`, username: ids.a, password: rotated.password })) ===
      0
        ? true
        : undefined,
    );
    expect([4, 5]).toContain(
      await connackCode(url, { clientId: `site-${ids.a}`, username: ids.a, password: old }),
    );
    // The embedded broker also closes connections made with the old password.
    await liveClosed;
    const audit = await api<AuditPage>('GET', '/api/audit?kind=config.site.mqtt-credentials');
    const forA = audit.body.entries.filter((e) => e.subject === `site:${ids.a}`);
    expect(forA.map((e) => e.detail.action).sort()).toEqual(['issued', 'rotated']);
    expect(forA.every((e) => e.actor === 'op')).toBe(true);
    await validSiteStillIngests();
  });

  it('never logs a password and never shows one again', async () => {
    const listed = await api<Record<string, unknown>>('GET', `/api/sites/${ids.v}/mqtt-credentials`);
    expect(listed.status).toBe(200);
    expect(listed.body).not.toHaveProperty('password');
    const logs = h.logs.join('\n');
    for (const password of [...issuedPasswords, hubUser.password]) expect(logs).not.toContain(password);
  });
});
