import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../../edge-agent/src/agent.ts';
import { loadAgentConfig } from '../../../edge-agent/src/config.ts';
import { resolveMediaBinaries } from '../../../edge-agent/src/media/binaries.ts';
import type { MqttAuthStats } from '../../../hub-server/src/broker/site-auth.ts';
import { Hub } from '../../../hub-server/src/hub.ts';
import { MqttIngest } from '../../../hub-server/src/ingest/mqtt-ingest.ts';
import type { IngestPipeline } from '../../../hub-server/src/ingest/pipeline.ts';
import { SiteCredentialRepository } from '../../../hub-server/src/repositories/site-credential-repository.ts';
import { loadHubTls } from '../../../hub-server/src/tls.ts';
import { HUB_ENV_ALIASES, HUB_ENV_PREFIX, HubConfig } from '../../../src/config/hub-config.ts';
import { ConfigError, resolveConfig } from '../../../src/config/resolve.ts';
import type { CameraView, LiveSnapshot, SiteView } from '../../../src/schemas/api.ts';
import type { SiteMqttCredentialIssued } from '../../../src/schemas/site-credential-api.ts';
import { eventually } from '../../support/eventually.ts';
import { type HubHarness, startHub } from '../../support/hub-harness.ts';
import { TestMosquitto } from '../../support/mosquitto.ts';
import { uniqueId } from '../../support/services.ts';
import { health, inventory, SitePublisher } from '../../support/site-publisher.ts';
import { createTestPki, type TestPki } from '../../support/test-pki.ts';

/** What Node reports when a server's certificate does not chain to a CA the client trusts. */
const UNTRUSTED = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
];

let dir = '';
let pki: TestPki;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cctv-tls-'));
  pki = createTestPki(dir);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One HTTPS request on its own connection; rejects with Node's error (its code says why TLS failed). */
function https<T>(
  url: string,
  options: { method?: string; body?: unknown; token?: string; ca?: string } = {},
): Promise<{ status: number; body: T }> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = httpsRequest(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        ...(options.ca ? { ca: options.ca } : {}),
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `status <n>` if a plain HTTP answer came back, else `error <code>`. */
function plainHttp(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(`status ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
    req.end();
  });
}

/**
 * Connects once (no retries): 0 when accepted, else the CONNACK refusal code, the TLS error code, or
 * the message of a connection closed without either.
 */
async function mqttOutcome(url: string, options: mqtt.IClientOptions): Promise<number | string> {
  try {
    const client = await mqtt.connectAsync(
      url,
      { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options },
      false,
    );
    const connected = client.connected;
    await client.endAsync();
    return connected ? 0 : 'ended without CONNACK';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'number' || typeof code === 'string' ? code : (error as Error).message;
  }
}

function hubConfig(env: Record<string, string>): HubConfig {
  return resolveConfig(HubConfig, {
    env: { DEMO: '0', ...env },
    envAliases: HUB_ENV_ALIASES,
    envPrefix: HUB_ENV_PREFIX,
  });
}

function tlsProblems(config: HubConfig, now?: () => number): string[] {
  try {
    loadHubTls(config, { now });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('TLS certificate checks with real certificates', () => {
  it('accepts a matching certificate and key and keeps the PEM for the servers', () => {
    const tls = loadHubTls(
      hubConfig({ CCTV_HUB__http__tls__certFile: pki.certFile, CCTV_HUB__http__tls__keyFile: pki.keyFile }),
    );
    expect(tls.https?.cert).toBe(readFileSync(pki.certFile, 'utf8'));
    expect(tls.https?.key).toBe(readFileSync(pki.keyFile, 'utf8'));
    expect(tls.broker).toBeNull();
  });

  it.each([
    ['http.tls', 'CCTV_HUB__http__tls'],
    ['mqtt.tls', 'CCTV_HUB__mqtt__tls'],
  ])('%s: refuses a key that is not the certificate’s', (prefix, env) => {
    const problems = tlsProblems(
      hubConfig({ [`${env}__certFile`]: pki.certFile, [`${env}__keyFile`]: pki.strayKeyFile }),
    );
    expect(problems).toEqual([
      expect.stringMatching(
        new RegExp(`^${prefix.replace('.', '\\.')}\\.keyFile: .*stray\\.key is not the private key of`),
      ),
    ]);
  });

  it('refuses an expired certificate, naming the file', () => {
    const problems = tlsProblems(
      hubConfig({ CCTV_HUB__http__tls__certFile: pki.certFile, CCTV_HUB__http__tls__keyFile: pki.keyFile }),
      () => Date.now() + 10 * 86_400_000,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^http\.tls\.certFile: the certificate in .*server\.pem expired/),
    ]);
  });

  it('refuses a key file given as the certificate and a certificate given as the key', () => {
    const problems = tlsProblems(
      hubConfig({ CCTV_HUB__http__tls__certFile: pki.keyFile, CCTV_HUB__http__tls__keyFile: pki.certFile }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^http\.tls\.certFile: .*server\.key holds no certificate/),
      expect.stringMatching(/^http\.tls\.keyFile: .*server\.pem holds no private key/),
    ]);
  });

  it('warns when a plain listener on a public address stays open beside the TLS one', () => {
    const tls = (host: string, only: string) =>
      loadHubTls(
        hubConfig({
          CCTV_HUB__mqtt__host: host,
          CCTV_HUB__mqtt__tls__certFile: pki.certFile,
          CCTV_HUB__mqtt__tls__keyFile: pki.keyFile,
          CCTV_HUB__mqtt__tls__only: only,
        }),
      );
    expect(tls('0.0.0.0', 'false').warnings).toEqual([
      expect.stringMatching(/^plain MQTT listener on 0\.0\.0\.0:1883 beside the TLS one/),
    ]);
    expect(tls('0.0.0.0', 'true').warnings).toEqual([]);
    expect(tls('127.0.0.1', 'false').warnings).toEqual([]);
    expect(tls('0.0.0.0', 'true').broker).toMatchObject({ host: '0.0.0.0', port: 8883, only: true });
  });

  it('the hub does not start with only a certificate, and says which key is missing', async () => {
    const hub = new Hub({
      config: hubConfig({ CCTV_HUB__http__tls__certFile: pki.certFile }),
      log: pino({ level: 'silent' }),
    });
    await expect(hub.start()).rejects.toThrow(/http\.tls\.keyFile: missing/);
    await hub.stop();
  });
});

describe('hub over HTTPS with the embedded broker also over TLS', () => {
  let h: HubHarness;
  let token = '';
  let tlsUrl = '';
  const council = uniqueId('council');
  const siteId = uniqueId('tls-site');
  let password = '';
  const agents: EdgeAgent[] = [];

  const authStats = async () =>
    (await https<{ mqttAuth: MqttAuthStats }>(`${h.hub.url}/api/ingest/stats`, { token, ca: pki.ca })).body
      .mqttAuth;

  const agentFor = async (caFile: string | null, lines: string[]) => {
    const passwordFile = join(dir, `${siteId}.password`);
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const configFile = join(dir, `agent-${randomBytes(3).toString('hex')}.yaml`);
    writeFileSync(
      configFile,
      [
        `site: { id: ${siteId}, name: TLS test site, councilId: ${council}, hubId: test-hub }`,
        'mqtt:',
        `  url: ${tlsUrl}`,
        `  passwordFile: ${passwordFile}`,
        ...(caFile ? [`  caFile: ${caFile}`] : []),
        '  keepaliveS: 5',
        '  connectTimeoutMs: 3000',
        'cameras: []',
        '',
      ].join('\n'),
    );
    const { config, secrets } = await loadAgentConfig({ path: configFile, env: {} });
    const agent = new EdgeAgent({
      config,
      secrets,
      logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
      media: resolveMediaBinaries(),
    });
    agents.push(agent);
    await agent.start();
    return agent;
  };

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__mqtt__siteAuth: 'enforce',
        CCTV_HUB__http__tls__certFile: pki.certFile,
        CCTV_HUB__http__tls__keyFile: pki.keyFile,
        CCTV_HUB__mqtt__tls__certFile: pki.certFile,
        CCTV_HUB__mqtt__tls__keyFile: pki.keyFile,
        CCTV_HUB__mqtt__tls__port: '0',
      },
      { embeddedBroker: true },
    );
    tlsUrl = h.hub.mqttTlsUrl ?? '';
    await h.createUser('op', 'operator');
    const login = await https<{ token: string }>(`${h.hub.url}/api/auth/login`, {
      method: 'POST',
      body: { username: 'op', password: 'demo' },
      ca: pki.ca,
    });
    expect(login.status).toBe(200);
    token = login.body.token;
    // A credential is issued only for a registered site.
    await h.registerSite(siteId, council);
    const issued = await https<SiteMqttCredentialIssued>(
      `${h.hub.url}/api/sites/${siteId}/mqtt-credentials`,
      {
        method: 'POST',
        token,
        ca: pki.ca,
      },
    );
    expect([200, 201]).toContain(issued.status);
    password = issued.body.password;
  }, 180_000);

  afterAll(async () => {
    for (const agent of agents) await agent.stop('graceful').catch(() => undefined);
    await h?.stop();
  });

  it('serves the API over HTTPS to a client that trusts the CA', async () => {
    expect(h.hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const sites = await https<SiteView[]>(`${h.hub.url}/api/sites`, { token, ca: pki.ca });
    expect(sites.status).toBe(200);
    const anonymous = await https<unknown>(`${h.hub.url}/api/sites`, { ca: pki.ca });
    expect(anonymous.status).toBe(401);
  });

  it('answers nothing to plain HTTP on the same port', async () => {
    const outcome = await plainHttp(`${h.hub.url.replace('https:', 'http:')}/healthz`);
    expect(outcome).toMatch(/^error /);
  });

  it('is refused by a client that does not trust its CA', async () => {
    for (const ca of [undefined, pki.otherCa]) {
      const error = await https(`${h.hub.url}/healthz`, { ca }).then(
        () => null,
        (e: NodeJS.ErrnoException) => e,
      );
      expect(UNTRUSTED).toContain(error?.code);
    }
  });

  it('pushes live status over socket.io on wss with a token, and not without the CA', async () => {
    const socket = io(h.hub.url, {
      auth: { token },
      transports: ['websocket'],
      ca: pki.ca,
      reconnection: false,
    });
    try {
      const snapshot = await new Promise<LiveSnapshot>((resolve, reject) => {
        socket.once('snapshot', resolve);
        socket.once('connect_error', reject);
      });
      expect(Array.isArray(snapshot.cameras)).toBe(true);
      expect(socket.io.engine.transport.name).toBe('websocket');
    } finally {
      socket.close();
    }
    const untrusting = io(h.hub.url, { auth: { token }, transports: ['websocket'], reconnection: false });
    try {
      // engine.io reports the WebSocket's TLS failure as the error's description.
      const error = await new Promise<Error & { description?: { error?: { code?: string } } }>((resolve) =>
        untrusting.once('connect_error', resolve),
      );
      expect(UNTRUSTED).toContain(error.description?.error?.code);
    } finally {
      untrusting.close();
    }
  });

  it('ingests what a site agent publishes over mqtts with its credential and the CA file', async () => {
    expect(tlsUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(tlsUrl).not.toBe(h.hub.mqttUrl);
    const lines: string[] = [];
    const agent = await agentFor(pki.caFile, lines);
    const site = await eventually('the site online in the API', async () => {
      const sites = await https<SiteView[]>(`${h.hub.url}/api/sites`, { token, ca: pki.ca });
      return sites.body.find((s) => s.id === siteId && s.state === 'online');
    });
    expect(site.councilId).toBe(council);
    const rows = await h.hub.database.pool.query<{ state: string }>('SELECT state FROM sites WHERE id = $1', [
      siteId,
    ]);
    expect(rows.rows).toEqual([{ state: 'online' }]);
    expect(agent.stats().publisher?.connected).toBe(true);
    await agent.stop('graceful');
    agents.splice(agents.indexOf(agent), 1);
  });

  it('an agent without the CA file does not connect (the certificate is verified)', async () => {
    const lines: string[] = [];
    const agent = await agentFor(null, lines);
    const line = await eventually('a certificate error in the agent log', async () =>
      lines.find((l) => l.includes('broker error')),
    );
    expect(line).toMatch(/certificate/i);
    expect(agent.stats().publisher?.connected).toBe(false);
    expect(agent.stats().publisher?.connects).toBe(0);
    await agent.stop('abrupt');
    agents.splice(agents.indexOf(agent), 1);
  });

  it('fails the handshake of a client without the CA, before MQTT authentication', async () => {
    const before = await authStats();
    const credential = { clientId: `site-${siteId}`, username: siteId, password };
    expect(UNTRUSTED).toContain(await mqttOutcome(tlsUrl, credential));
    expect(UNTRUSTED).toContain(await mqttOutcome(tlsUrl, { ...credential, ca: pki.otherCa }));
    // Plain MQTT to the TLS port gets no CONNACK.
    expect(await mqttOutcome(tlsUrl.replace('mqtts:', 'mqtt:'), credential)).toBe(
      "Couldn't connect to server",
    );
    const after = await authStats();
    expect(after.connectRefused).toEqual(before.connectRefused);
  });

  it('still refuses a wrong password over TLS, and admits the right one', async () => {
    const before = await authStats();
    const credential = { clientId: `site-${siteId}`, username: siteId, ca: pki.ca };
    expect([4, 5]).toContain(await mqttOutcome(tlsUrl, { ...credential, password: `${password}x` }));
    expect([4, 5]).toContain(
      await mqttOutcome(tlsUrl, { ...credential, username: uniqueId('nobody'), password }),
    );
    expect(await mqttOutcome(tlsUrl, { ...credential, password })).toBe(0);
    const after = await authStats();
    expect(after.connectRefused.badPassword).toBe(before.connectRefused.badPassword + 1);
    expect(after.connectRefused.unknownUser).toBe(before.connectRefused.unknownUser + 1);
  });
});

describe('embedded broker with TLS only (mqtt.tls.only)', () => {
  let h: HubHarness;
  let token = '';

  beforeAll(async () => {
    h = await startHub(
      {
        CCTV_HUB__mqtt__siteAuth: 'enforce',
        CCTV_HUB__mqtt__tls__certFile: pki.certFile,
        CCTV_HUB__mqtt__tls__keyFile: pki.keyFile,
        CCTV_HUB__mqtt__tls__port: '0',
        CCTV_HUB__mqtt__tls__only: 'true',
      },
      { embeddedBroker: true },
    );
    await h.createUser('op', 'operator');
    token = await h.login('op');
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
  });

  const api = async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  it('opens no plain listener and gives sites the mqtts:// address', async () => {
    expect(h.hub.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(h.hub.mqttUrl).toBe(h.hub.mqttTlsUrl);
    const listening = h.logs
      .map((l) => JSON.parse(l) as { msg: string; port?: number; tlsPort?: number })
      .find((l) => l.msg === 'embedded MQTT broker listening');
    expect(listening?.port).toBe(0);
    expect(listening?.tlsPort).toBeGreaterThan(0);
  });

  it('ingests a site over TLS while the hub reads its own broker in process', async () => {
    // /healthz includes the hub's own MQTT connection.
    expect((await fetch(`${h.hub.url}/healthz`)).status).toBe(200);
    const siteId = uniqueId('tls-only-site');
    const camera = `${siteId}-c1`;
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: [camera] });
    const issued = await api<SiteMqttCredentialIssued>('POST', `/api/sites/${siteId}/mqtt-credentials`);
    const site = new SitePublisher(
      siteId,
      h.hub.mqttUrl,
      { username: issued.body.username, password: issued.body.password },
      { ca: pki.ca },
    );
    await site.connect();
    try {
      await site.publish('inventory', inventory(council, [camera]));
      await site.publish('siteState', { state: 'online', agentVersion: 'test' });
      await site.publish('health', health(camera, 'up'), camera);
      await eventually('the camera up', async () =>
        (await api<CameraView>('GET', `/api/cameras/${camera}`)).body.state === 'up' ? true : undefined,
      );
    } finally {
      await site.close();
    }
  });
});

describe('Mosquitto with the generated TLS listener', () => {
  let h: HubHarness;
  let mosquitto: TestMosquitto;
  let mosquittoDir = '';
  let token = '';
  const hubUser = { username: 'cctv-hub-tls', password: randomBytes(24).toString('base64url') };

  const api = async <T>(method: string, path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${h.hub.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    mosquittoDir = mkdtempSync(join(tmpdir(), 'cctv-mosquitto-tls-'));
    mosquitto = new TestMosquitto(mosquittoDir, hubUser, { certFile: pki.certFile, keyFile: pki.keyFile });
    await mosquitto.start([]);
    const passwordFile = join(mosquittoDir, 'hub-password');
    writeFileSync(passwordFile, hubUser.password, { mode: 0o600 });
    h = await startHub({
      MQTT_URL: mosquitto.tlsUrl,
      CCTV_HUB__mqtt__caFile: pki.caFile,
      CCTV_HUB__mqtt__username: hubUser.username,
      CCTV_HUB__mqtt__passwordFile: passwordFile,
    });
    await h.createUser('op', 'operator');
    token = await h.login('op');
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await mosquitto?.stop();
    if (mosquittoDir) rmSync(mosquittoDir, { recursive: true, force: true });
  });

  it('writes a TLS listener with the certificate, key and TLS 1.2 or later', () => {
    const conf = readFileSync(join(mosquittoDir, 'mosquitto.conf'), 'utf8');
    expect(conf).toContain(`listener ${mosquitto.tlsPort} 127.0.0.1\n`);
    expect(conf).toContain(`certfile ${pki.certFile}\n`);
    expect(conf).toContain(`keyfile ${pki.keyFile}\n`);
    expect(conf).toContain('tls_version tlsv1.2\n');
  });

  it('the hub reads Mosquitto over TLS, verified with mqtt.caFile', async () => {
    expect((await fetch(`${h.hub.url}/healthz`)).status).toBe(200);
  });

  it('the hub’s client refuses a broker its CA did not sign', async () => {
    const pipeline = {} as IngestPipeline; // never reached: the connection fails first
    for (const ca of [null, pki.otherCa]) {
      const ingest = new MqttIngest(
        {
          url: mosquitto.tlsUrl,
          clientId: `hub-untrusting-${randomBytes(3).toString('hex')}`,
          ...hubUser,
          ca,
          log: pino({ level: 'silent' }),
        },
        pipeline,
      );
      await expect(ingest.start()).rejects.toThrow(/certificate/i);
      await ingest.stop();
    }
  });

  it('a site with its credential publishes over TLS and is ingested; without the CA or with a wrong password it is refused', async () => {
    const siteId = uniqueId('mosq-tls-site');
    const camera = `${siteId}-c1`;
    const council = uniqueId('council');
    await h.registerSite(siteId, council, { cameraIds: [camera] });
    const issued = await api<SiteMqttCredentialIssued>('POST', `/api/sites/${siteId}/mqtt-credentials`);
    const sites = await new SiteCredentialRepository(h.hub.database.pool).list();
    await mosquitto.configure(sites.map((s) => ({ siteId: s.siteId, passwordHash: s.passwordHash })));
    mosquitto.reload();
    const credential = { username: issued.body.username, password: issued.body.password };
    const site = new SitePublisher(siteId, mosquitto.tlsUrl, credential, { ca: pki.ca });
    // After a reload Mosquitto takes a moment to read the new files.
    // Mosquitto takes a moment to read the new files; on a loaded machine more than 15 s.
    await eventually(
      'the site admitted over TLS',
      async () => {
        await site.connect();
        return true;
      },
      30_000,
    );
    try {
      await site.publish('inventory', inventory(council, [camera]));
      await site.publish('health', health(camera, 'up'), camera);
      await eventually(
        'the camera up',
        async () =>
          (await api<CameraView>('GET', `/api/cameras/${camera}`)).body.state === 'up' ? true : undefined,
        30_000,
      ).catch(async (error: Error) => {
        // Say what the hub saw, so a failure here can be told apart (not received, or refused).
        const stats = await api<unknown>('GET', '/api/ingest/stats');
        const dead = await api<unknown>('GET', '/api/ingest/dead-letters?limit=5');
        throw new Error(
          `${error.message}; ingest ${JSON.stringify(stats.body)}; dead letters ${JSON.stringify(dead.body)}`,
        );
      });
    } finally {
      await site.close();
    }
    const options = { clientId: `site-${siteId}.probe`, ...credential };
    expect(UNTRUSTED).toContain(await mqttOutcome(mosquitto.tlsUrl, options));
    expect([4, 5]).toContain(
      await mqttOutcome(mosquitto.tlsUrl, { ...options, password: `${credential.password}x`, ca: pki.ca }),
    );
    expect(await mqttOutcome(mosquitto.tlsUrl, { ...options, ca: pki.ca })).toBe(0);
  });
});
